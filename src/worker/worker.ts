import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import type { InstanceConfig } from '../config/index.js';
import { ALERTS_JOURNAL_FILE, createErrorFile, ERRORS_FILE, reportOrLog, outboxPath, WORKER_STATUS_FILE, writeWorkerStatusFile } from '../instance/index.js';
import { describeError, makeRedactor, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { createChannel, createOutbox, type Outbox } from '../notify/index.js';
import { createRunAlerts } from './run-alerts.js';
import { createSlotChecks, type SlotCheckEntry } from './slot-checks.js';
import { FOREIGN_LOCK_STALE_MS, LOCK_REFRESH_MS, LockedError } from './lock.js';
import { recoverAlertFiles, recoverInstanceFiles } from './instance-files.js';
import { hasTimetable, runSync, type RunResult } from './run.js';

/** worker.json (the status this file writes) and alerts.jsonl (the outbox's delivery journal, imported by the reporting store). */
export { WORKER_STATUS_FILE, ALERTS_JOURNAL_FILE };
/** How often the outbox retries what is due: quick enough for a slot alert, cheap when idle. */
export const OUTBOX_DRAIN_MS = 5_000;
/** SIGTERM lets the run in flight finish its ECAL writes for this long; Docker's own stop timeout is 10 s. */
export const SHUTDOWN_GRACE_MS = 9_000;

/**
 * A run refused by the run lock is tried again after this long: by then a lock its holder left behind in
 * another container has stopped being refreshed for longer than the staleness limit, and is taken over.
 */
export const REFUSED_RETRY_MS = FOREIGN_LOCK_STALE_MS + LOCK_REFRESH_MS;
/** Bounded: after this many refused retries in a row the worker waits for its schedule again. */
export const REFUSED_RETRY_LIMIT = 3;

export type WorkerState = 'idle' | 'running' | 'stopping' | 'stopped';

/** The only moves a worker makes; anything else is a bug and throws. */
export const WORKER_TRANSITIONS: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  idle: ['running', 'stopping'],
  running: ['idle', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

export interface WorkerOptions {
  config: InstanceConfig;
  dir: string;
  logger: Logger;
  clock?: Clock;
  /** `RUN_ONCE=1`: one cycle, then stop (the seed's cron mode). */
  runOnce?: boolean;
  onRunFinished?: (result: RunResult) => void;
}

export interface Worker {
  state(): WorkerState;
  nextRun(): Date | null;
  /** Starts a run now unless one is in flight (then resolves null: runs never overlap). */
  trigger(reason: string): Promise<RunResult | null>;
  /**
   * Two-stage shutdown: stop scheduling and ask the run in flight to stop starting new writes; wait
   * up to `graceMs` for it to finish. Resolves true when it finished in time.
   */
  stop(graceMs?: number): Promise<boolean>;
  /** Resolves when the worker reached `stopped`. */
  done: Promise<void>;
  /** With `runOnce`: whether the cycle's sync and every slot check succeeded (read after `done`). */
  cycleSucceeded(): boolean;
  /** Sends the `changes.digest` message if it is due (a timer calls this too); true when one was queued. */
  checkDigest(): Promise<boolean>;
}

/**
 * Before anything reads them: worker.json (before its first status write), the delivery journal, then the
 * files behind alerts (seen sets, outbox) a power cut may have damaged are set aside, said, and rebuilt.
 */
function recoverStartFiles(dir: string, config: InstanceConfig, logger: Logger, clock: Clock): Promise<void> {
  const errors = createErrorFile({ path: join(dir, ERRORS_FILE), redact: makeRedactor(config.secrets), locale: config.locale });
  return recoverInstanceFiles(dir, { logger, errors, now: clock.now(), only: [WORKER_STATUS_FILE, ALERTS_JOURNAL_FILE] })
    .then(() => recoverAlertFiles(dir, { watchers: config.slots.map((w) => w.name), logger, errors, now: clock.now() }))
    .then(
      () => undefined,
      () => undefined,
    );
}

/** Alerts go through a durable outbox (data/<name>/outbox): a channel that is down loses nothing. Null without channels. */
function outboxFor(dir: string, config: InstanceConfig, logger: Logger, clock: Clock): Outbox | null {
  if (config.notify.length === 0) return null;
  return createOutbox({
    dir: outboxPath(dir),
    journalFile: join(dir, ALERTS_JOURNAL_FILE),
    channels: config.notify.map((c) => createChannel(c)),
    redact: makeRedactor(config.secrets),
    logger: logger.child({ phase: 'notify' }),
    clock,
    timezone: config.timezone,
  });
}

/** What worker.json says. */
function workerStatus(config: InstanceConfig, state: WorkerState, nextRun: Date | null, refused: { reason: string; since: string } | null, now: Date) {
  return {
    pid: process.pid,
    state,
    schedule: config.schedule,
    timezone: config.timezone,
    nextRun: nextRun?.toISOString() ?? null,
    ...(refused ? { runRefused: { reason: refused.reason, since: refused.since } } : {}),
    updatedAt: now.toISOString(),
  };
}

/** One line per run: info when it succeeded, error (with why) otherwise. */
function logRun(logger: Logger, r: RunResult['record']): void {
  const c = r.counts;
  const line = `run ${r.outcome} in ${r.durationMs} ms: ${c.created} created, ${c.updated} updated, ${c.adopted} adopted, ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.failed} failed`;
  if (r.outcome === 'success') logger.info(line);
  else logger.error(`${line}${r.error ? ` — ${r.error}` : ''}`);
}

/** A watcher's checks on its own schedule, in the instance's zone. */
function scheduleSlotChecks(config: InstanceConfig, entry: SlotCheckEntry, check: (entry: SlotCheckEntry) => Promise<boolean>): ScheduledTask {
  return cron.schedule(entry.config.schedule, () => void check(entry), { timezone: config.timezone, name: `${config.name}:${entry.config.name}` });
}

/** True when `running` settles within `graceMs` on `clock`, false when the grace ran out first. */
async function endsWithin(clock: Clock, running: Promise<unknown>, graceMs: number): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const finished = await Promise.race([
    running.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = clock.setTimeout(() => resolve(false), graceMs))),
  ]);
  clock.clearTimeout(timer);
  return finished;
}

