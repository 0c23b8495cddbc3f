/**
 * The supervisor's loop: reconcile at start (adopting what already runs with the right hash), on every
 * change of the config directory, on a periodic rescan and after failures; a heartbeat that rewrites the
 * status file and reads crash loops. The decisions live in small modules with their own tests: what to do
 * (reconcile.ts, pure), in what order and how many at once (run-plan.ts), when to retry (action-retries.ts),
 * crash episodes (crash-episodes.ts), another supervisor on the engine (conflicts.ts), dead docker workers
 * (revive.ts). Time, and every timer, comes from the injected Clock.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidInstanceName } from '../config/index.js';
import { backoff, describeError, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { isStoppedOnPurpose } from '../instance/index.js';
import { createActionRetries, type ActionRetries } from './action-retries.js';
import { createConflictGuard, type ConflictGuard } from './conflicts.js';
import { createCrashEpisodes, type CrashEpisodes } from './crash-episodes.js';
import { scanConfigs, type InvalidConfig, type ScanResult } from './desired.js';
import { instanceErrorWriter, invalidConfigReporter, type AppendInstanceError } from './instance-errors.js';
import { byName, type ActualWorker, type DesiredWorker, type Runtime } from './interface.js';
import { createReviver, type Reviver } from './revive.js';
import { actionName, describeAction, planReconcile, type ReconcileAction } from './reconcile.js';
import { ACTION_CONCURRENCY, executeAction, runByInstance } from './run-plan.js';
import { buildInstances, CRASH_LOOP_RESTARTS, statusFilePath, writeSupervisorStatus, type SupervisorStatus } from './status.js';
import { DEFAULT_DEBOUNCE_MS, DEFAULT_RESCAN_MS, watchConfigDir, type ConfigWatch } from './watch.js';

export { ACTION_RETRY_BASE_MS, ACTION_RETRY_MAX_MS } from './action-retries.js';
export { CRASH_EPISODE_RESET_MS } from './crash-episodes.js';

/** The status file is rewritten this often; the HEALTHCHECK allows 90 s, so six beats may be missed. */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** An unreachable runtime (Docker daemon restarting) is asked again after 1 s, doubling… */
export const RUNTIME_RETRY_BASE_MS = 1_000;
/** …up to 30 s: a daemon back after a minute is noticed within half a minute. */
export const RUNTIME_RETRY_MAX_MS = 30_000;

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
   * This supervisor's id, as the runtime labels workers with it (`campus-sync.supervisor`). With a runtime
   * whose engine several supervisors may share, workers labelled by another supervisor that still runs (or
   * may, on another host) make this one refuse to act, unless `takeOver` (see conflicts.ts).
   */
  supervisorId?: string;
  takeOver?: boolean;
  /** First retry delays (tests shorten them); both double up to their caps. */
  runtimeRetryBaseMs?: number;
  actionRetryBaseMs?: number;
  /** How many instances are acted on at once (run-plan.ts). */
  actionConcurrency?: number;
}

export interface Supervisor {
  start(): Promise<void>;
  /** Runs one reconcile (or waits for the one in flight and runs one more after it); resolves with what it did. */
  reconcileNow(reason: string): Promise<ReconcileAction[]>;
  stop(opts?: { removeWorkers?: boolean }): Promise<void>;
  /** The last status written. */
  status(): SupervisorStatus;
}

/** What the parts of one supervisor share. */
interface State {
  stopping: boolean;
  last: { desired: string[]; invalid: InvalidConfig[]; actual: ActualWorker[] };
  runtimeDown: { since: string; attempts: number; error: string } | null;
  /** Set while another supervisor's workers are on the engine: nothing is created or removed then. */
  conflict: string | null;
  runtimeRetry: TimerHandle | null;
}

