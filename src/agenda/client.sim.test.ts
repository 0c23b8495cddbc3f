import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
// Test-only import: the faithful simulator is written from the reference, independently of this client.
import { startMonCampusSim, type MonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { AuthError, RemoteError } from '../lib/index.js';
import { createMonCampusClient } from './client.js';
import { normaliseCourses } from './normalise.js';

const USER = 'jean.dupont';
const PASSWORD = 'Tr0ub4dor&3=x';
const TEAMS = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0?context=%7b%7d&x=1';

// Both DST changes of 2025 (30 March, 26 October): every class is at 08:30 Paris on the wall clock.
const COURSES: SimCourseSpec[] = [
  {
    id: 101,
    title: 'G1 Administration des BDD',
    start: '2025-03-28T08:30',
    end: '2025-03-28T11:30',
    comment: 'Administration BDD: SQL Server',
    room: 'B110-S(Bâtiment B)',
    teacher: 'CEZERA STÉPHANE',
    group: 'Administration des bases de données',
  },
  {
    id: 102,
    title: 'G1 Administration des BDD',
    start: '2025-03-31T08:30',
    end: '2025-03-31T11:30',
    comment: 'COMMENTAIRE',
    subject: 'Administration des BDD',
    room: 'Aucune',
  },
  { id: 103, title: 'G2 Réseaux', start: '2025-10-24T08:30', end: '2025-10-24T10:00', room: 'DISTANCIEL', teamsUrl: TEAMS, dateFormat: 'aspnet' },
  { id: 104, title: 'G2 Réseaux', start: '2025-10-27T08:30', end: '2025-10-27T10:00', teacher: 'DUPONT Marie' },
  // Outside the window below.
  { id: 105, title: 'G1 Anglais', start: '2025-11-03T08:30', end: '2025-11-03T10:00' },
];
const WINDOW = { from: '2025-03-24T00:00:00+01:00', to: '2025-11-01T00:00:00+01:00' };

let sim: MonCampusSim;

beforeAll(async () => {
  sim = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: COURSES });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setExpiredAnswer('redirect');
  sim.setPassword(USER, PASSWORD);
});

/** No casUrl: the client finds the CAS the way a browser does, from the timetable host. */
const client = (o: { password?: string; cookies?: Record<string, Record<string, string>>; previousCourses?: number; casUrl?: string } = {}) =>
  createMonCampusClient({ url: sim.url, username: USER, password: PASSWORD, retry: { sleep: () => Promise.resolve() }, ...o });

