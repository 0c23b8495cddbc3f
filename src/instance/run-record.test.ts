import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAST_RUN_FILE, RUN_HISTORY_FILE } from './names.js';
import { readLastRun, runHistoryLineSchema, writeRunRecord, zeroCounts, type RunRecord } from './run-record.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campus-sync-run-record-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (n: number): RunRecord => ({
  instance: 'alice',
  startedAt: `2026-01-0${n}T06:00:00.000Z`,
  finishedAt: `2026-01-0${n}T06:00:03.000Z`,
  durationMs: 3000,
  outcome: n === 2 ? 'failed' : 'success',
  ...(n === 2 ? { phase: 'login' as const, error: 'refused' } : {}),
  courses: 12,
  counts: { ...zeroCounts(), created: n },
  requests: { moncampus: 2, ecal: 3, ecalWrites: n },
  logins: 1,
  icsWritten: true,
});

describe('last-run.json and runs.jsonl', () => {
  it('keeps the last record whole and appends every record as a line its readers accept', async () => {
    await writeRunRecord(dir, record(1));
    await writeRunRecord(dir, record(2));
    expect(await readLastRun(dir)).toEqual(record(2));
    expect(JSON.parse(await readFile(join(dir, LAST_RUN_FILE), 'utf8'))).toEqual(record(2));
    const lines = (await readFile(join(dir, RUN_HISTORY_FILE), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const read = lines.map((l) => runHistoryLineSchema.parse(JSON.parse(l)));
    expect(read.map((r) => [r.outcome, r.phase, r.counts.created])).toEqual([
      ['success', undefined, 1],
      ['failed', 'login', 2],
    ]);
  });

  it('reads an older line without counts or courses as zeros, and refuses one without an outcome', () => {
    const old = runHistoryLineSchema.parse({ startedAt: 'a', finishedAt: 'b', durationMs: 1, outcome: 'success' });
    expect(old.courses).toBe(0);
    expect(old.counts).toEqual({ ...zeroCounts() });
    expect(runHistoryLineSchema.safeParse({ startedAt: 'a', finishedAt: 'b', durationMs: 1 }).success).toBe(false);
  });

  it('says null for a last run never written', async () => {
    expect(await readLastRun(join(dir, 'nobody'))).toBeNull();
  });
});
