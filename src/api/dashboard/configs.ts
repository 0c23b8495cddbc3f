import { stat } from 'node:fs/promises';
import path from 'node:path';
import { listConfigFiles, loadConfigFile, type InstanceConfig } from '../../config/index.js';
import { describeError, makeRedactor } from '../../lib/index.js';

/**
 * Configs are read again when a file changes, and at least this often: a secret kept in a `*File` or in the
 * environment can change without its config file changing. The dashboard polls every few seconds; loading
 * every config each time would be the bulk of its work.
 */
export const CONFIG_CACHE_MS = 60_000;

export type ConfigEntry = { name: string; config: InstanceConfig } | { name: string; error: string };

export interface LoadedConfigs {
  entries: ConfigEntry[];
  /** Hides every secret of every valid config (a second fence: workers redact what they write already). */
  redact: (text: string) => string;
}

/**
 * Every config file of the directory, valid or not, loaded once per change. Invalid ones carry their error
 * (the config module never puts a secret value in an error; the valid configs' secrets are redacted from it
 * anyway, since one password often sits in several files).
 */
export function createConfigSource(configDir: string, opts: { env?: NodeJS.ProcessEnv; now?: () => number } = {}): () => Promise<LoadedConfigs> {
  const now = opts.now ?? Date.now;
  let cache: { signature: string; at: number; loaded: Promise<LoadedConfigs> } | null = null;

  const load = async (list: { name: string; file: string }[]): Promise<LoadedConfigs> => {
    const seen = new Set<string>();
    const raw: ({ name: string; config: InstanceConfig } | { name: string; error: string })[] = [];
    for (const { name, file } of list) {
      // `alice.yml` and `alice.yaml`: the first is the instance (the supervisor refuses the pair anyway).
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        raw.push({ name, config: await loadConfigFile(file, opts.env ? { env: opts.env } : {}) });
      } catch (err) {
        raw.push({ name, error: describeError(err) });
      }
    }
    const redact = makeRedactor(raw.flatMap((r) => ('config' in r ? r.config.secrets : [])));
    // The server's own paths are nobody's business on a web page: `bob.yml: …` says which file.
    const dirPrefix = `${path.resolve(configDir)}${path.sep}`;
    const entries = raw.map((r): ConfigEntry => ('config' in r ? r : { name: r.name, error: redact(r.error.split(dirPrefix).join('')) }));
    return { entries, redact };
  };

  return async () => {
    const list = await listConfigFiles(configDir);
    const stamps = await Promise.all(
      list.map(async (f) => {
        const st = await stat(f.file).catch(() => null);
        return `${f.file}:${st?.size}:${st?.mtimeMs}:${st?.ino}`;
      }),
    );
    const signature = stamps.join('\n');
    if (cache && cache.signature === signature && now() - cache.at < CONFIG_CACHE_MS) return cache.loaded;
    const loaded = load(list);
    cache = { signature, at: now(), loaded };
    loaded.catch(() => {
      if (cache?.loaded === loaded) cache = null;
    });
    return loaded;
  };
}
