import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError, TransientError } from './errors.js';
import { MAX_RETRY_AFTER_MS, classifyNetworkError, classifyStatus, createHttpClient, discordRateLimitUnit, networkError, retryAfterMs } from './http.js';

describe('createHttpClient', () => {
  let server: Server;
  let base = '';
  const bodies: Buffer[] = [];
  /** Responses that were still open when a test ended, closed in afterAll. */
  const open: ServerResponse[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        if (req.url === '/redirect') {
          res.writeHead(302, { Location: '/elsewhere' }).end();
        } else if (req.url === '/json') {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"bad"}');
        } else if (req.url === '/trickle') {
          // A byte every 50 ms keeps the socket busy: only a deadline on the whole exchange ends it.
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          open.push(res);
          const t = setInterval(() => res.write('.'), 50);
          res.on('close', () => clearInterval(t));
        } else {
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers every status without throwing, never follows a redirect, and keeps bodies as text', async () => {
    const http = createHttpClient({ baseURL: base, timeoutMs: 2_000 });
    const redirect = await http.get<string>('/redirect');
    expect([redirect.status, redirect.headers.location]).toEqual([302, '/elsewhere']);
    const json = await http.get<string>('/json');
    expect([json.status, json.data]).toEqual([400, '{"error":"bad"}']);
  });

  it('sends a raw body byte for byte when asked', async () => {
    const http = createHttpClient({ baseURL: base, timeoutMs: 2_000, rawBody: true });
    const raw = '{"name":"\\u00c9conomie"}';
    bodies.length = 0;
    await http.post('/echo', Buffer.from(raw, 'utf8'), { headers: { 'Content-Type': 'application/json' } });
    expect(bodies[0]?.toString('utf8')).toBe(raw);
  });

  it('ends an exchange that trickles past its timeout, as a timeout', async () => {
    const http = createHttpClient({ baseURL: base, timeoutMs: 200 });
    const err = await http.get('/trickle').catch((e: unknown) => e);
    expect(classifyNetworkError(err)).toMatchObject({ retryable: true, reason: 'timeout' });
    expect(networkError(err, { what: 'GET /trickle', timeoutMs: 200 })).toMatchObject({ message: 'GET /trickle timed out after 200 ms' });
  });

  it("goes through Node's http module, and leaves Node's fetch classes as they were after loading axios", async () => {
    expect(createHttpClient().defaults.adapter).toBe('http');
    // loadAxios hid them while axios loaded: they must be Node's own again, usable by anyone else.
    expect(new Response('x').status).toBe(200);
    expect(new Request('http://127.0.0.1/').method).toBe('GET');
    expect(new FormData()).toBeInstanceOf(FormData);
  });

  it('a refused connection is retryable, an invalid URL is not', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const http = createHttpClient({ timeoutMs: 2_000 });
    const refused = await http.get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e);
    expect(classifyNetworkError(refused)).toEqual({ retryable: true, reason: 'network', code: 'ECONNREFUSED' });
    const invalid = await http.get('http://exa mple.invalid:99999/').catch((e: unknown) => e);
    expect(classifyNetworkError(invalid)).toMatchObject({ retryable: false, reason: 'unsendable' });
  });
});

describe('networkError', () => {
  it('builds the typed error with the code, and hides secrets in the message', () => {
    const reset = networkError(Object.assign(new Error('socket hang up at https://x/?key=s3cret'), { code: 'ECONNRESET' }), {
      what: 'X GET /a',
      timeoutMs: 1,
      redact: (t) => t.replaceAll('s3cret', '[redacted]'),
    });
    expect(reset).toBeInstanceOf(TransientError);
    expect(reset.message).toBe('X GET /a failed (ECONNRESET): socket hang up at https://x/?key=[redacted]');
    expect(reset.cause).toBeUndefined();
    const bad = networkError(Object.assign(new Error('Invalid URL'), { code: 'ERR_INVALID_URL' }), { what: 'X GET /b', timeoutMs: 1 });
    expect(bad).toBeInstanceOf(RemoteError);
    expect(bad.message).toBe('X GET /b could not be sent (ERR_INVALID_URL): Invalid URL');
  });
});

