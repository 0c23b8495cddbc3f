import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCalcomSim, type CalcomSim } from './calcom.js';

const V2 = { 'cal-api-version': '2024-09-04' };

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const qs = (p: Record<string, string>): string => new URLSearchParams(p).toString();

const SLOTS = [
  { eventTypeId: 7, start: '2024-04-13T07:00:00Z' },
  // 22:30 UTC on the 13th is already the 14th in Dubai (+04:00).
  { eventTypeId: 7, start: '2024-04-13T22:30:00Z' },
  { eventTypeId: 7, start: '2024-04-14T09:00:00+02:00' },
  { eventTypeId: 8, start: '2024-04-13T08:00:00Z' },
];

describe('Cal.com simulator, v1 slots', () => {
  let sim: CalcomSim;
  beforeAll(async () => {
    sim = await startCalcomSim({ slots: SLOTS });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  const v1 = (p: Record<string, string>): string => `${sim.url}/v1/slots?${qs({ apiKey: 'cal_test_key', eventTypeId: '7', startTime: '2024-04-13T00:00:00Z', endTime: '2024-04-15T00:00:00Z', ...p })}`;

  it('groups the slots of the event type by UTC date by default', async () => {
    const r = await call(v1({}));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      slots: {
        '2024-04-13': [{ time: '2024-04-13T07:00:00Z' }, { time: '2024-04-13T22:30:00Z' }],
        '2024-04-14': [{ time: '2024-04-14T07:00:00Z' }],
      },
    });
  });

  it('groups by date in timeZone and writes times with that zone offset, as in the reference example', async () => {
    const r = await call(v1({ timeZone: 'Asia/Dubai' }));
    expect(r.json.slots).toEqual({
      '2024-04-13': [{ time: '2024-04-13T11:00:00+04:00' }],
      '2024-04-14': [{ time: '2024-04-14T02:30:00+04:00' }, { time: '2024-04-14T11:00:00+04:00' }],
    });
  });

  it('keeps to the [startTime, endTime] window', async () => {
    const r = await call(v1({ startTime: '2024-04-13T08:00:00Z', endTime: '2024-04-13T23:00:00Z' }));
    expect(r.json.slots).toEqual({ '2024-04-13': [{ time: '2024-04-13T22:30:00Z' }] });
    const none = await call(v1({ eventTypeId: '99' }));
    expect(none.json).toEqual({ slots: {} });
  });

  it('answers 401 {"message":"No apiKey provided"} without a key, 401 for a wrong one', async () => {
    const r = await call(`${sim.url}/v1/slots?${qs({ eventTypeId: '7', startTime: '2024-04-13T00:00:00Z', endTime: '2024-04-14T00:00:00Z' })}`);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ message: 'No apiKey provided' });
    const wrong = await call(v1({ apiKey: 'cal_live_nope' }));
    expect(wrong.status).toBe(401);
    expect(typeof wrong.json.message).toBe('string');
  });

  it('answers other errors as {message, url, method, data}', async () => {
    const r = await call(v1({ timeZone: 'Mars/Olympus' }));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ method: 'GET', data: null });
    expect(r.json.message).toMatch(/timeZone/);
    expect(r.json.url).toMatch(/^\/v1\/slots\?/);
  });

  it('answers the next n requests 429 {"message":"Rate limit exceeded"} with X-RateLimit headers, then recovers', async () => {
    sim.rateLimitNext(2, 30);
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 2; i++) {
      const r = await call(v1({}));
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ message: 'Rate limit exceeded' });
      expect(Number(r.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(before + 30);
      expect(reset).toBeLessThanOrEqual(before + 32);
    }
    expect((await call(v1({}))).status).toBe(200);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });
});

describe('Cal.com simulator, v2 slots', () => {
  let sim: CalcomSim;
  beforeAll(async () => {
    sim = await startCalcomSim({ slots: SLOTS });
  });
  afterAll(() => sim.close());

  const v2 = (p: Record<string, string>): string => `${sim.url}/v2/slots?${qs({ eventTypeId: '7', start: '2024-04-13', end: '2024-04-14', ...p })}`;

  it('answers {status:"success", data:{date:[{start}]}} grouped by UTC date, end date included', async () => {
    const r = await call(v2({}), { headers: V2 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      status: 'success',
      data: {
        '2024-04-13': [{ start: '2024-04-13T07:00:00.000Z' }, { start: '2024-04-13T22:30:00.000Z' }],
        '2024-04-14': [{ start: '2024-04-14T07:00:00.000Z' }],
      },
    });
  });

  it('reads the dates and groups in timeZone, with the offset in each start', async () => {
    const r = await call(v2({ timeZone: 'Europe/Paris', start: '2024-04-14', end: '2024-04-14' }), { headers: V2 });
    expect(r.json.data).toEqual({
      '2024-04-14': [{ start: '2024-04-14T00:30:00.000+02:00' }, { start: '2024-04-14T09:00:00.000+02:00' }],
    });
  });

  it('answers data: {} when there is no slot', async () => {
    const r = await call(v2({ start: '2050-09-05', end: '2050-09-06' }), { headers: V2 });
    expect(r.json).toEqual({ status: 'success', data: {} });
  });

  it('refuses a request without the 2024-09-04 version header with 400 in the v2 error shape', async () => {
    for (const headers of [{}, { 'cal-api-version': '2024-08-13' }] as Record<string, string>[]) {
      const r = await call(v2({}), { headers });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ status: 'error', error: { code: expect.any(String) } });
      expect(r.json.error.message).toMatch(/cal-api-version/);
      expect(r.json.path).toMatch(/^\/v2\/slots\?/);
      expect(Number.isNaN(Date.parse(r.json.timestamp))).toBe(false);
    }
  });

  it('needs no Authorization when no token is configured, and answers 400 for a missing eventTypeId', async () => {
    const r = await call(`${sim.url}/v2/slots?${qs({ start: '2024-04-13', end: '2024-04-14' })}`, { headers: V2 });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/eventTypeId/);
  });

  it('answers injected 429s in the v2 error shape with the X-RateLimit headers', async () => {
    sim.rateLimitNext(1);
    const r = await call(v2({}), { headers: V2 });
    expect(r.status).toBe(429);
    expect(r.json.status).toBe('error');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(r.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
  });
});

