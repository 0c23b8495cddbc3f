import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransientError, silentLogger } from '../lib/index.js';
import { createCookieJar } from './cookie-jar.js';
import { createHttp, RefusedHostError } from './http.js';

let server: Server;
let base = '';
const seen: { cookie: string | undefined; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      seen.push({ cookie: req.headers.cookie, body, contentType: req.headers['content-type'] });
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/elsewhere', 'Set-Cookie': ['a=1; Path=/', 'b=2; HttpOnly'] });
        return res.end();
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"Data":[]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('createHttp', () => {
  it('under a host policy, asks it before every request and sends nothing to a refused host', async () => {
    const http = createHttp({ jar: createCookieJar(), timeoutMs: 2_000, logger: silentLogger, policy: { role: 'invitee', origins: new Set([base]) } });
    const before = seen.length;
    await expect(http.request({ method: 'GET', url: `${base}/ok`, phase: 'login' })).resolves.toMatchObject({ status: 200 });
    // The same server under another name is another host to the policy: refused, never reached.
    const other = base.replace('127.0.0.1', 'localhost');
    const refused = await http.request({ method: 'GET', url: `${other}/cas/login`, phase: 'login' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedHostError);
    expect(refused).toMatchObject({ host: other.slice('http://'.length), reason: 'local-name', retryable: false });
    expect(seen.length).toBe(before + 1);
    expect(http.count()).toBe(1);
  });

  it('does not follow redirects, stores Set-Cookie for the origin and sends it back', async () => {
    const jar = createCookieJar();
    const http = createHttp({ jar, timeoutMs: 2_000, logger: silentLogger });
    const r = await http.request({ method: 'GET', url: `${base}/redirect`, phase: 'login' });
    expect(r).toMatchObject({ status: 302, location: '/elsewhere', url: `${base}/redirect` });
    expect(jar.state()).toEqual({ [base]: { a: '1', b: '2' } });
    const j = await http.request({ method: 'POST', url: `${base}/json`, form: { username: 'u', password: 'p&q=r' }, phase: 'login' });
    // The body stays text even for JSON: the caller validates it.
    expect(j.body).toBe('{"Data":[]}');
    expect(j.contentType).toBe('application/json');
    expect(seen.at(-1)).toEqual({ cookie: 'a=1; b=2', body: 'username=u&password=p%26q%3Dr', contentType: 'application/x-www-form-urlencoded' });
    expect(http.count()).toBe(2);
  });

  it('turns a refused connection into a TransientError naming only the host', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const http = createHttp({ jar: createCookieJar(), timeoutMs: 2_000, logger: silentLogger });
    const err = await http
      .request({ method: 'POST', url: `http://127.0.0.1:${port}/cas/login`, form: { password: 'hunter22' }, phase: 'login' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).message).toBe(`MonCampus request to 127.0.0.1:${port} failed (ECONNREFUSED)`);
    expect((err as TransientError).phase).toBe('login');
    // No axios error as cause: its config would carry the posted password.
    expect((err as Error).cause).toBeUndefined();
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain('hunter22');
  });
});
