import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, RemoteError, TransientError } from '../lib/index.js';
import { createEcalClient, type EcalClientOptions } from './client.js';
import type { EcalEventBody } from './types.js';
import { asciiJson } from './sign.js';

const API_KEY = 'key-0123456789';
const API_SECRET = 'secret-abcdefghij';
const CAL = 'c0ffee00c0ffee00c0ffee00';
const OTHER_CAL = 'beef0000beef0000beef0000';

// ---------------------------------------------------------------------------------------------
// A small fake ECAL: checks every signature with its own byte-level implementation of the
// reference, keeps events in memory, pages until 204, and can be scripted to misbehave.
// ---------------------------------------------------------------------------------------------

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  raw: Buffer;
}
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}
type Scripted = (ctx: Ctx) => void;
type CreateShape = 'data.id' | 'id' | 'data[0].id' | 'none';

function serverSign(secret: string, query: URLSearchParams, raw: Buffer): string {
  const pairs = [...query].filter(([k]) => k !== 'apiSign');
  pairs.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const bytes = Buffer.concat([Buffer.from(secret), ...pairs.flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]), raw]);
  return createHash('md5').update(bytes).digest('hex');
}

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}
const fail = (res: ServerResponse, status: number, statusLong: string, headers?: Record<string, string>): void =>
  reply(res, status, { status: String(status), statusLong }, headers);

function startFakeEcal() {
  const events = new Map<string, Record<string, unknown>>();
  const requests: Recorded[] = [];
  const signs: string[] = [];
  /** Consumed one per request, before the normal behaviour. */
  const script: Scripted[] = [];
  let nextId = 1;
  let createShape: CreateShape = 'data.id';

  const newId = (): string => (nextId++).toString(16).padStart(24, '0');

  function route(ctx: Ctx): void {
    const { res, method, path, query } = ctx;
    const apiKey = query.get('apiKey');
    const apiSign = query.get('apiSign') ?? '';
    if (apiKey !== API_KEY || apiSign !== serverSign(API_SECRET, query, ctx.raw)) return fail(res, 403, 'Invalid signature');
    const idMatch = /^\/apiv2\/event\/([^/]+)$/.exec(path);
    if (method === 'GET' && path === '/apiv2/event/') {
      const cals = (query.get('calendarIds') ?? '').split(',');
      const from = query.get('startDate') ?? '0000-00-00';
      const to = query.get('endDate') ?? '9999-99-99';
      const limit = Math.min(100, Number(query.get('limit') ?? 100));
      const page = Number(query.get('page') ?? 1);
      const all = [...events.values()].filter((e) => cals.includes(String(e.calendarId)) && String(e.startDate) >= from && String(e.startDate) <= to);
      const slice = all.slice((page - 1) * limit, page * limit);
      if (slice.length === 0) return reply(res, 204);
      return reply(res, 200, { data: slice, status: '200', statusLong: 'OK' });
    }
    if (method === 'POST' && path === '/apiv2/event/') {
      const body = JSON.parse(ctx.raw.toString('utf8')) as Record<string, unknown>;
      if (!body.name) return fail(res, 400, 'name is required');
      const id = newId();
      events.set(id, { ...body, id, createdAt: '2025-01-01 00:00:00' });
      if (createShape === 'data.id') return reply(res, 200, { data: { id }, status: '200', statusLong: 'OK' });
      if (createShape === 'id') return reply(res, 200, { id, status: '200', statusLong: 'OK' });
      if (createShape === 'data[0].id') return reply(res, 200, { data: [{ id }], status: '200', statusLong: 'OK' });
      return reply(res, 200, { data: {}, status: '200', statusLong: 'OK' });
    }
    if (idMatch) {
      const id = decodeURIComponent(idMatch[1] ?? '');
      const existing = events.get(id);
      if (!existing) return fail(res, 404, 'Event not found');
      if (method === 'GET') return reply(res, 200, { data: existing, status: '200', statusLong: 'OK' });
      if (method === 'PUT') {
        events.set(id, { ...(JSON.parse(ctx.raw.toString('utf8')) as object), id });
        return reply(res, 200, { data: { id }, status: '200', statusLong: 'OK' });
      }
      if (method === 'DELETE') {
        events.delete(id);
        return reply(res, 200, { status: '200', statusLong: 'OK' });
      }
    }
    return fail(res, 400, `no route ${method} ${path}`);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const ctx: Ctx = { req, res, method: req.method ?? '', path: url.pathname, query: url.searchParams, raw: Buffer.concat(chunks) };
      requests.push({ method: ctx.method, path: ctx.path, query: ctx.query, body: ctx.raw.toString('utf8') });
      signs.push(ctx.query.get('apiSign') ?? '');
      const scripted = script.shift();
      if (scripted) scripted(ctx);
      else route(ctx);
    });
  });

  return {
    events,
    requests,
    signs,
    script,
    url: '',
    route,
    setCreateShape(shape: CreateShape) {
      createShape = shape;
    },
    addEvent(e: object): string {
      const id = newId();
      events.set(id, { ...e, id });
      return id;
    },
    reset() {
      events.clear();
      requests.length = 0;
      signs.length = 0;
      script.length = 0;
      createShape = 'data.id';
    },
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------

const fake = startFakeEcal();
beforeAll(() => fake.listen());
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function makeClient(over: Partial<EcalClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = createEcalClient({
    url: fake.url,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    timeoutMs: 2_000,
    ...over,
    retry: {
      attempts: 3,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...over.retry,
    },
  });
  return { client, sleeps };
}

/** No credential and no request signature may leak into what a caller (or a log) sees. */
function expectNoSecrets(err: unknown): void {
  const texts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) texts.push(e.message, e.stack ?? '');
  const joined = texts.join('\n');
  expect(joined).not.toContain(API_KEY);
  expect(joined).not.toContain(API_SECRET);
  for (const s of fake.signs) if (s) expect(joined).not.toContain(s);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    expectNoSecrets(err);
    return err;
  }
  throw new Error('expected a rejection');
}

