import { readFile, stat } from 'node:fs/promises';
import { listConfigFiles, loadConfigFile, secretsInConfigText, type InstanceConfig } from '../config/index.js';
import { describeError, describeErrorIn, LOCALES, makeRedactor, type Locale } from '../lib/index.js';

/**
 * Configs are read again when a file changes, and at least this often: a secret kept in a `*File` or in the
 * environment can change without its config file changing. The API redacts every answer with them and the
 * dashboard polls every few seconds: loading every config each time would be the bulk of their work.
 */
export const CONFIG_CACHE_MS = 60_000;

/** Past this a file is no config (the loader refuses it too): its text is not read for secrets. */
const MAX_SCANNED_BYTES = 1024 * 1024;

/** The secret-looking values of a config file's text (secretsInConfigText), or none when it cannot be read. */
async function rawSecretsOf(file: string): Promise<string[]> {
  try {
    if ((await stat(file)).size > MAX_SCANNED_BYTES) return [];
    return secretsInConfigText(await readFile(file, 'utf8'));
  } catch {
    return [];
  }
}

/** An invalid config's error: English (`error`, logs and JSON), and in each language for a page (`errorIn`). */
export type ConfigEntry = { name: string; config: InstanceConfig } | { name: string; error: string; errorIn?: Record<Locale, string> };

export interface LoadedConfigs {
  entries: ConfigEntry[];
  /** Hides every secret of every valid config (a second fence: workers redact what they write already). */
  redact: (text: string) => string;
}

export interface ConfigSource {
  /** Names of the config files, without loading them. */
  names(): Promise<string[]>;
  /** Every config file, valid or not, loaded once per change of the directory's files (or CONFIG_CACHE_MS). */
  load(): Promise<LoadedConfigs>;
}

/**
 * The one reader of the config directory for the API process. Invalid configs carry their error: the config
 * module never puts a secret value in one, and the valid configs' secrets are redacted from it anyway (one
 * password often sits in several files).
 */
export function createConfigSource(configDir: string, opts: { env?: NodeJS.ProcessEnv; now?: () => number } = {}): ConfigSource {
  const now = opts.now ?? Date.now;
  let cache: { signature: string; at: number; loaded: Promise<LoadedConfigs> } | null = null;

  /**
   * Requests arriving while one look at the directory runs share it: under 50 concurrent requests one readdir
   * (and stat per file) serves them all. What a caller gets is never older than the look under way when it asked.
   */
  const files = shared(() => listConfigFiles(configDir));

  const read = async (list: { name: string; file: string }[]): Promise<LoadedConfigs> => {
    const seen = new Set<string>();
    const raw: ConfigEntry[] = [];
    /**
     * The secrets of every file as its text shows them, valid or not: a config that does not load (a malformed
     * webhook URL) still has a password that its worker's old error lines may quote.
     */
    const textSecrets: string[] = [];
    for (const { name, file } of list) {
      // `alice.yml` and `alice.yaml` both: the first one is the instance (the supervisor refuses the pair anyway).
      if (seen.has(name)) continue;
      seen.add(name);
      textSecrets.push(...(await rawSecretsOf(file)));
      try {
        raw.push({ name, config: await loadConfigFile(file, opts.env ? { env: opts.env } : {}) });
      } catch (err) {
        raw.push({ name, error: describeError(err), errorIn: Object.fromEntries(LOCALES.map((l) => [l, describeErrorIn(err, l)])) as Record<Locale, string> });
      }
    }
    const redact = makeRedactor([...raw.flatMap((r) => ('config' in r ? r.config.secrets : [])), ...textSecrets]);
    const redactIn = (said: Record<Locale, string> | undefined) =>
      said === undefined ? {} : { errorIn: Object.fromEntries(Object.entries(said).map(([l, text]) => [l, redact(text)])) as Record<Locale, string> };
    return { entries: raw.map((r) => ('config' in r ? r : { name: r.name, error: redact(r.error), ...redactIn(r.errorIn) })), redact };
  };

  const load = shared(async (): Promise<LoadedConfigs> => {
    const list = await files();
    const stamps = await Promise.all(
      list.map(async (f) => {
        const st = await stat(f.file).catch(() => null);
        return `${f.file}:${st?.size}:${st?.mtimeMs}:${st?.ino}`;
      }),
    );
    const signature = stamps.join('\n');
    if (cache && cache.signature === signature && now() - cache.at < CONFIG_CACHE_MS) return cache.loaded;
    const loaded = read(list);
    cache = { signature, at: now(), loaded };
    loaded.catch(() => {
      if (cache?.loaded === loaded) cache = null;
    });
    return loaded;
  });

  return { names: async () => (await files()).map((f) => f.name), load };
}

/** `fn`, with callers that arrive while a call is under way getting that call's promise. */
function shared<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= fn().finally(() => {
      running = null;
    });
    return running;
  };
}
