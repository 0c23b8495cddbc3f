import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { configDir, dataDir } from '../config/index.js';
import type { Logger } from '../lib/index.js';
import { createDockerRuntime, createProcessRuntime, type Runtime } from '../supervisor/index.js';
import { UsageError } from './output.js';

export type RuntimeChoice = 'auto' | 'docker' | 'process';

/** The repository (or /app in the image): dist/cli/ is two levels below it. */
export const APP_ROOT = resolve(import.meta.dirname, '../..');

/**
 * The worker image and where the engine finds configs and data. A supervisor inside a container must
 * give the engine HOST paths for bind mounts: the checked-in compose.yml mounts the checkout at the same
 * path inside and out, so the defaults (the paths this process sees) are host paths too.
 */
export function dockerSettings(env: NodeJS.ProcessEnv = process.env): {
  image: string;
  templatePath: string;
  hostConfigDir: string;
  hostDataDir: string;
  localDataDir: string;
  vars: Record<string, string>;
} {
  return {
    image: env.CAMPUS_SYNC_IMAGE || 'campus-sync:local',
    templatePath: env.CAMPUS_SYNC_TEMPLATE || join(APP_ROOT, 'compose.template.yml'),
    hostConfigDir: env.CAMPUS_SYNC_HOST_CONFIG_DIR || configDir(env),
    hostDataDir: env.CAMPUS_SYNC_HOST_DATA_DIR || dataDir(env),
    localDataDir: dataDir(env),
    vars: (env.CAMPUS_SYNC_WORKER_NETWORK ? { NETWORK_MODE: env.CAMPUS_SYNC_WORKER_NETWORK } : {}) as Record<string, string>,
  };
}

export function parseRuntimeChoice(value: unknown): RuntimeChoice {
  const v = (value ?? process.env.CAMPUS_SYNC_RUNTIME ?? 'auto') as string;
  if (v !== 'auto' && v !== 'docker' && v !== 'process') throw new UsageError(`--runtime takes auto, docker or process, not "${v}"`);
  return v;
}

/**
 * Builds the runtime: `docker` when asked, `process` when asked, and for `auto` Docker when an engine
 * answers, else the process runtime (the embedded default, e.g. on a laptop without Docker).
 */
export async function openRuntime(choice: RuntimeChoice, logger: Logger): Promise<Runtime> {
  if (choice !== 'process') {
    const s = dockerSettings();
    if (choice === 'docker' || existsSync(s.templatePath)) {
      const docker = createDockerRuntime({ ...s, supervisorId: hostname(), logger });
      if (choice === 'docker' || (await docker.ping())) return docker;
      await docker.close();
    }
    logger.info('no Docker engine reachable: using the process runtime');
  }
  return createProcessRuntime({ configDir: configDir(), dataDir: dataDir(), logger });
}
