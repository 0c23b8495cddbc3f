import { describe, expect, it } from 'vitest';
import { escapeHtml, parseCookies, queryRecord, readBody, redirect, sendJson, startServer } from './http-util.js';

describe('http-util', () => {
  it('parses Cookie headers, keeping the first of duplicate names and values with "="', () => {
    expect(parseCookies('a=1; b=x=y;c=3; a=2')).toEqual({ a: '1', b: 'x=y', c: '3' });
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies('junk; =nope')).toEqual({});
  });

  it('reads query parameters decoded, the last duplicate winning', () => {
    expect(queryRecord(new URLSearchParams('a=1&b=%2C%20x&a=2&c=x+y'))).toEqual({ a: '2', b: ', x', c: 'x y' });
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('serves on 127.0.0.1, reports status on finish, answers 500 on a throwing handler, and closes with open keep-alive sockets', async () => {
    const seen: string[] = [];
    const srv = await startServer(
      async (req, res, url) => {
        if (url.pathname === '/boom') throw new Error('boom');
        if (url.pathname === '/go') return redirect(res, '/there');
        sendJson(res, 200, { body: (await readBody(req)).toString('utf8') });
      },
      { onFinish: (req, url, status) => seen.push(`${req.method} ${url.pathname} ${status}`) },
    );
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}`);
    const echo = await fetch(`${srv.url}/echo`, { method: 'POST', body: 'héllo' });
    expect(await echo.json()).toEqual({ body: 'héllo' });
    const go = await fetch(`${srv.url}/go`, { redirect: 'manual' });
    expect(go.status).toBe(302);
    expect(go.headers.get('location')).toBe('/there');
    const boom = await fetch(`${srv.url}/boom`);
    expect(boom.status).toBe(500);
    expect(seen).toEqual(['POST /echo 200', 'GET /go 302', 'GET /boom 500']);
    await srv.close();
    await expect(fetch(`${srv.url}/echo`)).rejects.toThrow();
    await srv.close(); // idempotent
  });

  it('intercept: drops before the handler acts, answers an injected status, or drops after it acted', async () => {
    let effects = 0;
    const plan: Record<string, { received?: 'drop' | { status: number }; processed?: 'drop' }> = {
      '/before': { received: 'drop' },
      '/busy': { received: { status: 503 } },
      '/after': { processed: 'drop' },
    };
    const seen: string[] = [];
    const srv = await startServer(
      (_req, res) => {
        effects++;
        sendJson(res, 200, { ok: true });
      },
      {
        intercept: async ({ method, path, stage }) => {
          seen.push(`${method} ${path} ${stage}`);
          // Asynchronous like a real intercept, without waiting on the clock.
          await new Promise((r) => setImmediate(r));
          return plan[path]?.[stage];
        },
      },
    );
    await expect(fetch(`${srv.url}/before`, { method: 'POST' })).rejects.toThrow();
    expect(effects).toBe(0);
    expect((await fetch(`${srv.url}/busy`)).status).toBe(503);
    expect(effects).toBe(0);
    await expect(fetch(`${srv.url}/after`, { method: 'POST' })).rejects.toThrow();
    expect(effects).toBe(1);
    expect((await fetch(`${srv.url}/fine`)).status).toBe(200);
    expect(effects).toBe(2);
    expect(seen).toEqual([
      'POST /before received',
      'GET /busy received',
      'POST /after received',
      'POST /after processed',
      'GET /fine received',
      'GET /fine processed',
    ]);
    await srv.close();
  });
});
