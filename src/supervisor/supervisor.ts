import { chown, stat } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidInstanceName } from '../config/index.js';
import { backoff, describeError, systemClock, type Clock, type Logger } from '../lib/index.js';
import { createErrorFile, ERRORS_FILE, isStoppedOnPurpose } from '../instance/index.js';
import { scanConfigs, type InvalidConfig } from './desired.js';
import type { ActualWorker, DesiredWorker, Runtime } from './interface.js';
import { createReviver } from './revive.js';
import { actionName, describeAction, foreignSupervisors, isDuplicateRemoval, otherSupervisors, planReconcile, type ReconcileAction, type SupervisorLiveness } from './reconcile.js';
import { buildInstances, CRASH_LOOP_RESTARTS, statusFilePath, writeSupervisorStatus, type SupervisorStatus } from './status.js';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_RESCAN_MS, watchConfigDir, type ConfigWatch } from './watch.js';

/** The status file is rewritten this often; the HEALTHCHECK allows 90 s, so six beats may be missed. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** An unreachable runtime (Docker daemon restarting) is asked again after 1 s, doubling… */
export const RUNTIME_RETRY_BASE_MS = 1_000;
/** …up to 30 s: a daemon back after a minute is noticed within half a minute. */
export const RUNTIME_RETRY_MAX_MS = 30_000;
/** A failed create/remove is tried again after 2 s, doubling… */
export const ACTION_RETRY_BASE_MS = 2_000;
/** …up to 5 minutes, so a worker that cannot be created (image missing) does not hammer the engine. */
export const ACTION_RETRY_MAX_MS = 5 * 60_000;
/** A worker that ran this long without a restart is out of its crash loop; a new loop is reported again. */
export const CRASH_EPISODE_RESET_MS = 60_000;

export interface SupervisorOptions {
  runtime: Runtime;
  configDir: string;
  dataDir: string;
  logger: Logger;
  clock?: Clock;
  debounceMs?: number;
  rescanMs?: number;
  heartbeatMs?: number;
  /** Config interpolation environment (`${VAR}`); the process's by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * This supervisor's id, as the runtime labels workers with it (`campus-sync.supervisor`). With the docker
   * runtime, workers labelled by another supervisor that still runs (or may, on another host) make this
   * one refuse to act, unless `takeOver` (see foreignSupervisors).
   */
  supervisorId?: string;
  takeOver?: boolean;
  /** First retry delays (tests shorten them); both double up to their caps. */
  runtimeRetryBaseMs?: number;
  actionRetryBaseMs?: number;
}

export interface Supervisor {
  start(): Promise<void>;
  /** Runs one reconcile (or waits for the one in flight and runs one more after it); resolves with what it did. */
  reconcileNow(reason: string): Promise<ReconcileAction[]>;
  stop(opts?: { removeWorkers?: boolean }): Promise<void>;
  /** The last status written. */
  status(): SupervisorStatus;
}

interface Failure {
  attempts: number;
  retryAt: number;
}

/**
 * Keeps one worker per valid config: reconcile at start (adopting what already runs with the right
 * hash), on every change of the config directory, on a periodic rescan, and after failures.
 */
