import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, RemoteError, TransientError, type Logger } from '../lib/index.js';
import { createMonCampusClient, homeGetUrl, readHomeGet, requestRange, sameSite, type MonCampusClientOptions } from './client.js';
import { normaliseCourses } from './normalise.js';
import { rawCourse } from './fixtures.test-data.js';

/**
 * A small fake of the CAS server and the timetable host (two listeners, so two origins on 127.0.0.1),
 * behaving as reference/moncampus.md describes: login form with `execution`, POST → 302 with a ticket,
 * ticket → timetable cookies + redirect to the clean URL, JSON with cookies, 302 or HTML when expired.
 */
interface FakeState {
  users: Record<string, string>;
  courses: unknown[];
  expiry: 'redirect' | 'html';
  /** Next N timetable GETs answer 500 (Infinity: all). */
  failGets: number;
  casFails: boolean;
  /** Timetable never accepts a session (a broken server), to check we stop after one re-login. */
  sessionsBroken: boolean;
  hang: boolean;
  issuedExecutions: Set<string>;
  tgcs: Set<string>;
  tickets: Map<string, string>;
  sessions: Set<string>;
  posts: number;
  loginPages: number;
  validations: number;
  gets: number;
  lastGet: { query: URLSearchParams; headers: IncomingMessage['headers'] } | null;
  lastPost: URLSearchParams | null;
}

const PASSWORD = 'S3cret-p@ss&word';
let seq = 0;
const next = (prefix: string) => `${prefix}-${++seq}`;

function freshState(): FakeState {
  return {
    users: { 'jean.dupont': PASSWORD },
    courses: [],
    expiry: 'redirect',
    failGets: 0,
    casFails: false,
    sessionsBroken: false,
    hang: false,
    issuedExecutions: new Set(),
    tgcs: new Set(),
    tickets: new Map(),
    sessions: new Set(),
    posts: 0,
    loginPages: 0,
    validations: 0,
    gets: 0,
    lastGet: null,
    lastPost: null,
  };
}

function cookiesOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += String(chunk);
  return s;
}

function loginForm(error = ''): string {
  const execution = next('e1s1');
  state.issuedExecutions.add(execution);
  // No _eventId in this form: the client must add it. Attribute order and quoting vary on purpose.
  return `<!DOCTYPE html><html><body>${error}
<form id="fm1" method="post" action="login">
  <input id="username" name="username" type="text" value="" />
  <input id="password" name="password" type="password" value=""/>
  <input type="hidden" name="execution" value="${execution}"/>
  <input name='lt' type='hidden' value='LT-1&amp;x'>
</form></body></html>`;
}

let state = freshState();
let cas: Server;
let timetable: Server;
let casUrl = '';
let url = '';

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body = ''): void {
  res.writeHead(status, headers);
  res.end(body);
}

async function casHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const u = new URL(req.url ?? '/', casUrl);
  if (state.casFails) {
    state.loginPages++;
    return send(res, 503, { 'Content-Type': 'text/html' }, 'maintenance');
  }
  if (u.pathname !== '/cas/login') return send(res, 404, {});
  const service = u.searchParams.get('service') ?? '';
  const withTicket = (user: string) => {
    const ticket = next('ST');
    state.tickets.set(ticket, user);
    return `${service}${service.includes('?') ? '&' : '?'}ticket=${ticket}`;
  };
  if (req.method === 'GET') {
    state.loginPages++;
    const tgc = cookiesOf(req).TGC;
    if (tgc && state.tgcs.has(tgc) && service) return send(res, 302, { Location: withTicket('sso') });
    return send(res, 200, { 'Content-Type': 'text/html;charset=UTF-8', 'Set-Cookie': `JSESSIONID=${next('cas')}; Path=/cas; HttpOnly` }, loginForm());
  }
  state.posts++;
  const form = new URLSearchParams(await bodyOf(req));
  state.lastPost = form;
  const execution = form.get('execution') ?? '';
  const ok =
    state.issuedExecutions.delete(execution) &&
    form.get('_eventId') === 'submit' &&
    form.get('lt') === 'LT-1&x' &&
    cookiesOf(req).JSESSIONID !== undefined &&
    state.users[form.get('username') ?? ''] === form.get('password');
  if (!ok) return send(res, 401, { 'Content-Type': 'text/html' }, loginForm('<div class="error">Mauvais identifiants</div>'));
  const tgc = next('TGT');
  state.tgcs.add(tgc);
  return send(res, 302, { Location: withTicket(form.get('username') ?? ''), 'Set-Cookie': `TGC=${tgc}; Path=/cas; HttpOnly` });
}

