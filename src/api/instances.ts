import { join } from 'node:path';
import type { InstanceConfig } from '../config/index.js';
import { readWorkerStatusFile, WORKER_STATUS_FILE } from '../instance/index.js';
import { createConfigSource, type ConfigSource } from './config-source.js';

/** The worker's status file (src/instance's name and reader). */
export { WORKER_STATUS_FILE };
export { CONFIG_CACHE_MS } from './config-source.js';

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

/**
 * The configs as the API sees them (createConfigSource: loaded once per change of the directory's files, or
 * CONFIG_CACHE_MS), reduced to the allow-listed facts of ConfigState.
 */
export function createConfigView(configDir: string, opts: { env?: NodeJS.ProcessEnv; now?: () => number; source?: ConfigSource } = {}): ConfigView {
  const source = opts.source ?? createConfigSource(configDir, opts);
  return {
    names: () => source.names(),
    async states(known = []) {
      const { entries } = await source.load();
      const out = entries.map((e): ConfigState => ('config' in e ? validState(e.config) : { name: e.name, state: 'invalid', error: e.error }));
      const seen = new Set(out.map((s) => s.name));
      for (const name of [...new Set(known)].sort()) {
        if (!seen.has(name)) out.push({ name, state: 'removed' });
      }
      return out;
    },
    redactor: async () => (await source.load()).redact,
  };
}

export interface WorkerStatus {
  state: string;
  next_run: string | null;
  updated_at: string | null;
}

/** `data/<name>/worker.json` as the worker last wrote it; null when absent or unreadable. */
export async function readWorkerStatus(dataDir: string, name: string): Promise<WorkerStatus | null> {
  const file = await readWorkerStatusFile(join(dataDir, name));
  return file && { state: file.state, next_run: file.nextRun ?? null, updated_at: file.updatedAt ?? null };
}
