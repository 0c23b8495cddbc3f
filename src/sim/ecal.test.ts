import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { ecalSignature, startEcalSim, type EcalSim, type EcalSimEvent } from './ecal.js';
import { expectAnswerAfter } from './latency.test-helper.js';

/* A signer written from the reference text alone: md5(SECRET + k1v1k2v2... sorted by key + RAW_BODY). */
function sign(secret: string, params: Record<string, string>, body = ''): string {
  const keys = Object.keys(params).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('md5')
    .update(secret + keys.map((k) => k + params[k]).join('') + body)
    .digest('hex');
}

const KEY = 'test-key';
const SECRET = 'test-secret';
const CAL = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const CAL2 = 'bbbbbbbbbbbbbbbbbbbbbbbb';

interface Call {
  status: number;
  text: string;
  // Loosely typed on purpose: each test asserts the shape it expects.
  json: any;
}

/* ASCII JSON as the reference's working clients send it (Python's ensure_ascii): non-ASCII as \uXXXX. */
const asciiJsonText = (body: unknown): string => JSON.stringify(body).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

async function call(
  sim: EcalSim,
  method: string,
  path: string,
  params: Record<string, string> = {},
  body?: unknown,
  opts: { secret?: string; key?: string; utf8?: boolean } = {},
): Promise<Call> {
  const raw = body === undefined ? '' : opts.utf8 ? JSON.stringify(body) : asciiJsonText(body);
  const signed = { ...params, apiKey: opts.key ?? KEY };
  const apiSign = sign(opts.secret ?? SECRET, signed, raw);
  const qs = new URLSearchParams({ ...signed, apiSign }).toString();
  const res = await fetch(`${sim.url}${path}?${qs}`, {
    method,
    redirect: 'manual',
    ...(body === undefined ? {} : { body: raw, headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const event = (over: Partial<EcalSimEvent> = {}): Omit<EcalSimEvent, 'id'> => ({
  calendarId: CAL,
  name: 'Administration BDD: SQL Server',
  location: 'B110-S(Bâtiment B)',
  startDate: '2025-10-06',
  endDate: '2025-10-06',
  startTime: '08:30',
  endTime: '10:00',
  timezone: 'Europe/Paris',
  reference: 'cs-demo-1',
  alert: '15M',
  draft: 0,
  ...over,
});

describe('ECAL simulator: signing', () => {
  let sim: EcalSim;
  beforeAll(async () => {
    sim = await startEcalSim({ keys: { [KEY]: SECRET, '123123123': 'API-SECRET' }, now: () => new Date('2025-09-01T10:00:00Z') });
  });
  afterAll(() => sim.close());

  it('reproduces the reference test vector, in our signer and in the simulator', () => {
    const params = { apiKey: '123123123', xxx: 'Orange', aaa: 'Green' };
    expect(sign('API-SECRET', params)).toBe('3683a3c00c16724dbe3f2efb1561bb13');
    expect(ecalSignature('API-SECRET', { ...params, apiSign: 'ignored' })).toBe('3683a3c00c16724dbe3f2efb1561bb13');
  });

  it('accepts the reference vector over HTTP (the extra params are signed like any other)', async () => {
    const res = await fetch(`${sim.url}/apiv2/calendar/?apiKey=123123123&xxx=Orange&aaa=Green&apiSign=3683a3c00c16724dbe3f2efb1561bb13`);
    expect(res.status).toBe(200);
  });

  it('answers 403 with the JSON envelope on a wrong signature, an unknown key or no signature', async () => {
    const wrong = await call(sim, 'GET', '/apiv2/calendar/', {}, undefined, { secret: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ status: '403' });
    expect(typeof wrong.json.statusLong).toBe('string');
    expect((await call(sim, 'GET', '/apiv2/calendar/', {}, undefined, { key: 'other' })).status).toBe(403);
    expect((await fetch(`${sim.url}/apiv2/calendar/?apiKey=${KEY}`)).status).toBe(403);
  });

  it('signs decoded values: commas and spaces are sent encoded but signed raw', async () => {
    const res = await call(sim, 'GET', '/apiv2/event/', { calendarIds: `${CAL},${CAL2}`, tz: 'Europe/Paris', type: 'a b' });
    expect(res.status).toBe(204);
  });

  it('signs the raw body of a POST: a changed body is refused', async () => {
    const raw = asciiJsonText(event());
    const params = { apiKey: KEY };
    const apiSign = sign(SECRET, params, raw);
    const tampered = raw.replace('08:30', '09:30');
    const res = await fetch(`${sim.url}/apiv2/event/?apiKey=${KEY}&apiSign=${apiSign}`, { method: 'POST', body: tampered });
    expect(res.status).toBe(403);
    const good = await fetch(`${sim.url}/apiv2/event/?apiKey=${KEY}&apiSign=${apiSign}`, { method: 'POST', body: raw });
    expect(good.status).toBe(200);
  });
});

describe('ECAL simulator: events', () => {
  let sim: EcalSim;
  let now = new Date('2025-09-01T10:00:00Z');
  beforeAll(async () => {
    sim = await startEcalSim({ calendars: [CAL, CAL2], now: () => now });
  });
  afterAll(() => sim.close());

  it('creates an event: envelope with string status, 24-hex id at data.id, no 201', async () => {
    const res = await call(sim, 'POST', '/apiv2/event/', {}, event());
    expect(res.status, res.text).toBe(200);
    expect(res.json.status).toBe('200');
    expect(res.json.statusLong).toBe('OK');
    expect(res.json.data.id).toMatch(/^[0-9a-f]{24}$/);
    expect(res.json.data).toMatchObject(event());
    const stored = sim.events().find((e) => e.id === res.json.data.id);
    expect(stored).toMatchObject(event());
    const one = await call(sim, 'GET', `/apiv2/event/${res.json.data.id}`);
    expect(one.status).toBe(200);
    expect(one.json.data).toEqual(stored);
  });

  it('refuses events missing a required field with 400', async () => {
    for (const missing of ['name', 'location', 'startDate', 'endDate', 'startTime', 'endTime'] as const) {
      const body: Record<string, unknown> = { ...event() };
      delete body[missing];
      const res = await call(sim, 'POST', '/apiv2/event/', {}, body);
      expect(res.status, missing).toBe(400);
      expect(res.json.status).toBe('400');
    }
    expect((await call(sim, 'POST', '/apiv2/event/', {}, { ...event(), startTime: '8h30' })).status).toBe(400);
    expect((await call(sim, 'POST', '/apiv2/event/', {}, { ...event(), startDate: '06/10/2025' })).status).toBe(400);
    const raw = '{not json';
    const bad = await fetch(`${sim.url}/apiv2/event/?apiKey=${KEY}&apiSign=${sign(SECRET, { apiKey: KEY }, raw)}`, { method: 'POST', body: raw });
    expect(bad.status).toBe(400);
  });

  it('accepts an all-day event without times', async () => {
    const body: Record<string, unknown> = { ...event({ allDay: 'yes', reference: 'allday' }) };
    delete body.startTime;
    delete body.endTime;
    expect((await call(sim, 'POST', '/apiv2/event/', {}, body)).status).toBe(200);
  });

  it('answers 404 for an unknown calendar, event id on GET/PUT/DELETE', async () => {
    expect((await call(sim, 'POST', '/apiv2/event/', {}, event({ calendarId: 'cccccccccccccccccccccccc' }))).status).toBe(404);
    const unknown = 'dddddddddddddddddddddddd';
    expect((await call(sim, 'GET', `/apiv2/event/${unknown}`)).status).toBe(404);
    expect((await call(sim, 'PUT', `/apiv2/event/${unknown}`, {}, event())).status).toBe(404);
    const del = await call(sim, 'DELETE', `/apiv2/event/${unknown}`);
    expect(del.status).toBe(404);
    expect(del.json.status).toBe('404');
  });

  it('updates with PUT and deletes with DELETE', async () => {
    const created = await call(sim, 'POST', '/apiv2/event/', {}, event({ reference: 'to-move' }));
    const id = created.json.data.id as string;
    const moved = await call(sim, 'PUT', `/apiv2/event/${id}`, {}, { ...event({ reference: 'to-move' }), startTime: '10:15', endTime: '12:15' });
    expect(moved.status).toBe(200);
    expect(moved.json.data).toMatchObject({ id, startTime: '10:15', endTime: '12:15' });
    expect(sim.events().find((e) => e.id === id)?.startTime).toBe('10:15');
    expect((await call(sim, 'PUT', `/apiv2/event/${id}`, {}, { ...event(), endTime: '07:00' })).status).toBe(400);
    const del = await call(sim, 'DELETE', `/apiv2/event/${id}`);
    expect(del.status).toBe(200);
    expect(del.json.status).toBe('200');
    expect(sim.events().some((e) => e.id === id)).toBe(false);
    expect((await call(sim, 'DELETE', `/apiv2/event/${id}`)).status).toBe(404);
  });

  it('lists the calendars and one calendar', async () => {
    const list = await call(sim, 'GET', '/apiv2/calendar/');
    expect(list.json.data.map((c: { id: string }) => c.id)).toEqual([CAL, CAL2]);
    expect((await call(sim, 'GET', `/apiv2/calendar/${CAL2}`)).json.data.id).toBe(CAL2);
    expect((await call(sim, 'GET', '/apiv2/calendar/cccccccccccccccccccccccc')).status).toBe(404);
  });

  it('logs requests with their parsed body', async () => {
    sim.resetLog();
    await call(sim, 'POST', '/apiv2/event/', {}, event({ reference: 'logged' }));
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/apiv2/event/', status: 200, body: { reference: 'logged' } });
    expect(sim.requests[0]!.query.apiKey).toBe(KEY);
  });

  it('hides past events unless showPastEvents=true ("past" = start date before today of now())', async () => {
    now = new Date('2026-03-10T12:00:00Z');
    try {
      const past = sim.addEvent(event({ startDate: '2026-03-09', endDate: '2026-03-09', reference: 'past' }));
      const today = sim.addEvent(event({ startDate: '2026-03-10', endDate: '2026-03-10', reference: 'today' }));
      const params = { calendarIds: CAL, startDate: '2026-03-01', endDate: '2026-03-31' };
      const hidden = await call(sim, 'GET', '/apiv2/event/', params);
      expect(hidden.json.data.map((e: EcalSimEvent) => e.id)).toEqual([today.id]);
      const shown = await call(sim, 'GET', '/apiv2/event/', { ...params, showPastEvents: 'true' });
      expect(shown.json.data.map((e: EcalSimEvent) => e.id)).toEqual([past.id, today.id]);
    } finally {
      now = new Date('2025-09-01T10:00:00Z');
    }
  });
});

describe('ECAL simulator: listing and paging', () => {
  let sim: EcalSim;
  beforeAll(async () => {
    sim = await startEcalSim({ calendars: [CAL, CAL2], now: () => new Date('2025-01-01T00:00:00Z') });
  });
  afterAll(() => sim.close());

  it('answers 204 with an empty body on page 1 of an empty calendar', async () => {
    const res = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL, page: '1' });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('pages by limit (default 100) until a 204, in start then id order', async () => {
    // 250 events over 125 days, two per day, added in reverse to prove the sort.
    const added: EcalSimEvent[] = [];
    for (let i = 249; i >= 0; i--) {
      const day = new Date(Date.UTC(2025, 1, 1) + Math.floor(i / 2) * 86_400_000).toISOString().slice(0, 10);
      added.push(
        sim.addEvent(event({ startDate: day, endDate: day, startTime: i % 2 ? '13:30' : '08:30', endTime: i % 2 ? '15:30' : '10:00', reference: `r${i}` })),
      );
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let page = 1;
    for (;;) {
      const res = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL, page: String(page) });
      if (res.status === 204) {
        expect(res.text).toBe('');
        break;
      }
      expect(res.status).toBe(200);
      sizes.push(res.json.data.length);
      seen.push(...res.json.data.map((e: EcalSimEvent) => e.reference));
      page += 1;
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `r${i}`));
    const small = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL, page: '3', limit: '7' });
    expect(small.json.data.map((e: EcalSimEvent) => e.reference)).toEqual(['r14', 'r15', 'r16', 'r17', 'r18', 'r19', 'r20']);
  });

  it('refuses limit > 100 and bad page numbers with 400', async () => {
    expect((await call(sim, 'GET', '/apiv2/event/', { limit: '101' })).status).toBe(400);
    expect((await call(sim, 'GET', '/apiv2/event/', { limit: '100' })).status).toBe(200);
    expect((await call(sim, 'GET', '/apiv2/event/', { page: '0' })).status).toBe(400);
    expect((await call(sim, 'GET', '/apiv2/event/', { startDate: '2025-13-01' })).status).toBe(400);
  });

  it('filters by calendarIds and by start date, both bounds inclusive', async () => {
    const other = sim.addEvent(event({ calendarId: CAL2, startDate: '2025-02-03', endDate: '2025-02-03', reference: 'other' }));
    const inRange = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL, startDate: '2025-02-02', endDate: '2025-02-03' });
    expect(inRange.json.data.map((e: EcalSimEvent) => e.reference)).toEqual(['r2', 'r3', 'r4', 'r5']);
    const cal2 = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL2 });
    expect(cal2.json.data.map((e: EcalSimEvent) => e.id)).toEqual([other.id]);
    const both = await call(sim, 'GET', '/apiv2/event/', { calendarIds: `${CAL},${CAL2}`, startDate: '2025-02-03', endDate: '2025-02-03' });
    expect(both.json.data.map((e: EcalSimEvent) => e.reference).sort()).toEqual(['other', 'r4', 'r5']);
    // An event starting before the window but ending inside it is out: the filter is on the start date.
    sim.addEvent(event({ startDate: '2025-01-31', endDate: '2025-02-02', reference: 'spanning' }));
    const spanning = await call(sim, 'GET', '/apiv2/event/', { calendarIds: CAL, startDate: '2025-02-01', endDate: '2025-02-01' });
    expect(spanning.json.data.map((e: EcalSimEvent) => e.reference)).toEqual(['r0', 'r1']);
  });
});

