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

describe('Cal.com configs written for v1 (API v1 shut down: served by v2)', () => {
  it('sends an apiKey as a bearer token to /v2/slots, with or without apiVersion v1', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', data: { '2026-03-04': [{ start: '2026-03-04T09:00:00.000+01:00' }] } });
    for (const extra of [{ apiKey: 'cal_live_secret' }, { apiKey: 'cal_live_secret', apiVersion: 'v1' }]) {
      seen = [];
      const { slots } = await createCalcomProvider(config(extra), { timezone: 'Europe/Paris' }).check(NOW);
      expect(seen[0]!.url.pathname).toBe('/v2/slots');
      expect(seen[0]!.url.searchParams.get('apiKey')).toBeNull();
      expect(seen[0]!.headers.authorization).toBe('Bearer cal_live_secret');
      expect(seen[0]!.headers['cal-api-version']).toBe('2024-09-04');
      expect(slots.map((s) => s.start)).toEqual(['2026-03-04T09:00:00+01:00']);
    }
  });

  it('turns 401 into an AuthError without the key, not retried', async () => {
    handler = (_req, res) => json(res, 401, { status: 'error', error: { code: 'UnauthorizedException', message: 'Invalid API key cal_live_secret' } });
    const provider = createCalcomProvider(config({ apiKey: 'cal_live_secret' }), { timezone: 'Europe/Paris', retry: { sleep: async () => {} } });
    const err = await provider.check(NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe('Cal.com refused the API key (401 on Cal.com GET /v2/slots: Invalid API key [REDACTED])');
    expect(seen).toHaveLength(1);
  });
});

describe('Cal.com rate limits', () => {
  it('waits the Retry-After of a 429, then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) json(res, 429, { status: 'error' }, { 'Retry-After': '7', 'X-RateLimit-Remaining-Default': '0', 'X-RateLimit-Reset-Default': '30' });
      else json(res, 200, { status: 'success', data: { '2026-03-04': [{ start: '2026-03-04T09:00:00+01:00' }] } });
    };
    const rec = recordingSleep();
    const provider = createCalcomProvider(config({ apiKey: 'k_1234' }), { timezone: 'Europe/Paris', retry: { sleep: rec.sleep } });
    const { slots, requests } = await provider.check(NOW);
    expect(rec.waits).toEqual([7_000]);
    expect(requests).toBe(2);
    expect(slots).toHaveLength(1);
  });

  it('without Retry-After, waits until X-RateLimit-Reset-Default (Unix seconds), then succeeds', async () => {
    let calls = 0;
    let resetAt = 0;
    handler = (_req, res) => {
      calls++;
      resetAt = Math.ceil(Date.now() / 1000) + 20;
      if (calls === 1)
        json(
          res,
          429,
          { status: 'error' },
          { 'X-RateLimit-Limit-Default': '120', 'X-RateLimit-Remaining-Default': '0', 'X-RateLimit-Reset-Default': String(resetAt) },
        );
      else json(res, 200, { status: 'success', data: {} });
    };
    const rec = recordingSleep();
    const provider = createCalcomProvider(config({}), { timezone: 'Europe/Paris', retry: { sleep: rec.sleep } });
    expect(await provider.check(NOW)).toEqual({ slots: [], requests: 2 });
    expect(rec.waits).toHaveLength(1);
    expect(rec.waits[0]).toBeGreaterThan(18_000);
    expect(rec.waits[0]).toBeLessThanOrEqual(21_000);
  });

  it('gives up on 429 after the bounded attempts', async () => {
    handler = (_req, res) => json(res, 429, { status: 'error' }, { 'X-RateLimit-Reset-Default': '2' });
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
  it('sends the version header, bearer token and the local window as UTC instants, and reads {status, data: {date: [{start}]}}', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', data: { '2026-03-04': [{ start: '2026-03-04T09:00:00.000+01:00' }], '2026-03-05': [] } });
    const provider = createCalcomProvider(config({ token: 'tok_secret', bookingUrl: 'https://cal.com/me/appel' }), { timezone: 'Europe/Paris' });
    const { slots } = await provider.check(NOW);
    const req = seen[0]!;
    expect(req.url.pathname).toBe('/v2/slots');
    // 3 March 00:00 to 16 March 23:59:59.999 in Paris (UTC+1).
    expect(Object.fromEntries(req.url.searchParams)).toEqual({
      eventTypeId: '2283473',
      start: '2026-03-02T23:00:00.000Z',
      end: '2026-03-16T22:59:59.999Z',
      timeZone: 'Europe/Paris',
    });
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
