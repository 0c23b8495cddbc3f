import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, RemoteError, silentLogger } from '../lib/index.js';
import { casLogin, discoverCas, MAX_REDIRECT_HOPS, parseContinueForm, parseLoginForm } from './cas-login.js';
import { createCookieJar } from './cookie-jar.js';
import { createHttp } from './http.js';

const FORM = `<form method="post"><input type="text" name="username"><input type="password" name="password">
<input type="hidden" name="execution" value="abc&amp;def"><input type="hidden" name="_eventId" value="submit"></form>`;

describe('parseLoginForm', () => {
  it('collects hidden fields with decoded values', () => {
    expect(parseLoginForm(FORM)).toEqual({ hidden: { execution: 'abc&def', _eventId: 'submit' } });
    expect(parseLoginForm(`<INPUT TYPE=hidden NAME=execution VALUE=e1s1><input id=username name=u><input type=password name=password>`)).toEqual({
      hidden: { execution: 'e1s1' },
    });
  });
  it('finds no form without a password field or an execution', () => {
    expect(parseLoginForm('<input type="hidden" name="execution" value="x">')).toBeNull();
    expect(parseLoginForm('<input type="password" name="password">')).toBeNull();
    // CAS's "change your password" form: password fields and an execution, but no user name.
    expect(
      parseLoginForm('<input type="password" name="password"><input type="password" name="confirmedPassword"><input type="hidden" name="execution" value="x">'),
    ).toBeNull();
    expect(parseLoginForm('{"Data":[]}')).toBeNull();
  });
});

describe('parseContinueForm', () => {
  const exec = '<input type="hidden" name="execution" value="e2s1">';
  it('finds the continue event as a hidden field, a button value or a _eventId_<name> button, with the form action', () => {
    expect(
      parseContinueForm(
        `<form action="/idp/login?x=1">${exec}<input type="hidden" name="_eventId" value="proceed"><button>OK</button></form>`,
        'https://cas.test/idp/login',
      ),
    ).toEqual({
      action: 'https://cas.test/idp/login?x=1',
      fields: { execution: 'e2s1', _eventId: 'proceed' },
    });
    expect(
      parseContinueForm(`<form method="post">${exec}<button type="submit" name="_eventId" value="proceed">Continuer</button></form>`, 'https://cas.test/l')
        ?.fields,
    ).toEqual({ execution: 'e2s1', _eventId: 'proceed' });
    expect(
      parseContinueForm(`<form>${exec}<input type="submit" name="_eventId_continue" value="Continuer"></form>`, 'https://cas.test/l')?.fields._eventId,
    ).toBe('continue');
  });
  it('finds none on a login form, a password-change form, or a page without an execution', () => {
    expect(parseContinueForm(`${FORM}<button name="_eventId" value="proceed">`, 'https://cas.test/l')).toBeNull();
    expect(
      parseContinueForm(
        `<form>${exec}<input type="password" name="password"><input type="hidden" name="_eventId" value="proceed"></form>`,
        'https://cas.test/l',
      ),
    ).toBeNull();
    expect(parseContinueForm('<button name="_eventId" value="proceed">', 'https://cas.test/l')).toBeNull();
  });
});

/** Paths of this server are scenarios: /<scenario>/cas/login. */
let server: Server;
let base = '';
let hops = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', base);
    const scenario = u.pathname.split('/')[1];
    req.resume();
    req.on('end', () => {
      if (scenario === 'loop') {
        hops++;
        res.writeHead(302, { Location: `/loop/cas/login?n=${hops}` });
        return res.end();
      }
      if (scenario === 'edt-html') {
        // The expired-session answer as an HTML page pointing at the CAS.
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(`<html><a href="${base}/idp/cas/login?service=x">Se connecter</a></html>`);
      }
      if (scenario === 'edt-hop') {
        res.writeHead(302, { Location: u.pathname.endsWith('/Index') ? `${base}/other/cas/login?service=y` : '/edt-hop/Home/Index' });
        return res.end();
      }
      if (scenario === 'noform') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end('<html>Service en maintenance</html>');
      }
      if (scenario === 'again') {
        // Old CAS: a refused POST answers 200 with the form again.
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(FORM);
      }
      if (scenario === 'forbidden') {
        if (req.method === 'POST') {
          res.writeHead(302, { Location: '/forbidden/app' });
          return res.end();
        }
        if (u.pathname === '/forbidden/app') {
          res.writeHead(403);
          return res.end();
        }
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(FORM);
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function login(scenario: string) {
  const http = createHttp({ jar: createCookieJar(), timeoutMs: 2_000, logger: silentLogger });
  return casLogin({
    http,
    casUrl: `${base}/${scenario}/cas/login`,
    serviceUrl: 'http://127.0.0.1:1/Home/Get?sort=&group=&filter=&dateDebut=a&dateFin=b',
    username: 'marie',
    password: 'pw-123456',
    logger: silentLogger,
  }).catch((e: unknown) => e);
}

describe('casLogin edge cases', () => {
  it('treats landing back on the login form as a refusal', async () => {
    const err = await login('again');
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe('MonCampus refused the login for marie');
  });

  it('treats a 4xx during the redirects as a refusal', async () => {
    expect(await login('forbidden')).toBeInstanceOf(AuthError);
  });

  it('stops a redirect loop after the hop cap', async () => {
    hops = 0;
    const err = await login('loop');
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toContain(`more than ${MAX_REDIRECT_HOPS}`);
    expect(hops).toBe(MAX_REDIRECT_HOPS + 1);
  });

  it('reports a page without a login form as a RemoteError', async () => {
    const err = await login('noform');
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/has no login form/);
  });
});

describe('discoverCas', () => {
  const discover = (path: string) =>
    discoverCas(createHttp({ jar: createCookieJar(), timeoutMs: 2_000, logger: silentLogger }), `${base}${path}`).catch((e: unknown) => e);
  it('reads the CAS from a redirect, after hops on the timetable host, or from an HTML page pointing at it', async () => {
    expect(await discover('/edt-hop/Home/Get')).toBe(`${base}/other/cas/login`);
    expect(await discover('/edt-html/Home/Get')).toBe(`${base}/idp/cas/login`);
  });
  it('says to set moncampus.casUrl when the host sends nowhere', async () => {
    const err = await discover('/noform/Home/Get');
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/did not send an anonymous visitor to a CAS login page \(it answered 200\); set moncampus.casUrl/);
  });
});
