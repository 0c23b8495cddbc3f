import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { listConfigFiles, loadConfigFile, type InstanceConfig } from '../config/index.js';
import { describeError, makeRedactor } from '../lib/index.js';

/** The worker's status file (its WORKER_STATUS_FILE; api/ may not import worker/). */
export const WORKER_STATUS_FILE = 'worker.json';
/**
 * Configs are read again when a file changes, and at least this often: a secret kept in a `*File` or in the
 * environment can change without its config file changing.
 */
export const CONFIG_CACHE_MS = 60_000;

/**
 * What the API says about an instance's config: an allow-list of harmless facts, never the config itself
 * (it holds passwords, keys and webhook URLs).
 */
export type ConfigState =
  | {
      name: string;
      state: 'valid';
      schedule: string;
      timezone: string;
      features: { timetable: boolean; ecal: boolean; ics: boolean; slot_watchers: number; notify_channels: number };
    }
  | { name: string; state: 'invalid'; error: string }
  /** Has history in the store but no config any more. */
  | { name: string; state: 'removed' };

function validState(config: InstanceConfig): ConfigState {
  return {
    name: config.name,
    state: 'valid',
    schedule: config.schedule,
    timezone: config.timezone,
    features: {
      timetable: config.moncampus !== undefined,
      ecal: config.ecal !== undefined,
      ics: config.ics.enabled,
      slot_watchers: config.slots.length,
      notify_channels: config.notify.length,
    },
  };
}

export interface ConfigView {
  /** Names of the config files, without loading them. */
  names(): Promise<string[]>;
  /** Every config (valid or not), then the `known` names without a config as `removed`. */
  states(known?: readonly string[]): Promise<ConfigState[]>;
  /** Hides every secret of every valid config: a second fence on what the API answers. */
  redactor(): Promise<(text: string) => string>;
}

interface Loaded {
  states: ConfigState[];
  redact: (text: string) => string;
}

/**
 * The configs as the API sees them, loaded once per change of the directory's files (or CONFIG_CACHE_MS).
 * The config module never puts a secret value in its errors; still, the secrets of every valid config are
 * redacted from the invalid ones' errors (the same password often sits in several files).
 */
export function createConfigView(configDir: string, opts: { env?: NodeJS.ProcessEnv; now?: () => number } = {}): ConfigView {
  const now = opts.now ?? Date.now;
  let cache: { signature: string; at: number; loaded: Promise<Loaded> } | null = null;

  /**
   * Requests arriving while one look at the directory runs share it: every /v1 answer goes through the
   * redactor, and under 50 concurrent requests one readdir (and stat per file) serves them all instead of 50.
   * What a caller gets is never older than the look that was under way when it asked.
   */
  const files = shared(() => listConfigFiles(configDir));

  const load = async (list: { name: string; file: string }[]): Promise<Loaded> => {
    const seen = new Set<string>();
    const results: ({ config: InstanceConfig } | { name: string; error: string })[] = [];
    for (const { name, file } of list) {
      // `alice.yml` and `alice.yaml` both: the first one is the instance (the supervisor refuses the pair anyway).
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        results.push({ config: await loadConfigFile(file, opts.env ? { env: opts.env } : {}) });
      } catch (err) {
        results.push({ name, error: describeError(err) });
      }
    }
    const redact = makeRedactor(results.flatMap((r) => ('config' in r ? r.config.secrets : [])));
    const states = results.map((r): ConfigState => ('config' in r ? validState(r.config) : { name: r.name, state: 'invalid', error: redact(r.error) }));
    return { states, redact };
  };

  const current = shared(async (): Promise<Loaded> => {
    const list = await files();
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
  });

  return {
    names: async () => (await files()).map((f) => f.name),
    async states(known = []) {
      const { states } = await current();
      const out = [...states];
      const seen = new Set(states.map((s) => s.name));
      for (const name of [...new Set(known)].sort()) {
        if (!seen.has(name)) out.push({ name, state: 'removed' });
      }
      return out;
    },
    redactor: async () => (await current()).redact,
  };
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

const workerStatusSchema = z.object({
  pid: z.number().int().optional(),
  state: z.string(),
  nextRun: z.string().nullish(),
  updatedAt: z.string().nullish(),
});

export interface WorkerStatus {
  state: string;
  next_run: string | null;
  updated_at: string | null;
}

/** `data/<name>/worker.json` as the worker last wrote it; null when absent or unreadable. */
export async function readWorkerStatus(dataDir: string, name: string): Promise<WorkerStatus | null> {
  try {
    const parsed = workerStatusSchema.safeParse(JSON.parse(await readFile(join(dataDir, name, WORKER_STATUS_FILE), 'utf8')));
    if (!parsed.success) return null;
    return { state: parsed.data.state, next_run: parsed.data.nextRun ?? null, updated_at: parsed.data.updatedAt ?? null };
  } catch {
    return null;
  }
}
