import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, TransientError } from '../../lib/index.js';
import { startCalcomSim, type CalcomSim } from '../../sim/index.js';
import { slotWatcherSchema, type CalcomWatcherConfig } from '../../config/index.js';
import { createSlotWatcher } from '../watcher.js';
import { createCalcomProvider } from './calcom.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';

const API_KEY = 'cal_live_simkey';
const TOKEN = 'cal_bearer_simtoken';
const EVENT = 2283473;
// Thursday 2 May 2030, 10:00 in Paris.
const NOW = new Date('2030-05-02T08:00:00Z');

let sim: CalcomSim;
let dir = '';
beforeAll(async () => {
  sim = await startCalcomSim({ apiKey: API_KEY, token: TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'slots-calcom-sim-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sim.resetLog();
  sim.rateLimitNext(0);
  sim.setSlots([
    { eventTypeId: EVENT, start: '2030-05-02T07:00:00Z' }, // before now
    { eventTypeId: EVENT, start: '2030-05-03T07:00:00Z' },
    { eventTypeId: EVENT, start: '2030-05-15T21:45:00Z' }, // 23:45 on the 15th in Paris: last day of 14
    { eventTypeId: EVENT, start: '2030-05-16T08:00:00Z' }, // day 15: outside
    { eventTypeId: 999, start: '2030-05-04T08:00:00Z' }, // another event type
  ]);
});

const config = (extra: object): CalcomWatcherConfig =>
  slotWatcherSchema.parse({ name: 'appel', provider: 'calcom', eventTypeId: EVENT, url: sim.url, ...extra }) as CalcomWatcherConfig;
const expected = [
  ['2030-05-03T09:00:00+02:00', 'ven. 3 mai 09:00'],
  ['2030-05-15T23:45:00+02:00', 'mer. 15 mai 23:45'],
];

describe('Cal.com provider against the simulator', () => {
  it('serves a config written for v1 (apiKey, apiVersion v1) through v2: v1 answers 410 and is never called', async () => {
    for (const extra of [{ apiKey: API_KEY }, { apiKey: API_KEY, apiVersion: 'v1' }]) {
      sim.resetLog();
      const { slots, requests } = await createCalcomProvider(config(extra), { timezone: 'Europe/Paris' }).check(NOW);
      expect(requests).toBe(1);
      expect(sim.requests.map((r) => [r.path, r.status])).toEqual([['/v2/slots', 200]]);
      expect(slots.map((s) => [s.start, s.label])).toEqual(expected);
    }
  });

  it('reads v2 slots with a bearer token', async () => {
    const { slots } = await createCalcomProvider(config({ token: TOKEN }), { timezone: 'Europe/Paris' }).check(NOW);
    expect(sim.requests[0]?.path).toBe('/v2/slots');
    expect(slots.map((s) => [s.start, s.label])).toEqual(expected);
  });

  it('gives the same ids with an API key and with a token, whatever the zone', async () => {
    const key = await createCalcomProvider(config({ apiKey: API_KEY }), { timezone: 'Europe/Paris' }).check(NOW);
    const token = await createCalcomProvider(config({ token: TOKEN, rangeDays: 15 }), { timezone: 'America/Montreal' }).check(NOW);
    expect(token.slots.map((s) => s.id).slice(0, 2)).toEqual(key.slots.map((s) => s.id));
  });

  it('a watcher west of UTC keeps the last evening of its window (v2 reads bare dates as UTC days)', async () => {
    // 21:00 on 2 May in Los Angeles is 04:00 UTC on the 3rd: outside the UTC day "2030-05-02".
    sim.setSlots([{ eventTypeId: EVENT, start: '2030-05-02T21:00:00-07:00' }]);
    const { slots } = await createCalcomProvider(config({ token: TOKEN, rangeDays: 1 }), { timezone: 'America/Los_Angeles' }).check(NOW);
    expect(slots.map((s) => s.start)).toEqual(['2030-05-02T21:00:00-07:00']);
  });

  it('reports refused credentials as AuthError, for both versions', async () => {
    for (const extra of [{ apiKey: 'cal_live_wrong' }, { token: 'wrong-token' }, {}]) {
      const err = await createCalcomProvider(config(extra), { timezone: 'Europe/Paris' })
        .check(NOW)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as Error).message).toMatch(/^Cal\.com refused the API key \(401/);
      expect((err as Error).message).not.toMatch(/wrong/);
    }
  });

  it('waits until X-RateLimit-Reset-Default after a 429 without Retry-After, then succeeds', async () => {
    sim.rateLimitNext(1, 2);
    const waits: number[] = [];
    const provider = createCalcomProvider(config({ token: TOKEN }), {
      timezone: 'Europe/Paris',
      retry: { sleep: async (ms) => void waits.push(ms) },
    });
    const { slots, requests } = await provider.check(NOW);
    expect(requests).toBe(2);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(waits).toHaveLength(1);
    // The sim gives an epoch second about 2 s ahead (rounded up).
    expect(waits[0]).toBeGreaterThan(500);
    expect(waits[0]).toBeLessThanOrEqual(3_000);
    expect(slots).toHaveLength(2);
  });

  it('gives up after the bounded attempts when the limit persists, waiting at most 60 s each time', async () => {
    sim.rateLimitNext(100, 3_600);
    const waits: number[] = [];
    const provider = createCalcomProvider(config({ apiKey: API_KEY }), {
      timezone: 'Europe/Paris',
      retry: { attempts: 3, sleep: async (ms) => void waits.push(ms) },
    });
    const err = await provider.check(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(429);
    expect(waits).toEqual([60_000, 60_000]);
    expect(sim.requests).toHaveLength(3);
  });
});

describe('slot watcher against the Cal.com simulator', () => {
  it('baselines, alerts the new slot once, and again after it comes back much later', async () => {
    const clock = fakeClock(NOW);
    const watcher = createSlotWatcher({
      config: config({ token: TOKEN, realertAfter: '6h', filter: { hours: { from: '08:00', to: '20:00' } } }),
      stateFile: join(dir, 'appel.json'),
      clock,
      timezone: 'Europe/Paris',
    });
    const first = await watcher.check();
    expect(first.baseline).toBe(true);
    // The 23:45 slot is outside the hours filter.
    expect(first.all.map((s) => s.start)).toEqual(['2030-05-03T09:00:00+02:00']);

    clock.advance(5 * 60_000);
    sim.setSlots([
      { eventTypeId: EVENT, start: '2030-05-03T07:00:00Z' },
      { eventTypeId: EVENT, start: '2030-05-06T12:30:00Z' },
    ]);
    const second = await watcher.check();
    expect(second.fresh.map((s) => s.label)).toEqual(['lun. 6 mai 14:30']);
    await second.commit();

    clock.advance(5 * 60_000);
    sim.setSlots([{ eventTypeId: EVENT, start: '2030-05-06T12:30:00Z' }]);
    expect((await watcher.check()).fresh).toEqual([]);

    clock.advance(7 * 3_600_000);
    sim.setSlots([
      { eventTypeId: EVENT, start: '2030-05-03T07:00:00Z' },
      { eventTypeId: EVENT, start: '2030-05-06T12:30:00Z' },
    ]);
    const back = await watcher.check();
    expect(back.fresh.map((s) => s.label)).toEqual(['ven. 3 mai 09:00']);
  });
});
