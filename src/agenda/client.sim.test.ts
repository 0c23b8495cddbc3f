import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
// Test-only import: the faithful simulator is written from the reference, independently of this client.
import { startMonCampusSim, type MonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { AuthError } from '../lib/index.js';
import { createMonCampusClient } from './client.js';
import { normaliseCourses } from './normalise.js';

const USER = 'jean.dupont';
const PASSWORD = 'Tr0ub4dor&3=x';
const TEAMS = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0?context=%7b%7d&x=1';

// Both DST changes of 2025 (30 March, 26 October): every class is at 08:30 Paris on the wall clock.
const COURSES: SimCourseSpec[] = [
  { id: 101, title: 'G1 Administration des BDD', start: '2025-03-28T08:30', end: '2025-03-28T11:30', comment: 'Administration BDD: SQL Server', room: 'B110-S(Bâtiment B)', teacher: 'CEZERA STÉPHANE', group: 'Administration des bases de données' },
  { id: 102, title: 'G1 Administration des BDD', start: '2025-03-31T08:30', end: '2025-03-31T11:30', comment: 'COMMENTAIRE', subject: 'Administration des BDD', room: 'Aucune' },
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

const client = (o: { password?: string; cookies?: Record<string, Record<string, string>> } = {}) =>
  createMonCampusClient({ url: sim.url, casUrl: sim.casUrl, username: USER, password: PASSWORD, retry: { sleep: () => Promise.resolve() }, ...o });

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

  it('refuses a wrong password with the exact AuthError', async () => {
    const err = await client({ password: 'nope-nope' }).fetchCourses(WINDOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toBe(`MonCampus refused the login for ${USER}`);
  });
});
