import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  ALERTS_JOURNAL_FILE,
  checkInstanceFile,
  describeDamage,
  ERRORS_FILE,
  ICS_FILE,
  isWholeCalendar,
  LAST_RUN_FILE,
  OUTBOX_DELIVERIES_DIR,
  OUTBOX_DISABLED_FILE,
  outboxPath,
  RUN_HISTORY_FILE,
  slotStatePath,
  STATE_FILE,
  stateSchema,
  SYNCED_EVENTS_FILE,
  WORKER_STATUS_FILE,
  type DamageReport,
  type ErrorFile,
  type FileRule,
} from '../instance/index.js';
import type { Logger } from '../lib/index.js';
import { isDeliveryRecord, isDisabledChannels, rebuildDelivery, type AlertJournalEntry } from '../notify/index.js';
import { isSeenState } from '../slots/index.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const jsonLine =
  (check: (v: Record<string, unknown>) => boolean) =>
  (line: string): boolean => {
    try {
      const v: unknown = JSON.parse(line);
      return isObject(v) && check(v);
    } catch {
      return false;
    }
  };
/** `<ISO time> <phase> <message>`, as error-file.ts writes it. */
const ERROR_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z \S+ ./;

/**
 * Every file a run reads or appends to in `data/<name>/`, with what a sound one looks like. Each is
 * rebuilt by the run when set aside: state.json (one login), events.json (from ECAL, by reference),
 * last-run.json and worker.json (rewritten), calendar.ics (rendered again), histories (good lines kept).
 * The run lock is not here: it has its own rules (worker/lock.ts).
 */
export function instanceFileRules(): FileRule[] {
  return [
    { name: STATE_FILE, kind: 'json', valid: (v) => stateSchema.safeParse(v).success },
    {
      name: SYNCED_EVENTS_FILE,
      kind: 'json',
      valid: (v) => Array.isArray(v) && v.every((e) => isObject(e) && typeof e.reference === 'string' && typeof e.start === 'string'),
    },
    { name: LAST_RUN_FILE, kind: 'json', valid: (v) => isObject(v) && typeof v.outcome === 'string' && typeof v.finishedAt === 'string' },
    { name: WORKER_STATUS_FILE, kind: 'json', valid: (v) => isObject(v) && typeof v.state === 'string' },
    { name: ICS_FILE, kind: 'text', valid: isWholeCalendar },
    { name: ERRORS_FILE, kind: 'lines', goodLine: (l) => ERROR_LINE.test(l) },
    { name: RUN_HISTORY_FILE, kind: 'lines', goodLine: jsonLine((v) => typeof v.outcome === 'string' && typeof v.startedAt === 'string') },
    { name: ALERTS_JOURNAL_FILE, kind: 'lines', goodLine: jsonLine((v) => typeof v.alertId === 'string') },
  ];
}

/**
 * Before a run touches its files: every damaged one is set aside and said once, in the log and in
 * errors.log (errors.log itself is mended first, so that line lands on a line of its own).
 */
export async function recoverInstanceFiles(
  dir: string,
  opts: { logger: Logger; errors: ErrorFile; now: Date; only?: readonly string[] },
): Promise<DamageReport[]> {
  const reports: DamageReport[] = [];
  for (const rule of instanceFileRules()) {
    if (opts.only && !opts.only.includes(rule.name)) continue;
    try {
      const report = await checkInstanceFile(join(dir, rule.name), rule, opts.now);
      if (report) reports.push(report);
    } catch (err) {
      opts.logger.warn(`cannot check ${join(dir, rule.name)}: ${(err as Error).message}`);
    }
  }
  for (const r of reports) await sayDamaged(describeDamage(r), opts);
  return reports;
}

/** Once, in the log and in errors.log. */
async function sayDamaged(said: string, opts: { logger: Logger; errors: ErrorFile; now: Date }): Promise<void> {
  opts.logger.warn(said);
  await opts.errors.report('state', 'file.damaged', said, opts.now).catch(() => {});
}

/** Where the worker keeps its outbox, and its slot watchers' seen sets. */

/**
 * The files behind alerts, checked when a worker starts (before any check or delivery reads them): each
 * watcher's seen set (set aside: its next check records a new baseline, so no slot is alerted twice), the
 * outbox's disabled.json (set aside: every channel is tried again), and each queued delivery (set aside and
 * written again from alerts.jsonl, unless that journal says it went out already). Each is said once.
 */
export async function recoverAlertFiles(
  dir: string,
  opts: { watchers: readonly string[]; logger: Logger; errors: ErrorFile; now: Date },
): Promise<DamageReport[]> {
  const reports: DamageReport[] = [];
  const check = async (file: string, valid: (v: unknown) => boolean, rebuilt: (r: DamageReport) => Promise<string> | string): Promise<void> => {
    try {
      const report = await checkInstanceFile(file, { name: basename(file), kind: 'json', valid }, opts.now);
      if (!report) return;
      reports.push(report);
      await sayDamaged(describeDamage(report, await rebuilt(report)), opts);
    } catch (err) {
      opts.logger.warn(`cannot check ${file}: ${(err as Error).message}`);
    }
  };
  for (const w of opts.watchers)
    await check(slotStatePath(dir, w), isSeenState, () => 'rebuilt by its next check (a new baseline: the slots listed then are recorded, not alerted)');
  const outbox = outboxPath(dir);
  await check(join(outbox, OUTBOX_DISABLED_FILE), isDisabledChannels, () => 'rebuilt empty (every channel is tried again)');
  const deliveries = await readdir(join(outbox, OUTBOX_DELIVERIES_DIR)).catch(() => [] as string[]);
  let journal: AlertJournalEntry[] | undefined;
  for (const name of deliveries.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    await check(join(outbox, OUTBOX_DELIVERIES_DIR, name), isDeliveryRecord, async () => {
      journal ??= await readJournal(join(dir, ALERTS_JOURNAL_FILE));
      const done = await rebuildDelivery(outbox, journal, name);
      return done === 'rebuilt'
        ? `rebuilt from ${ALERTS_JOURNAL_FILE} (its title is sent; its text was in the damaged file)`
        : done === 'delivered'
          ? `not rebuilt: ${ALERTS_JOURNAL_FILE} says it was delivered (not sent twice)`
          : `not rebuilt: ${ALERTS_JOURNAL_FILE} has no line of it (this alert is lost)`;
    });
  }
  return reports;
}

/** The delivery journal's sound lines (a damaged line is skipped: recoverInstanceFiles sets those aside). */
async function readJournal(file: string): Promise<AlertJournalEntry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    try {
      const v = JSON.parse(line) as AlertJournalEntry;
      return isObject(v) && typeof v.alertId === 'string' && typeof v.channel === 'string' ? [v] : [];
    } catch {
      return [];
    }
  });
}
