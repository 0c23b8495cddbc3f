/**
 * What a worker says after its runs (startWorker, worker.ts): the transition and timetable-change alerts, and
 * the `changes.digest` message, all through the instance's outbox, with what to remember kept in state.json
 * only once they are queued. state.json is read, changed and written one operation at a time.
 */
import type { InstanceConfig } from '../config/index.js';
import { loadState, recordRecentChanges, RECENT_CHANGES_FILE, saveState } from '../instance/index.js';
import { describeError, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { createAlert, type NewAlert, type Outbox } from '../notify/index.js';
import { alertsForRun, initialAlertMemory } from './alerts.js';
import { changeAlert } from './change-alert.js';
import { detectChanges, nextBaseline, snapshotOf } from './changes.js';
import { classesOfNextDay, DIGEST_CHECK_MS, digestAlert, digestDue } from './digest.js';
import type { RunResult } from './run.js';

export interface RunAlertsOptions {
  config: InstanceConfig;
  dir: string;
  logger: Logger;
  clock: Clock;
  /** Null when the config has no notify: section (then nothing is said). */
  outbox: Outbox | null;
  /** The start's recovery of the alert files: nothing is queued before it ends. */
  recovered: Promise<void>;
  /** Whether the config syncs a timetable (the digest tells tomorrow's classes of it). */
  syncsTimetable: boolean;
}

export interface RunAlerts {
  /** Queues one alert (after the start's recovery), in the config's language. */
  alert(input: NewAlert): Promise<void>;
  /** After each sync: its alerts, and the timetable-change alert after a successful run outside the deletion guard. */
  afterRun(result: RunResult): Promise<void>;
  /** Sends the digest if it is due; true when one was queued. */
  checkDigest(): Promise<boolean>;
  /** checkDigest, its failure logged (for timers). */
  checkDigestLogged(): Promise<unknown>;
  /** Checks the digest now and every DIGEST_CHECK_MS (when the config asks for one and has channels and a timetable). */
  startDigestChecks(): void;
  stopDigestChecks(): void;
  /** Resolves when the state.json operations queued so far are done. */
  settled(): Promise<unknown>;
}

export function createRunAlerts(opts: RunAlertsOptions): RunAlerts {
  const { config, dir, logger, clock, outbox } = opts;
  const alert = async (input: NewAlert): Promise<void> => {
    if (!outbox) return;
    await opts.recovered;
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
   * Changes are looked for after a successful run only, and never while the deletion guard holds (an empty or
   * suspicious timetable is one guard message, not a flood of "cancelled").
   */
  const afterRunNow = async (result: RunResult): Promise<void> => {
    if (!outbox) return;
    const state = await loadState(dir, logger);
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
    await saveState(dir, { ...(await loadState(dir, logger)), alerts: next, ...(changes ? { changes } : {}) });
    // For the dashboard's "last changes" (instance/recent-changes.ts); a failure here loses only that list.
    await recordRecentChanges(dir, clock.now(), announced).catch((err: unknown) => logger.warn(`cannot write ${RECENT_CHANGES_FILE}: ${describeError(err)}`));
  };

  /**
   * `changes.digest`: from that local time until midnight, once per day (the day handled is kept in state.json), one
   * message with tomorrow's classes from the last successful run's timetable; nothing on a day before a day off.
   * Before the first successful sync there is no timetable to tell: it stays due until there is one.
   */
  const checkDigest = (): Promise<boolean> =>
    serialState(async () => {
      const at = config.changes.digest;
      if (!outbox || !at || !opts.syncsTimetable) return false;
      const saved = await loadState(dir, logger);
      const day = digestDue(clock.now(), config.timezone, at, saved.digest?.lastDay);
      if (day === null || saved.changes === undefined) return false;
      const classes = classesOfNextDay(saved.changes.baseline, day, config.timezone);
      const message = digestAlert(config.name, day, classes, { zone: config.timezone, locale: config.locale });
      if (message) await alert(message);
      logger.info(message ? `digest: tomorrow's ${classes.length} class(es) announced` : 'digest: no class tomorrow, nothing to send');
      await saveState(dir, { ...(await loadState(dir, logger)), digest: { lastDay: day } });
      return message !== null;
    });

  const checkDigestLogged = (): Promise<unknown> => checkDigest().catch((err: unknown) => logger.error(`cannot send the digest: ${describeError(err)}`));
  let digestTimer: TimerHandle | undefined;

  return {
    alert,
    afterRun: (result) => serialState(() => afterRunNow(result)),
    checkDigest,
    checkDigestLogged,
    startDigestChecks: () => {
      if (!config.changes.digest || !outbox || !opts.syncsTimetable) return;
      void checkDigestLogged();
      digestTimer = clock.setInterval(() => void checkDigestLogged(), DIGEST_CHECK_MS, { unref: true });
    },
    stopDigestChecks: () => clock.clearInterval(digestTimer),
    settled: () => stateOps,
  };
}
