import { describe, expect, it } from 'vitest';
import { canonicalPathError, createHttpApp, loggablePath } from './app.js';
import { captureLogger } from './test-support.test-helper.js';

describe('canonicalPathError', () => {
  it('accepts the paths this server has', () => {
    for (const p of [
      '/',
      '/health',
      '/v1/instances/alice_2/runs?limit=5',
      '/ics/alice.ics?token=a%2Bb',
      '/dashboard/app.3f2a9c.js',
      '/docs/',
      '/book/visio-30',
    ]) {
      expect(canonicalPathError(p), p).toBeNull();
    }
  });

  it('refuses every other spelling: percent-encodings, dot and empty segments, trailing dots, non-ASCII, absolute targets', () => {
    for (const p of [
      '/%76%31/instances',
      '/v%31/instances',
      '/v1/%69nstances',
      '/v1/instances/%2e%2e',
      '/v1/./instances',
      '/v1/../v1/instances',
      '//v1/instances',
      '/v1//instances',
      '/v1/instances.',
      '/v1./instances',
      '/v1/instances/alice%00',
      '/v1/instances/%C0%AF',
      '/v1/instances/é',
      '/v1\\instances',
      'http://127.0.0.1/v1/instances',
      '*',
      `/${'a'.repeat(600)}`,
    ]) {
      expect(canonicalPathError(p), p).not.toBeNull();
    }
  });
});

describe('createHttpApp', () => {
  const make = () => {
    const { logger, lines } = captureLogger();
    const http = createHttpApp({
      logger,
      keyMatches: (k) => k === 'key',
      redactor: async () => (t) => t.replaceAll('s3cret', '[REDACTED]'),
      closing: () => false,
    });
    http.router.get('/v1/things/:name', async (req) => ({ status: 200, json: { name: req.params.name, note: 'has s3cret' } }));
    http.router.get('/open', async () => ({ status: 200, json: { ok: true } }));
    http.router.post('/open', async (req) => ({ status: 201, json: { size: req.body?.length } }));
    return { app: http.app, lines };
  };

  it('guards /v1 on the path the router matches, and redacts its answers', async () => {
    const { app } = make();
    expect((await app.request('/v1/things/a')).status).toBe(401);
    expect((await app.request('/v1/things/a', { headers: { 'x-api-key': 'nope' } })).status).toBe(401);
    const ok = await app.request('/v1/things/a', { headers: { 'x-api-key': 'key' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'a', note: 'has [REDACTED]' });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    // The URL parser of app.request already normalises, so these reach the app as their canonical spelling or not at all.
    for (const p of ['/%76%31/things/a', '/V1/things/a', '/v1/things/a/']) {
      const res = await app.request(p);
      expect([401, 404], p).toContain(res.status);
      expect(await res.text()).not.toContain('REDACTED');
    }
  });

  it('answers 405 with Allow, 404 as JSON, and HEAD like GET without a body', async () => {
    const { app } = make();
    const del = await app.request('/open', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
    const missing = await app.request('/nothing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
    const head = await app.request('/open', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('caps POST bodies with 413', async () => {
    const { app } = make();
    const small = await app.request('/open', { method: 'POST', body: 'x'.repeat(10) });
    expect(await small.json()).toEqual({ size: 10 });
    const big = await app.request('/open', { method: 'POST', body: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
  });
});

describe('loggablePath', () => {
  it('hides the token of a status page or an invitation, and nothing else', () => {
    expect(loggablePath('/me/abcDEF_-123/password')).toBe('/me/<token>/password');
    expect(loggablePath('/me/abcDEF_-123')).toBe('/me/<token>');
    expect(loggablePath('/invite/xyz')).toBe('/invite/<token>');
    expect(loggablePath('/dashboard/state.json')).toBe('/dashboard/state.json');
  });
});
