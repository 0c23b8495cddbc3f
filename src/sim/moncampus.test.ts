import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { startMonCampusSim, type MonCampusSim, type SimCourseSpec } from './moncampus.js';
import { expectAnswerAfter } from './latency.test-helper.js';

/*
 * A throw-away client written from the reference's "Login" steps, not from our agenda client: one
 * cookie jar per host, hand-followed redirects, every hidden field plus `_eventId=submit`.
 */
type Jar = Map<string, string>;
type Jars = Map<string, Jar>;

function jarFor(jars: Jars, url: string): Jar {
  const host = new URL(url).host;
  let jar = jars.get(host);
  if (!jar) jars.set(host, (jar = new Map()));
  return jar;
}

async function request(jars: Jars, url: string, init: RequestInit = {}): Promise<Response> {
  const jar = jarFor(jars, url);
  const headers = new Headers(init.headers);
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    if (/max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return res;
}

function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name)
      out[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
  }
  return out;
}

function homeGetUrl(sim: MonCampusSim, from = '2025-01-01T00:00:00.000Z', to = '2025-12-31T23:59:59.000Z'): string {
  return `${sim.url}/Home/Get?sort=&group=&filter=&dateDebut=${from}&dateFin=${to}`;
}

function loginUrl(sim: MonCampusSim, service: string): string {
  return `${sim.casUrl}?service=${encodeURIComponent(service)}`;
}

