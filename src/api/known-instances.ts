import { stat } from 'node:fs/promises';
import { isValidInstanceName } from '../config/index.js';
import type { Clock } from '../lib/index.js';
import type { Store } from '../store/index.js';
import { CONFIG_CACHE_MS } from './config-source.js';

export interface KnownInstancesOptions {
  configDir: string;
  /** The config files' instance names (the API's ConfigView). */
  configNames(): Promise<string[]>;
  store: Pick<Store, 'lastRun' | 'instances'>;
  clock: Clock;
}

/**
 * Whether a name is one of our instances (a config file, or history in the store): the 404 of every
 * per-instance listing asks it on each request. A name found known is remembered while the config directory
 * is unchanged, so a listing costs one stat instead of a directory read and, for an instance that lost its
 * config, two store queries. A file added, removed or renamed in the directory changes its mtime, which drops
 * what was remembered (an edit inside a file cannot change a name); past CONFIG_CACHE_MS it is dropped anyway,
 * for file systems whose mtime is coarse. Unknown names are never remembered: a new config counts at once.
 */
export function createKnownInstances(opts: KnownInstancesOptions): (name: string) => Promise<boolean> {
  let known = new Set<string>();
  /** The directory's mtime when `known` was started, and when (clock time) it was. */
  let since: { dirMtimeMs: number; at: number } | null = null;

  const dirMtimeMs = async (): Promise<number | null> => (await stat(opts.configDir).catch(() => null))?.mtimeMs ?? null;

  /** Cheapest first: a config file, then one indexed run lookup; the store-wide DISTINCT only for instances with no run. */
  const lookUp = async (name: string): Promise<boolean> =>
    (await opts.configNames()).includes(name) || (await opts.store.lastRun(name)) !== null || (await opts.store.instances()).includes(name);

  return async (name) => {
    if (!isValidInstanceName(name)) return false;
    const mtime = await dirMtimeMs();
    const now = opts.clock.now().getTime();
    if (mtime === null || since === null || since.dirMtimeMs !== mtime || now - since.at >= CONFIG_CACHE_MS) {
      known = new Set();
      since = mtime === null ? null : { dirMtimeMs: mtime, at: now };
    } else if (known.has(name)) {
      return true;
    }
    const found = await lookUp(name);
    if (found && since !== null) known.add(name);
    return found;
  };
}
