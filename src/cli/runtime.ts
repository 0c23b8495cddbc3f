import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { configDir, dataDir } from '../config/index.js';
import type { Logger } from '../lib/index.js';
import { request } from 'node:http';
import { createProcessRuntime, type Runtime } from '../supervisor/index.js';
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
  scope?: string;
} {
  return {
    image: env.CAMPUS_SYNC_IMAGE || 'campus-sync:local',
    templatePath: env.CAMPUS_SYNC_TEMPLATE || join(APP_ROOT, 'compose.template.yml'),
    hostConfigDir: env.CAMPUS_SYNC_HOST_CONFIG_DIR || configDir(env),
    hostDataDir: env.CAMPUS_SYNC_HOST_DATA_DIR || dataDir(env),
    localDataDir: dataDir(env),
    vars: (env.CAMPUS_SYNC_WORKER_NETWORK ? { NETWORK_MODE: env.CAMPUS_SYNC_WORKER_NETWORK } : {}) as Record<string, string>,
    ...(env.CAMPUS_SYNC_SCOPE ? { scope: env.CAMPUS_SYNC_SCOPE } : {}),
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
  if (choice === 'docker' || (choice === 'auto' && (await engineAnswers()))) {
    // Loaded only now: dockerode weighs ~14 MB that a process-runtime supervisor does not need.
    const { createDockerRuntime } = await import('../supervisor/docker-runtime.js');
    return createDockerRuntime({ ...dockerSettings(), supervisorId: hostname(), logger });
  }
  if (choice === 'auto') logger.info('no Docker engine reachable: using the process runtime');
  return createProcessRuntime({ configDir: configDir(), dataDir: dataDir(), logger });
}

/** How long `auto` waits for the engine's `/_ping` before choosing the process runtime. */
const PING_TIMEOUT_MS = 2_000;

/** The engine's `/_ping` on its Unix socket (DOCKER_HOST=unix://… or the default), without loading a client. */
function engineAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return Promise.resolve(true); // tcp/ssh: let dockerode find out
  const socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: PING_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