async function postForm(jars: Jars, url: string, fields: Record<string, string>): Promise<Response> {
  return request(jars, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Follows 3xx by hand; returns the final response and the URLs visited. */
async function follow(jars: Jars, first: Response, firstUrl: string, maxHops = 15): Promise<{ res: Response; url: string; hops: string[] }> {
  let res = first;
  let url = firstUrl;
  const hops: string[] = [];
  while (res.status >= 300 && res.status < 400) {
    if (hops.length >= maxHops) throw new Error('too many redirects');
    url = new URL(res.headers.get('location')!, url).toString();
    hops.push(url);
    res = await request(jars, url, { headers: { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' } });
  }
  return { res, url, hops };
}

async function login(sim: MonCampusSim, jars: Jars, user = 'student', password = 'secret', service = homeGetUrl(sim)) {
  const url = loginUrl(sim, service);
  const page = await request(jars, url);
  const html = await page.text();
  const fields: Record<string, string> = { ...hiddenFields(html), username: user, password, _eventId: 'submit' };
  const posted = await postForm(jars, url, fields);
  return { page, html, posted, fields, url };
}

const course = (over: Partial<SimCourseSpec> & Pick<SimCourseSpec, 'id' | 'start' | 'end'>): SimCourseSpec => ({
  title: 'G1 Administration des BDD',
  comment: 'Administration BDD: SQL Server',
  subject: 'Administration des BDD',
  room: 'B110-S(Bâtiment B)',
  teacher: 'CEZERA STÉPHANE',
  group: 'BACH3 DEV G1',
  ...over,
});

describe('MonCampus simulator: CAS login', () => {
  let sim: MonCampusSim;
  beforeAll(async () => {
    sim = await startMonCampusSim({
      courses: [course({ id: 1, start: '2025-06-02T08:30', end: '2025-06-02T10:00' })],
    });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.expireSessions());

  it('serves a login form with #username, #password and a hidden execution, and a CAS session cookie', async () => {
    const jars: Jars = new Map();
    const res = await request(jars, loginUrl(sim, homeGetUrl(sim)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/id="username"/);
    expect(html).toMatch(/id="password"/);
    expect(hiddenFields(html).execution).toMatch(/.{40,}/);
    expect(html).not.toMatch(/name="_eventId"/);
    expect(jarFor(jars, sim.casUrl).has('JSESSIONID')).toBe(true);
  });

  it('logs in over plain HTTP: ticket to the timetable host, its cookies, then JSON', async () => {
    const jars: Jars = new Map();
    const before = sim.stats();
    const { posted, url } = await login(sim, jars);
    expect(posted.status).toBe(302);
    const location = posted.headers.get('location')!;
    expect(location.startsWith(`${homeGetUrl(sim)}&ticket=ST-`)).toBe(true);
    expect(jarFor(jars, sim.casUrl).has('TGC')).toBe(true);

    const { res, hops } = await follow(jars, posted, url);
    expect(hops.length).toBeGreaterThanOrEqual(2);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const edtJar = jarFor(jars, sim.url);
    expect(edtJar.has('_DotNetCasClientAuth')).toBe(true);
    expect(edtJar.has('ASP.NET_SessionId')).toBe(true);
    // Cookies stay with the host that set them.
    expect(edtJar.has('TGC')).toBe(false);
    const body = (await res.json()) as { Data: { NoCours: number }[]; Total: number };
    expect(body.Data.map((c) => c.NoCours)).toEqual([1]);
    expect(body.Total).toBe(1);
    expect(sim.stats()).toEqual({ logins: before.logins + 1, failedLogins: before.failedLogins, homeGets: before.homeGets + 1 });

    // The session is reusable without CAS.
    const again = await request(jars, homeGetUrl(sim), { headers: { accept: 'application/json' } });
    expect(again.status).toBe(200);
  });

  it('redirects to the service with ?ticket= when the service has no query', async () => {
    const jars: Jars = new Map();
    const { posted } = await login(sim, jars, 'student', 'secret', `${sim.url}/Home/Index`);
    expect(posted.headers.get('location')).toMatch(new RegExp(`^${sim.url}/Home/Index\\?ticket=ST-`));
  });

  it('refuses a bad password with 401 and the form again, with an error and a fresh execution', async () => {
    const jars: Jars = new Map();
    const before = sim.stats();
    const { posted, fields } = await login(sim, jars, 'student', 'wrong');
    expect(posted.status).toBe(401);
    expect(posted.headers.get('location')).toBeNull();
    const html = await posted.text();
    expect(html).toMatch(/id="password"/);
    expect(html).toMatch(/Mauvais identifiant/);
    expect(hiddenFields(html).execution).not.toBe(fields.execution);
    expect(sim.stats().failedLogins).toBe(before.failedLogins + 1);
    expect(sim.stats().logins).toBe(before.logins);
  });

  it('refuses an unknown user', async () => {
    const { posted } = await login(sim, new Map(), 'nobody', 'secret');
    expect(posted.status).toBe(401);
  });

  it('never accepts an execution twice, even with good credentials', async () => {
    const jars: Jars = new Map();
    const { posted, fields, url } = await login(sim, jars, 'student', 'wrong');
    expect(posted.status).toBe(401);
    const replay = await postForm(jars, url, { ...fields, password: 'secret' });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toMatch(/id="username"/);
  });

  it('refuses an execution presented without the CAS cookie it was issued with', async () => {
    const jars: Jars = new Map();
    const url = loginUrl(sim, homeGetUrl(sim));
    const fields = hiddenFields(await (await request(jars, url)).text());
    const res = await postForm(new Map(), url, { ...fields, username: 'student', password: 'secret', _eventId: 'submit' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
  });

  it('shows the form again when the POST lacks _eventId=submit or a missing execution', async () => {
    const jars: Jars = new Map();
    const url = loginUrl(sim, homeGetUrl(sim));
    const fields = hiddenFields(await (await request(jars, url)).text());
    const noEvent = await postForm(jars, url, { ...fields, username: 'student', password: 'secret' });
    expect(noEvent.status).toBe(200);
    expect(noEvent.headers.get('location')).toBeNull();
    const noExecution = await postForm(jars, url, { username: 'student', password: 'secret', _eventId: 'submit' });
    expect(noExecution.status).toBe(200);
    expect(await noExecution.text()).toMatch(/id="password"/);
  });

  it('accepts a new password after setPassword', async () => {
    sim.setPassword('student', 'n3w p@ss+&=');
    try {
      expect((await login(sim, new Map(), 'student', 'secret')).posted.status).toBe(401);
      expect((await login(sim, new Map(), 'student', 'n3w p@ss+&=')).posted.status).toBe(302);
    } finally {
      sim.setPassword('student', 'secret');
    }
  });

  it('uses a service ticket once only, and only for its service', async () => {
    const jars: Jars = new Map();
    const { posted } = await login(sim, jars);
    const ticketUrl = posted.headers.get('location')!;
    const first = await request(jars, ticketUrl);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(new URL(homeGetUrl(sim)).pathname + new URL(homeGetUrl(sim)).search);

    const thief: Jars = new Map();
    const replay = await request(thief, ticketUrl);
    expect(replay.status).toBe(302);
    expect(replay.headers.get('location')!.startsWith(`${sim.casUrl}?service=`)).toBe(true);
    expect(jarFor(thief, sim.url).has('_DotNetCasClientAuth')).toBe(false);

    const other = await login(sim, new Map());
    const ticket = new URL(other.posted.headers.get('location')!).searchParams.get('ticket')!;
    const wrongService = await request(new Map(), `${sim.url}/Home/Index?ticket=${ticket}`);
    expect(wrongService.status).toBe(302);
    expect(wrongService.headers.get('location')!.startsWith(sim.casUrl)).toBe(true);
  });

  it('refuses services that are not the timetable host', async () => {
    const res = await request(new Map(), loginUrl(sim, 'http://evil.example/Home/Get'));
    expect(res.status).toBe(403);
  });

  it('answers /Home/Get without its query with a 500, as the reference warns', async () => {
    const jars: Jars = new Map();
    const { posted, url } = await login(sim, jars);
    await follow(jars, posted, url);
    const bare = await request(jars, `${sim.url}/Home/Get`);
    expect(bare.status).toBe(500);
  });

  it('logs every request of both hosts, without bodies', async () => {
    sim.resetLog();
    const jars: Jars = new Map();
    const { posted, url } = await login(sim, jars);
    await follow(jars, posted, url);
    expect(sim.requests.map((r) => `${r.host} ${r.method} ${r.path} ${r.status}`)).toEqual([
      'cas GET /sso/cas/login 200',
      'cas POST /sso/cas/login 302',
      'edt GET /Home/Get 302',
      'edt GET /Home/Get 200',
    ]);
    expect(sim.requests[2]!.query.ticket).toMatch(/^ST-/);
    expect(sim.requests[0]!.query.service).toBe(homeGetUrl(sim));
    expect(JSON.stringify(sim.requests)).not.toContain('secret');
    sim.resetLog();
    expect(sim.requests).toEqual([]);
  });
});

describe('MonCampus simulator: session expiry', () => {
  let sim: MonCampusSim;
  let clock = new Date('2025-09-01T08:00:00Z');
  beforeAll(async () => {
    sim = await startMonCampusSim({ sessionTtlMs: 60_000, now: () => clock });
  });
  afterAll(() => sim.close());

  async function loggedIn(): Promise<Jars> {
    const jars: Jars = new Map();
    const { posted, url } = await login(sim, jars);
    const { res } = await follow(jars, posted, url);
    expect(res.status).toBe(200);
    return jars;
  }

  it('redirects to CAS with service= once sessions are expired', async () => {
    const jars = await loggedIn();
    sim.expireSessions();
    const res = await request(jars, homeGetUrl(sim));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(sim.casUrl);
    expect(location.searchParams.get('service')).toBe(homeGetUrl(sim));
  });

  it('answers an HTML page mentioning cas/login in html mode', async () => {
    const jars = await loggedIn();
    sim.setExpiredAnswer('html');
    try {
      sim.expireSessions();
      const res = await request(jars, homeGetUrl(sim));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('cas/login');
    } finally {
      sim.setExpiredAnswer('redirect');
    }
  });

  it('expires a session after sessionTtlMs of the injected clock', async () => {
    const jars = await loggedIn();
    clock = new Date(clock.getTime() + 59_000);
    expect((await request(jars, homeGetUrl(sim))).status).toBe(200);
    clock = new Date(clock.getTime() + 2_000);
    expect((await request(jars, homeGetUrl(sim))).status).toBe(302);
  });

  it('treats a request without cookies as not logged in', async () => {
    expect((await request(new Map(), homeGetUrl(sim))).status).toBe(302);
  });

  it('refuses a ticket redeemed after it expired (CAS default 10 s)', async () => {
    const jars: Jars = new Map();
    const { posted } = await login(sim, jars);
    clock = new Date(clock.getTime() + 11_000);
    const res = await request(jars, posted.headers.get('location')!);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')!.startsWith(sim.casUrl)).toBe(true);
  });
});

describe('MonCampus simulator: timetable JSON', () => {
  let sim: MonCampusSim;
  let jars: Jars;
  beforeAll(async () => {
    sim = await startMonCampusSim();
    jars = new Map();
    const { posted, url } = await login(sim, jars);
    await follow(jars, posted, url);
  });
  afterAll(() => sim.close());

  async function get(from: string, to: string): Promise<Record<string, unknown>[]> {
    const res = await request(jars, homeGetUrl(sim, from, to), { headers: { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { Data: Record<string, unknown>[]; Total: number; AggregateResults: unknown; Errors: unknown };
    expect(body.Total).toBe(body.Data.length);
    expect(body.AggregateResults).toBeNull();
    expect(body.Errors).toBeNull();
    return body.Data;
  }

  it('applies the time-zone quirk on both sides of the 2025 DST changes', async () => {
    sim.setCourses([
      course({ id: 10, start: '2025-03-29T08:30', end: '2025-03-29T10:00' }),
      course({ id: 11, start: '2025-03-30T08:30', end: '2025-03-30T10:00' }),
      course({ id: 12, start: '2025-10-25T08:30', end: '2025-10-25T10:00' }),
      course({ id: 13, start: '2025-10-26T08:30', end: '2025-10-26T10:00' }),
      course({ id: 14, start: '2025-01-15T13:30', end: '2025-01-15T15:30' }),
      course({ id: 15, start: '2025-07-15T17:45', end: '2025-07-15T19:00' }),
    ]);
    const data = await get('2025-01-01T00:00:00.000Z', '2025-12-31T23:59:59.000Z');
    const starts = Object.fromEntries(data.map((c) => [c.NoCours, [c.Start, c.End]]));
    expect(starts).toEqual({
      10: ['2025-03-29T09:30:00+01:00', '2025-03-29T11:00:00+01:00'],
      11: ['2025-03-30T10:30:00+02:00', '2025-03-30T12:00:00+02:00'],
      12: ['2025-10-25T10:30:00+02:00', '2025-10-25T12:00:00+02:00'],
      13: ['2025-10-26T09:30:00+01:00', '2025-10-26T11:00:00+01:00'],
      14: ['2025-01-15T14:30:00+01:00', '2025-01-15T16:30:00+01:00'],
      15: ['2025-07-15T19:45:00+02:00', '2025-07-15T21:00:00+02:00'],
    });
    // The reference's rule, checked independently: the UTC hours:minutes are the Paris wall clock.
    for (const c of data) {
      const d = new Date(c.Start as string);
      expect(`${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`).toMatch(/^(08:30|13:30|17:45)$/);
    }
  });

  it('renders /Date(ms)/ with the same instant for aspnet courses', async () => {
    sim.setCourses([
      course({ id: 20, start: '2025-03-30T08:30', end: '2025-03-30T10:00', dateFormat: 'aspnet' }),
      course({ id: 21, start: '2025-10-26T08:30', end: '2025-10-26T10:00', dateFormat: 'aspnet' }),
      course({ id: 22, start: '2025-03-29T08:30', end: '2025-03-29T10:00', dateFormat: 'aspnet' }),
    ]);
    const data = await get('2025-01-01T00:00:00.000Z', '2025-12-31T23:59:59.000Z');
    expect(data.map((c) => c.Start)).toEqual(['/Date(1743323400000)/', '/Date(1761467400000)/', '/Date(1743237000000)/']);
    expect(data[0]!.End).toBe('/Date(1743328800000)/');
  });

  it('renders every field of the reference with its type', async () => {
    sim.setCourses([
      course({ id: 30, start: '2025-06-02T10:15', end: '2025-06-02T12:15', room: 'DISTANCIEL', teamsUrl: 'https://teams.microsoft.com/l/meetup-join/abc' }),
      course({ id: 31, start: '2025-06-02T13:30', end: '2025-06-02T15:30', comment: 'COMMENTAIRE', room: 'Aucune', teacher: null, group: null, subject: null }),
    ]);
    const [remote, bare] = await get('2025-06-02T00:00:00.000Z', '2025-06-02T23:59:59.000Z');
    const strings = [
      'Commentaire',
      'LibelleGroupe',
      'LibelleSemaine',
      'Matiere',
      'Salles',
      'NomEcole',
      'LogoEcole',
      'CoursMixtePicto',
      'CoursMixteInfoBulle',
      'FondCour',
      'NomProf',
      'RecurrenceRule',
      'RecurrenceID',
      'RecurrenceException',
      'Title',
      'Description',
      'StartTimezone',
      'EndTimezone',
      'TeamsURL',
      'TeamsUrl',
      'LienTrack',
    ];
    const numbers = ['NoCours', 'NoGroupe', 'ColorRed', 'ColorGreen', 'ColorBlue', 'Origine'];
    for (const c of [remote!, bare!]) {
      for (const f of strings) expect(c[f] === null || typeof c[f] === 'string', f).toBe(true);
      for (const f of numbers) expect(typeof c[f], f).toBe('number');
      expect(c.IsAllDay).toBe(false);
      expect(typeof c.Start).toBe('string');
      expect(typeof c.End).toBe('string');
      expect(c.Duree).toBe(120);
    }
    expect(remote!.TeamsUrl).toBe('<a href="https://teams.microsoft.com/l/meetup-join/abc" target="_blank"><img src="/Content/img/MTeams_Rejoindre.png"></a>');
    expect(remote!.Salles).toBe('DISTANCIEL');
    expect(remote!.Title).toBe('G1 Administration des BDD');
    expect(remote!.NomProf).toBe('CEZERA STÉPHANE');
    expect(bare!.Commentaire).toBe('COMMENTAIRE');
    expect(bare!.Salles).toBe('Aucune');
    expect(bare!.NomProf).toBeNull();
    expect(bare!.TeamsUrl).toBeNull();
    expect(bare!.Matiere).toBeNull();
  });

  it('returns courses whose Start falls in [dateDebut, dateFin] (bounds included, duplicates kept)', async () => {
    const dup = course({ id: 41, start: '2025-06-03T10:15', end: '2025-06-03T12:15' });
    sim.setCourses([
      course({ id: 40, start: '2025-06-03T08:30', end: '2025-06-03T10:00' }),
      dup,
      dup,
      course({ id: 42, start: '2025-06-03T13:30', end: '2025-06-03T15:30' }),
      course({ id: 43, start: '2025-06-04T08:30', end: '2025-06-04T10:00' }),
    ]);
    // Bounds are compared with the quirky instant: 08:30 "UTC" is the class at 08:30 Paris.
    const ids = (await get('2025-06-03T08:30:00.000Z', '2025-06-03T13:30:00.000Z')).map((c) => c.NoCours);
    expect(ids).toEqual([40, 41, 41, 42]);
    const encoded = await request(jars, homeGetUrl(sim, encodeURIComponent('2025-06-04T00:00:00.000Z'), encodeURIComponent('2025-06-04T23:59:59.000Z')));
    expect(((await encoded.json()) as { Data: { NoCours: number }[] }).Data.map((c) => c.NoCours)).toEqual([43]);
    expect(await get('2024-01-01T00:00:00.000Z', '2024-12-31T00:00:00.000Z')).toEqual([]);
  });

  it('rejects malformed course specs when they are set', () => {
    expect(() => sim.setCourses([course({ id: 1, start: '2025-06-03 08:30', end: '2025-06-03T10:00' })])).toThrow();
    expect(() => sim.setCourses([course({ id: 1, start: '2025-02-30T08:30', end: '2025-02-30T10:00' })])).toThrow();
  });
});

describe('MonCampus simulator: options', () => {
  it('adds latencyMs before every response', async () => {
    const clock = fakeClock();
    const sim = await startMonCampusSim({ latencyMs: 60, clock });
    try {
      const cas = await expectAnswerAfter(clock, 60, () => request(new Map(), loginUrl(sim, homeGetUrl(sim))));
      expect(cas.status).toBe(200);
      const edt = await expectAnswerAfter(clock, 60, () => request(new Map(), homeGetUrl(sim)));
      expect(edt.status).toBe(302);
      sim.setLatency(0);
      // The clock never moves: an answer that comes at all did not wait on it.
      const fast = await request(new Map(), loginUrl(sim, homeGetUrl(sim)));
      expect(fast.status).toBe(200);
      expect(clock.pendingTimers()).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('skips the form for a valid TGC when casSso is on, and not by default', async () => {
    const sso = await startMonCampusSim({ casSso: true, users: { alice: 'pw' } });
    try {
      const jars: Jars = new Map();
      expect((await login(sso, jars, 'alice', 'pw')).posted.status).toBe(302);
      const again = await request(jars, loginUrl(sso, homeGetUrl(sso)));
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toMatch(/ticket=ST-/);
      expect(sso.stats().logins).toBe(1);
    } finally {
      await sso.close();
    }
    const plain = await startMonCampusSim();
    try {
      const jars: Jars = new Map();
      await login(plain, jars);
      expect((await request(jars, loginUrl(plain, homeGetUrl(plain)))).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});

describe('MonCampus simulator: facts found in 2026', () => {
  it('sends an anonymous visitor of the timetable host to a CAS on another host and path', async () => {
    const sim = await startMonCampusSim();
    try {
      const res = await request(new Map(), homeGetUrl(sim));
      expect(res.status).toBe(302);
      const cas = new URL(res.headers.get('location')!);
      expect(`${cas.origin}${cas.pathname}`).toBe(sim.casUrl);
      expect(cas.host).not.toBe(new URL(sim.url).host);
      expect(cas.pathname).not.toBe('/cas/login');
      expect(cas.searchParams.get('service')).toBe(homeGetUrl(sim));
    } finally {
      await sim.close();
    }
  });

  it('shows a notice after a correct password: "continue" (proceed) leads on, blocking ones and must-change have none', async () => {
    const sim = await startMonCampusSim({ notices: { student: 'interrupt' } });
    try {
      const jars: Jars = new Map();
      const { posted, url } = await login(sim, jars);
      expect(posted.status).toBe(200);
      const page = await posted.text();
      expect(page).toMatch(/name="_eventId" value="proceed"/);
      expect(page).not.toMatch(/id="username"/);
      const on = await postForm(jars, url, { ...hiddenFields(page), _eventId: 'proceed' });
      expect(on.status).toBe(302);
      expect(on.headers.get('location')).toMatch(/ticket=ST-/);

      sim.setNotice('student', 'mustChange');
      const change = await (await login(sim, new Map())).posted.text();
      expect(change).toMatch(/type="password"/);
      expect(change).not.toMatch(/id="username"/);
      expect(change).not.toMatch(/proceed/);
      sim.setNotice('student', 'blocked');
      const blocked = await login(sim, new Map());
      expect(blocked.posted.status).toBe(200);
      expect(await blocked.posted.text()).not.toMatch(/<form/);
      // Someone else logs in as usual.
      sim.setNotice('student', null);
      expect((await login(sim, new Map())).posted.status).toBe(302);
    } finally {
      await sim.close();
    }
  });

  it('half-expired sessions answer 200 with an empty Data until the next login', async () => {
    const sim = await startMonCampusSim({ courses: [course({ id: 1, start: '2025-06-02T08:30', end: '2025-06-02T10:00' })] });
    try {
      const jars: Jars = new Map();
      const { posted, url } = await login(sim, jars);
      expect(((await (await follow(jars, posted, url)).res.json()) as { Data: unknown[] }).Data).toHaveLength(1);
      sim.halfExpireSessions();
      const half = await request(jars, homeGetUrl(sim));
      expect(half.status).toBe(200);
      expect(((await half.json()) as { Data: unknown[] }).Data).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('renders Start/End with a space when asked, and personal Teams redirects that lead to the meeting', async () => {
    const teams = 'https://teams.microsoft.com/l/meetup-join/xyz';
    const sim = await startMonCampusSim({
      personalTeamsLinks: true,
      courses: [course({ id: 7, start: '2025-06-02T08:30', end: '2025-06-02T10:00', dateFormat: 'space', teamsUrl: teams })],
    });
    try {
      const jars: Jars = new Map();
      const { posted, url } = await login(sim, jars);
      const [c] = ((await (await follow(jars, posted, url)).res.json()) as { Data: { Start: string; End: string; TeamsUrl: string }[] }).Data;
      expect([c?.Start, c?.End]).toEqual(['2025-06-02 08:30:00', '2025-06-02 10:00:00']);
      const link = /href="([^"]+)"/.exec(c?.TeamsUrl ?? '')![1]!.replace(/&amp;/g, '&');
      expect(new URL(link).searchParams.get('Tel')).toBe('student');
      const res = await request(new Map(), link);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(teams);
      const forged = new URL(link);
      forged.searchParams.set('Tel', 'someone.else');
      expect((await request(new Map(), forged.toString())).status).toBe(404);
    } finally {
      await sim.close();
    }
  });
});
