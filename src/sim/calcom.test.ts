import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('Cal.com simulator, v1 (shut down)', () => {
  let sim: CalcomSim;
  beforeAll(async () => {
    sim = await startCalcomSim({ slots: SLOTS });
  });
  afterAll(() => sim.close());

  it('answers 410 to every v1 request, with a valid key or not, even while rate limited', async () => {
    const urls = [
      `${sim.url}/v1/slots?${qs({ apiKey: 'cal_test_key', eventTypeId: '7', startTime: '2024-04-13T00:00:00Z', endTime: '2024-04-15T00:00:00Z' })}`,
      `${sim.url}/v1/slots?${qs({ eventTypeId: '7' })}`,
      `${sim.url}/v1/event-types?apiKey=cal_test_key`,
    ];
    sim.rateLimitNext(1);
    for (const url of urls) {
      const r = await call(url);
      expect(r.status).toBe(410);
      expect(r.json).toMatchObject({ status: 'error', error: { code: 'GoneException' } });
      expect(r.json.error.message).toMatch(/v2/);
    }
    // The injected 429 is still waiting for a v2 request.
    expect((await call(`${sim.url}/v2/slots?${qs({ eventTypeId: '7', start: '2024-04-13', end: '2024-04-13' })}`, { headers: V2 })).status).toBe(429);
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

  it('reads bare dates as UTC days whatever timeZone says, and groups the answer in timeZone', async () => {
    // 14 April in Paris starts at 22:00 UTC on the 13th: the 00:30 slot is outside the UTC day asked for.
    const r = await call(v2({ timeZone: 'Europe/Paris', start: '2024-04-14', end: '2024-04-14' }), { headers: V2 });
    expect(r.json.data).toEqual({ '2024-04-14': [{ start: '2024-04-14T09:00:00.000+02:00' }] });
    // The UTC day of the 13th ends at 19:59:59 in New York: an evening slot there on the 13th would be left out.
    const ny = await call(v2({ timeZone: 'America/New_York', start: '2024-04-13', end: '2024-04-13' }), { headers: V2 });
    expect(ny.json.data).toEqual({ '2024-04-13': [{ start: '2024-04-13T03:00:00.000-04:00' }, { start: '2024-04-13T18:30:00.000-04:00' }] });
  });

  it('reads explicit instants as given: the local day asked as UTC instants', async () => {
    const r = await call(v2({ timeZone: 'Europe/Paris', start: '2024-04-13T22:00:00.000Z', end: '2024-04-14T21:59:59.999Z' }), { headers: V2 });
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

  it('sends the suffixed rate-limit headers on every answer, and on an injected 429 no Retry-After', async () => {
    const ok = await call(v2({}), { headers: V2 });
    expect(ok.headers.get('x-ratelimit-limit-default')).toBe('120');
    expect(Number(ok.headers.get('x-ratelimit-remaining-default'))).toBeLessThan(120);
    const before = Math.floor(Date.now() / 1000);
    sim.rateLimitNext(1, 30);
    const r = await call(v2({}), { headers: V2 });
    expect(r.status).toBe(429);
    expect(r.json.status).toBe('error');
    expect(r.headers.get('retry-after')).toBeNull();
    expect(r.headers.get('x-ratelimit-reset')).toBeNull();
    expect(r.headers.get('x-ratelimit-remaining-default')).toBe('0');
    const reset = Number(r.headers.get('x-ratelimit-reset-default'));
    expect(reset).toBeGreaterThanOrEqual(before + 30);
    expect(reset).toBeLessThanOrEqual(before + 32);
    expect((await call(v2({}), { headers: V2 })).status).toBe(200);
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
  const book = (
    body: unknown,
    headers: Record<string, string> = { 'cal-api-version': '2024-08-13', authorization: 'Bearer cal_v2_token' },
  ): Promise<{ status: number; json: any }> =>
    call(`${sim.url}/v2/bookings`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const attendee = { name: 'Ada', email: 'ada@example.org', timeZone: 'Europe/Paris' };

  it('checks the bearer token when one is configured, and takes the API key as a bearer token too', async () => {
    expect((await call(slotsUrl(), { headers: V2 })).status).toBe(401);
    expect((await call(slotsUrl(), { headers: { ...V2, authorization: 'Bearer cal_test_key' } })).status).toBe(200);
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

  it('answers unknown routes 404 in the v2 error shape', async () => {
    const r2 = await call(`${sim.url}/v2/nothing`);
    expect(r2.status).toBe(404);
    expect(r2.json.status).toBe('error');
  });
});
