import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import type { InstanceConfig } from '../config/index.js';
import { ALERTS_JOURNAL_FILE, createErrorFile, ERRORS_FILE, loadState, outboxPath, recordRecentChanges, RECENT_CHANGES_FILE, saveState, slotStatePath, WORKER_STATUS_FILE, writeWorkerStatusFile } from '../instance/index.js';
import { describeError, formatWhen, makeRedactor, systemClock, translator, writeFileAtomic, type Clock, type Logger } from '../lib/index.js';
import { createAlert, createChannel, createOutbox, type NewAlert, type Outbox } from '../notify/index.js';
import { createSlotWatcher, type SlotWatcher } from '../slots/index.js';
import { alertsForRun, initialAlertMemory } from './alerts.js';
import { changeAlert } from './change-alert.js';
import { detectChanges, nextBaseline, snapshotOf } from './changes.js';
import { classesOfNextDay, DIGEST_CHECK_MS, digestAlert, digestDue } from './digest.js';
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
  let refusedRetry: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  // Before anything reads them: worker.json (before its first status write), the delivery journal, then the
  // files behind alerts (seen sets, outbox) a power cut may have damaged are set aside, said, and rebuilt.
  const startErrors = createErrorFile({ path: join(opts.dir, ERRORS_FILE), redact: makeRedactor(config.secrets) });
  const recovered: Promise<void> = recoverInstanceFiles(opts.dir, { logger, errors: startErrors, now: clock.now(), only: [WORKER_STATUS_FILE, ALERTS_JOURNAL_FILE] })
    .then(() => recoverAlertFiles(opts.dir, { watchers: config.slots.map((w) => w.name), logger, errors: startErrors, now: clock.now() }))
    .then(
      () => undefined,
      () => undefined,
    );

  // Alerts go through a durable outbox (data/<name>/outbox): a channel that is down loses nothing.
  const outbox: Outbox | null =
    config.notify.length > 0
      ? createOutbox({
          dir: outboxPath(opts.dir),
          journalFile: join(opts.dir, ALERTS_JOURNAL_FILE),
          channels: config.notify.map((c) => createChannel(c)),
          redact: makeRedactor(config.secrets),
          logger: logger.child({ phase: 'notify' }),
          clock,
          timezone: config.timezone,
        })
      : null;
  const alert = async (input: NewAlert): Promise<void> => {
    if (!outbox) return;
    await recovered;
    // The config's language for the words the renderers add (a booking link, a quiet-hours summary, dates).
    await outbox.enqueue(createAlert({ locale: config.locale, ...input }, clock));
  };

  /** state.json is read, changed and written by the run's alerts and by the digest: one at a time, never interleaved. */
  let stateOps: Promise<unknown> = Promise.resolve();
  const serialState = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = stateOps.then(fn, fn);
    stateOps = p.catch(() => undefined);
    return p;
  };

  /**
   * After each sync: the transition alerts and the timetable-change alert, with what to remember kept in state.json
   * only once they are queued. Changes are looked for after a successful run only, and never while the deletion
   * guard holds (an empty or suspicious timetable is one guard message, not a flood of "cancelled").
   */
  const afterRun = (result: RunResult): Promise<void> => serialState(() => afterRunNow(result));
  const afterRunNow = async (result: RunResult): Promise<void> => {
    if (!outbox) return;
    const state = await loadState(opts.dir, logger);
    const { next, alerts } = alertsForRun(state.alerts ?? initialAlertMemory(), result.record, { locale: config.locale });
    let changes = state.changes;
    let announced: ReturnType<typeof detectChanges> = [];
    if (result.record.outcome === 'success' && result.record.guard?.held !== true) {
      const window = { now: clock.now(), horizonDays: config.changes.horizonDays };
      const current = result.events.map(snapshotOf);
      const found = detectChanges(state.changes?.baseline ?? null, current, window);
      if (state.changes === undefined) logger.info('timetable: baseline recorded (no change alert on a first sync)');
      const changed = changeAlert(config.name, found, { zone: config.timezone, locale: config.locale });
      if (changed) {
        logger.info(`timetable: ${found.length} change(s) in the next ${config.changes.horizonDays} day(s), announced`);
        alerts.push(changed);
        announced = found;
      }
      changes = { baseline: nextBaseline(current, window) };
    }
    for (const a of alerts) await alert(a);
    await saveState(opts.dir, { ...(await loadState(opts.dir, logger)), alerts: next, ...(changes ? { changes } : {}) });
    // For the dashboard's "last changes" (instance/recent-changes.ts); a failure here loses only that list.
    await recordRecentChanges(opts.dir, clock.now(), announced).catch((err: unknown) => logger.warn(`cannot write ${RECENT_CHANGES_FILE}: ${describeError(err)}`));
  };

  /**
   * `changes.digest`: from that local time until midnight, once per day (the day handled is kept in state.json), one
   * message with tomorrow's classes from the last successful run's timetable; nothing on a day before a day off.
   * Before the first successful sync there is no timetable to tell: it stays due until there is one.
   */
  let digestTimer: NodeJS.Timeout | undefined;
  const checkDigest = (): Promise<boolean> =>
    serialState(async () => {
      const at = config.changes.digest;
      if (!outbox || !at || !syncsTimetable) return false;
      const saved = await loadState(opts.dir, logger);
      const day = digestDue(clock.now(), config.timezone, at, saved.digest?.lastDay);
      if (day === null || saved.changes === undefined) return false;
      const classes = classesOfNextDay(saved.changes.baseline, day, config.timezone);
      const message = digestAlert(config.name, day, classes, { zone: config.timezone, locale: config.locale });
      if (message) await alert(message);
      logger.info(message ? `digest: tomorrow's ${classes.length} class(es) announced` : 'digest: no class tomorrow, nothing to send');
      await saveState(opts.dir, { ...(await loadState(opts.dir, logger)), digest: { lastDay: day } });
      return message !== null;
    });
  const checkDigestLogged = (): Promise<unknown> => checkDigest().catch((err: unknown) => logger.error(`cannot send the digest: ${describeError(err)}`));

  const slotTasks: ScheduledTask[] = [];
  // A failing watcher writes errors.log when it starts failing or fails differently, not at every check:
  // for a slots-only config that file is the one place a person looks.
  const errorFile = createErrorFile({ path: join(opts.dir, ERRORS_FILE), redact: makeRedactor(config.secrets), locale: config.locale });
  const slotWatchers = config.slots.map((w) => ({
    lastError: null as string | null,
    config: w,
    watcher: createSlotWatcher({ config: w, stateFile: slotStatePath(opts.dir, w.name), timezone: config.timezone, clock, logger: logger.child({ watcher: w.name }) }),
    busy: false,
  }));
  /** One check of one watcher: new slots become ONE grouped alert; the seen set is committed only once it is queued. */
  const checkSlots = async (entry: { config: (typeof config.slots)[number]; watcher: SlotWatcher; busy: boolean; lastError: string | null }): Promise<boolean> => {
    if (entry.busy) return true; // checks of one watcher never overlap
    entry.busy = true;
    try {
      await recovered;
      const result = await entry.watcher.check();
      if (result.baseline) logger.info(`slots ${entry.config.name}: baseline of ${result.all.length} slot(s) recorded (no alert)`);
      if (result.fresh.length > 0) {
        logger.info(`slots ${entry.config.name}: ${result.fresh.length} new slot(s)`);
        await alert({
          kind: 'slot.new',
          instance: config.name,
          title: translator(config.locale)('alerts.slots', { instance: config.name, count: result.fresh.length, watcher: entry.config.name }),
          // The slot's own label is French; the alert speaks the config's language, in its zone.
          text: result.fresh.map((s) => formatWhen(s.start, config.timezone, config.locale)).join('\n'),
          ...(entry.config.bookingUrl ? { url: entry.config.bookingUrl } : {}),
          slots: result.fresh.map((s) => ({ label: formatWhen(s.start, config.timezone, config.locale), start: s.start, ...(s.bookingUrl ?? entry.config.bookingUrl ? { bookingUrl: s.bookingUrl ?? entry.config.bookingUrl } : {}) })),
        });
      }
      await result.commit();
      if (entry.lastError !== null) logger.info(`slots ${entry.config.name}: checks work again`);
      entry.lastError = null;
      return true;
    } catch (err) {
      const message = `${entry.config.name}: ${describeError(err)}`;
      logger.error(`slots ${message}`);
      if (message !== entry.lastError) {
        await errorFile.report('slots', 'slots.failed', message, clock.now()).catch((e: unknown) => logger.error(`cannot write ${ERRORS_FILE}: ${describeError(e)}`));
      }
      entry.lastError = message;
      return false;
    } finally {
      entry.busy = false;
    }
  };

  // Status writes are queued so they land in order, and stop() can wait for the last one before exit.
  // Before the first status write: a worker.json a power cut damaged is set aside and said (the runs check the rest).
  let statusWrites: Promise<void> = recovered;
  const queueStatus = (): Promise<void> => (statusWrites = statusWrites.then(writeStatus));
  const move = (to: WorkerState): void => {
    if (!WORKER_TRANSITIONS[state].includes(to)) throw new Error(`worker ${config.name}: illegal move ${state} → ${to}`);
    state = to;
    void queueStatus();
  };

  const writeStatus = async (): Promise<void> => {
    const status = {
      pid: process.pid,
      state,
      schedule: config.schedule,
      timezone: config.timezone,
      nextRun: task?.getNextRun()?.toISOString() ?? null,
      ...(refused ? { runRefused: { reason: refused.reason, since: refused.since } } : {}),
      updatedAt: clock.now().toISOString(),
    };
    await writeWorkerStatusFile(opts.dir, status).catch(() => {});
  };

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
      const r = result.record;
      const c = r.counts;
      const line = `run ${r.outcome} in ${r.durationMs} ms: ${c.created} created, ${c.updated} updated, ${c.adopted} adopted, ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.failed} failed`;
      if (r.outcome === 'success') logger.info(line);
      else logger.error(`${line}${r.error ? ` — ${r.error}` : ''}`);
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
    if (changed) await errorFile.report('state', 'run.refused', reason, clock.now()).catch((e: unknown) => logger.error(`cannot write ${ERRORS_FILE}: ${describeError(e)}`));
    if (!opts.runOnce && refused.count <= REFUSED_RETRY_LIMIT) {
      clearTimeout(refusedRetry);
      refusedRetry = setTimeout(() => void trigger('retry after a refused run'), REFUSED_RETRY_MS);
      refusedRetry.unref();
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
    void recovered.then(() => state === 'idle' || state === 'running' ? outbox?.start(OUTBOX_DRAIN_MS) : undefined);
    if (config.changes.digest && outbox && syncsTimetable) {
      void checkDigestLogged();
      digestTimer = setInterval(() => void checkDigestLogged(), DIGEST_CHECK_MS);
      digestTimer.unref();
    }
    for (const entry of slotWatchers) {
      slotTasks.push(cron.schedule(entry.config.schedule, () => void checkSlots(entry), { timezone: config.timezone, name: `${config.name}:${entry.config.name}` }));
      if (config.runOnStart) void checkSlots(entry);
    }
    if (syncsTimetable) {
      task = cron.schedule(config.schedule, () => void trigger('schedule'), {
        timezone: config.timezone,
        name: config.name,
        noOverlap: true,
      });
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
      clearTimeout(refusedRetry);
      clearInterval(digestTimer);
      await stateOps;
      await task?.destroy();
      for (const t of slotTasks) await t.destroy();
      const running = inFlight;
      abort?.abort();
      move('stopping');
      let finished = true;
      if (running) {
        let timer: NodeJS.Timeout | undefined;
        finished = await Promise.race([
          running.then(() => true, () => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
        ]);
        clearTimeout(timer);
      }
      await outbox?.stop();
      move('stopped');
      await statusWrites;
      resolveDone();
      return finished;
    },
  };
}