describe('Cal.com simulator, v2 bearer token and bookings', () => {
  let sim: CalcomSim;
  beforeAll(async () => {
    sim = await startCalcomSim({ slots: SLOTS, token: 'cal_v2_token' });
  });
  afterAll(() => sim.close());

  const auth = { ...V2, authorization: 'Bearer cal_v2_token' };
  const slotsUrl = (): string => `${sim.url}/v2/slots?${qs({ eventTypeId: '7', start: '2024-04-13', end: '2024-04-13' })}`;
  const book = (body: unknown, headers: Record<string, string> = { 'cal-api-version': '2024-08-13', authorization: 'Bearer cal_v2_token' }): Promise<{ status: number; json: any }> =>
    call(`${sim.url}/v2/bookings`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const attendee = { name: 'Ada', email: 'ada@example.org', timeZone: 'Europe/Paris' };

  it('checks the bearer token when one is configured', async () => {
    expect((await call(slotsUrl(), { headers: V2 })).status).toBe(401);
    const wrong = await call(slotsUrl(), { headers: { ...V2, authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String) } });
    expect((await call(slotsUrl(), { headers: auth })).status).toBe(200);
  });

  it('books a listed slot: 201 with id, uid and start, stored, and the slot is no longer listed', async () => {
    const r = await book({ start: '2024-04-13T09:00:00+02:00', eventTypeId: 7, attendee });
    expect(r.status).toBe(201);
    expect(r.json.status).toBe('success');
    expect(r.json.data).toMatchObject({ id: 1, start: '2024-04-13T07:00:00.000Z', end: '2024-04-13T07:30:00.000Z', eventTypeId: 7, attendees: [attendee] });
    expect(r.json.data.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.bookings()).toEqual([expect.objectContaining({ uid: r.json.data.uid, attendee })]);
    const after = await call(slotsUrl(), { headers: auth });
    expect(after.json.data).toEqual({ '2024-04-13': [{ start: '2024-04-13T22:30:00.000Z' }] });
  });

  it('refuses booking a slot that is taken or never existed', async () => {
    const again = await book({ start: '2024-04-13T07:00:00Z', eventTypeId: 7, attendee });
    expect(again.status).toBe(400);
    expect(again.json.status).toBe('error');
    expect(sim.bookings()).toHaveLength(1);
  });

  it('validates the booking body and headers', async () => {
    const good = { start: '2024-04-13T22:30:00Z', eventTypeId: 7, attendee };
    const cases: [unknown, RegExp][] = [
      [{ ...good, start: '2024-04-13T22:30:00' }, /start/],
      [{ ...good, eventTypeId: '7' }, /eventTypeId/],
      [{ ...good, attendee: undefined }, /attendee/],
      [{ ...good, attendee: { ...attendee, email: 'nope' } }, /email/],
      [{ ...good, attendee: { ...attendee, timeZone: 'Nowhere/City' } }, /timeZone/],
      [{ ...good, attendee: { ...attendee, name: '' } }, /name/],
    ];
    for (const [body, message] of cases) {
      const r = await book(body);
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(message);
    }
    expect((await book(good, { authorization: 'Bearer cal_v2_token' })).status).toBe(400);
    expect((await book(good, { 'cal-api-version': '2024-08-13' })).status).toBe(401);
    expect(sim.bookings()).toHaveLength(1);
  });

  it('answers unknown routes 404 in the error shape of their API version', async () => {
    const r2 = await call(`${sim.url}/v2/nothing`);
    expect(r2.status).toBe(404);
    expect(r2.json.status).toBe('error');
    const r1 = await call(`${sim.url}/v1/nothing`);
    expect(r1.status).toBe(404);
    expect(typeof r1.json.message).toBe('string');
  });
});
