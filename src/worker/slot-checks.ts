/**
 * A worker's slot watchers (startWorker, worker.ts): one check of one watcher turns its new slots into ONE
 * grouped alert, and its seen set is committed only once that alert is queued. A failing watcher writes
 * errors.log when it starts failing or fails differently, not at every check: for a slots-only config that
 * file is the one place a person looks.
 */
import type { InstanceConfig } from '../config/index.js';
import { reportOrLog, slotStatePath, type ErrorFile } from '../instance/index.js';
import { describeError, formatWhen, translator, type Clock, type Logger } from '../lib/index.js';
import type { NewAlert } from '../notify/index.js';
import { createSlotWatcher, type SlotWatcher } from '../slots/index.js';

export interface SlotCheckEntry {
  config: InstanceConfig['slots'][number];
  watcher: SlotWatcher;
  busy: boolean;
  lastError: string | null;
}

export interface SlotChecksOptions {
  config: InstanceConfig;
  dir: string;
  logger: Logger;
  clock: Clock;
  errorFile: ErrorFile;
  alert(input: NewAlert): Promise<void>;
  /** The start's recovery of the alert files: no check before it ends. */
  recovered: Promise<void>;
}

/** One entry per configured watcher, each checked with `check` (true when the check worked). */
export function createSlotChecks(opts: SlotChecksOptions): { entries: SlotCheckEntry[]; check(entry: SlotCheckEntry): Promise<boolean> } {
  const { config, logger } = opts;
  const entries: SlotCheckEntry[] = config.slots.map((w) => ({
    lastError: null,
    config: w,
    watcher: createSlotWatcher({
      config: w,
      stateFile: slotStatePath(opts.dir, w.name),
      timezone: config.timezone,
      clock: opts.clock,
      logger: logger.child({ watcher: w.name }),
    }),
    busy: false,
  }));
  const check = async (entry: SlotCheckEntry): Promise<boolean> => {
    if (entry.busy) return true; // checks of one watcher never overlap
    entry.busy = true;
    try {
      await opts.recovered;
      const result = await entry.watcher.check();
      if (result.baseline) logger.info(`slots ${entry.config.name}: baseline of ${result.all.length} slot(s) recorded (no alert)`);
      if (result.fresh.length > 0) {
        logger.info(`slots ${entry.config.name}: ${result.fresh.length} new slot(s)`);
        await opts.alert({
          kind: 'slot.new',
          instance: config.name,
          title: translator(config.locale)('alerts.slots', { instance: config.name, count: result.fresh.length, watcher: entry.config.name }),
          // The slot's own label is French; the alert speaks the config's language, in its zone.
          text: result.fresh.map((s) => formatWhen(s.start, config.timezone, config.locale)).join('\n'),
          ...(entry.config.bookingUrl ? { url: entry.config.bookingUrl } : {}),
          slots: result.fresh.map((s) => ({
            label: formatWhen(s.start, config.timezone, config.locale),
            start: s.start,
            ...((s.bookingUrl ?? entry.config.bookingUrl) ? { bookingUrl: s.bookingUrl ?? entry.config.bookingUrl } : {}),
          })),
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
        await reportOrLog(opts.errorFile, logger, 'slots', 'slots.failed', message, opts.clock.now());
      }
      entry.lastError = message;
      return false;
    } finally {
      entry.busy = false;
    }
  };
  return { entries, check };
}
