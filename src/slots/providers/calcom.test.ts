import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, RemoteError, TransientError } from '../../lib/index.js';
import { slotWatcherSchema, type CalcomWatcherConfig } from '../../config/index.js';
import { createCalcomProvider } from './calcom.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

let server: Server;
let base = '';
let handler: Handler = (_req, res) => void res.end('{}');
let seen: { url: URL; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({ url, headers: req.headers });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const NOW = new Date('2026-03-03T08:00:00Z');

function config(extra: object): CalcomWatcherConfig {
  return slotWatcherSchema.parse({ name: 'w', provider: 'calcom', eventTypeId: 2283473, url: base, ...extra }) as CalcomWatcherConfig;
}
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('Cal.com v1', () => {
  it('sends the key, event type and a rangeDays window, and reads {slots: {date: [{time}]}}', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        slots: {
          '2026-03-04': [{ time: '2026-03-04T09:00:00+01:00' }, { time: '2026-03-04T09:15:00+01:00' }],
          '2026-03-05': [{ time: '2026-03-05T13:00:00Z' }],
          '2026-03-03': [{ time: '2026-03-03T07:00:00Z' }],
        },
      });
    const provider = createCalcomProvider(config({ apiKey: 'cal_live_secret', rangeDays: 7 }), { timezone: 'Europe/Paris' });
    const { slots, requests } = await provider.check(NOW);
    expect(requests).toBe(1);
    const q = seen[0]!.url;
    expect(q.pathname).toBe('/v1/slots');
    expect(Object.fromEntries(q.searchParams)).toEqual({
      apiKey: 'cal_live_secret',
      eventTypeId: '2283473',
      startTime: '2026-03-03T08:00:00.000Z',
      endTime: '2026-03-09T23:59:59.999+01:00',
      timeZone: 'Europe/Paris',
    });
    // In the watcher's zone whatever offset Cal.com used; the slot already past is dropped.
    expect(slots).toEqual([
      { id: 'calcom:2283473:2026-03-04T08:00:00Z', start: '2026-03-04T09:00:00+01:00', label: 'mer. 4 mars 09:00' },
      { id: 'calcom:2283473:2026-03-04T08:15:00Z', start: '2026-03-04T09:15:00+01:00', label: 'mer. 4 mars 09:15' },
      { id: 'calcom:2283473:2026-03-05T13:00:00Z', start: '2026-03-05T14:00:00+01:00', label: 'jeu. 5 mars 14:00' },
    ]);
  });

  it('turns 401 into an AuthError without the key, not retried', async () => {
    handler = (_req, res) => json(res, 401, { message: 'Your apiKey is not valid' });
    const provider = createCalcomProvider(config({ apiKey: 'cal_live_secret' }), { timezone: 'Europe/Paris', retry: { sleep: async () => {} } });
    const err = await provider.check(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe('Cal.com refused the API key (401 on Cal.com GET /v1/slots: Your apiKey is not valid)');
    expect(seen).toHaveLength(1);
  });

  it('waits the Retry-After of a 429, then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) json(res, 429, { message: 'Rate limit exceeded' }, { 'Retry-After': '7', 'X-RateLimit-Remaining': '0' });
      else json(res, 200, { slots: { '2026-03-04': [{ time: '2026-03-04T09:00:00+01:00' }] } });
    };
    const rec = recordingSleep();
    const provider = createCalcomProvider(config({ apiKey: 'k_1234' }), { timezone: 'Europe/Paris', retry: { sleep: rec.sleep } });
    const { slots, requests } = await provider.check(NOW);
    expect(rec.waits).toEqual([7_000]);
    expect(requests).toBe(2);
    expect(slots).toHaveLength(1);
  });

  it('gives up on 429 after the bounded attempts', async () => {
    handler = (_req, res) => json(res, 429, { message: 'Rate limit exceeded' }, { 'X-RateLimit-Reset': '2' });
    const rec = recordingSleep();
    const provider = createCalcomProvider(config({ apiKey: 'k_1234' }), { timezone: 'Europe/Paris', retry: { sleep: rec.sleep, attempts: 3 } });
    const err = await provider.check(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(429);
    expect(rec.waits).toEqual([2_000, 2_000]);
    expect(seen).toHaveLength(3);
  });
});

describe('Cal.com v2', () => {
  it('sends the version header, bearer token and dates, and reads {status, data: {date: [{start}]}}', async () => {
    handler = (_req, res) =>
      json(res, 200, { status: 'success', data: { '2026-03-04': [{ start: '2026-03-04T09:00:00.000+01:00' }], '2026-03-05': [] } });
    const provider = createCalcomProvider(config({ token: 'tok_secret', bookingUrl: 'https://cal.com/me/appel' }), { timezone: 'Europe/Paris' });
    const { slots } = await provider.check(NOW);
    const req = seen[0]!;
    expect(req.url.pathname).toBe('/v2/slots');
    expect(Object.fromEntries(req.url.searchParams)).toEqual({ eventTypeId: '2283473', start: '2026-03-03', end: '2026-03-16', timeZone: 'Europe/Paris' });
    expect(req.headers['cal-api-version']).toBe('2024-09-04');
    expect(req.headers.authorization).toBe('Bearer tok_secret');
    expect(slots).toEqual([
      { id: 'calcom:2283473:2026-03-04T08:00:00Z', start: '2026-03-04T09:00:00+01:00', label: 'mer. 4 mars 09:00', bookingUrl: 'https://cal.com/me/appel' },
    ]);
  });

  it('reads data {} as no slot and works without a token', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', data: {} });
    const provider = createCalcomProvider(config({}), { timezone: 'Europe/Paris' });
    expect(await provider.check(NOW)).toEqual({ slots: [], requests: 1 });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('reports an error envelope and a non-success status', async () => {
    handler = (_req, res) =>
      json(res, 400, { status: 'error', timestamp: 'x', path: '/v2/slots', error: { code: 'BadRequestException', message: 'eventTypeId not found' } });
    const provider = createCalcomProvider(config({}), { timezone: 'Europe/Paris' });
    await expect(provider.check(NOW)).rejects.toThrow('Cal.com GET /v2/slots answered 400: eventTypeId not found');
    handler = (_req, res) => json(res, 200, { status: 'error', data: {} });
    await expect(provider.check(NOW)).rejects.toBeInstanceOf(RemoteError);
  });

  it('retries a 502 and then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) json(res, 502, {});
      else json(res, 200, { status: 'success', data: {} });
    };
    const rec = recordingSleep();
    const provider = createCalcomProvider(config({}), { timezone: 'Europe/Paris', retry: { sleep: rec.sleep, random: () => 1 } });
    expect(await provider.check(NOW)).toEqual({ slots: [], requests: 2 });
    expect(rec.waits).toEqual([250]);
  });
});
