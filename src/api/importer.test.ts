import { appendFile, mkdir, rename, writeFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRedactor } from '../lib/index.js';
import { openStore, type Store } from '../store/index.js';
import { ALERTS_JOURNAL_FILE as ALERTS_FILE, ERRORS_FILE, RUN_HISTORY_FILE as RUNS_FILE, SYNCED_EVENTS_FILE as EVENTS_FILE } from '../instance/index.js';
import { importInstanceData, instancesInDataDir, startImporter } from './importer.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { captureLogger, tempDirs, type TempDirs } from './test-support.test-helper.js';

let dirs: TempDirs;
let store: Store;
let dir: string;
const NAME = 'alice';

beforeEach(async () => {
  dirs = await tempDirs('campus-sync-importer-');
  store = await openStore({ dataDir: dirs.dataDir });
  dir = join(dirs.dataDir, NAME);
  await mkdir(dir, { recursive: true });
});
afterEach(async () => {
  await store.close();
  await dirs.cleanup();
});

const run = (i: number, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({
    instance: NAME,
    startedAt: new Date(Date.UTC(2025, 0, 1, 6, i)).toISOString(),
    finishedAt: new Date(Date.UTC(2025, 0, 1, 6, i, 30)).toISOString(),
    durationMs: 30_000,
    outcome: i % 3 === 0 ? 'failed' : 'success',
    ...(i % 3 === 0 ? { phase: 'login', error: 'refused' } : {}),
    courses: 10 + i,
    counts: { created: i, updated: 1, adopted: 0, deleted: 0, unchanged: 5, skipped: 0, failed: 0 },
    requests: { moncampus: 2, ecal: 3, ecalWrites: 1 },
    logins: 1,
    icsWritten: true,
    ...extra,
  })}\n`;

const importOnce = (logger = captureLogger().logger) => importInstanceData({ store, dataDir: dirs.dataDir, instances: [NAME], logger });

const allRuns = async () => (await store.listRuns(NAME, { limit: 500 })).items;

describe('runs.jsonl', () => {
  it('imports every run once, then only the new lines', async () => {
    await writeFile(join(dir, RUNS_FILE), run(1) + run(2) + run(3));
    expect((await importOnce()).runs).toBe(3);
    const rows = await allRuns();
    expect(rows.map((r) => r.courses)).toEqual([13, 12, 11]);
    expect(rows[0]).toMatchObject({ instance: NAME, outcome: 'failed', phase: 'login', error: 'refused', created: 3, unchanged: 5, durationMs: 30_000 });
    expect(rows[1]).toMatchObject({ phase: null, error: null });

    expect((await importOnce()).runs).toBe(0);
    await appendFile(join(dir, RUNS_FILE), run(4));
    expect((await importOnce()).runs).toBe(1);
    expect(await allRuns()).toHaveLength(4);
  });

  it('leaves a partial last line for the next pass', async () => {
    const whole = run(1);
    const second = run(2);
    await writeFile(join(dir, RUNS_FILE), whole + second.slice(0, 40));
    expect((await importOnce()).runs).toBe(1);
    await appendFile(join(dir, RUNS_FILE), second.slice(40));
    expect((await importOnce()).runs).toBe(1);
    expect((await allRuns()).map((r) => r.courses)).toEqual([12, 11]);
  });

  it('starts again from 0 on a truncated or rotated file, and idempotent inserts keep one row per run', async () => {
    await writeFile(join(dir, RUNS_FILE), run(1) + run(2) + run(3));
    await importOnce();
    await rename(join(dir, RUNS_FILE), join(dir, `${RUNS_FILE}.old`));
    await writeFile(join(dir, RUNS_FILE), run(4));
    expect((await importOnce()).runs).toBe(1);
    await truncate(join(dir, RUNS_FILE), 0);
    await writeFile(join(dir, RUNS_FILE), run(3) + run(5));
    await importOnce();
    expect((await allRuns()).map((r) => r.courses)).toEqual([15, 14, 13, 12, 11]);
  });

  it('reads a file replaced by a longer one with other content from the start', async () => {
    await writeFile(join(dir, RUNS_FILE), run(1));
    await importOnce();
    // Same size or longer, different first line: an offset check alone would skip run 7.
    await writeFile(join(dir, RUNS_FILE), run(7) + run(8) + run(9));
    await importOnce();
    expect((await allRuns()).map((r) => r.courses).sort()).toEqual([11, 17, 18, 19]);
  });

  it('skips unreadable lines once and goes on', async () => {
    const { logger, lines } = captureLogger();
    await writeFile(join(dir, RUNS_FILE), `not json\n${run(1)}{"startedAt":"2025-01-01T00:00:00Z"}\n${run(2, { startedAt: 'garbage' })}${run(3)}`);
    const s = await importOnce(logger);
    expect(s.runs).toBe(2);
    expect(s.skipped).toBe(3);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(3);
    const again = captureLogger();
    expect((await importOnce(again.logger)).skipped).toBe(0);
  });

  it('reads a history larger than one read chunk', async () => {
    const many = Array.from({ length: 4000 }, (_, i) =>
      run(i, { startedAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), error: 'x'.repeat(300) }),
    );
    await writeFile(join(dir, RUNS_FILE), many.join(''));
    expect((await importOnce()).runs).toBe(4000);
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await store.listRuns(NAME, { limit: 500, ...(cursor ? { cursor } : {}) });
      count += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(count).toBe(4000);
  });
});

const alertLine = (o: Record<string, unknown>): string =>
  `${JSON.stringify({
    alertId: 'a1',
    instance: NAME,
    kind: 'sync.failed',
    severity: 'error',
    channel: 'discord',
    summary: 'sync failed',
    createdAt: '2025-01-01T06:00:00.000Z',
    deliveredAt: null,
    attempts: 0,
    lastError: null,
    at: '2025-01-01T06:00:00.000Z',
    ...o,
  })}\n`;

describe('alerts.jsonl', () => {
  it('upserts each delivery outcome on (alertId, channel)', async () => {
    await writeFile(join(dir, ALERTS_FILE), alertLine({}) + alertLine({ attempts: 1, lastError: 'HTTP 503' }) + alertLine({ channel: 'slack' }));
    expect((await importOnce()).alerts).toBe(3);
    await appendFile(join(dir, ALERTS_FILE), alertLine({ attempts: 2, deliveredAt: '2025-01-01T06:01:00.000Z' }));
    expect((await importOnce()).alerts).toBe(1);
    const items = (await store.listAlerts({ limit: 10, instance: NAME })).items;
    expect(items).toHaveLength(2);
    const discord = items.find((a) => a.channel === 'discord');
    expect(discord).toMatchObject({ attempts: 2, deliveredAt: '2025-01-01T06:01:00.000Z', summary: 'sync failed' });
  });
});

describe('errors.log', () => {
  const errLine = (min: number, msg: string): string => `2025-01-01T06:${String(min).padStart(2, '0')}:00.000Z login ${msg}\n`;
  const allErrors = async () => (await store.listErrors(NAME, { limit: 500 })).items.map((e) => e.message);

  it('imports `<time> <phase> <message>` lines once, across rotations to errors.log.1..3', async () => {
    await writeFile(join(dir, ERRORS_FILE), errLine(1, 'first') + errLine(2, 'second: with spaces | and pipes'));
    expect((await importOnce()).errors).toBe(2);
    // The worker appends one more line, then rotates before we look again: errors.log → .1, a new errors.log.
    await appendFile(join(dir, ERRORS_FILE), errLine(3, 'third'));
    await rename(join(dir, ERRORS_FILE), join(dir, `${ERRORS_FILE}.1`));
    await writeFile(join(dir, ERRORS_FILE), errLine(4, 'fourth'));
    await importOnce();
    expect(await allErrors()).toEqual(['fourth', 'third', 'second: with spaces | and pipes', 'first']);
    const rows = (await store.listErrors(NAME, { limit: 1 })).items;
    expect(rows[0]).toMatchObject({ phase: 'login', at: '2025-01-01T06:04:00.000Z', instance: NAME });
    // Nothing changed: nothing read again.
    expect((await importOnce()).errors).toBe(0);
    // Older rotations: .1 → .2, and a new .1.
    await rename(join(dir, `${ERRORS_FILE}.1`), join(dir, `${ERRORS_FILE}.2`));
    await rename(join(dir, ERRORS_FILE), join(dir, `${ERRORS_FILE}.1`));
    await writeFile(join(dir, ERRORS_FILE), errLine(5, 'fifth'));
    await importOnce();
    expect(await allErrors()).toEqual(['fifth', 'fourth', 'third', 'second: with spaces | and pipes', 'first']);
  });

  it("stores texts with the secrets of today's configs hidden (an old line written before a password changed hands)", async () => {
    const secret = 'Old-Passw0rd-still-valid';
    await writeFile(join(dir, ERRORS_FILE), errLine(1, `login refused for ${secret} (${encodeURIComponent(secret)})`));
    await writeFile(join(dir, RUNS_FILE), run(1, { outcome: 'failed', error: `bad password ${secret}` }));
    const s = await importInstanceData({ store, dataDir: dirs.dataDir, instances: [NAME], logger: captureLogger().logger, redact: makeRedactor([secret]) });
    expect(s.errors).toBe(1);
    expect(await allErrors()).toEqual(['login refused for [REDACTED] ([REDACTED])']);
    expect((await allRuns())[0]?.error).toBe('bad password [REDACTED]');
  });

  it('skips lines that are not error lines', async () => {
    await writeFile(join(dir, ERRORS_FILE), `garbage\n${errLine(1, 'ok')}`);
    const s = await importOnce();
    expect(s.errors).toBe(1);
    expect(s.skipped).toBe(1);
  });
});

describe('events.json', () => {
  const ev = (ref: string, title: string) => ({
    reference: ref,
    ecalId: `e-${ref}`,
    title,
    start: '2025-01-06T08:00:00+01:00',
    end: '2025-01-06T10:00:00+01:00',
    lastChange: '2025-01-01T06:00:00Z',
  });
  const events = async () => (await store.listEvents(NAME, { limit: 100 })).items;

  it('replaces the instance events when the file changed, and only then', async () => {
    await writeFile(join(dir, EVENTS_FILE), JSON.stringify([ev('r1', 'Maths'), ev('r2', 'Physics')]));
    expect((await importOnce()).events).toBe(1);
    expect((await events()).map((e) => e.title).sort()).toEqual(['Maths', 'Physics']);
    expect((await importOnce()).events).toBe(0);
    await writeFile(join(dir, EVENTS_FILE), JSON.stringify([ev('r2', 'Physics II')]));
    expect((await importOnce()).events).toBe(1);
    expect(await events()).toEqual([expect.objectContaining({ reference: 'r2', title: 'Physics II', ecalId: 'e-r2', instance: NAME })]);
  });

  it('keeps the previous events for a broken file, and warns once', async () => {
    await writeFile(join(dir, EVENTS_FILE), JSON.stringify([ev('r1', 'Maths')]));
    await importOnce();
    await writeFile(join(dir, EVENTS_FILE), '{"not": "a list"}');
    const first = captureLogger();
    await importOnce(first.logger);
    const second = captureLogger();
    await importOnce(second.logger);
    expect(first.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(second.lines.filter((l) => l.level === 'warn')).toHaveLength(0);
    expect((await events()).map((e) => e.title)).toEqual(['Maths']);
  });
});

describe('instances and the periodic importer', () => {
  it('lists instance directories with valid names only', async () => {
    await mkdir(join(dirs.dataDir, '.supervisor'));
    await mkdir(join(dirs.dataDir, 'Bad Name'));
    await mkdir(join(dirs.dataDir, 'bob'));
    await writeFile(join(dirs.dataDir, 'campus-sync-notadir'), '');
    expect(await instancesInDataDir(dirs.dataDir)).toEqual(['alice', 'bob']);
    expect(await instancesInDataDir(join(dirs.root, 'missing'))).toEqual([]);
  });

  it('imports at start, then on its interval, never two passes at once, and stops cleanly', async () => {
    await writeFile(join(dir, RUNS_FILE), run(1));
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const clock = fakeClock();
    const importer = startImporter({
      store,
      dataDir: dirs.dataDir,
      logger: captureLogger().logger,
      intervalMs: 20,
      clock,
      instances: async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        // A turn of the event loop inside the pass: a second pass allowed to start would be seen here.
        await new Promise((r) => setImmediate(r));
        active--;
        return [NAME];
      },
    });
    await Promise.all([importer.runNow(), importer.runNow(), importer.runNow()]);
    expect(await allRuns()).toHaveLength(1);
    await appendFile(join(dir, RUNS_FILE), run(2));
    const beforeTick = calls;
    await clock.tickAsync(20);
    expect(calls).toBe(beforeTick + 1);
    await expect.poll(async () => (await allRuns()).length, { timeout: 5_000 }).toBe(2);
    await importer.stop();
    const after = calls;
    expect(clock.pendingTimers()).toBe(0);
    await clock.tickAsync(1_000);
    expect(calls).toBe(after);
    expect(maxActive).toBe(1);
  });

  it('goes on with the next instance when one fails', async () => {
    const { logger, lines } = captureLogger();
    await writeFile(join(dir, RUNS_FILE), run(1));
    // A directory where a file is expected: reading it fails for this instance only.
    await mkdir(join(dirs.dataDir, 'bob', EVENTS_FILE), { recursive: true });
    const s = await importInstanceData({ store, dataDir: dirs.dataDir, instances: ['bob', NAME], logger });
    expect(s.runs).toBe(1);
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('data/bob'))).toBe(true);
  });
});
