import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, type Phase } from '../lib/index.js';
import { LAST_RUN_FILE, RUN_HISTORY_FILE } from './names.js';

export { LAST_RUN_FILE, RUN_HISTORY_FILE };

export type RunOutcome = 'success' | 'partial' | 'failed' | 'dry-run';

export interface RunCounts {
  created: number;
  updated: number;
  adopted: number;
  deleted: number;
  unchanged: number;
  /** Courses not pushed: unusable records, outside the window, legacy events left alone. */
  skipped: number;
  failed: number;
}

/** One run of one instance, as written to `last-run.json` and appended to `runs.jsonl`. */
export interface RunRecord {
  instance: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: RunOutcome;
  /** Where a failed run stopped. */
  phase?: Phase;
  /** The failure was a refused login or key (MonCampus or ECAL): retrying with the same credentials cannot help. */
  authFailed?: boolean;
  error?: string;
  courses: number;
  counts: RunCounts;
  guard?: { held: boolean; reason?: string; withheldDeletes: number };
  requests: { moncampus: number; ecal: number; ecalWrites: number };
  logins: number;
  icsWritten: boolean;
  /** Whether ECAL was listed (a full check, and why) or skipped (a steady run): worker/ecal-check.ts decides. */
  ecalCheck?: EcalCheck;
}

/** Why a run listed ECAL in full (the request floor's exceptions, worker/ecal-check.ts). */
export type FullCheckReason = 'first' | 'requested' | 'dry-run' | 'after-failure' | 'config-changed' | 'timetable-changed' | 'ids-unknown' | 'scheduled';

/** Which kind of run this was, as the run record and the summaries say it. */
export type EcalCheck = { kind: 'full'; reason: FullCheckReason } | { kind: 'skipped'; verifiedAt: string; nextVerificationBy: string };

/**
 * A line of runs.jsonl as its readers accept it (the reporting store's importer): lenient, so records of
 * older builds (no counts, no phase) still count. What the worker writes is RunRecord, which it satisfies.
 */
export const runHistoryLineSchema = z.object({
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
  outcome: z.string().min(1),
  phase: z.string().nullish(),
  error: z.string().nullish(),
  courses: z.number().int().nonnegative().default(0),
  counts: z
    .object({
      created: z.number().int().default(0),
      updated: z.number().int().default(0),
      adopted: z.number().int().default(0),
      deleted: z.number().int().default(0),
      unchanged: z.number().int().default(0),
      skipped: z.number().int().default(0),
      failed: z.number().int().default(0),
    })
    .prefault({}),
});
export type RunHistoryLine = z.infer<typeof runHistoryLineSchema>;

export const zeroCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  adopted: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
});

export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, LAST_RUN_FILE), `${JSON.stringify(record, null, 2)}\n`, 0o644);
  await appendFile(join(dir, RUN_HISTORY_FILE), `${JSON.stringify(record)}\n`, { mode: 0o644 });
}

export async function readLastRun(dir: string): Promise<RunRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, LAST_RUN_FILE), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}