export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const { runtime, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const startedAt = clock.now().toISOString();
  const runtimeRetryBase = opts.runtimeRetryBaseMs ?? RUNTIME_RETRY_BASE_MS;
  const actionRetryBase = opts.actionRetryBaseMs ?? ACTION_RETRY_BASE_MS;

  let stopping = false;
  let watcher: ConfigWatch | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  const timers = new Set<NodeJS.Timeout>();

  let inFlight: Promise<ReconcileAction[]> | null = null;
  let queued: Promise<ReconcileAction[]> | null = null;

  let runtimeDown: { since: string; attempts: number; error: string } | null = null;
  /** Set while another supervisor's workers are on the engine: nothing is created or removed then. */
  let conflict: string | null = null;
  let runtimeRetry: NodeJS.Timeout | null = null;
  /** Config errors already reported, by name: a line is written only when the text changes. */
  const reportedInvalid = new Map<string, string>();
  const failures = new Map<string, Failure>();

  let last: { desired: string[]; invalid: InvalidConfig[]; actual: ActualWorker[] } = { desired: [], invalid: [], actual: [] };
  let current: SupervisorStatus = {
    pid: process.pid,
    runtime: runtime.kind,
    startedAt,
    heartbeatAt: startedAt,
    instances: [],
  };

  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopping) fn();
    }, ms);
    timers.add(t);
    return t;
  };

  // Status writes are queued so an older snapshot never lands after a newer one.
  let statusWrites: Promise<void> = Promise.resolve();
  const writeStatus = (): Promise<void> => {
    const run = async (): Promise<void> => {
      const instances = await buildInstances({ ...last, dataDir: opts.dataDir });
      current = {
        pid: process.pid,
        runtime: runtime.kind,
        startedAt,
        heartbeatAt: clock.now().toISOString(),
        ...(runtimeDown ? { runtimeError: runtimeDown.error } : conflict ? { runtimeError: conflict } : {}),
        instances,
      };
      await writeSupervisorStatus(opts.dataDir, current);
    };
    statusWrites = statusWrites.then(run).catch((err: unknown) => logger.warn(`cannot write the supervisor status: ${describeError(err)}`));
    return statusWrites;
  };

  const runtimeUnreachable = (err: unknown): void => {
    const error = describeError(err);
    if (!runtimeDown) {
      runtimeDown = { since: clock.now().toISOString(), attempts: 0, error };
      logger.error(`${runtime.kind} runtime unreachable: ${error}; retrying with backoff (workers are left as they are)`);
    }
    runtimeDown.attempts++;
    runtimeDown.error = error;
    const delay = backoff(runtimeDown.attempts, { baseMs: runtimeRetryBase, maxMs: RUNTIME_RETRY_MAX_MS, random: null });
    if (runtimeRetry) clearTimeout(runtimeRetry);
    runtimeRetry = later(delay, () => {
      runtimeRetry = null;
      void reconcileNow('runtime retry');
    });
  };

  /**
   * One line in data/<name>/errors.log. The supervisor may run as root (compose.yml) while the worker runs
   * as uid 1000: a file it creates is given to the owner of data/<name>/, or the worker could never append
   * its own errors to it (appendFile creates it 0600).
   */
  const appendInstanceError = async (name: string, phase: 'config' | 'run', line: string): Promise<void> => {
    const path = join(opts.dataDir, name, ERRORS_FILE);
    try {
      await createErrorFile({ path, redact: (t) => t }).append(phase, line, clock.now());
      await giveToDirOwner(path);
    } catch (err) {
      logger.warn(`cannot write ${name}'s errors.log: ${describeError(err)}`);
    }
  };

  /**
   * Docker workers that died and that Docker will not restart (`docker kill`, a failed restart) are started
   * again with backoff; those stopped on purpose stay stopped (revive.ts). The other runtimes restart their
   * own: the process runtime its children, Swarm its tasks.
   */
  const reviver =
    runtime.kind === 'docker'
      ? createReviver({
          runtime,
          logger,
          clock,
          stoppedOnPurpose: (name) => (isValidInstanceName(name) ? isStoppedOnPurpose(join(opts.dataDir, name)) : Promise.resolve(true)),
          recordError: (name, line) => (isValidInstanceName(name) ? appendInstanceError(name, 'run', line) : Promise.resolve()),
          later: (ms, fn) => void later(ms, fn),
        })
      : null;
  const revive = (actual: ActualWorker[]): Promise<void> =>
    reviver && !runtimeDown && !conflict
      ? reviver.check(actual, new Set(last.desired)).catch((err: unknown) => logger.error(`checking for dead workers failed: ${describeError(err)}`))
      : Promise.resolve();

  /** The config errors: one log line and one errors.log line per change of the text, never per rescan. */
  const reportInvalid = async (invalid: InvalidConfig[]): Promise<void> => {
    const now = new Map<string, string>();
    for (const i of invalid) now.set(i.name, now.has(i.name) ? `${now.get(i.name)}; ${i.error}` : i.error);
    for (const [name, error] of now) {
      if (reportedInvalid.get(name) === error) continue;
      reportedInvalid.set(name, error);
      logger.error(`config ${name} is invalid (its worker, if any, is left as it was): ${error}`, { instance: name });
      if (!isValidInstanceName(name)) continue;
      await appendInstanceError(name, 'config', error);
    }
    for (const name of [...reportedInvalid.keys()]) {
      if (now.has(name)) continue;
      reportedInvalid.delete(name);
      logger.info(`config ${name} is no longer invalid`, { instance: name });
    }
  };

  /** What a kept worker reads from this host, checked (docker: its resolved config); a repair is said in the log and errors.log. */
  const repairKept = async (w: DesiredWorker | undefined): Promise<void> => {
    if (!w || !runtime.repairFiles) return;
    try {
      const said = await runtime.repairFiles(w);
      if (!said) return;
      logger.warn(said, { instance: w.name });
      await appendInstanceError(w.name, 'config', said);
    } catch (err) {
      logger.error(`cannot check the files of ${w.name}: ${describeError(err)}`, { instance: w.name });
    }
  };

  const execute = async (action: ReconcileAction, plan: ReconcileAction[]): Promise<void> => {
    switch (action.kind) {
      case 'keep':
        return;
      case 'create':
        await runtime.create(action.worker);
        return;
      case 'recreate':
        // Only from the config file, never from what runs (Watchtower lost containers that way).
        if (runtime.update) {
          await runtime.update(action.worker);
          return;
        }
        await runtime.remove(action.worker.name);
        await runtime.create(action.worker);
        return;
      case 'remove':
        // A duplicate is addressed by its id, so the worker that stays under that name is not touched.
        await runtime.remove(isDuplicateRemoval(action, plan) ? action.id : action.name);
        return;
    }
  };

  const reconcile = async (reason: string): Promise<ReconcileAction[]> => {
    if (stopping) return [];
    // The configs are read first: their problems are reported, and shown, even while the runtime is down.
    const scan = await scanConfigs(opts.configDir, opts.env);
    await reportInvalid(scan.invalid);
    last = { ...last, desired: scan.desired.map((d) => d.name), invalid: scan.invalid };
    let actual: ActualWorker[];
    try {
      if (!(await runtime.ping())) throw new Error(`the ${runtime.kind} runtime does not answer its ping`);
      actual = await runtime.list();
    } catch (err) {
      runtimeUnreachable(err);
      await writeStatus();
      return [];
    }
    if (runtimeDown) {
      logger.info(`${runtime.kind} runtime reachable again (down since ${runtimeDown.since})`);
      runtimeDown = null;
      if (runtimeRetry) clearTimeout(runtimeRetry);
      runtimeRetry = null;
    }

    if (await standsBack(actual)) {
      last = { ...last, actual };
      await writeStatus();
      return [];
    }

    const plan = planReconcile({
      desired: scan.desired,
      invalid: scan.invalid.map((i) => i.name),
      actual,
      specHash: (w) => runtime.specHash(w),
    });
    logger.debug(`reconcile (${reason}): ${plan.length} action(s)`);
    const done: ReconcileAction[] = [];
    const nowMs = clock.now().getTime();
    for (const action of plan) {
      if (stopping) break;
      const name = actionName(action);
      const key = action.kind === 'remove' ? `${name}#${action.id}` : name;
      if (action.kind === 'keep') {
        logger.debug(describeAction(action));
        await repairKept(scan.desired.find((d) => d.name === name));
        done.push(action);
        continue;
      }
      const failed = failures.get(key);
      if (failed && failed.retryAt > nowMs) {
        logger.debug(`${describeAction(action)}: waiting for its retry at ${new Date(failed.retryAt).toISOString()}`);
        continue;
      }
      logger.info(describeAction(action), { instance: name });
      try {
        await execute(action, plan);
        failures.delete(key);
        done.push(action);
      } catch (err) {
        const attempts = (failed?.attempts ?? 0) + 1;
        const delay = backoff(attempts, { baseMs: actionRetryBase, maxMs: ACTION_RETRY_MAX_MS, random: null });
        failures.set(key, { attempts, retryAt: clock.now().getTime() + delay });
        logger.error(`${action.kind} ${name} failed (attempt ${attempts}): ${describeError(err)}; retrying in ${Math.round(delay / 1000)} s`, { instance: name });
        later(delay, () => void reconcileNow(`retry ${action.kind} ${name}`));
      }
    }
    // Failures of actions no longer planned (config fixed or removed) are forgotten.
    const planned = new Set(plan.map((a) => (a.kind === 'remove' ? `${a.name}#${a.id}` : actionName(a))));
    for (const key of [...failures.keys()]) if (!planned.has(key)) failures.delete(key);

    const after = await runtime.list().catch(() => actual);
    last = { desired: scan.desired.map((d) => d.name), invalid: scan.invalid, actual: after };
    await revive(after);
    await writeStatus();
    return done;
  };

  /** Other supervisors' ids already reported (refused or adopted), so each is said once, not every rescan. */
  const reportedOthers = new Set<string>();
  /** True when another live (or unknown) supervisor's workers are on this engine: see foreignSupervisors. */
  const standsBack = async (actual: ActualWorker[]): Promise<boolean> => {
    if (!opts.supervisorId || runtime.kind !== 'docker') return false;
    const ids = otherSupervisors(actual, opts.supervisorId);
    if (ids.length === 0) {
      conflict = null;
      return false;
    }
    const liveness = new Map<string, SupervisorLiveness>();
    for (const id of ids) liveness.set(id, runtime.supervisorLiveness ? await runtime.supervisorLiveness(id).catch(() => 'unknown' as const) : 'unknown');
    const verdict = foreignSupervisors(actual, opts.supervisorId, liveness, opts.takeOver ?? false);
    const key = verdict.others.join(',');
    if (verdict.refuse) {
      conflict =
        `another campus-sync supervisor (${verdict.others.join(', ')}) manages workers on this Docker engine: two supervisors would both run ` +
        'every config (each sync twice) and remove each other\'s workers. Stop the other one, give each its own CAMPUS_SYNC_SCOPE, ' +
        'use the swarm runtime for several hosts, or, if it is gone for good, start this one with --take-over';
      if (!reportedOthers.has(`refuse:${key}`)) logger.error(`${conflict}; nothing is created or removed until then`);
      reportedOthers.add(`refuse:${key}`);
      return true;
    }
    conflict = null;
    if (!reportedOthers.has(`adopt:${key}`)) {
      logger.info(`adopting the workers of ${verdict.others.join(', ')} (${opts.takeOver ? '--take-over' : 'no longer running'})`);
      reportedOthers.add(`adopt:${key}`);
    }
    return false;
  };

  const reconcileNow = (reason: string): Promise<ReconcileAction[]> => {
    if (stopping) return Promise.resolve([]);
    if (!inFlight) {
      inFlight = reconcile(reason)
        .catch((err: unknown) => {
          logger.error(`reconcile (${reason}) failed: ${describeError(err)}`);
          return [] as ReconcileAction[];
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    }
    // Never two at once; asks during one collapse into a single follow-up that sees every change.
    queued ??= inFlight.then(() => {
      queued = null;
      return reconcileNow(reason);
    });
    return queued;
  };

  /**
   * Docker restarts a crashing worker itself (restart policy, with its own capped exponential backoff);
   * the supervisor's part is to say so ONCE per episode, not once per crash. An episode ends when the
   * worker has run a whole CRASH_EPISODE_RESET_MS without a new restart. The process runtime reports its
   * own crash loops, since it is the one restarting.
   */
  const crashEpisodes = new Map<string, { baseline: number; lastCount: number; changedAt: number; reported: boolean }>();
  const reportCrashLoops = async (actual: ActualWorker[]): Promise<void> => {
    if (runtime.kind === 'process') return;
    const now = clock.now().getTime();
    for (const w of actual) {
      const e = crashEpisodes.get(w.name) ?? { baseline: w.restartCount, lastCount: w.restartCount, changedAt: now, reported: false };
      crashEpisodes.set(w.name, e);
      if (w.restartCount < e.lastCount) {
        // A new container (recreated, or removed and created again) starts counting from zero.
        e.baseline = w.restartCount;
        e.reported = false;
      }
      if (w.restartCount !== e.lastCount) {
        e.lastCount = w.restartCount;
        e.changedAt = now;
      } else if (now - e.changedAt >= CRASH_EPISODE_RESET_MS && w.state === 'running') {
        e.baseline = w.restartCount;
        e.reported = false;
      }
      if (!e.reported && w.restartCount - e.baseline >= CRASH_LOOP_RESTARTS) {
        e.reported = true;
        const line = `${w.name} is crash-looping: restarted ${w.restartCount - e.baseline} times (last exit code ${w.exitCode ?? '?'}); the ${runtime.kind} runtime keeps restarting it with a growing delay`;
        logger.error(line, { instance: w.name });
        if (isValidInstanceName(w.name)) {
          await appendInstanceError(w.name, 'run', line);
        }
      }
    }
    for (const name of crashEpisodes.keys()) if (!actual.some((w) => w.name === name)) crashEpisodes.delete(name);
  };

  const beat = async (): Promise<void> => {
    if (!runtimeDown) {
      try {
        last = { ...last, actual: await runtime.list() };
        await reportCrashLoops(last.actual);
        await revive(last.actual);
      } catch {
        // Kept as last seen; the next reconcile notices the runtime is gone.
      }
    }
    await writeStatus();
  };

  return {
    async start() {
      stopping = false;
      // Watching starts first, so a change during the first reconcile queues another instead of being lost.
      watcher = watchConfigDir(opts.configDir, {
        debounceMs: opts.debounceMs ?? DEFAULT_DEBOUNCE_MS,
        rescanMs: opts.rescanMs ?? DEFAULT_RESCAN_MS,
        onChange: () => void reconcileNow('config change'),
        logger,
      });
      heartbeat = setInterval(() => void beat(), heartbeatMs);
      await reconcileNow('start');
    },
    reconcileNow,
    async stop(stopOpts = {}) {
      stopping = true;
      watcher?.close();
      watcher = null;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      runtimeRetry = null;
      // Let the reconcile in flight finish its current action: a half-made worker is worse than a late stop.
      await inFlight;
      await queued;
      if (stopOpts.removeWorkers) {
        const workers = await runtime.list().catch((err: unknown) => {
          logger.error(`cannot list the workers to remove them: ${describeError(err)}`);
          return [] as ActualWorker[];
        });
        for (const name of [...new Set(workers.map((w) => w.name))]) {
          logger.info(`remove ${name}: supervisor stopping`, { instance: name });
          await runtime.remove(name).catch((err: unknown) => logger.error(`remove ${name} failed: ${describeError(err)}`, { instance: name }));
        }
      }
      await statusWrites;
      await runtime.close();
      // No supervisor any more: `status` falls back to what the runtime shows, and the HEALTHCHECK fails.
      await rm(statusFilePath(opts.dataDir), { force: true });
    },
    status: () => current,
  };
}

/** Root only: chown `file` to the owner of its directory when they differ (nothing to do, or allowed, otherwise). */
async function giveToDirOwner(file: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const [dir, own] = await Promise.all([stat(join(file, '..')), stat(file)]);
  if (dir.uid !== own.uid || dir.gid !== own.gid) await chown(file, dir.uid, dir.gid);
}