describe('MonCampus client against the simulator', () => {
  it('logs in, fetches, and keeps 08:30 at 08:30 across both DST changes', async () => {
    const c = client();
    const courses = await c.fetchCourses(WINDOW);
    expect(c.stats().logins).toBe(1);
    const { events, skipped } = normaliseCourses(courses, { timezone: 'Europe/Paris' });
    expect(skipped).toEqual([]);
    expect(events.map((e) => [e.sourceId, e.start, e.end])).toEqual([
      ['101', '2025-03-28T08:30:00+01:00', '2025-03-28T11:30:00+01:00'],
      ['102', '2025-03-31T08:30:00+02:00', '2025-03-31T11:30:00+02:00'],
      ['103', '2025-10-24T08:30:00+02:00', '2025-10-24T10:00:00+02:00'],
      ['104', '2025-10-27T08:30:00+01:00', '2025-10-27T10:00:00+01:00'],
    ]);
    const [e101, e102, e103] = events;
    expect(e101).toMatchObject({ title: 'Administration BDD: SQL Server', location: 'B110-S(Bâtiment B)', teacher: 'CEZERA STÉPHANE', remote: false });
    expect(e101?.details).toBe('Intervenant : CEZERA STÉPHANE\nNom complet du cours : Administration des bases de données');
    expect(e102).toMatchObject({ title: 'Administration des BDD', location: '' });
    expect(e103).toMatchObject({ title: 'Réseaux', location: 'DISTANCIEL', remote: true, teamsUrls: [TEAMS] });
  });

  it('reuses saved cookies, and logs in again once when the session expired (redirect and HTML)', async () => {
    const first = client();
    await first.fetchCourses(WINDOW);
    const before = sim.stats().logins;
    const second = client({ cookies: first.cookies() });
    expect(await second.fetchCourses(WINDOW)).toHaveLength(4);
    expect(second.stats().logins).toBe(0);

    sim.expireSessions();
    expect(await second.fetchCourses(WINDOW)).toHaveLength(4);
    expect(second.stats().logins).toBe(1);

    sim.setExpiredAnswer('html');
    sim.expireSessions();
    expect(await second.fetchCourses(WINDOW)).toHaveLength(4);
    expect(second.stats().logins).toBe(2);
    expect(sim.stats().logins - before).toBe(2);
  });

  it('reads Start/End sent as `YYYY-MM-DD HH:MM:SS` instead of skipping them', async () => {
    sim.setCourses([{ id: 201, title: 'G1 Droit', start: '2025-03-31T08:30', end: '2025-03-31T10:00', dateFormat: 'space' }]);
    try {
      const courses = await client().fetchCourses(WINDOW);
      expect(courses.map((c) => c.Start)).toEqual(['2025-03-31 08:30:00']);
      const { events, skipped } = normaliseCourses(courses, { timezone: 'Europe/Paris' });
      expect(skipped).toEqual([]);
      expect(events.map((e) => [e.start, e.end])).toEqual([['2025-03-31T08:30:00+02:00', '2025-03-31T10:00:00+02:00']]);
    } finally {
      sim.setCourses(COURSES);
    }
  });

  it('logs in once more before believing an empty timetable after a non-empty one (half-expired session)', async () => {
    const first = client();
    expect(await first.fetchCourses(WINDOW)).toHaveLength(4);
    expect(first.lastReceived()).toBe(4);
    sim.halfExpireSessions();
    // A later run with the saved session and the count the state kept.
    const next = client({ cookies: first.cookies(), previousCourses: first.lastReceived() });
    expect(await next.fetchCourses(WINDOW)).toHaveLength(4);
    expect(next.stats().logins).toBe(1);

    // Without a previous non-empty answer, the same empty answer is believed (no login loop on a new term).
    sim.halfExpireSessions();
    const fresh = client({ cookies: next.cookies() });
    expect(await fresh.fetchCourses(WINDOW)).toEqual([]);
    expect(fresh.stats().logins).toBe(0);

    // A timetable really emptied: one re-login, then believed (not retried forever).
    sim.setCourses([]);
    try {
      const emptied = client({ previousCourses: 5 });
      await emptied.fetchCourses(WINDOW);
      const again = client({ cookies: emptied.cookies(), previousCourses: 5 });
      expect(await again.fetchCourses(WINDOW)).toEqual([]);
      expect(again.stats().logins).toBe(1);
      expect(again.lastReceived()).toBe(0);
    } finally {
      sim.setCourses(COURSES);
    }
  });

  it('discovers the CAS (another host, another path) from an anonymous request to the timetable host', async () => {
    sim.resetLog();
    const c = client();
    expect(await c.fetchCourses(WINDOW)).toHaveLength(4);
    const hops = sim.requests.map((r) => `${r.host} ${r.method} ${r.path} ${r.status}`);
    expect(hops.slice(0, 3)).toEqual(['edt GET /Home/Get 302', 'cas GET /sso/cas/login 200', 'cas POST /sso/cas/login 302']);
    expect(new URL(sim.casUrl).pathname).toBe('/sso/cas/login');
    expect(new URL(sim.casUrl).port).not.toBe(new URL(sim.url).port);
    // An explicit casUrl is an override: no discovery request.
    sim.resetLog();
    const pinned = client({ casUrl: sim.casUrl });
    expect(await pinned.fetchCourses(WINDOW)).toHaveLength(4);
    expect(sim.requests[0]).toMatchObject({ host: 'cas', path: '/sso/cas/login' });
  });

  it('follows the "continue" of a CAS interrupt or password-expiring page after a correct password', async () => {
    for (const notice of ['interrupt', 'expiring'] as const) {
      sim.setNotice(USER, notice);
      try {
        const c = client();
        expect(await c.fetchCourses(WINDOW)).toHaveLength(4);
        expect(c.stats().logins).toBe(1);
      } finally {
        sim.setNotice(USER, null);
      }
    }
  });

  it('reports a CAS page without "continue" as an action to take in a browser, never as a wrong password', async () => {
    for (const notice of ['blocked', 'mustChange'] as const) {
      sim.setNotice(USER, notice);
      try {
        const err = await client()
          .fetchCourses(WINDOW)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RemoteError);
        expect(err).not.toBeInstanceOf(AuthError);
        expect((err as Error).message).toMatch(/^MonCampus asks for an action: log in once in a browser/);
        expect((err as Error).message).not.toContain(PASSWORD);
      } finally {
        sim.setNotice(USER, null);
      }
    }
  });

  it('refuses a wrong password with the exact AuthError', async () => {
    const err = await client({ password: 'nope-nope' })
      .fetchCourses(WINDOW)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe(`MonCampus refused the login for ${USER}`);
  });
});

describe('MonCampus client: personal Teams links (per-student Wigor redirects)', () => {
  it('puts the final Teams link in the event, never the redirect with Tel=<login> and the hash', async () => {
    const personal = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: COURSES, personalTeamsLinks: true });
    try {
      const c = createMonCampusClient({ url: personal.url, username: USER, password: PASSWORD, retry: { sleep: () => Promise.resolve() } });
      const courses = await c.fetchCourses(WINDOW);
      // What the simulator sent really was personal, and leads to the meeting.
      const sent = personal.requests.find((r) => r.path === '/Home/LienTeams');
      expect(sent?.query).toMatchObject({ IdCours: '103', Tel: USER });
      expect(sent?.status).toBe(302);
      const { events } = normaliseCourses(courses, { timezone: 'Europe/Paris' });
      const remote = events.find((e) => e.sourceId === '103');
      expect(remote?.teamsUrls).toEqual([TEAMS]);
      expect(remote?.details).toContain(`Lien Teams : ${TEAMS}`);
      const all = JSON.stringify(events);
      expect(all).not.toContain(USER);
      expect(all).not.toMatch(/LienTeams|Tel=|Hash=/);
    } finally {
      await personal.close();
    }
  });
});
