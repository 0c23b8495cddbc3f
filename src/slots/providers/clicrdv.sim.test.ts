import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../lib/index.js';
import { startClicrdvSim, type ClicrdvSim } from '../../sim/index.js';
import { slotWatcherSchema, type ClicrdvWatcherConfig } from '../../config/index.js';
import { createSlotWatcher } from '../watcher.js';
import { createClicrdvProvider } from './clicrdv.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';

const KEY = 'sim-apikey-0042';
// Thursday 2 May 2030, 10:00 in Paris.
const NOW = new Date('2030-05-02T08:00:00Z');
const noSleep = { sleep: async () => {} };

let sim: ClicrdvSim;
let dir = '';
beforeAll(async () => {
  sim = await startClicrdvSim({ apikey: KEY, latencyMs: 10 });
  dir = await mkdtemp(join(tmpdir(), 'slots-clicrdv-sim-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sim.resetLog();
  sim.setSlots([]);
});

const url = (key = KEY, from = '{date}'): string =>
  `${sim.url}/api/v2/availabletimeslots?group_id=124718&promotions=0&time_format=datetime&appointments[0][intervention_id]=2422111&from=${from}&apikey=${key}`;
const config = (extra: object = {}, u = url()): ClicrdvWatcherConfig =>
  slotWatcherSchema.parse({ name: 'consulat', provider: 'clicrdv', url: u, ...extra }) as ClicrdvWatcherConfig;

describe('ClicRDV provider against the simulator', () => {
  it('scans 35 days, at most `concurrency` at once, and finds every slot in range', async () => {
    sim.setSlots([
      { start: '2030-05-02 09:00:00', slot: 1 }, // earlier today: gone
      { start: '2030-05-02 14:30:00', slot: 2 },
      { start: '2030-05-20 09:15:00', slot: 3, capacity: 2 },
      { start: '2030-06-05 16:00:00', slot: 4 }, // day 35
      { start: '2030-06-06 08:00:00', slot: 5 }, // day 36: outside
    ]);
    const provider = createClicrdvProvider(config({ daysAhead: 35, concurrency: 4 }), { timezone: 'Europe/Paris', retry: noSleep });
    const { slots, requests } = await provider.check(NOW);
    expect(requests).toBe(35);
    expect(sim.requests).toHaveLength(35);
    expect(sim.requests.every((r) => r.status === 200)).toBe(true);
    expect(sim.maxConcurrent()).toBeLessThanOrEqual(4);
    expect(sim.maxConcurrent()).toBeGreaterThan(1);
    expect(slots.map((s) => [s.start, s.label])).toEqual([
      ['2030-05-02T14:30:00+02:00', 'jeu. 2 mai 14:30'],
      ['2030-05-20T09:15:00+02:00', 'lun. 20 mai 09:15'],
      ['2030-06-05T16:00:00+02:00', 'mer. 5 juin 16:00'],
    ]);
  });

  it('does not repeat slots when each answer covers several days', async () => {
    const wide = await startClicrdvSim({ apikey: KEY, daysPerAnswer: 7 });
    try {
      wide.setSlots([{ start: '2030-05-04 10:00:00', slot: 9 }]);
      const u = `${wide.url}/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${KEY}`;
      const provider = createClicrdvProvider(config({ daysAhead: 5 }, u), { timezone: 'Europe/Paris', retry: noSleep });
      const { slots } = await provider.check(NOW);
      expect(slots.map((s) => s.id)).toEqual(['clicrdv:2030-05-04T08:00:00Z:9']);
    } finally {
      await wide.close();
    }
  });

  it('the documented form (no {date}, no from): ONE request sees the coming days; slots beyond daysAhead are not kept', async () => {
    // Without `from` the practice answers from its own today: the simulator's clock is the test's.
    const practice = await startClicrdvSim({ apikey: KEY, now: () => NOW });
    try {
      practice.setSlots([
        { start: '2030-05-02 09:00:00', slot: 1 }, // earlier today: gone
        { start: '2030-05-03 11:00:00', slot: 7 },
        { start: '2030-05-16 08:30:00', slot: 8 }, // day 15
        { start: '2030-05-17 08:30:00', slot: 9 }, // day 16: beyond daysAhead 15
      ]);
      const single = `${practice.url}/api/v2/availabletimeslots?group_id=124718&appointments[0][intervention_id]=2422111&apikey=${KEY}`;
      const provider = createClicrdvProvider(config({ daysAhead: 15 }, single), { timezone: 'Europe/Paris', retry: noSleep });
      const { slots, requests } = await provider.check(NOW);
      expect(requests).toBe(1);
      expect(practice.requests.map((r) => r.query.from)).toEqual([undefined]);
      expect(slots.map((s) => s.label)).toEqual(['ven. 3 mai 11:00', 'jeu. 16 mai 08:30']);
    } finally {
      await practice.close();
    }
  });

  it('a URL with a fixed from is asked once, as written', async () => {
    sim.setSlots([{ start: '2030-05-03 11:00:00', slot: 7 }]);
    const provider = createClicrdvProvider(config({}, url(KEY, '2030-05-03')), { timezone: 'Europe/Paris', retry: noSleep });
    const { slots, requests } = await provider.check(NOW);
    expect(requests).toBe(1);
    expect(sim.requests[0]?.query.from).toBe('2030-05-03');
    expect(slots).toHaveLength(1);
  });

  it('reports a wrong key as an AuthError without printing it', async () => {
    const provider = createClicrdvProvider(config({ daysAhead: 10 }, url('wrong-key-9999')), { timezone: 'Europe/Paris', retry: noSleep });
    const err = await provider.check(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/^ClicRDV refused the API key \(403/);
    expect((err as Error).message).not.toContain('wrong-key-9999');
  });
});

describe('slot watcher against the ClicRDV simulator', () => {
  it('baselines, then alerts exactly the slot that appeared', async () => {
    sim.setSlots([{ start: '2030-05-10 09:00:00', slot: 1 }]);
    const clock = fakeClock(NOW);
    const watcher = createSlotWatcher({
      config: config({ daysAhead: 14, bookingUrl: 'https://user.clicrdv.com/consulat' }),
      stateFile: join(dir, 'consulat.json'),
      clock,
      timezone: 'Europe/Paris',
      retry: noSleep,
    });
    const first = await watcher.check();
    expect(first).toMatchObject({ baseline: true, fresh: [], requests: 14 });
    expect(first.all).toHaveLength(1);

    clock.advance(5 * 60_000);
    sim.setSlots([
      { start: '2030-05-10 09:00:00', slot: 1 },
      { start: '2030-05-07 15:45:00', slot: 2 },
    ]);
    const second = await watcher.check();
    expect(second.fresh).toEqual([
      { id: 'clicrdv:2030-05-07T13:45:00Z:2', start: '2030-05-07T15:45:00+02:00', label: 'mar. 7 mai 15:45', bookingUrl: 'https://user.clicrdv.com/consulat' },
    ]);
    await second.commit();
    clock.advance(5 * 60_000);
    expect((await watcher.check()).fresh).toEqual([]);
  });
});
