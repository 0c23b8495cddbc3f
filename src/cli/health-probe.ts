import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// Deliberately light imports: Docker runs this (through dist/health.js) every 30 s in every container, many
// to a Raspberry Pi, and gives it 5 s. The config loader (yaml, schemas), the worker (axios, the whole sync),
// the CLI's output and locales, and zod would each add to every probe's start-up: hence `paths.js`, the
// instance folder's leaves and lib's own files, never a barrel (issue 20; `node --cpu-prof` shows what loads).
import { dataDir, isValidInstanceName } from '../config/paths.js';
import { HEARTBEAT_STALE_MS, heartbeatFields, workerLiveness } from '../instance/health-fields.js';
import { SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE, WORKER_STATUS_FILE } from '../instance/names.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';

/** The status files it judges (src/instance's names). */
export { SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE, WORKER_STATUS_FILE };

/** Set by the supervisor on every worker container: the same image then answers for that worker. */
export const INSTANCE_ENV = 'CAMPUS_SYNC_INSTANCE';
/** The supervisor beats at least every 30 s: three missed beats is stuck, one late beat is only slow. */
export const MAX_HEARTBEAT_AGE_MS = HEARTBEAT_STALE_MS;
/** The image gives the probe 30 s (Dockerfile); a status file that takes over 3 s to read is a stuck mount, said as such. */
export const HEALTH_TIMEOUT_MS = 3_000;
/** The heartbeat is written on the same host and clock: further ahead than this is a broken file, not skew. */
const MAX_FUTURE_SKEW_MS = 5_000;

const HEALTHY_WORKER_STATES = ['idle', 'running'] as const;
const KNOWN_WORKER_STATES = [...HEALTHY_WORKER_STATES, 'stopping', 'stopped'];

export interface HealthReport {
  healthy: boolean;
  role: 'worker' | 'supervisor';
  /** The worker's instance name (worker role only). */
  name?: string;
  /** The status file that was read. */
  file: string;
  /** One line saying why: shown by `docker inspect` in the container's health log. */
  reason: string;
}

export interface HealthOptions {
  /** A worker's name; falls back to `CAMPUS_SYNC_INSTANCE`; none means the supervisor. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  timeoutMs?: number;
}

/** Reads the role's status file and judges it; never throws and never takes longer than `timeoutMs`. */
export async function checkHealth(opts: HealthOptions = {}): Promise<HealthReport> {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  const fromEnv = env[INSTANCE_ENV];
  const name = opts.name ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined);
  const base = dataDir(env);
  const role = name === undefined ? 'supervisor' : 'worker';
  const file = name === undefined ? join(base, SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE) : join(base, name, WORKER_STATUS_FILE);
  const unhealthy = (reason: string): HealthReport => ({ healthy: false, role, ...(name !== undefined && { name }), file, reason });

  if (name !== undefined && !isValidInstanceName(name)) return unhealthy(`${INSTANCE_ENV}=${JSON.stringify(name)} is not a config name`);

  const check = name === undefined ? judgeSupervisor(file, clock) : judgeWorker(name, file);
  let timer: TimerHandle | undefined;
  // A status file on a stuck mount (or a FIFO) would block the read forever: the race bounds it.
  const timeout = new Promise<HealthReport>((resolve) => {
    const ms = opts.timeoutMs ?? HEALTH_TIMEOUT_MS;
    timer = clock.setTimeout(() => resolve(unhealthy(`no answer within ${ms} ms reading ${file}`)), ms, { unref: true });
  });
  try {
    const verdict = await Promise.race([check, timeout]);
    return { ...verdict, role, ...(name !== undefined && { name }), file };
  } catch (err) {
    return unhealthy(describeError(err));
  } finally {
    clock.clearTimeout(timer);
  }
}

type Verdict = Pick<HealthReport, 'healthy' | 'reason'>;

async function judgeWorker(name: string, file: string): Promise<Verdict> {
  const read = await readJson(file);
  if (!read.ok) {
    return { healthy: false, reason: read.missing ? `no worker status at ${file}: worker ${name} has not started` : read.reason };
  }
  const fields = workerLiveness(read.value);
  // worker.json always carries the pid; a file without one cannot be judged by its process.
  if (!fields) return { healthy: false, reason: `unknown worker status format in ${file}: expected {pid, state, …}` };
  const { pid, state, nextRun } = fields;
  if (!KNOWN_WORKER_STATES.includes(state)) return { healthy: false, reason: `worker ${name} is in unknown state "${state}"` };
  if (!(HEALTHY_WORKER_STATES as readonly string[]).includes(state)) return { healthy: false, reason: `worker ${name} is ${state} (pid ${pid})` };
  if (!isAlive(pid)) return { healthy: false, reason: `worker ${name} says ${state} but its process ${pid} is gone` };
  return { healthy: true, reason: `worker ${name} ${state} (pid ${pid})${nextRun ? `, next run ${nextRun}` : ''}` };
}

async function judgeSupervisor(file: string, clock: Clock): Promise<Verdict> {
  const read = await readJson(file);
  if (!read.ok) {
    return { healthy: false, reason: read.missing ? `no supervisor status at ${file}: the supervisor has not written a heartbeat` : read.reason };
  }
  const fields = heartbeatFields(read.value);
  if (!fields) return { healthy: false, reason: `unknown supervisor status format in ${file}: expected {pid, heartbeatAt (ISO time)}` };
  const { pid, heartbeatAt } = fields;
  const ageMs = clock.now().getTime() - Date.parse(heartbeatAt);
  if (ageMs < -MAX_FUTURE_SKEW_MS) return { healthy: false, reason: `supervisor heartbeat ${heartbeatAt} is in the future` };
  const age = `${Math.max(0, Math.round(ageMs / 1000))} s`;
  if (ageMs > MAX_HEARTBEAT_AGE_MS) {
    return { healthy: false, reason: `supervisor heartbeat is ${age} old (limit ${MAX_HEARTBEAT_AGE_MS / 1000} s, pid ${pid})` };
  }
  return { healthy: true, reason: `supervisor heartbeat ${age} ago (pid ${pid})` };
}

type JsonRead = { ok: true; value: unknown } | { ok: false; missing: boolean; reason: string };

async function readJson(file: string): Promise<JsonRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, reason: `cannot read ${file}: ${describeError(err)}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, missing: false, reason: `unknown status format in ${file}: not JSON` };
  }
}

/** Signal 0 only asks the kernel whether the pid exists; EPERM means it does, under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
