import { join } from 'node:path';
import { isValidInstanceName } from '../config/index.js';
import {
  isHeartbeatFresh,
  readLastRun,
  readSupervisorStatus,
  readWorkerStatusFile,
  supervisorStatusPath,
  SUPERVISOR_DIR,
  SUPERVISOR_STATUS_FILE,
  type InstanceRunState as InstanceState,
  type InstanceStatus,
} from '../instance/index.js';
import { describeError, systemClock, type Clock } from '../lib/index.js';
import { scanConfigs } from './desired.js';
import type { ActualWorker, Runtime } from './interface.js';

// The status file's name, shape, reader and writer are src/instance's (the dashboard and `health` read it too).
export { writeSupervisorStatus, readSupervisorStatus, isHeartbeatFresh, HEARTBEAT_STALE_MS } from '../instance/index.js';
export type { InstanceRunState as InstanceState, InstanceStatus, LastRunSummary, SupervisorStatus } from '../instance/index.js';
export { SUPERVISOR_DIR };
export const STATUS_FILE = SUPERVISOR_STATUS_FILE;
/** Restarts after which a runtime's `restarting` worker is reported as crash-looping (as the crash tracker's default). */
export const CRASH_LOOP_RESTARTS = 3;

export const statusFilePath = supervisorStatusPath;

/** A runtime's view of a worker, in the words of `campus-sync status`. */
export function workerState(actual: ActualWorker | undefined): InstanceState {
  if (!actual) return 'missing';
  switch (actual.state) {
    case 'running':
      return 'running';
    case 'restarting':
      return actual.restartCount >= CRASH_LOOP_RESTARTS ? 'crash-looping' : 'starting';
    case 'starting':
    case 'created':
      return 'starting';
    default:
      return 'stopped';
  }
}

/** One instance's line: the runtime's state, its config problem if any, and what its data files say. */
export async function instanceStatus(opts: { name: string; dataDir: string; actual?: ActualWorker; configError?: string }): Promise<InstanceStatus> {
  const status: InstanceStatus = {
    name: opts.name,
    state: opts.configError !== undefined ? 'invalid' : workerState(opts.actual),
    restartCount: opts.actual?.restartCount ?? 0,
  };
  if (opts.configError !== undefined) status.configError = opts.configError;
  if (opts.actual?.node) status.node = opts.actual.node;
  // An invalid name could point outside the data dir: its data files are not read.
  if (!isValidInstanceName(opts.name)) return status;
  const dir = join(opts.dataDir, opts.name);
  const last = await readLastRun(dir);
  if (last) {
    status.lastRun = { outcome: last.outcome, finishedAt: last.finishedAt, counts: { ...last.counts } };
    if (last.error) status.lastRun.error = last.error;
  }
  const worker = await readWorkerStatusFile(dir);
  if (worker) status.nextRun = worker.nextRun ?? null;
  // A container that runs is not a worker that works: runs refused by the lock make it failing, with why.
  const refused = worker?.runRefused;
  if (status.state === 'running' && refused) {
    status.state = 'failing';
    status.reason = `runs refused since ${refused.since ?? '?'}: ${refused.reason}`;
  }
  return status;
}

/**
 * Every config name (valid or not) with its worker, sorted by name. A worker whose config is gone is
 * not listed: the supervisor removes it.
 */
export async function buildInstances(opts: {
  desired: string[];
  invalid: { name: string; error: string }[];
  actual: ActualWorker[];
  dataDir: string;
}): Promise<InstanceStatus[]> {
  const errors = new Map<string, string>();
  for (const i of opts.invalid) if (!errors.has(i.name)) errors.set(i.name, i.error);
  const names = [...new Set([...opts.desired, ...errors.keys()])].sort();
  const actualByName = new Map<string, ActualWorker>();
  for (const a of opts.actual) {
    // With duplicates, the running one speaks for the name.
    const prev = actualByName.get(a.name);
    if (!prev || (prev.state !== 'running' && a.state === 'running')) actualByName.set(a.name, a);
  }
  return Promise.all(
    names.map((name) => {
      const actual = actualByName.get(name);
      const configError = errors.get(name);
      return instanceStatus({
        name,
        dataDir: opts.dataDir,
        ...(actual ? { actual } : {}),
        ...(configError !== undefined ? { configError } : {}),
      });
    }),
  );
}

export interface CollectedStatus {
  runtime: Runtime['kind'];
  /** The running supervisor (a fresh heartbeat); absent when none runs. */
  supervisor?: { pid: number; heartbeatAt: string; startedAt: string };
  /** Set when the runtime could not be listed: the instances' states are then unknown (`missing`). */
  runtimeError?: string;
  instances: InstanceStatus[];
  /** Managed workers whose config is gone (a supervisor would remove them). */
  orphans: string[];
}

/** `campus-sync status` without a running supervisor: from the configs, the runtime and the data files. */
export async function collectStatus(opts: { configDir: string; dataDir: string; runtime: Runtime; clock?: Clock }): Promise<CollectedStatus> {
  const scan = await scanConfigs(opts.configDir);
  let actual: ActualWorker[] = [];
  let runtimeError: string | undefined;
  try {
    actual = await opts.runtime.list();
  } catch (err) {
    runtimeError = describeError(err);
  }
  const known = new Set([...scan.desired.map((d) => d.name), ...scan.invalid.map((i) => i.name)]);
  const instances = await buildInstances({ desired: scan.desired.map((d) => d.name), invalid: scan.invalid, actual, dataDir: opts.dataDir });
  const orphans = [...new Set(actual.filter((a) => !known.has(a.name)).map((a) => a.name))].sort();
  const running = await readSupervisorStatus(opts.dataDir);
  const fresh = running && isHeartbeatFresh(running, (opts.clock ?? systemClock).now()) ? running : null;
  if (fresh && fresh.runtime === opts.runtime.kind) {
    // Process workers are the running supervisor's children, invisible to this process's runtime:
    // the supervisor's own view of their states is the one that counts.
    const seen = new Map(fresh.instances.map((i) => [i.name, i]));
    for (const i of instances) {
      const s = seen.get(i.name);
      if (!s || i.state === 'invalid' || s.state === 'invalid') continue;
      if (!opts.runtime.capabilities.sharedWorkers || runtimeError !== undefined) {
        i.state = s.state;
        i.restartCount = s.restartCount;
      }
    }
  }
  return {
    runtime: opts.runtime.kind,
    ...(fresh ? { supervisor: { pid: fresh.pid, heartbeatAt: fresh.heartbeatAt, startedAt: fresh.startedAt } } : {}),
    // What this process could not list, else what the running supervisor reports (e.g. it stands back for another one).
    ...(runtimeError !== undefined ? { runtimeError } : fresh?.runtimeError ? { runtimeError: fresh.runtimeError } : {}),
    instances,
    orphans,
  };
}
