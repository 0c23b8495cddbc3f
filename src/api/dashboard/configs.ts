import path from 'node:path';
import type { Locale } from '../../lib/index.js';
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
    const strip = (text: string): string => text.split(dirPrefix).join('');
    const stripIn = (said: Record<Locale, string> | undefined) =>
      said === undefined ? {} : { errorIn: Object.fromEntries(Object.entries(said).map(([l, text]) => [l, strip(text)])) as Record<Locale, string> };
    return { entries: entries.map((e) => ('config' in e ? e : { name: e.name, error: strip(e.error), ...stripIn(e.errorIn) })), redact };
  };
}
