import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { OUTBOX_DELIVERIES_DIR, OUTBOX_DISABLED_FILE, OUTBOX_FAILED_DIR } from '../instance/index.js';
import { createOutboxFiles, type DeliveryRecord } from './outbox-files.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'campus-sync-outbox-files-'));
  dirs.push(d);
  return d;
}

const rec = (seq: number): DeliveryRecord => ({
  v: 1,
  seq,
  channel: 'team',
  alert: { id: `a${seq}`, kind: 'sync.failed', severity: 'warning', instance: 'alice', title: `t${seq}`, text: 'x', at: '2025-06-01T10:00:00.000Z' },
  enqueuedAt: '2025-06-01T10:00:00.000Z',
  attempts: 0,
});

describe('createOutboxFiles', () => {
  it('loads deliveries in queue order and moves an unreadable one to failed/', async () => {
    const dir = await tmp();
    const deliveries = join(dir, OUTBOX_DELIVERIES_DIR);
    await mkdir(deliveries, { recursive: true });
    await writeFile(join(deliveries, 'b.json'), JSON.stringify(rec(2)));
    await writeFile(join(deliveries, 'a.json'), JSON.stringify(rec(1)));
    await writeFile(join(deliveries, 'c.json'), '{"v":1,');
    const files = createOutboxFiles({ dir, clock: fakeClock(), logger: silentLogger });
    expect((await files.loadAll()).map((l) => l.rec.seq)).toEqual([1, 2]);
    expect(await readdir(join(dir, OUTBOX_FAILED_DIR))).toEqual(['c.json.corrupt']);
  });

  it('gives up deliveries into failed/ with why and when, and journals it', async () => {
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T11:00:00Z');
    const journalFile = join(dir, 'alerts.jsonl');
    const files = createOutboxFiles({ dir, clock, logger: silentLogger, journalFile });
    await mkdir(files.deliveriesDir, { recursive: true });
    const l = { file: join(files.deliveriesDir, 'a.json'), rec: rec(1) };
    await files.persist(l);
    await files.moveToFailed([l], 'gave up: 503');
    expect(await files.loadAll()).toEqual([]);
    const [failed] = await readdir(join(dir, OUTBOX_FAILED_DIR));
    expect(JSON.parse(await readFile(join(dir, OUTBOX_FAILED_DIR, failed!), 'utf8'))).toMatchObject({
      failedAt: '2025-06-01T11:00:00.000Z',
      failedReason: 'gave up: 503',
    });
    expect(JSON.parse(await readFile(journalFile, 'utf8'))).toMatchObject({
      alertId: 'a1',
      lastError: 'gave up: 503',
      deliveredAt: null,
      at: '2025-06-01T11:00:00.000Z',
    });
  });

  it('reads an unreadable disabled.json as no disabled channel', async () => {
    const dir = await tmp();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, OUTBOX_DISABLED_FILE), 'not json');
    const files = createOutboxFiles({ dir, clock: fakeClock(), logger: silentLogger });
    expect(await files.readDisabled()).toEqual({});
    await files.saveDisabled({ team: { reason: '401', at: '2025-06-01T10:00:00.000Z' } });
    expect(await files.readDisabled()).toEqual({ team: { reason: '401', at: '2025-06-01T10:00:00.000Z' } });
  });
});
