import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inviteePolicy } from '../config/index.js';
// Test-only import: the simulator follows reference/moncampus.md, not this check.
import { startMonCampusSim, type MonCampusSim } from '../sim/index.js';
import { checkMonCampus, CHECK_DAYS } from './check.js';

const USER = 'lea.martin';
const PASSWORD = 'S3cr3t!pw';
// Sunday 6 December 2026, 10:00 in Paris; the courses are in the next two weeks but one.
const NOW = new Date('2026-12-06T09:00:00Z');
const noWait = { sleep: () => Promise.resolve() };

let sim: MonCampusSim;
beforeAll(async () => {
  sim = await startMonCampusSim({
    users: { [USER]: PASSWORD, 'no.classes': 'pw' },
    courses: [
      { id: 1, title: 'G1 Droit des affaires', comment: 'Droit des affaires', start: '2026-12-14T08:30', end: '2026-12-14T10:30' },
      { id: 2, title: 'G1 Marketing', start: '2026-12-15T13:30', end: '2026-12-15T15:30' },
      { id: 3, title: 'G1 Anglais', start: '2026-12-18T09:00', end: '2026-12-18T12:00' },
      // Past and beyond the two weeks: not counted.
      { id: 4, title: 'G1 Passé', start: '2026-12-04T08:30', end: '2026-12-04T10:30' },
      { id: 5, title: 'G1 Janvier', start: '2027-01-11T08:30', end: '2027-01-11T10:30' },
    ],
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.setPassword(USER, PASSWORD);
  sim.setNotice(USER, null);
});

const base = { url: '', username: USER, password: PASSWORD, now: NOW, retry: noWait };

describe('the MonCampus check against the simulator', () => {
  it('counts the coming classes and names the next one, in French and in English', async () => {
    const fr = await checkMonCampus({ ...base, url: sim.url, locale: 'fr' });
    expect(fr).toEqual({
      ok: true,
      count: 3,
      days: CHECK_DAYS,
      next: { title: 'Droit des affaires', start: '2026-12-14T08:30:00+01:00' },
      message: '3 cours dans les 14 prochains jours, le prochain : Droit des affaires, lundi 14 déc. 08:30',
    });
    const en = await checkMonCampus({ ...base, url: sim.url, locale: 'en' });
    expect(en.message).toBe('3 classes in the next 14 days, next: Droit des affaires, Monday 14 Dec 08:30');
  });

  it('says when the login works but nothing is coming', async () => {
    const r = await checkMonCampus({ ...base, url: sim.url, username: 'no.classes', password: 'pw', locale: 'en', now: new Date('2027-02-01T09:00:00Z') });
    expect(r).toMatchObject({ ok: true, count: 0, message: 'The login works, but there is no class in the next 14 days.' });
  });

  it('names a refused password as such, without echoing it', async () => {
    const r = await checkMonCampus({ ...base, url: sim.url, password: 'wrong-one', locale: 'fr' });
    expect(r).toEqual({ ok: false, reason: 'wrong-password', message: 'MonCampus refuse cet identifiant ou ce mot de passe.' });
  });

  it('tells a CAS that wants the person in a browser from a wrong password', async () => {
    for (const notice of ['blocked', 'mustChange'] as const) {
      sim.setNotice(USER, notice);
      const r = await checkMonCampus({ ...base, url: sim.url, locale: 'en' });
      expect(r).toMatchObject({ ok: false, reason: 'action-needed' });
      expect(r.message).toContain('log in once in a browser');
    }
  });

  it('says MonCampus is unreachable when nothing answers', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await checkMonCampus({ ...base, url: `http://127.0.0.1:${port}`, locale: 'en' });
    expect(r).toEqual({ ok: false, reason: 'unreachable', message: `MonCampus cannot be reached (127.0.0.1:${port}): try again in a moment.` });
  });

  it('lets an invitee reach the school the owner configured, and nothing they typed', async () => {
    // The check follows the timetable host to its CAS only when that is a login server of the schools: the
    // simulator's stands for cas-p here (allowed as the owner allows origins); without it the redirect is refused.
    const policy = inviteePolicy({ school: 'igensia', env: { CAMPUS_SYNC_MONCAMPUS_URL: sim.url }, ownerOrigins: [sim.casUrl] });
    expect(await checkMonCampus({ ...base, url: sim.url, locale: 'en', policy })).toMatchObject({ ok: true, count: 3 });
    const timetableOnly = inviteePolicy({ school: 'igensia', env: { CAMPUS_SYNC_MONCAMPUS_URL: sim.url } });
    expect(await checkMonCampus({ ...base, url: sim.url, locale: 'en', policy: timetableOnly })).toMatchObject({ ok: false, reason: 'refused-host' });
    const before = sim.requests.length;
    const typed = await checkMonCampus({ ...base, url: 'http://192.168.1.1:8123', locale: 'en', policy });
    expect(typed).toEqual({ ok: false, reason: 'refused-host', message: '192.168.1.1:8123 is an IP address: an invitation cannot use one' });
    const cas = await checkMonCampus({ ...base, url: sim.url, casUrl: 'https://evil.example/cas/login', locale: 'en', policy });
    expect(cas).toMatchObject({ ok: false, reason: 'refused-host' });
    expect(sim.requests.length).toBe(before);
  });
});