interface Parts {
  opts: SupervisorOptions;
  runtime: Runtime;
  logger: Logger;
  clock: Clock;
  state: State;
  later: (ms: number, fn: () => void) => TimerHandle;
  writeStatus: () => Promise<void>;
  appendError: AppendInstanceError;
  reportInvalid: (invalid: readonly InvalidConfig[]) => Promise<void>;
  retries: ActionRetries;
  conflicts: ConflictGuard;
  revive: (actual: ActualWorker[]) => Promise<void>;
  reconcileNow: (reason: string) => Promise<ReconcileAction[]>;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const { runtime, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const state: State = { stopping: false, last: { desired: [], invalid: [], actual: [] }, runtimeDown: null, conflict: null, runtimeRetry: null };
  const timers = new Set<TimerHandle>();
  const later = (ms: number, fn: () => void): TimerHandle => {
    const t = clock.setTimeout(() => {
      timers.delete(t);
      if (!state.stopping) fn();
    }, ms);
    timers.add(t);
    return t;
  };
  const status = statusWriter(opts, clock, state);
  const appendError = instanceErrorWriter({ dataDir: opts.dataDir, clock, logger });
  const reviver = runtime.capabilities.needsRevival ? reviverFor(opts, clock, appendError, later) : null;
  const parts: Parts = {
    opts,
    runtime,
    logger,
    clock,
    state,
    later,
    writeStatus: status.write,
    appendError,
    reportInvalid: invalidConfigReporter({ logger, appendError }),
    retries: createActionRetries({ baseMs: opts.actionRetryBaseMs }),
    conflicts: createConflictGuard({ runtime, supervisorId: opts.supervisorId, takeOver: opts.takeOver ?? false, logger }),
    revive: (actual) =>
      reviver && !state.runtimeDown && !state.conflict
        ? reviver.check(actual, new Set(state.last.desired)).catch((err: unknown) => logger.error(`checking for dead workers failed: ${describeError(err)}`))
        : Promise.resolve(),
    reconcileNow: (reason) => reconcileNow(reason),
  };
  const reconcileNow = singleFlight(state, logger, (reason) => reconcile(parts, reason));
  const episodes = createCrashEpisodes({ loopAfter: CRASH_LOOP_RESTARTS });
  let watcher: ConfigWatch | null = null;
  let heartbeat: TimerHandle | null = null;

  return {
    async start() {
      state.stopping = false;
      // Watching starts first, so a change during the first reconcile queues another instead of being lost.
      watcher = watchConfigDir(opts.configDir, {
        debounceMs: opts.debounceMs ?? DEFAULT_DEBOUNCE_MS,
        rescanMs: opts.rescanMs ?? DEFAULT_RESCAN_MS,
        onChange: () => void reconcileNow('config change'),
        logger,
      });
      heartbeat = clock.setInterval(() => void beat(parts, episodes), opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      await reconcileNow('start');
    },
    reconcileNow,
    async stop(stopOpts = {}) {
      state.stopping = true;
      watcher?.close();
      watcher = null;
      clock.clearInterval(heartbeat ?? undefined);
      heartbeat = null;
      for (const t of timers) clock.clearTimeout(t);
      timers.clear();
      state.runtimeRetry = null;
      // Let the reconcile in flight finish its current action: a half-made worker is worse than a late stop.
      await reconcileNow.settled();
      if (stopOpts.removeWorkers) await removeAll(runtime, logger);
      await status.settled();
      await runtime.close();
      // No supervisor any more: `status` falls back to what the runtime shows, and the HEALTHCHECK fails.
      await rm(statusFilePath(opts.dataDir), { force: true });
    },
    status: status.current,
  };
}

/** Status writes are queued so an older snapshot never lands after a newer one. */
function statusWriter(opts: SupervisorOptions, clock: Clock, state: State) {
  const startedAt = clock.now().toISOString();
  let current: SupervisorStatus = { pid: process.pid, runtime: opts.runtime.kind, startedAt, heartbeatAt: startedAt, instances: [] };
  let writes: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    const instances = await buildInstances({ ...state.last, dataDir: opts.dataDir });
    const runtimeError = state.runtimeDown?.error ?? state.conflict;
    current = {
      pid: process.pid,
      runtime: opts.runtime.kind,
      startedAt,
      heartbeatAt: clock.now().toISOString(),
      ...(runtimeError ? { runtimeError } : {}),
      instances,
    };
    await writeSupervisorStatus(opts.dataDir, current);
  };
  return {
    write(): Promise<void> {
      writes = writes.then(run).catch((err: unknown) => opts.logger.warn(`cannot write the supervisor status: ${describeError(err)}`));
      return writes;
    },
    settled: (): Promise<void> => writes,
    current: (): SupervisorStatus => current,
  };
}

/**
 * Workers that died and that the runtime will not restart (docker: `docker kill`, a failed restart) are
 * started again with backoff; those stopped on purpose stay stopped (revive.ts).
 */
function reviverFor(opts: SupervisorOptions, clock: Clock, appendError: AppendInstanceError, later: (ms: number, fn: () => void) => unknown): Reviver {
  return createReviver({
    runtime: opts.runtime,
    logger: opts.logger,
    clock,
    stoppedOnPurpose: (name) => (isValidInstanceName(name) ? isStoppedOnPurpose(join(opts.dataDir, name)) : Promise.resolve(true)),
    recordError: (name, line) => appendError(name, 'worker.crashLooping', line),
    later: (ms, fn) => void later(ms, fn),
  });
}

/** Never two reconciles at once; asks during one collapse into a single follow-up that sees every change. */
function singleFlight(state: State, logger: Logger, run: (reason: string) => Promise<ReconcileAction[]>) {
  let inFlight: Promise<ReconcileAction[]> | null = null;
  let queued: Promise<ReconcileAction[]> | null = null;
  const now = (reason: string): Promise<ReconcileAction[]> => {
    if (state.stopping) return Promise.resolve([]);
    if (!inFlight) {
      inFlight = run(reason)
        .catch((err: unknown) => {
          logger.error(`reconcile (${reason}) failed: ${describeError(err)}`);
          return [] as ReconcileAction[];
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = null;
      return now(reason);
    });
    return queued;
  };
  return Object.assign(now, {
    settled: async (): Promise<void> => {
      await inFlight;
      await queued;
    },
  });
}

/** Lists the workers; on failure, says the runtime is down (once) and schedules a retry with backoff. */
async function listOrRetry(p: Parts): Promise<ActualWorker[] | null> {
  const { runtime, logger, state } = p;
  try {
    if (!(await runtime.ping())) throw new Error(`the ${runtime.kind} runtime does not answer its ping`);
    const actual = await runtime.list();
    if (state.runtimeDown) {
      logger.info(`${runtime.kind} runtime reachable again (down since ${state.runtimeDown.since})`);
      state.runtimeDown = null;
      p.clock.clearTimeout(state.runtimeRetry ?? undefined);
      state.runtimeRetry = null;
    }
    return actual;
  } catch (err) {
    const error = describeError(err);
    if (!state.runtimeDown) {
      state.runtimeDown = { since: p.clock.now().toISOString(), attempts: 0, error };
      logger.error(`${runtime.kind} runtime unreachable: ${error}; retrying with backoff (workers are left as they are)`);
    }
    state.runtimeDown.attempts++;
    state.runtimeDown.error = error;
    const delay = backoff(state.runtimeDown.attempts, {
      baseMs: p.opts.runtimeRetryBaseMs ?? RUNTIME_RETRY_BASE_MS,
      maxMs: RUNTIME_RETRY_MAX_MS,
      random: null,
    });
    p.clock.clearTimeout(state.runtimeRetry ?? undefined);
    state.runtimeRetry = p.later(delay, () => {
      state.runtimeRetry = null;
      void p.reconcileNow('runtime retry');
    });
    return null;
  }
}

async function reconcile(p: Parts, reason: string): Promise<ReconcileAction[]> {
  const { runtime, state } = p;
  if (state.stopping) return [];
  // The configs are read first: their problems are reported, and shown, even while the runtime is down.
  const scan = await scanConfigs(p.opts.configDir, p.opts.env);
  await p.reportInvalid(scan.invalid);
  state.last = { ...state.last, desired: scan.desired.map((d) => d.name), invalid: scan.invalid };
  const actual = await listOrRetry(p);
  if (!actual) {
    await p.writeStatus();
    return [];
  }
  state.conflict = await p.conflicts.check(actual);
  if (state.conflict) {
    state.last = { ...state.last, actual };
    await p.writeStatus();
    return [];
  }
  const plan = planReconcile({ desired: scan.desired, invalid: scan.invalid.map((i) => i.name), actual, specHash: (w) => runtime.specHash(w) });
  p.logger.debug(`reconcile (${reason}): ${plan.length} action(s)`);
  const done = await applyPlan(p, plan, scan);
  p.retries.keepOnly(plan);
  const after = await runtime.list().catch(() => actual);
  state.last = { desired: scan.desired.map((d) => d.name), invalid: scan.invalid, actual: after };
  await p.revive(after);
  await p.writeStatus();
  return done;
}

/** Carries out a plan (instances side by side, see run-plan.ts); returns the actions done, in plan order. */
async function applyPlan(p: Parts, plan: ReconcileAction[], scan: ScanResult): Promise<ReconcileAction[]> {
  const { logger } = p;
  const done = new Set<ReconcileAction>();
  const nowMs = p.clock.now().getTime();
  await runByInstance(plan, p.opts.actionConcurrency ?? ACTION_CONCURRENCY, async (action) => {
    if (p.state.stopping) return;
    const name = actionName(action);
    if (action.kind === 'keep') {
      logger.debug(describeAction(action));
      await repairKept(
        p,
        scan.desired.find((d) => d.name === name),
      );
      done.add(action);
      return;
    }
    const waiting = p.retries.waitingUntil(action, nowMs);
    if (waiting !== undefined) {
      logger.debug(`${describeAction(action)}: waiting for its retry at ${new Date(waiting).toISOString()}`);
      return;
    }
    logger.info(describeAction(action), { instance: name });
    try {
      await executeAction(p.runtime, action, plan);
      p.retries.succeeded(action);
      done.add(action);
    } catch (err) {
      const { attempts, delayMs } = p.retries.failed(action, p.clock.now().getTime());
      logger.error(`${action.kind} ${name} failed (attempt ${attempts}): ${describeError(err)}; retrying in ${Math.round(delayMs / 1000)} s`, {
        instance: name,
      });
      p.later(delayMs, () => void p.reconcileNow(`retry ${action.kind} ${name}`));
    }
  });
  return plan.filter((a) => done.has(a));
}

/** What a kept worker reads from this host, checked (docker: its resolved config); a repair is said in the log and errors.log. */
async function repairKept(p: Parts, w: DesiredWorker | undefined): Promise<void> {
  if (!w || !p.runtime.repairFiles) return;
  try {
    const said = await p.runtime.repairFiles(w);
    if (!said) return;
    p.logger.warn(said, { instance: w.name });
    await p.appendError(w.name, 'file.damaged', said);
  } catch (err) {
    p.logger.error(`cannot check the files of ${w.name}: ${describeError(err)}`, { instance: w.name });
  }
}

/** The heartbeat: the workers listed again, crash loops said once per episode, dead workers revived, the status rewritten. */
async function beat(p: Parts, episodes: CrashEpisodes): Promise<void> {
  const { runtime, state } = p;
  if (!state.runtimeDown) {
    try {
      state.last = { ...state.last, actual: await runtime.list() };
      // A runtime that restarts and reports its own crash loops (process) is not second-guessed here.
      if (runtime.capabilities.countsRestarts) {
        for (const r of episodes.observe(state.last.actual, p.clock.now().getTime())) {
          const line = `${r.name} is crash-looping: restarted ${r.restarts} times (last exit code ${r.exitCode ?? '?'}); the ${runtime.kind} runtime keeps restarting it with a growing delay`;
          p.logger.error(line, { instance: r.name });
          await p.appendError(r.name, 'worker.crashLooping', line);
        }
      }
      await p.revive(state.last.actual);
    } catch {
      // Kept as last seen; the next reconcile notices the runtime is gone.
    }
  }
  await p.writeStatus();
}

async function removeAll(runtime: Runtime, logger: Logger): Promise<void> {
  const workers = await runtime.list().catch((err: unknown) => {
    logger.error(`cannot list the workers to remove them: ${describeError(err)}`);
    return [] as ActualWorker[];
  });
  for (const name of [...new Set(workers.map((w) => w.name))]) {
    logger.info(`remove ${name}: supervisor stopping`, { instance: name });
    await runtime.remove(byName(name)).catch((err: unknown) => logger.error(`remove ${name} failed: ${describeError(err)}`, { instance: name }));
  }
}
