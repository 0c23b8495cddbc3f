import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError, TransientError } from '../../lib/index.js';
import { MAX_RATE_LIMIT_WAIT_MS, createJsonGetter, rateLimitWaitMs } from './http.js';

let server: Server;
let base = '';
let respond: (res: ServerResponse) => void = (res) => void res.end('{}');
beforeAll(async () => {
  server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const getter = () =>
  createJsonGetter({
    service: 'Test',
    authStatuses: [401],
    authMessage: 'refused',
    secrets: ['topsecret-value'],
    retry: { attempts: 2, sleep: async () => {} },
  });

describe('createJsonGetter', () => {
  it('reports a redirect instead of following it', async () => {
    respond = (res) => {
      res.writeHead(302, { location: 'https://login.example/' });
      res.end();
    };
    const err = await getter()({ url: `${base}/x?key=topsecret-value`, what: '/x' }, { requests: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toBe('Test GET /x answered 302 (redirect; check the configured URL)');
  });

  it('hides secrets echoed in an error body and counts every attempt', async () => {
    respond = (res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('backend down for key topsecret-value');
    };
    const counter = { requests: 0 };
    const err = await getter()({ url: `${base}/x`, what: '/x' }, counter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toBe('Test GET /x answered 503: backend down for key [REDACTED] (gave up after 2 attempts)');
    expect(counter.requests).toBe(2);
  });

  it('reads an empty 200 as no body', async () => {
    respond = (res) => res.end('');
    expect(await getter()({ url: `${base}/x`, what: '/x' }, { requests: 0 })).toBeUndefined();
  });
});

describe('rateLimitWaitMs', () => {
  const now = Date.parse('2026-03-03T08:00:00Z');
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(rateLimitWaitMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(rateLimitWaitMs({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(rateLimitWaitMs({ 'retry-after': 'Tue, 03 Mar 2026 08:00:10 GMT' }, now)).toBe(10_000);
  });
  it('reads X-RateLimit-Reset as seconds to wait or a Unix time', () => {
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': '4' }, now)).toBe(4_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 + 12) }, now)).toBe(12_000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now + 1_500) }, now)).toBe(1_500);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 - 5) }, now)).toBe(0);
  });
  it('reads the suffixed forms Cal.com v2 sends without Retry-After, the longest exhausted limit winning', () => {
    expect(
      rateLimitWaitMs({ 'x-ratelimit-limit-default': '120', 'x-ratelimit-remaining-default': '0', 'x-ratelimit-reset-default': String(now / 1000 + 9) }, now),
    ).toBe(9_000);
    const two = {
      'x-ratelimit-remaining-short': '0',
      'x-ratelimit-reset-short': '2',
      'x-ratelimit-remaining-long': '40',
      'x-ratelimit-reset-long': '50',
      'x-ratelimit-remaining-medium': '0',
      'x-ratelimit-reset-medium': '5',
    };
    expect(rateLimitWaitMs(two, now)).toBe(5_000);
    expect(rateLimitWaitMs({ 'retry-after-default': '4', 'x-ratelimit-reset-default': '30' }, now)).toBe(4_000);
    // Every limit says requests are left, yet the answer is a 429: the resets are still the best guess.
    expect(rateLimitWaitMs({ 'x-ratelimit-remaining-default': '3', 'x-ratelimit-reset-default': '6' }, now)).toBe(6_000);
  });
  it('caps long waits and ignores junk', () => {
    expect(rateLimitWaitMs({ 'retry-after': '3600' }, now)).toBe(MAX_RATE_LIMIT_WAIT_MS);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 + 86_400) }, now)).toBe(MAX_RATE_LIMIT_WAIT_MS);
    expect(rateLimitWaitMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(rateLimitWaitMs({}, now)).toBeUndefined();
  });
});
