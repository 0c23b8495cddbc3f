/**
 * The importer (src/api) reads the files the worker writes; both take their names and shapes from src/instance. This
 * test writes them with the worker's own writers and reads them back through the importer, to hold the two together.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRedactor } from '../src/lib/index.js';
import type { AlertJournalEntry } from '../src/notify/outbox.js';
import { openStore, type Store } from '../src/store/index.js';
import { ALERTS_JOURNAL_FILE as ALERTS_FILE, createErrorFile, ERRORS_FILE, writeRunRecord, zeroCounts, type RunRecord } from '../src/instance/index.js';
import { writeSyncedEvents } from '../src/worker/synced-events.js';
import { importInstanceData } from '../src/api/importer.js';
import { captureLogger, tempDirs, type TempDirs } from '../src/api/test-support.test-helper.js';

let dirs: TempDirs;
let store: Store;
beforeAll(async () => {
  dirs = await tempDirs('campus-sync-worker-files-');
  store = await openStore({ dataDir: dirs.dataDir });
});
afterAll(async () => {
  await store.close();
  await dirs.cleanup();
});

const importAlice = () => importInstanceData({ store, dataDir: dirs.dataDir, instances: ['alice'], logger: captureLogger().logger });

describe('worker files', () => {
  it('written by the worker’s writers are imported whole, across error-file rotations', async () => {
    const dir = join(dirs.dataDir, 'alice');
    const record: RunRecord = {
      instance: 'alice',
      startedAt: '2025-01-01T06:46:00.000+01:00',
      finishedAt: '2025-01-01T06:47:00.000+01:00',
      durationMs: 60_000,
      outcome: 'failed',
      phase: 'login',
      authFailed: true,
      error: 'login refused',
      courses: 0,
      counts: { ...zeroCounts(), skipped: 2 },
      requests: { moncampus: 1, ecal: 0, ecalWrites: 0 },
      logins: 1,
      icsWritten: false,
    };
    await writeRunRecord(dir, record);
    await writeRunRecord(dir, { ...record, startedAt: '2025-01-01T07:46:00.000+01:00', outcome: 'success', phase: undefined, error: undefined });

    // Tiny files (3 lines each) so that 30 lines rotate many times; the redactor is the worker's.
    const errors = createErrorFile({ path: join(dir, ERRORS_FILE), redact: makeRedactor(['hunter2-secret']), maxBytes: 300 });
    for (let i = 0; i < 30; i++) {
      await errors.append('push', `ECAL refused event ${i} (key hunter2-secret)\nsecond line`, new Date(Date.UTC(2025, 0, 1, 6, i)));
      if (i % 3 === 2) await importAlice();
    }
    await writeSyncedEvents(dir, [
      {
        reference: 'r1',
        ecalId: null,
        title: 'Maths',
        start: '2025-01-06T08:00:00+01:00',
        end: '2025-01-06T10:00:00+01:00',
        lastChange: '2025-01-01T06:00:00.000Z',
      },
    ]);
    const entry: AlertJournalEntry = {
      alertId: 'x1',
      instance: 'alice',
      kind: 'auth.failed',
      severity: 'error',
      channel: 'discord',
      summary: 'login refused',
      createdAt: '2025-01-01T06:47:00.000Z',
      deliveredAt: null,
      attempts: 1,
      lastError: 'HTTP 500',
      at: '2025-01-01T06:47:01.000Z',
    };
    await appendFile(join(dir, ALERTS_FILE), `${JSON.stringify(entry)}\n`);
    await importAlice();

    const runs = (await store.listRuns('alice', { limit: 10 })).items;
    expect(runs.map((r) => [r.startedAt, r.outcome, r.skipped])).toEqual([
      ['2025-01-01T06:46:00.000Z', 'success', 2],
      ['2025-01-01T05:46:00.000Z', 'failed', 2],
    ]);
    // The rotated files keep only the newest lines (ERRORS_KEEP files of 3 lines): everything still on disk is in the store.
    const onDisk = (
      await Promise.all([ERRORS_FILE, `${ERRORS_FILE}.1`, `${ERRORS_FILE}.2`, `${ERRORS_FILE}.3`].map((f) => readFile(join(dir, f), 'utf8').catch(() => '')))
    )
      .join('')
      .split('\n')
      .filter(Boolean).length;
    const stored = (await store.listErrors('alice', { limit: 500 })).items;
    expect(stored.length).toBe(30);
    expect(onDisk).toBeLessThan(30);
    expect(stored[0]).toMatchObject({ phase: 'push', message: 'ECAL refused event 29 (key [REDACTED]) | second line', at: '2025-01-01T06:29:00.000Z' });
    expect((await store.listEvents('alice', { limit: 10 })).items.map((e) => e.title)).toEqual(['Maths']);
    expect((await store.listAlerts({ limit: 10 })).items).toEqual([expect.objectContaining({ alertId: 'x1', lastError: 'HTTP 500', attempts: 1 })]);
  });
});
