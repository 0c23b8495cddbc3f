import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, type Phase } from '../lib/index.js';
import type { EcalCheck } from './ecal-check.js';

export const LAST_RUN_FILE = 'last-run.json';
export const RUN_HISTORY_FILE = 'runs.jsonl';

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
  /** Whether ECAL was listed (a full check, and why) or skipped (a steady run): worker/ecal-check.ts. */
  ecalCheck?: EcalCheck;
}

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