describe('ECAL simulator: ASCII bodies', () => {
  it('refuses a correctly signed raw UTF-8 body with 403, takes the same event \\u-escaped, and reads it back with its accents', async () => {
    const sim = await startEcalSim();
    const lax = await startEcalSim({ asciiBodies: false });
    try {
      const raw = await call(sim, 'POST', '/apiv2/event/', {}, event(), { utf8: true });
      expect(raw.status).toBe(403);
      expect(raw.json).toMatchObject({ status: '403' });
      expect(sim.events()).toHaveLength(0);
      const escaped = await call(sim, 'POST', '/apiv2/event/', {}, event());
      expect(escaped.status).toBe(200);
      expect(sim.events()[0]?.location).toBe('B110-S(Bâtiment B)');
      // A GET is never concerned, and the option turns the refusal off.
      expect((await call(sim, 'GET', '/apiv2/calendar/')).status).toBe(200);
      expect((await call(lax, 'POST', '/apiv2/event/', {}, event(), { utf8: true })).status).toBe(200);
    } finally {
      await sim.close();
      await lax.close();
    }
  });
});

describe('ECAL simulator: uniqueReferences option', () => {
  it('answers 409 for a second event with the same reference in a calendar only when asked to', async () => {
    const strict = await startEcalSim({ uniqueReferences: true, calendars: [CAL, CAL2] });
    const lax = await startEcalSim();
    try {
      expect((await call(strict, 'POST', '/apiv2/event/', {}, event({ reference: 'same' }))).status).toBe(200);
      const again = await call(strict, 'POST', '/apiv2/event/', {}, event({ reference: 'same' }));
      expect(again.status).toBe(409);
      expect(again.json.status).toBe('409');
      expect((await call(strict, 'POST', '/apiv2/event/', {}, event({ reference: 'same', calendarId: CAL2 }))).status).toBe(200);
      expect((await call(lax, 'POST', '/apiv2/event/', {}, event({ reference: 'same' }))).status).toBe(200);
      expect((await call(lax, 'POST', '/apiv2/event/', {}, event({ reference: 'same' }))).status).toBe(200);
      expect(lax.events()).toHaveLength(2);
    } finally {
      await strict.close();
      await lax.close();
    }
  });
});

