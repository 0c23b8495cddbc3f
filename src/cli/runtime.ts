import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { configDir, dataDir } from '../config/index.js';
import { ConfigError, currentContainerId, type Logger } from '../lib/index.js';
import { request } from 'node:http';
import {
  createProcessRuntime,
  isHeartbeatFresh,
  LABEL_MANAGED,
  LABEL_SCOPE,
  readSupervisorStatus,
  resolveHostPaths,
  type EngineMount,
  type Runtime,
} from '../supervisor/index.js';
import { UsageError } from './output.js';

export type RuntimeChoice = 'auto' | 'docker' | 'process' | 'swarm';

/**
 * The `campus-sync.supervisor` label this supervisor writes: CAMPUS_SYNC_SUPERVISOR_ID, else the hostname
 * (in a container, Docker's short container id, which is how a later supervisor tells a gone one apart).
 */
export function supervisorIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAMPUS_SYNC_SUPERVISOR_ID?.trim() || hostname();
}

/** The repository (or /app in the image): dist/cli/ is two levels below it. */
export const APP_ROOT = resolve(import.meta.dirname, '../..');

/**
 * The worker image and where the engine finds configs and data. A supervisor inside a container must
 * give the engine HOST paths for bind mounts: withHostPaths() finds them from its own mounts; here they
 * are the given ones, or the paths this process sees (right on a host).
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
    vars: templateVars(env),
    ...(env.CAMPUS_SYNC_SCOPE ? { scope: env.CAMPUS_SYNC_SCOPE } : {}),
  };
}

/** `CAMPUS_SYNC_TEMPLATE_<NAME>=value` fills `${NAME}` in compose.template.yml (MEM_LIMIT, LOG_MAX_SIZE, RESTART_DELAY…). */
export const TEMPLATE_VAR_PREFIX = 'CAMPUS_SYNC_TEMPLATE_';
/** Filled by the supervisor itself: not settable from the environment. */
const RESERVED_TEMPLATE_VARS = new Set(['NAME', 'IMAGE', 'CONFIG_FILE_HOST', 'DATA_DIR_HOST']);

/**
 * The optional placeholders of the worker template, from the supervisor's environment: every
 * CAMPUS_SYNC_TEMPLATE_<NAME>, and CAMPUS_SYNC_WORKER_NETWORK for NETWORK_MODE (its older name).
 */
export function templateVars(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const vars: Record<string, string> = {};
  if (env.CAMPUS_SYNC_WORKER_NETWORK) vars.NETWORK_MODE = env.CAMPUS_SYNC_WORKER_NETWORK;
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(TEMPLATE_VAR_PREFIX) || value === undefined) continue;
    const name = key.slice(TEMPLATE_VAR_PREFIX.length);
    if (/^[A-Z_][A-Z0-9_]*$/.test(name) && !RESERVED_TEMPLATE_VARS.has(name)) vars[name] = value;
  }
  return vars;
}

export function parseRuntimeChoice(value: unknown): RuntimeChoice {
  const v = (value ?? (process.env.CAMPUS_SYNC_RUNTIME || 'auto')) as string;
  if (v !== 'auto' && v !== 'docker' && v !== 'process' && v !== 'swarm') throw new UsageError(`--runtime takes auto, docker, process or swarm, not "${v}"`);
  return v;
}

/**
 * The runtime a management verb (status, logs, start/stop, clean) should look through: the one asked
 * for; for `auto`, the one the running supervisor uses (its status file, with a fresh heartbeat), so a
 * process-runtime supervisor on a machine where some Docker engine answers is not reported as "missing"
 * workers; probing only when no supervisor runs.
 */
export async function runtimeOfRunningSupervisor(
  choice: RuntimeChoice,
  dataDirectory: string,
  now: Date = new Date(),
): Promise<{ choice: RuntimeChoice; from: 'asked' | 'supervisor' | 'probe' }> {
  if (choice !== 'auto') return { choice, from: 'asked' };
  const status = await readSupervisorStatus(dataDirectory);
  if (status && isHeartbeatFresh(status, now)) return { choice: status.runtime, from: 'supervisor' };
  return { choice, from: 'probe' };
}

/**
 * Builds the runtime: the one asked for, and for `auto`: swarm when the engine is a swarm manager that
 * already runs campus-sync services (so `status`, `logs` and `restart` find them), else docker when an
 * engine answers, else the process runtime (the embedded default, e.g. on a laptop without Docker).
 * `supervise --runtime swarm` must be asked for: auto never turns a plain Docker host into a swarm one.
 */