export function startWorker(opts: WorkerOptions): Worker {
  const { config, logger } = opts;
  const clock = opts.clock ?? systemClock;
  let state: WorkerState = 'idle';
  let inFlight: Promise<RunResult> | null = null;
  let abort: AbortController | null = null;
  let task: ScheduledTask | null = null;
  /** A slot-watcher-only config has no timetable: no sync is scheduled, "run now" checks the slots. */
  const syncsTimetable = hasTimetable(config);
  let runOnceOk = false;
  /** Set while runs are refused (the lock is held): worker.json says so, and `status` shows it failing. */
  let refused: { reason: string; since: string; count: number } | null = null;
  let refusedRetry: TimerHandle | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const recovered = recoverStartFiles(opts.dir, config, logger, clock);
  const outbox = outboxFor(opts.dir, config, logger, clock);
  const alerts = createRunAlerts({ config, dir: opts.dir, logger, clock, outbox, recovered, syncsTimetable });
  const { afterRun, checkDigest, checkDigestLogged } = alerts;

  const slotTasks: ScheduledTask[] = [];
  const errorFile = createErrorFile({ path: join(opts.dir, ERRORS_FILE), redact: makeRedactor(config.secrets), locale: config.locale });
  const { entries: slotWatchers, check: checkSlots } = createSlotChecks({ config, dir: opts.dir, logger, clock, errorFile, alert: alerts.alert, recovered });

  // Status writes are queued so they land in order, and stop() can wait for the last one before exit.
  // Before the first status write: a worker.json a power cut damaged is set aside and said (the runs check the rest).
  let statusWrites: Promise<void> = recovered;
  const queueStatus = (): Promise<void> => (statusWrites = statusWrites.then(writeStatus));
  const move = (to: WorkerState): void => {
    if (!WORKER_TRANSITIONS[state].includes(to)) throw new Error(`worker ${config.name}: illegal move ${state} → ${to}`);
    state = to;
    void queueStatus();
  };

  const writeStatus = (): Promise<void> =>
    writeWorkerStatusFile(opts.dir, workerStatus(config, state, task?.getNextRun() ?? null, refused, clock.now())).catch(() => {});

  const trigger = async (reason: string): Promise<RunResult | null> => {
    if (!syncsTimetable) {
      logger.info(`no timetable to sync (${reason}): checking the slots now`);
      for (const entry of slotWatchers) await checkSlots(entry);
      return null;
    }
    if (state !== 'idle') {
      logger.warn(`run (${reason}) skipped: ${state === 'running' ? 'the previous run is still in progress' : 'the worker is stopping'}`);
      return null;
    }
    move('running');
    abort = new AbortController();
    logger.info(`run started (${reason})`);
    // Never beside the start's recovery of the same files (both would set one damaged file aside).
    const signal = abort.signal;
    inFlight = recovered.then(() => runSync({ config, dir: opts.dir, logger, clock, signal }));
    try {
      const result = await inFlight;
      if (refused) logger.info(`runs are taken again (refused since ${refused.since})`);
      refused = null;
      logRun(logger, result.record);
      await afterRun(result).catch((err: unknown) => logger.error(`cannot queue the run's alerts: ${describeError(err)}`));
      // A run that ends after the digest time (or the first one that gives a timetable) sends a digest still due.
      await checkDigestLogged();
      opts.onRunFinished?.(result);
      return result;
    } catch (err) {
      logger.error(`run could not start: ${describeError(err)}`);
      if (err instanceof LockedError) await onRefused(err.message);
      return null;
    } finally {
      inFlight = null;
      abort = null;
      // A stop() during the run moved us to 'stopping': then the worker does not go back to idle.
      if ((state as WorkerState) === 'running') move('idle');
    }
  };

  /** A run the lock refused: said once per reason in errors.log, shown by status, retried a few times. */
  const onRefused = async (reason: string): Promise<void> => {
    const changed = refused?.reason !== reason;
    refused = { reason, since: refused?.since ?? clock.now().toISOString(), count: (refused?.count ?? 0) + 1 };
    if (changed) await reportOrLog(errorFile, logger, 'state', 'run.refused', reason, clock.now());
    if (!opts.runOnce && refused.count <= REFUSED_RETRY_LIMIT) {
      clock.clearTimeout(refusedRetry);
      refusedRetry = clock.setTimeout(() => void trigger('retry after a refused run'), REFUSED_RETRY_MS, { unref: true });
    }
  };

  if (opts.runOnce) {
    void (async () => {
      await recovered;
      const run = syncsTimetable ? await trigger('RUN_ONCE') : null;
      let slotsOk = true;
      for (const entry of slotWatchers) slotsOk = (await checkSlots(entry)) && slotsOk;
      await outbox?.drain();
      runOnceOk = (!syncsTimetable || run?.record.outcome === 'success') && slotsOk;
    })().finally(() => {
      move('stopping');
      move('stopped');
      void statusWrites.then(resolveDone);
    });
  } else {
    // After the recovery, and not once stop() began (it stops the outbox, which must not start after).
    void recovered.then(() => (state === 'idle' || state === 'running' ? outbox?.start(OUTBOX_DRAIN_MS) : undefined));
    alerts.startDigestChecks();
    for (const entry of slotWatchers) {
      slotTasks.push(scheduleSlotChecks(config, entry, checkSlots));
      if (config.runOnStart) void checkSlots(entry);
    }
    if (syncsTimetable) {
      task = cron.schedule(config.schedule, () => void trigger('schedule'), { timezone: config.timezone, name: config.name, noOverlap: true });
      const next = task.getNextRun();
      logger.info(`worker started: schedule "${config.schedule}" (${config.timezone}), next run ${next ? next.toISOString() : 'never'}`);
    } else {
      logger.info(`worker started: no timetable to sync, watching ${slotWatchers.length} slot source(s)`);
    }
    void queueStatus();
    if (config.runOnStart && syncsTimetable) void trigger('start');
  }

  return {
    state: () => state,
    nextRun: () => task?.getNextRun() ?? null,
    trigger,
    done,
    cycleSucceeded: () => runOnceOk,
    checkDigest,
    async stop(graceMs = SHUTDOWN_GRACE_MS) {
      if (state === 'stopping' || state === 'stopped') {
        await done;
        return true;
      }
      clock.clearTimeout(refusedRetry);
      alerts.stopDigestChecks();
      await alerts.settled();
      await task?.destroy();
      for (const t of slotTasks) await t.destroy();
      const running = inFlight;
      abort?.abort();
      move('stopping');
      const finished = running !== null ? await endsWithin(clock, running, graceMs) : true;
      await outbox?.stop();
      move('stopped');
      await statusWrites;
      resolveDone();
      return finished;
    },
  };
}
