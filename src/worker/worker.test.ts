import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../config/index.js';
import { silentLogger } from '../lib/index.js';
import { startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { LOCK_FILE } from './lock.js';
import { startWorker, WORKER_STATUS_FILE, WORKER_TRANSITIONS, type WorkerState } from './worker.js';

describe('worker states', () => {
  it('only stop from any live state, and stopped is final', () => {
    const states = Object.keys(WORKER_TRANSITIONS) as WorkerState[];
    for (const s of states) if (s !== 'stopping' && s !== 'stopped') expect(WORKER_TRANSITIONS[s]).toContain('stopping');
    expect(WORKER_TRANSITIONS.stopped).toEqual([]);
    // A run can never start while another runs: no running → running.
    expect(WORKER_TRANSITIONS.running).not.toContain('running');
  });
});

describe('a worker whose runs the lock refuses', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  beforeAll(async () => {
    mc = await startMonCampusSim({
      users: { zoe: 'zoe-password' },
      courses: [{ id: 1, title: 'G1 Cours', comment: 'Cours', start: '2025-05-05T08:30', end: '2025-05-05T10:00', room: 'A1' }],
    });
    ecal = await startEcalSim({ keys: { k: 's' }, calendars: ['c'.repeat(24)] });
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  it('says so in worker.json and errors.log, and takes runs again once the lock is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-worker-'));
    const config: InstanceConfig = {
      name: 'zoe',
      file: '/dev/null',
      timezone: 'Europe/Paris',
      schedule: '0 0 1 1 *',
      runOnStart: false,
      moncampus: { url: mc.url, casUrl: mc.casUrl, username: 'zoe', password: 'zoe-password', window: { from: '2025-05-01', to: '2025-05-31' } },
      ics: { enabled: true },
      locale: 'fr',
      changes: { horizonDays: 7 },
      slots: [],
      notify: [],
      booking: [],
      legacy: false,
      warnings: [],
      secrets: ['zoe-password'],
    };
    // Held by a run in another container, refreshed just now: live.
    const lock = {
      v: 2,
      instance: 'zoe',
      pid: 1,
      host: 'other',
      bootId: 'b',
      container: 'c'.repeat(64),
      pidNs: 'pid:[1]',
      startTicks: '1',
      at: new Date().toISOString(),
    };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(lock));
    const worker = startWorker({ config, dir, logger: silentLogger });
    try {
      expect(await worker.trigger('test')).toBeNull();
      await expect
        .poll(async () => JSON.parse(await readFile(join(dir, WORKER_STATUS_FILE), 'utf8')) as unknown)
        .toMatchObject({
          state: 'idle',
          runRefused: { reason: expect.stringMatching(/^zoe: a run is already in progress \(pid 1, held in other, refreshed \d+ s ago\)$/) as unknown },
        });
      expect(await readFile(join(dir, 'errors.log'), 'utf8')).toMatch(/ state \[run\.refused\] synchronisation refusée : zoe: a run is already in progress/);
      await rm(join(dir, LOCK_FILE));
      expect((await worker.trigger('test'))?.record.outcome).toBe('success');
      await expect.poll(async () => (JSON.parse(await readFile(join(dir, WORKER_STATUS_FILE), 'utf8')) as { runRefused?: unknown }).runRefused).toBeUndefined();
    } finally {
      await worker.stop();
    }
  });
});