async function timetableHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const u = new URL(req.url ?? '/', url);
  if (state.hang) return; // never answers: the client's timeout must fire
  if (u.pathname !== '/Home/Get') return send(res, 404, {});
  const ticket = u.searchParams.get('ticket');
  if (ticket) {
    state.validations++;
    if (!state.tickets.delete(ticket)) return send(res, 302, { Location: `${casUrl}?service=${encodeURIComponent(url)}` });
    const auth = next('auth');
    state.sessions.add(auth);
    u.searchParams.delete('ticket');
    // A relative Location, as IIS sends: the client must resolve it against the timetable host.
    return send(res, 302, {
      Location: `${u.pathname}${u.search}`,
      'Set-Cookie': [`_DotNetCasClientAuth=${auth}; path=/; HttpOnly`, `ASP.NET_SessionId=${next('asp')}; path=/; HttpOnly`],
    });
  }
  state.gets++;
  state.lastGet = { query: u.searchParams, headers: req.headers };
  if (state.failGets > 0) {
    state.failGets--;
    return send(res, 500, { 'Content-Type': 'text/html' }, 'Server Error in / Application');
  }
  const auth = cookiesOf(req)._DotNetCasClientAuth;
  if (!state.sessionsBroken && auth && state.sessions.has(auth)) {
    return send(
      res,
      200,
      { 'Content-Type': 'application/json; charset=utf-8' },
      JSON.stringify({ Data: state.courses, Total: state.courses.length, AggregateResults: null, Errors: null }),
    );
  }
  const login = `${casUrl}?service=${encodeURIComponent(u.toString())}`;
  if (state.expiry === 'redirect') return send(res, 302, { Location: login });
  return send(res, 200, { 'Content-Type': 'text/html; charset=utf-8' }, `<html><body><a href="${login}">cas/login</a></body></html>`);
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => send(res, 599, {}, String(err)));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

beforeAll(async () => {
  const c = await listen(casHandler);
  const t = await listen(timetableHandler);
  cas = c.server;
  timetable = t.server;
  casUrl = `${c.base}/cas/login`;
  url = t.base;
});