export async function openRuntime(choice: RuntimeChoice, logger: Logger): Promise<Runtime> {
  const engine = choice === 'auto' ? await engineAnswers() : false;
  if (choice === 'swarm' || (engine && (await managedServicesExist()))) {
    const { createSwarmRuntime } = await import('../supervisor/swarm-runtime.js');
    return createSwarmRuntime({
      ...(await withHostPaths(dockerSettings())),
      configDir: configDir(),
      env: process.env,
      supervisorId: supervisorIdentity(),
      logger,
    });
  }
  if (choice === 'docker' || engine) {
    // Loaded only now: dockerode weighs ~14 MB that a process-runtime supervisor does not need.
    const { createDockerRuntime } = await import('../supervisor/docker-runtime.js');
    return createDockerRuntime({ ...(await withHostPaths(dockerSettings())), supervisorId: supervisorIdentity(), logger });
  }
  if (choice === 'auto') logger.info('no Docker engine reachable: using the process runtime');
  return createProcessRuntime({ configDir: configDir(), dataDir: dataDir(), logger });
}

/**
 * The docker settings with the host paths of configs/ and data/ the engine needs for the workers' bind
 * mounts: in a container, read from this container's own mounts through the Engine API (host-paths.ts);
 * a folder not mounted from the host, or a CAMPUS_SYNC_HOST_* the mounts contradict, is a ConfigError.
 */
export async function withHostPaths<T extends { hostConfigDir: string; hostDataDir: string }>(settings: T, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const id = currentContainerId();
  let container: { id: string; mounts: EngineMount[] } | undefined;
  const socket = id ? engineSocket(env) : null;
  const answer = id && socket ? await engineGet(socket, `/containers/${id}/json`) : null;
  if (id && answer?.status === 200) {
    const mounts = (JSON.parse(answer.body) as { Mounts?: EngineMount[] }).Mounts ?? [];
    container = { id, mounts };
  }
  const resolved = resolveHostPaths({
    configDir: configDir(env),
    dataDir: dataDir(env),
    ...(env.CAMPUS_SYNC_HOST_CONFIG_DIR ? { givenConfigDir: env.CAMPUS_SYNC_HOST_CONFIG_DIR } : {}),
    ...(env.CAMPUS_SYNC_HOST_DATA_DIR ? { givenDataDir: env.CAMPUS_SYNC_HOST_DATA_DIR } : {}),
    ...(container ? { container } : {}),
  });
  if ('error' in resolved) throw new ConfigError(resolved.error);
  return { ...settings, ...resolved };
}

/** How long `auto` waits for the engine's `/_ping` before choosing the process runtime. */
const PING_TIMEOUT_MS = 2_000;

/** The engine's Unix socket (DOCKER_HOST=unix://… or the default); null for tcp/ssh, which dockerode handles. */
function engineSocket(env: NodeJS.ProcessEnv): string | null {
  const host = env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return null;
  return host ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/** GET `path` on the engine's socket without loading a client: the status and body, or null when it does not answer. */
function engineGet(socketPath: string, path: string): Promise<{ status: number; body: string } | null> {
  if (!existsSync(socketPath)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = request({ socketPath, path, timeout: PING_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** The engine's `/_ping`. */
async function engineAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const socket = engineSocket(env);
  if (socket === null) return true; // tcp/ssh: let dockerode find out
  return (await engineGet(socket, '/_ping'))?.status === 200;
}

/** A swarm manager listing services labelled campus-sync.managed=true (a plain engine answers 503 to /services). */
async function managedServicesExist(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const socket = engineSocket(env);
  if (socket === null) return false;
  const filters = encodeURIComponent(JSON.stringify({ label: [`${LABEL_MANAGED}=true`] }));
  const answer = await engineGet(socket, `/services?filters=${filters}`);
  if (answer?.status !== 200) return false;
  // In this scope only (CAMPUS_SYNC_SCOPE), as the runtimes see workers: a scoped test run next to a swarm is not a swarm.
  const scope = env.CAMPUS_SYNC_SCOPE || undefined;
  try {
    const services = JSON.parse(answer.body) as { Spec?: { Labels?: Record<string, string> } }[];
    return services.some((s) => (s.Spec?.Labels?.[LABEL_SCOPE] || undefined) === scope);
  } catch {
    return false;
  }
}
