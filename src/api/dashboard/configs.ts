import path from 'node:path';
import { createConfigSource as createApiConfigSource, type LoadedConfigs } from '../config-source.js';

export { CONFIG_CACHE_MS, type ConfigEntry, type LoadedConfigs } from '../config-source.js';

/**
 * The API's config source, with the server's own paths taken out of config errors: they are nobody's business
 * on a web page (`bob.yml: …` says which file).
 */
export function createConfigSource(configDir: string, opts: { env?: NodeJS.ProcessEnv; now?: () => number } = {}): () => Promise<LoadedConfigs> {
  const source = createApiConfigSource(configDir, opts);
  const dirPrefix = `${path.resolve(configDir)}${path.sep}`;
  return async () => {
    const { entries, redact } = await source.load();
    return { entries: entries.map((e) => ('config' in e ? e : { name: e.name, error: e.error.split(dirPrefix).join('') })), redact };
  };
}