afterAll(async () => {
  for (const s of [cas, timetable]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

beforeEach(() => {
  state = freshState();
  state.courses = COURSES;
});

// Window: Monday 31 March 2025 (the first day of summer time), Paris.
const WINDOW = { from: '2025-03-31T00:00:00+02:00', to: '2025-04-01T00:00:00+02:00' };
const COURSES = [
  rawCourse({ NoCours: 1, Start: '2025-03-31T10:30:00+02:00', End: '2025-03-31T13:30:00+02:00' }), // 08:30 Paris
  rawCourse({ NoCours: 2, Start: '2025-03-31T02:30:00+02:00', End: '2025-03-31T03:30:00+02:00' }), // 00:30 Paris: inside
  rawCourse({ NoCours: 3, Start: '2025-03-31T01:30:00+02:00', End: '2025-03-31T02:30:00+02:00' }), // 23:30 on the 30th: outside
  rawCourse({ NoCours: 4, Start: '2025-04-01T02:00:00+02:00', End: '2025-04-01T03:00:00+02:00' }), // 00:00 on 1 April: outside
  rawCourse({ NoCours: 5, Start: '2025-03-28T09:30:00+01:00', End: '2025-03-28T12:30:00+01:00' }), // Friday: outside
];

/** Records every log line as text, to prove secrets never reach a log. */
function capturingLogger(lines: string[]): Logger {
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  const logger: Logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: () => logger };
  return logger;
}

const noWait = { sleep: () => Promise.resolve() };
function client(o: Partial<MonCampusClientOptions> = {}) {
  return createMonCampusClient({ url, casUrl, username: 'jean.dupont', password: PASSWORD, timeoutMs: 5_000, retry: noWait, ...o });
}

describe('MonCampus client against a fake CAS + timetable', () => {
  it('logs in by plain HTTP, keeps cookies per origin, and returns the courses starting in the window', async () => {
    const lines: string[] = [];
    const c = client({ logger: capturingLogger(lines) });
    const courses = await c.fetchCourses(WINDOW);
    expect(courses.map((x) => x.NoCours)).toEqual([1, 2]);
    // GET form, POST, ticket validation, clean URL (whose JSON answer is used directly).
    expect(c.stats()).toEqual({ logins: 1, requests: 4 });
    expect(state.posts).toBe(1);
    expect(state.lastPost?.get('geolocation')).toBe('');
    const jar = c.cookies();
    expect(Object.keys(jar).sort()).toEqual([new URL(casUrl).origin, url].sort());
    expect(Object.keys(jar[new URL(casUrl).origin] ?? {}).sort()).toEqual(['JSESSIONID', 'TGC']);
    expect(Object.keys(jar[url] ?? {}).sort()).toEqual(['ASP.NET_SessionId', '_DotNetCasClientAuth']);

    const { events } = normaliseCourses(courses, { timezone: 'Europe/Paris' });
    expect(events.map((e) => e.start)).toEqual(['2025-03-31T00:30:00+02:00', '2025-03-31T08:30:00+02:00']);

    // Secrets never reach the log: not the password, not a cookie value, not a ticket.
    const text = lines.join('\n');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toMatch(/TGT-|auth-|asp-|ST-\d/);
  });

  it('asks for a wider whole-day range with the headers the page sends', async () => {
    const c = client();
    await c.fetchCourses(WINDOW);
    await c.fetchCourses(WINDOW); // a plain GET this time, headers visible
    expect(state.lastGet?.query.get('dateDebut')).toBe('2025-03-30T00:00:00.000Z');
    expect(state.lastGet?.query.get('dateFin')).toBe('2025-04-02T00:00:00.000Z');
    expect(['sort', 'group', 'filter'].map((k) => state.lastGet?.query.get(k))).toEqual(['', '', '']);
    expect(state.lastGet?.headers['x-requested-with']).toBe('XMLHttpRequest');
    expect(state.lastGet?.headers.accept).toBe('application/json');
  });

  it('reuses saved cookies without logging in', async () => {
    const first = client();
    await first.fetchCourses(WINDOW);
    const saved = JSON.parse(JSON.stringify(first.cookies()));
    const second = client({ cookies: saved, password: 'not-needed' });
    const courses = await second.fetchCourses(WINDOW);
    expect(courses).toHaveLength(2);
    expect(second.stats()).toEqual({ logins: 0, requests: 1 });
    expect(state.posts).toBe(1);
  });

  for (const expiry of ['redirect', 'html'] as const) {
    it(`logs in again exactly once when the session expired (${expiry} answer)`, async () => {
      state.expiry = expiry;
      const c = client();
      await c.fetchCourses(WINDOW);
      state.sessions.clear(); // timetable session gone, CAS ticket-granting cookie still valid
      expect(await c.fetchCourses(WINDOW)).toHaveLength(2);
      expect(c.stats().logins).toBe(2);
      expect(state.posts).toBe(1); // the CAS recognised us: no password sent again
      state.sessions.clear();
      state.tgcs.clear(); // both expired: the form is posted again
      expect(await c.fetchCourses(WINDOW)).toHaveLength(2);
      expect(c.stats().logins).toBe(3);
      expect(state.posts).toBe(2);
    });

    it(`stops after one re-login when the timetable keeps refusing the session (${expiry} answer)`, async () => {
      state.expiry = expiry;
      const c = client();
      await c.fetchCourses(WINDOW);
      state.sessionsBroken = true;
      const err = await c.fetchCourses(WINDOW).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as RemoteError).retryable).toBe(false);
      expect(c.stats().logins).toBe(2);
    });
  }

  it('refuses a bad password with AuthError and the exact message, without retrying or leaking it', async () => {
    const lines: string[] = [];
    const c = client({ password: 'wrong-password-123', logger: capturingLogger(lines) });
    const err = await c.fetchCourses(WINDOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toBe('MonCampus refused the login for jean.dupont');
    expect((err as AuthError).phase).toBe('login');
    expect((err as AuthError).retryable).toBe(false);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain('wrong-password-123');
    expect(lines.join('\n')).not.toContain('wrong-password-123');
    expect(state.posts).toBe(1);
    expect(c.stats().logins).toBe(1);
  });

  it('refuses an unknown user the same way', async () => {
    const err = await client({ username: 'nobody' })
      .fetchCourses(WINDOW)
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('MonCampus refused the login for nobody');
  });

  it('retries a 5xx and succeeds when the server recovers', async () => {
    const c = client();
    await c.fetchCourses(WINDOW);
    state.failGets = 2;
    expect(await c.fetchCourses(WINDOW)).toHaveLength(2);
    expect(state.gets).toBe(1 + 3);
    expect(c.stats().logins).toBe(1);
  });

  it('gives up on a lasting 5xx with a TransientError after a bounded number of attempts', async () => {
    const c = client();
    await c.fetchCourses(WINDOW);
    const before = state.gets;
    state.failGets = Infinity;
    const err = await c.fetchCourses(WINDOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(500);
    expect((err as TransientError).phase).toBe('fetch');
    expect((err as TransientError).message).toContain(new URL(url).host);
    expect(state.gets - before).toBe(3);
  });

  it('reports a CAS outage as a TransientError of the login phase', async () => {
    state.casFails = true;
    const err = await client({ retry: { ...noWait, attempts: 2 } })
      .fetchCourses(WINDOW)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).phase).toBe('login');
    expect((err as TransientError).status).toBe(503);
    expect(state.loginPages).toBe(2);
  });

  it('times out a silent server with a TransientError naming the host', async () => {
    const c = client();
    await c.fetchCourses(WINDOW);
    state.hang = true;
    const slow = client({ cookies: c.cookies(), timeoutMs: 200, retry: { ...noWait, attempts: 1 } });
    const err = await slow.fetchCourses(WINDOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toBe(`MonCampus request to ${new URL(url).host} timed out after 200 ms`);
  });
});

describe('requestRange and homeGetUrl', () => {
  it('sends the window wall clock as UTC, widened by a day on each side, in whole days', () => {
    expect(requestRange({ from: '2025-10-26T00:00:00+02:00', to: '2025-10-27T00:00:00+01:00' }, 'Europe/Paris')).toEqual({
      dateDebut: '2025-10-25T00:00:00.000Z',
      dateFin: '2025-10-28T00:00:00.000Z',
    });
    // A window given in UTC means the same instants: 22:00Z on the 30th is midnight in Paris.
    expect(requestRange({ from: '2025-03-30T22:00:00Z', to: '2025-03-31T12:15:00Z' }, 'Europe/Paris')).toEqual({
      dateDebut: '2025-03-30T00:00:00.000Z',
      dateFin: '2025-04-02T00:00:00.000Z',
    });
    expect(() => requestRange({ from: 'soon', to: 'later' }, 'Europe/Paris')).toThrow(RangeError);
  });

  it('builds the /Home/Get URL with empty sort, group and filter', () => {
    expect(homeGetUrl('https://ws-edt-igs.wigorservices.net/', { dateDebut: 'A', dateFin: 'B' })).toBe(
      'https://ws-edt-igs.wigorservices.net/Home/Get?sort=&group=&filter=&dateDebut=A&dateFin=B',
    );
  });
});

describe('readHomeGet', () => {
  const res = (o: Partial<Parameters<typeof readHomeGet>[0]>) =>
    readHomeGet({
      url: 'https://ws-edt-igs.wigorservices.net/Home/Get',
      status: 200,
      contentType: 'application/json',
      location: undefined,
      body: '{"Data":[]}',
      ...o,
    });
  it('classifies answers', () => {
    expect(res({})).toEqual({ kind: 'courses', courses: [], invalid: 0 });
    expect(res({ status: 302, location: 'https://cas-p.wigorservices.net/cas/login' })).toEqual({ kind: 'expired' });
    expect(res({ status: 401 })).toEqual({ kind: 'expired' });
    expect(res({ contentType: 'text/html', body: '<html>redirecting to cas/login</html>' })).toEqual({ kind: 'expired' });
    // JSON with a wrong content type is still a timetable.
    expect(res({ contentType: 'text/plain' }).kind).toBe('courses');
    expect(() => res({ status: 502 })).toThrow(TransientError);
    expect(() => res({ status: 404 })).toThrow(RemoteError);
    expect(() => res({ body: '{"Data":null,"Errors":{"x":["boom"]}}' })).toThrow(RemoteError);
    expect(() => res({ body: '"hello"' })).toThrow(RemoteError);
  });
});

describe('sameSite (which personal links the client may follow)', () => {
  it('is the timetable host or its site, never another host', () => {
    expect(sameSite('https://ws-edt-igs.wigorservices.net/Home/LienTeams?Tel=x', 'https://ws-edt-igs.wigorservices.net')).toBe(true);
    expect(sameSite('https://redirect.wigorservices.net/r?Tel=x', 'https://ws-edt-cd.wigorservices.net')).toBe(true);
    expect(sameSite('https://evil.example/r?Tel=x', 'https://ws-edt-igs.wigorservices.net')).toBe(false);
    expect(sameSite('http://127.0.0.1:9/r', 'http://127.0.0.1:8')).toBe(true);
    expect(sameSite('http://10.0.0.1/r', 'http://127.0.0.1:8')).toBe(false);
    expect(sameSite('not a url', 'http://127.0.0.1:8')).toBe(false);
  });
});
