import { stat } from 'node:fs/promises';
import { duplicateBookingTypes, listConfigFiles, loadConfigFile, type BookingTypeConfig, type InstanceConfig } from '../../config/index.js';
import { describeError, type Logger } from '../../lib/index.js';

/**
 * Configs are read again when a file changes and at least this often: a key kept in a `*File` or in the
 * environment can change without the config file changing (the API's config view does the same).
 */
export const CATALOG_CACHE_MS = 60_000;

export interface BookingEntry {
  type: BookingTypeConfig;
  /** The config that declares it: its notify channels receive the proposals, its secrets are redacted. */
  instance: InstanceConfig;
}

export type Lookup = { found: BookingEntry } | { missing: true } | { conflict: string[] };

export interface BookingCatalog {
  /** The type named `slug`, nothing, or the configs that all claim it (then none of them is served). */
  find(slug: string): Promise<Lookup>;
  /** Every type served, by slug. */
  all(): Promise<BookingEntry[]>;
  /** Every secret of every valid config, for a last sweep of what a page or an answer holds. */
  secrets(): Promise<string[]>;
}

interface Loaded {
  bySlug: Map<string, BookingEntry>;
  conflicts: Map<string, string[]>;
  secrets: string[];
}

/**
 * The booking types of every config in `configDir`. An invalid config is skipped (with a warning: its types
 * are not served until it is fixed); a slug claimed by two configs is served by neither, since the visitor
 * cannot be told which event type they are booking.
 */
export function createBookingCatalog(opts: { configDir: string; logger: Logger; env?: NodeJS.ProcessEnv; now?: () => number }): BookingCatalog {
  const now = opts.now ?? Date.now;
  let cache: { signature: string; at: number; loaded: Promise<Loaded> } | null = null;
  const warned = new Set<string>();
  const warnOnce = (message: string): void => {
    if (warned.has(message)) return;
    warned.add(message);
    opts.logger.warn(message);
  };

  const load = async (files: { name: string; file: string }[]): Promise<Loaded> => {
    const configs: InstanceConfig[] = [];
    const seen = new Set<string>();
    for (const { name, file } of files) {
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        configs.push(await loadConfigFile(file, opts.env ? { env: opts.env } : {}));
      } catch (err) {
        // The config module never puts a secret in its errors; the first line names the file and the key.
        warnOnce(`booking: config ${name} is invalid, its booking types (if any) are not served: ${describeError(err).split('\n')[0]}`);
      }
    }
    const conflicts = duplicateBookingTypes(configs);
    for (const [slug, names] of conflicts)
      warnOnce(`booking: type "${slug}" is declared by ${names.join(' and ')}: it is not served until only one declares it`);
    const bySlug = new Map<string, BookingEntry>();
    for (const instance of configs) {
      for (const type of instance.booking) if (!conflicts.has(type.type)) bySlug.set(type.type, { type, instance });
    }
    return { bySlug, conflicts, secrets: [...new Set(configs.flatMap((c) => c.secrets))] };
  };

  const current = async (): Promise<Loaded> => {
    const files = await listConfigFiles(opts.configDir);
    const stamps = await Promise.all(
      files.map(async (f) => {
        const st = await stat(f.file).catch(() => null);
        return `${f.file}:${st?.size}:${st?.mtimeMs}:${st?.ino}`;
      }),
    );
    const signature = stamps.join('\n');
    if (cache && cache.signature === signature && now() - cache.at < CATALOG_CACHE_MS) return cache.loaded;
    const loaded = load(files);
    cache = { signature, at: now(), loaded };
    loaded.catch(() => {
      if (cache?.loaded === loaded) cache = null;
    });
    return loaded;
  };

  return {
    async find(slug) {
      const { bySlug, conflicts } = await current();
      const owners = conflicts.get(slug);
      if (owners) return { conflict: owners };
      const found = bySlug.get(slug);
      return found ? { found } : { missing: true };
    },
    all: async () => [...(await current()).bySlug.values()].sort((a, b) => (a.type.type < b.type.type ? -1 : 1)),
    secrets: async () => (await current()).secrets,
  };
}