describe('classifyStatus', () => {
  it('says which answers may pass later, and why', () => {
    expect(classifyStatus(200)).toBeUndefined();
    expect(classifyStatus(204)).toBeUndefined();
    expect(classifyStatus(429)).toEqual({ retryable: true, reason: 'rate-limited' });
    expect(classifyStatus(408)).toEqual({ retryable: true, reason: 'request-timeout' });
    expect(classifyStatus(503)).toEqual({ retryable: true, reason: 'server' });
    expect(classifyStatus(401)).toEqual({ retryable: false, reason: 'auth' });
    expect(classifyStatus(403)).toEqual({ retryable: false, reason: 'auth' });
    expect(classifyStatus(301)).toEqual({ retryable: false, reason: 'redirect' });
    expect(classifyStatus(404)).toEqual({ retryable: false, reason: 'refused' });
  });
});

describe('retryAfterMs', () => {
  const nowMs = Date.parse('2026-03-03T08:00:00Z');
  it('reads Retry-After as seconds (fractions too) or an HTTP date, names in any case', () => {
    expect(retryAfterMs({ 'retry-after': '3' }, { nowMs })).toBe(3_000);
    expect(retryAfterMs({ 'Retry-After': '2.5' }, { nowMs })).toBe(2_500);
    expect(retryAfterMs({ 'retry-after': 'Tue, 03 Mar 2026 08:00:10 GMT' }, { nowMs })).toBe(10_000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 03 Mar 2026 07:59:00 GMT' }, { nowMs })).toBe(0);
  });

  it('reads the X-RateLimit-Reset family when there is no Retry-After (Cal.com v2), exhausted limits first', () => {
    expect(retryAfterMs({ 'x-ratelimit-remaining-default': '0', 'x-ratelimit-reset-default': String(nowMs / 1000 + 9) }, { nowMs })).toBe(9_000);
    expect(retryAfterMs({ 'x-ratelimit-reset': String(nowMs + 1_500) }, { nowMs })).toBe(1_500);
    const two = { 'x-ratelimit-remaining-short': '0', 'x-ratelimit-reset-short': '2', 'x-ratelimit-remaining-long': '5', 'x-ratelimit-reset-long': '50' };
    expect(retryAfterMs(two, { nowMs })).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': '4', 'x-ratelimit-reset': '30' }, { nowMs })).toBe(4_000);
  });

  it("takes Discord's retry_after from the body first, in seconds on v8+ and milliseconds below", () => {
    const headers = { 'retry-after': '1', 'x-ratelimit-reset-after': '0.376' };
    expect(retryAfterMs(headers, { body: { retry_after: 0.376, global: false } })).toBe(376);
    expect(retryAfterMs(headers, { body: { retry_after: 1500 }, unit: 'ms' })).toBe(1_500);
    expect(retryAfterMs({ 'retry-after': '1500' }, { unit: 'ms' })).toBe(1_500);
    expect(retryAfterMs(headers, { body: '<html>' })).toBe(1_000);
  });

  it('rounds up without float noise, caps long waits, and says nothing when nothing readable was sent', () => {
    expect(retryAfterMs({ 'x-ratelimit-reset': String(nowMs / 1000 + 12) }, { nowMs })).toBe(12_000);
    expect(retryAfterMs({ 'retry-after': '0.0004' }, { nowMs })).toBe(1);
    expect(retryAfterMs({ 'retry-after': '3600' }, { nowMs })).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs({ 'retry-after': '3600' }, { nowMs, maxMs: 3_600_000 })).toBe(3_600_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, { nowMs })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '' }, { nowMs })).toBeUndefined();
    expect(retryAfterMs({}, { nowMs, body: { retry_after: 'soon' } })).toBeUndefined();
  });
});

describe('discordRateLimitUnit', () => {
  it('milliseconds on unversioned and pre-v8 paths, seconds on v8+ and on URLs that are not Discord-shaped', () => {
    expect(discordRateLimitUnit('https://discord.com/api/webhooks/1/tok')).toBe('ms');
    expect(discordRateLimitUnit('https://discord.com/api/v6/webhooks/1/tok')).toBe('ms');
    expect(discordRateLimitUnit('https://discord.com/api/v10/webhooks/1/tok')).toBe('s');
    expect(discordRateLimitUnit('https://discord.com/api/v10/channels/1/messages')).toBe('s');
    expect(discordRateLimitUnit('https://proxy.example/hooks/1/tok')).toBe('s');
    expect(discordRateLimitUnit('not a url')).toBe('s');
  });
});
