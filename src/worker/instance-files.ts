import { join } from 'node:path';
import {
  ALERTS_JOURNAL_FILE,
  checkInstanceFile,
  describeDamage,
  ERRORS_FILE,
  ICS_FILE,
  isWholeCalendar,
  LAST_RUN_FILE,
  RUN_HISTORY_FILE,
  STATE_FILE,
  stateSchema,
  SYNCED_EVENTS_FILE,
  WORKER_STATUS_FILE,
  type DamageReport,
  type ErrorFile,
  type FileRule,
} from '../instance/index.js';
import type { Logger } from '../lib/index.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const jsonLine = (check: (v: Record<string, unknown>) => boolean) => (line: string): boolean => {
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
  for (const r of reports) {
    const said = describeDamage(r);
    opts.logger.warn(said);
    await opts.errors.append('state', said, opts.now).catch(() => {});
  }
  return reports;
}
