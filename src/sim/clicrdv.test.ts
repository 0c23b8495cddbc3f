import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { startClicrdvSim, type ClicrdvSim } from './clicrdv.js';
import { expectAnswerAfter } from './latency.test-helper.js';

const KEY = 'test-apikey';

function v2Url(sim: ClicrdvSim, params: Record<string, string>): string {
  return `${sim.url}/api/v2/availabletimeslots?${new URLSearchParams(params).toString()}`;
}

async function get(url: string): Promise<{ status: number; json: any; type: string | null }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, type: res.headers.get('content-type') };
}

const base = { group_id: '4242', 'appointments[0][intervention_id]': '77', apikey: KEY };

describe('ClicRDV simulator, v2 availabletimeslots', () => {
  let sim: ClicrdvSim;
  beforeAll(async () => {
    sim = await startClicrdvSim({
      groupId: 4242,
      now: () => new Date('2025-05-26T06:00:00Z'),
      slots: [{ start: '2025-05-27 09:15:00', slot: 2, capacity: 1 }, { start: '2025-05-26 09:00:00', slot: 1, capacity: 2 }, { start: '2025-05-28 14:00:00' }],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  it('answers the slots from the `from` day on, several days in one answer, with start, slot and capacity, in the shape of the reference', async () => {
    const r = await get(v2Url(sim, { ...base, promotions: '0', time_format: 'datetime', from: '2025-05-27' }));
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.json).toEqual({
      availabletimeslots: [
        { start: '2025-05-27 09:15:00', slot: 2, capacity: 1 },
        { start: '2025-05-28 14:00:00', slot: expect.any(Number), capacity: 1 },
      ],
    });
  });

  it('defaults slot ids and capacity 1 for slots given without them', async () => {
    const r = await get(v2Url(sim, { ...base, from: '2025-05-28' }));
    expect(r.json.availabletimeslots).toHaveLength(1);
    expect(r.json.availabletimeslots[0]).toMatchObject({ start: '2025-05-28 14:00:00', capacity: 1 });
    expect(typeof r.json.availabletimeslots[0].slot).toBe('number');
  });

  it('answers an empty list on a day without slots', async () => {
    const r = await get(v2Url(sim, { ...base, from: '2025-06-01' }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ availabletimeslots: [] });
  });

  it('starts from today (practice time) when `from` is absent: one request sees the coming days', async () => {
    const r = await get(v2Url(sim, base));
    expect(r.json.availabletimeslots.map((s: any) => s.start)).toEqual(['2025-05-26 09:00:00', '2025-05-27 09:15:00', '2025-05-28 14:00:00']);
  });

  it('covers 30 days by default: a slot on day 31 needs another request', async () => {
    sim.setSlots([{ start: '2025-06-24 10:00:00' }, { start: '2025-06-25 10:00:00' }]);
    try {
      const r = await get(v2Url(sim, base));
      expect(r.json.availabletimeslots.map((s: any) => s.start)).toEqual(['2025-06-24 10:00:00']);
    } finally {
      sim.setSlots([
        { start: '2025-05-27 09:15:00', slot: 2, capacity: 1 },
        { start: '2025-05-26 09:00:00', slot: 1, capacity: 2 },
        { start: '2025-05-28 14:00:00' },
      ]);
    }
  });

  it('refuses a wrong or missing apikey with 403 and a JSON error', async () => {
    for (const params of [
      { ...base, apikey: 'nope' },
      { group_id: '4242', 'appointments[0][intervention_id]': '77' },
    ]) {
      const r = await get(v2Url(sim, params));
      expect(r.status).toBe(403);
      expect(r.type).toMatch(/^application\/json/);
      expect(typeof r.json.error).toBe('string');
    }
  });

  it('answers 400 with details when group_id or the intervention is missing or malformed', async () => {
    const noGroup = await get(v2Url(sim, { 'appointments[0][intervention_id]': '77', apikey: KEY }));
    expect(noGroup.status).toBe(400);
    expect(noGroup.json.details).toMatch(/group_id/);
    const noIntervention = await get(v2Url(sim, { group_id: '4242', apikey: KEY }));
    expect(noIntervention.status).toBe(400);
    expect(noIntervention.json.details).toMatch(/intervention_id/);
    const badFrom = await get(v2Url(sim, { ...base, from: '2025-13-01' }));
    expect(badFrom.status).toBe(400);
    expect(badFrom.json.details).toMatch(/from/);
  });

  it('answers 404 for another group than the configured one, 405 for other methods', async () => {
    expect((await get(v2Url(sim, { ...base, group_id: '1' }))).status).toBe(404);
    const post = await fetch(v2Url(sim, base), { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('logs each request with its decoded query and lower-case headers', async () => {
    await fetch(v2Url(sim, { ...base, from: '2025-05-27' }), { headers: { 'X-Probe': 'yes' } });
    expect(sim.requests).toHaveLength(1);
    const [req] = sim.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/api/v2/availabletimeslots', status: 200 });
    expect(req?.query['appointments[0][intervention_id]']).toBe('77');
    expect(req?.query.from).toBe('2025-05-27');
    expect(req?.headers['x-probe']).toBe('yes');
  });

  it('serves slots changed with setSlots', async () => {
    sim.setSlots([{ start: '2025-07-01 10:00:00', slot: 9, capacity: 3 }]);
    const r = await get(v2Url(sim, { ...base, from: '2025-07-01' }));
    expect(r.json.availabletimeslots).toEqual([{ start: '2025-07-01 10:00:00', slot: 9, capacity: 3 }]);
    expect(() => sim.setSlots([{ start: '2025-07-01T10:00:00' }])).toThrow(/YYYY-MM-DD HH:MM:SS/);
  });
});

describe('ClicRDV simulator, window and concurrency', () => {
  it('covers [from, from + daysPerAnswer) in one answer', async () => {
    const sim = await startClicrdvSim({
      daysPerAnswer: 3,
      slots: ['2025-05-25', '2025-05-26', '2025-05-27', '2025-05-28', '2025-05-29'].map((d, i) => ({ start: `${d} 10:00:00`, slot: i })),
    });
    try {
      const r = await get(v2Url(sim, { ...base, from: '2025-05-26' }));
      expect(r.json.availabletimeslots.map((s: any) => s.start.slice(0, 10))).toEqual(['2025-05-26', '2025-05-27', '2025-05-28']);
    } finally {
      await sim.close();
    }
  });

  it('reports the highest number of requests in flight at once, latency included', async () => {
    const sim = await startClicrdvSim({ latencyMs: 80 });
    try {
      await Promise.all([1, 2, 3].map(() => fetch(v2Url(sim, base)).then((r) => r.text())));
      expect(sim.maxConcurrent()).toBe(3);
      sim.resetLog();
      for (let i = 0; i < 3; i++) await (await fetch(v2Url(sim, base))).text();
      expect(sim.maxConcurrent()).toBe(1);
      expect(sim.requests).toHaveLength(3);
    } finally {
      await sim.close();
    }
  });

  it('delays answers by the latency set on a running simulator', async () => {
    const clock = fakeClock();
    const sim = await startClicrdvSim({ clock });
    try {
      sim.setLatency(150);
      const status = await expectAnswerAfter(clock, 150, async () => (await fetch(v2Url(sim, base))).status);
      expect(status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});

describe('ClicRDV simulator, documented v1', () => {
  let sim: ClicrdvSim;
  beforeAll(async () => {
    sim = await startClicrdvSim({
      apikey: 'k1',
      slots: [{ start: '2025-05-26 09:00:00', capacity: 1, calendarIds: [5] }, { start: '2025-05-30 09:00:00' }, { start: '2025-06-05 09:00:00' }],
    });
  });
  afterAll(() => sim.close());

  const v1 = (group: string, params: [string, string][]): string =>
    `${sim.url}/api/v1/groups/${group}/availabletimeslots.json?${new URLSearchParams(params).toString()}`;

  it('defaults the window to start + 7 days and answers the documented envelope', async () => {
    const r = await get(
      v1('12', [
        ['intervention_ids[]', '3'],
        ['intervention_ids[]', '4'],
        ['start', '2025-05-26'],
        ['apikey', 'k1'],
      ]),
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ group_id: 12, firstSlot: '2025-05-26 09:00:00', intervention_ids: [3, 4] });
    expect(r.json.availabletimeslots).toEqual([
      { start: '2025-05-26 09:00:00', capacity: 1, calendar_ids: [5] },
      { start: '2025-05-30 09:00:00', capacity: 1, calendar_ids: [1] },
    ]);
  });

  it('honours end (through that day) and nDays', async () => {
    const byEnd = await get(
      v1('12', [
        ['intervention_ids[]', '3'],
        ['start', '2025-05-27'],
        ['end', '2025-06-05'],
        ['apikey', 'k1'],
      ]),
    );
    expect(byEnd.json.availabletimeslots.map((s: any) => s.start)).toEqual(['2025-05-30 09:00:00', '2025-06-05 09:00:00']);
    expect(byEnd.json.firstSlot).toBe('2025-05-30 09:00:00');
    const byDays = await get(
      v1('12', [
        ['intervention_ids[]', '3'],
        ['start', '2025-05-26'],
        ['nDays', '1'],
        ['apikey', 'k1'],
      ]),
    );
    expect(byDays.json.availabletimeslots).toHaveLength(1);
  });

  it('answers 403 without the key and 400 without intervention ids', async () => {
    expect((await get(v1('12', [['intervention_ids[]', '3']]))).status).toBe(403);
    const r = await get(v1('12', [['apikey', 'k1']]));
    expect(r.status).toBe(400);
    expect(r.json.details).toMatch(/intervention_ids/);
  });
});