describe('ECAL simulator: failure injection and latency', () => {
  let sim: EcalSim;
  beforeAll(async () => {
    sim = await startEcalSim({ seed: 7 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.clearFailures());

  it('fails the next `count` requests with the documented JSON, then recovers', async () => {
    sim.injectFailures({ status: 429, count: 2 });
    const first = await call(sim, 'GET', '/apiv2/calendar/');
    expect(first.status).toBe(429);
    expect(first.json).toEqual({ status: '429', statusLong: 'Too many requests! Try again after sometime.' });
    expect((await call(sim, 'GET', '/apiv2/calendar/')).status).toBe(429);
    expect((await call(sim, 'GET', '/apiv2/calendar/')).status).toBe(200);
  });

  it('only hits the given methods, and does not apply the failed request', async () => {
    sim.injectFailures({ status: 503, count: 1, methods: ['POST'] });
    expect((await call(sim, 'GET', '/apiv2/calendar/')).status).toBe(200);
    const before = sim.events().length;
    const failed = await call(sim, 'POST', '/apiv2/event/', {}, event({ reference: 'f1' }));
    expect(failed.status).toBe(503);
    expect(failed.json.status).toBe('503');
    expect(sim.events().length).toBe(before);
    expect((await call(sim, 'POST', '/apiv2/event/', {}, event({ reference: 'f1' }))).status).toBe(200);
    expect(sim.events().length).toBe(before + 1);
  });

  it('with processed: true, applies the request and still answers the error', async () => {
    sim.injectFailures({ status: 502, methods: ['POST'], processed: true });
    const before = sim.events().length;
    expect((await call(sim, 'POST', '/apiv2/event/', {}, event({ reference: 'ghost' }))).status).toBe(502);
    expect(sim.events().filter((e) => e.reference === 'ghost')).toHaveLength(1);
    expect(sim.events().length).toBe(before + 1);
  });

  it('fails a share of requests with `rate`, the same way for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      const s = await startEcalSim({ seed: 99 });
      try {
        s.injectFailures({ status: 500, rate: 0.5 });
        const out: number[] = [];
        for (let i = 0; i < 40; i++) out.push((await call(s, 'GET', '/apiv2/calendar/')).status);
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    const failures = a.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    expect(a.every((s) => s === 500 || s === 200)).toBe(true);
  });

  it('clearFailures stops injected failures', async () => {
    sim.injectFailures({ status: 500, count: 5 });
    sim.clearFailures();
    expect((await call(sim, 'GET', '/apiv2/calendar/')).status).toBe(200);
  });

  it('waits latencyMs before answering', async () => {
    const clock = fakeClock();
    const slow = await startEcalSim({ latencyMs: 60, clock });
    try {
      const r = await expectAnswerAfter(clock, 60, () => call(slow, 'GET', '/apiv2/calendar/'));
      expect(r.status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