const body = (over: Partial<EcalEventBody> = {}): EcalEventBody => ({
  calendarId: CAL,
  name: 'Mathématiques — “Algèbre” ✓ 📐',
  location: 'Salle 101 & 102',
  startDate: '2025-03-31',
  endDate: '2025-03-31',
  startTime: '08:30',
  endTime: '10:00',
  timezone: 'Europe/Paris',
  reference: 'cs:main:4242',
  details: 'Prof: Dupont\nTeams: https://teams.example/x?y=1&z=2',
  alert: '15M',
  draft: 0,
  ...over,
});

describe('listEvents', () => {
  it('pages with limit=100 until 204 and returns every event once', async () => {
    for (let i = 0; i < 250; i++) fake.addEvent({ calendarId: CAL, name: `e${i}`, startDate: '2025-04-01', custom: { n: i } });
    fake.addEvent({ calendarId: OTHER_CAL, name: 'not ours', startDate: '2025-04-01' });
    fake.addEvent({ calendarId: CAL, name: 'too late', startDate: '2025-05-01' });
    const { client } = makeClient();

    const events = await client.listEvents({ calendarId: CAL, startDate: '2025-03-01', endDate: '2025-04-30' });

    expect(events).toHaveLength(250);
    expect(new Set(events.map((e) => e.id)).size).toBe(250);
    expect(events[0]).toMatchObject({ name: 'e0', calendarId: CAL, custom: { n: 0 } });
    expect(fake.requests.map((r) => r.query.get('page'))).toEqual(['1', '2', '3', '4']);
    for (const r of fake.requests) {
      expect(r.method).toBe('GET');
      expect(r.path).toBe('/apiv2/event/');
      expect(r.query.get('limit')).toBe('100');
      expect(r.query.get('showPastEvents')).toBe('true');
      expect(r.query.get('calendarIds')).toBe(CAL);
      expect(r.query.get('startDate')).toBe('2025-03-01');
      expect(r.query.get('endDate')).toBe('2025-04-30');
    }
    expect(client.stats()).toEqual({ requests: 4, writes: 0, retries: 0 });
  });

  it('returns nothing for an empty calendar after one 204', async () => {
    const { client } = makeClient();
    expect(await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' })).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('also stops on an empty data array', async () => {
    fake.script.push(({ res }) => reply(res, 200, { data: [{ id: 'a1', name: 'x' }], status: '200' }));
    fake.script.push(({ res }) => reply(res, 200, { data: [], status: '200' }));
    const { client } = makeClient();
    const events = await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' });
    expect(events.map((e) => e.id)).toEqual(['a1']);
    expect(fake.requests).toHaveLength(2);
  });

  it('keeps one copy of an event that shifts onto the next page', async () => {
    fake.script.push(({ res }) => reply(res, 200, { data: [{ id: 'a1' }, { id: 'a2' }], status: '200' }));
    fake.script.push(({ res }) => reply(res, 200, { data: [{ id: 'a2' }, { id: 'a3' }], status: '200' }));
    const { client } = makeClient();
    const events = await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' });
    expect(events.map((e) => e.id)).toEqual(['a1', 'a2', 'a3']);
  });

  it('gives up after 1000 pages of a server that never says 204', async () => {
    const endless = ({ res }: Ctx) => reply(res, 200, { data: [{ id: 'same' }], status: '200' });
    for (let i = 0; i < 1_001; i++) fake.script.push(endless);
    const { client } = makeClient();
    const err = await caught(client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' }));
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/1000 pages/);
    expect(fake.requests).toHaveLength(1_000);
  });

  it('rejects a 200 page without a list', async () => {
    fake.script.push(({ res }) => res.writeHead(200).end('<html>maintenance</html>'));
    const { client } = makeClient();
    const err = await caught(client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' }));
    expect(err).toBeInstanceOf(RemoteError);
  });
});

describe('errors and retries', () => {
  it('turns 403 into an AuthError at once, without leaking credentials', async () => {
    const { client, sleeps } = makeClient({ apiSecret: 'wrong-secret-value' });
    const err = await caught(client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' }));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).retryable).toBe(false);
    expect((err as Error).message).toContain('ECAL rejected the API key or signature');
    expect((err as Error).message).not.toContain('wrong-secret-value');
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a 429 from a 1 s base, then succeeds, and counts it', async () => {
    fake.script.push(({ res }) => fail(res, 429, 'Too many requests! Try again after sometime.'));
    fake.script.push(({ res }) => fail(res, 429, 'Too many requests! Try again after sometime.'));
    const { client, sleeps } = makeClient({ retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 8_000 } });
    expect(await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' })).toEqual([]);
    expect(sleeps).toHaveLength(2);
    // Jittered in [ceiling/2, ceiling]: 1 s then 2 s ceilings, whatever the short default base.
    expect(sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(sleeps[0]).toBeLessThanOrEqual(1_000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1_000);
    expect(sleeps[1]).toBeLessThanOrEqual(2_000);
    expect(client.stats()).toEqual({ requests: 3, writes: 0, retries: 2 });
  });

  it('honours a Retry-After header when there is one', async () => {
    fake.script.push(({ res }) => fail(res, 429, 'slow down', { 'Retry-After': '3' }));
    const { client, sleeps } = makeClient();
    await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' });
    expect(sleeps).toEqual([3_000]);
  });

  it('throws a TransientError with the status once 5xx answers exhaust the attempts', async () => {
    for (let i = 0; i < 3; i++) fake.script.push(({ res }) => fail(res, 503, 'Service Unavailable'));
    const { client, sleeps } = makeClient({ retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1 } });
    const err = await caught(client.getEvent('abc'));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(503);
    expect((err as TransientError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/GET \/apiv2\/event\/abc answered 503: Service Unavailable.*3 attempts/);
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
    expect(client.stats().retries).toBe(2);
  });

  it('retries a request that times out', async () => {
    fake.script.push(() => {
      /* never answers */
    });
    // The retried error says which limit ended the silent attempt: the configured 150 ms, not a stopwatch's guess.
    const retriedOn: unknown[] = [];
    const { client, sleeps } = makeClient({ timeoutMs: 150, retry: { onRetry: (err) => void retriedOn.push(err) } });
    expect(await client.getEvent('nope')).toBeNull();
    expect(retriedOn).toHaveLength(1);
    expect((retriedOn[0] as Error).message).toMatch(/GET \/apiv2\/event\/nope timed out after 150 ms/);
    expect(sleeps).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('says a request timed out when every attempt does', async () => {
    for (let i = 0; i < 2; i++) fake.script.push(() => {});
    const { client } = makeClient({ timeoutMs: 100, retry: { attempts: 2 } });
    const err = await caught(client.getEvent('nope'));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/timed out after 100 ms/);
  });

  it('retries a connection reset', async () => {
    fake.script.push(({ req }) => req.socket.destroy());
    const { client } = makeClient();
    expect(await client.listEvents({ calendarId: CAL, startDate: '2025-01-01', endDate: '2025-12-31' })).toEqual([]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('treats a 2xx whose JSON status says 403 as the 403 it is', async () => {
    fake.script.push(({ res }) => reply(res, 200, { status: '403', statusLong: 'API key expired' }));
    const { client } = makeClient();
    const err = await caught(client.getEvent('x'));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('API key expired');
  });

  it('redacts credentials and the signature even when ECAL echoes the request back', async () => {
    fake.script.push(({ res, req }) => fail(res, 400, `bad request ${req.url ?? ''} key=${API_KEY}`));
    const { client } = makeClient();
    const err = await caught(client.getEvent('x'));
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toContain('[REDACTED]');
  });

  it('does not retry 400, 404 or 409, and shows ECAL statusLong', async () => {
    const { client, sleeps } = makeClient();
    const bad = await caught(client.createEvent(body({ name: '' })));
    expect(bad).toBeInstanceOf(RemoteError);
    expect((bad as RemoteError).status).toBe(400);
    expect((bad as Error).message).toContain('name is required');

    const missing = await caught(client.updateEvent('0000000000000000000000ff', body()));
    expect(missing).toBeInstanceOf(RemoteError);
    expect((missing as RemoteError).status).toBe(404);
    expect((missing as Error).message).toContain('Event not found');

    fake.script.push(({ res }) => fail(res, 409, 'Event already exists'));
    const dup = await caught(client.createEvent(body()));
    expect((dup as RemoteError).status).toBe(409);
    expect((dup as Error).message).toContain('Event already exists');
    expect((dup as Error).message).toContain(`no event with reference ${body().reference} was found`);
    expect(sleeps).toEqual([]);
    // The 409 is followed by a search for the reference (its day, then the whole calendar), not by a retry.
    expect(fake.requests.map((r) => `${r.method} ${r.query.get('startDate') ?? '-'}`)).toEqual(['POST -', 'PUT -', 'POST -', 'GET 2025-03-31', 'GET -']);
  });

  it('reports a connection refused as transient without the URL query', async () => {
    const { client } = makeClient({ url: 'http://127.0.0.1:1', retry: { attempts: 2 } });
    const err = await caught(client.deleteEvent('x'));
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/ECAL DELETE \/apiv2\/event\/x failed/);
  });
});

describe('writes', () => {
  it('POSTs exactly the bytes it signed and returns the new id', async () => {
    const { client } = makeClient();
    const sent = body();
    const { id } = await client.createEvent(sent);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const post = fake.requests[0];
    expect(post?.method).toBe('POST');
    expect(post?.path).toBe('/apiv2/event/');
    // The fake answered 200 only because its own signature over the received bytes matched.
    // ASCII JSON (\u00e9 escapes), as every working ECAL client sends and signs it.
    expect(post?.body).toBe(asciiJson(sent));
    expect(post?.body).toMatch(/^[\x20-\x7e]*$/);
    expect(post?.body).toContain('Math\\u00e9matiques \\u2014 \\u201cAlg\\u00e8bre\\u201d \\u2713 \\ud83d\\udcd0');
    expect(JSON.parse(post?.body ?? '')).toEqual(sent);
    expect(fake.events.get(id)).toMatchObject({ name: sent.name, reference: sent.reference });
    expect(client.stats()).toEqual({ requests: 1, writes: 1, retries: 0 });
  });

  it.each(['id', 'data[0].id'] as const)('finds the created id at %s too', async (shape) => {
    fake.setCreateShape(shape);
    const { client } = makeClient();
    const { id } = await client.createEvent(body());
    expect(fake.events.has(id)).toBe(true);
  });

  it('rejects a create answer without an id', async () => {
    fake.setCreateShape('none');
    const { client } = makeClient();
    const err = await caught(client.createEvent(body()));
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/without the new event's id/);
  });

  it('does not create a second event when the first POST was stored but its answer timed out', async () => {
    fake.script.push(({ raw }) => {
      // Stores the event at once, and its answer never comes: the client's attempt times out.
      fake.addEvent(JSON.parse(raw.toString('utf8')) as object);
    });
    const { client } = makeClient({ timeoutMs: 150 });
    const { id } = await client.createEvent(body());
    expect(fake.events.size).toBe(1);
    expect(fake.events.has(id)).toBe(true);
    expect(fake.requests.map((r) => `${r.method} ${r.query.get('startDate') ?? ''}`)).toEqual([
      'POST ',
      // The lookup pages like any listing: the page with the event, then 204.
      'GET 2025-03-31',
      'GET 2025-03-31',
    ]);
  });

  it('does post again after a 5xx when nothing was stored', async () => {
    fake.script.push(({ res }) => fail(res, 502, 'Bad Gateway'));
    const { client } = makeClient();
    const { id } = await client.createEvent(body());
    expect(fake.events.size).toBe(1);
    expect(fake.events.has(id)).toBe(true);
    expect(fake.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'POST']);
  });

  it('PUTs the full event to /apiv2/event/{id}', async () => {
    const id = fake.addEvent({ ...body(), name: 'old' });
    const { client } = makeClient();
    const updated = body({ name: 'new name', allDay: 'yes', startTime: undefined, endTime: undefined });
    await client.updateEvent(id, updated);
    expect(fake.requests[0]).toMatchObject({ method: 'PUT', path: `/apiv2/event/${id}`, body: JSON.stringify(updated) });
    expect(fake.events.get(id)).toMatchObject({ name: 'new name', allDay: 'yes' });
    expect(client.stats().writes).toBe(1);
  });

  it('deletes, and counts a 404 as already done', async () => {
    const id = fake.addEvent(body());
    const { client } = makeClient();
    await client.deleteEvent(id);
    expect(fake.events.has(id)).toBe(false);
    await expect(client.deleteEvent(id)).resolves.toBeUndefined();
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE /apiv2/event/${id}`, `DELETE /apiv2/event/${id}`]);
    expect(fake.requests.every((r) => r.body === '')).toBe(true);
  });
});

describe('getEvent', () => {
  it('returns the event with its unknown fields, or null on 404', async () => {
    const id = fake.addEvent({ ...body(), draft: '0', extra: 'kept' });
    const { client } = makeClient();
    expect(await client.getEvent(id)).toMatchObject({ id, name: body().name, draft: 0, extra: 'kept' });
    expect(await client.getEvent('ffffffffffffffffffffffff')).toBeNull();
  });
});
