import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEcalSim, startMonCampusSim, generateTimetable, type EcalSim, type MonCampusSim, type SimCourseSpec } from '../src/sim/index.js';
import {
  API_KEY,
  API_SECRET,
  CALENDAR_ID,
  PASSWORD,
  duplicateReferences,
  ecalKeys,
  expectedKeys,
  makeWorkspace,
  nestedConfig,
  runCli,
  startCli,
  waitFor,
  writeConfig,
  writesIn,
  type Workspace,
} from './helpers.js';

// Both sides of the 2025 spring DST change (30 March) and a few ordinary days.
const TIMETABLE: SimCourseSpec[] = [
  {
    id: 101,
    title: 'G1 Administration des BDD',
    comment: 'Administration BDD: SQL Server',
    start: '2025-03-28T08:30',
    end: '2025-03-28T10:00',
    room: 'B110-S(Bâtiment B)',
    teacher: 'CEZERA STÉPHANE',
    group: 'Administration des bases de données',
  },
  {
    id: 102,
    title: 'G1 Réseaux',
    comment: 'Réseaux avancés',
    start: '2025-03-31T08:30',
    end: '2025-03-31T10:00',
    room: 'Aucune',
    teacher: null,
    group: 'Réseaux',
  },
  {
    id: 103,
    title: 'G1 Anglais',
    comment: 'COMMENTAIRE',
    subject: 'Anglais',
    start: '2025-04-01T13:30',
    end: '2025-04-01T15:30',
    room: 'DISTANCIEL',
    teacher: 'SMITH JOHN',
    teamsUrl: 'https://teams.microsoft.com/l/meetup-join/abc',
  },
  { id: 104, title: 'G1 Droit', comment: 'Droit du numérique', start: '2025-04-02T10:15', end: '2025-04-02T12:15', room: 'A201', teacher: 'MARTIN ALICE' },
  { id: 105, title: 'G1 Projet', comment: 'Projet tutoré', start: '2025-04-03T15:45', end: '2025-04-03T17:45', room: 'C001', teacher: 'DURAND PAUL' },
];
const WINDOW = { from: '2025-03-24', to: '2025-04-30' };

describe('run-once against the MonCampus and ECAL simulators', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: TIMETABLE });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    // No casUrl, as the README's example: the CAS (another host and path in the simulator) is discovered.
    await writeConfig(ws, 'alice', nestedConfig({ url: mc.url, ecalUrl: ecal.url, ...WINDOW }));
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });
  beforeEach(() => {
    ecal.resetLog();
    mc.resetLog();
  });

  it('first run creates the timetable, with 08:30 staying 08:30 across the DST change', async () => {
    const r = await runCli(['run-once', 'alice'], ws.env);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(r.code, r.stderr).toBe(0);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(TIMETABLE));
    const byDate = Object.fromEntries(ecal.events().map((e) => [e.startDate, e]));
    expect(byDate['2025-03-28']?.startTime?.slice(0, 5)).toBe('08:30');
    expect(byDate['2025-03-31']?.startTime?.slice(0, 5)).toBe('08:30');
    expect(byDate['2025-03-31']?.timezone).toBe('Europe/Paris');
    expect(byDate['2025-04-01']?.details).toContain('https://teams.microsoft.com/l/meetup-join/abc');
    expect(mc.requests.some((q) => q.host === 'cas' && q.path === new URL(mc.casUrl).pathname && q.method === 'POST')).toBe(true);
    expect(duplicateReferences(ecal.events())).toEqual([]);
    expect(writesIn(ecal.requests)).toBe(TIMETABLE.length);
    const last = JSON.parse(await readFile(join(ws.data, 'alice', 'last-run.json'), 'utf8')) as { counts: { created: number } };
    expect(last.counts.created).toBe(TIMETABLE.length);
    const ics = await readFile(join(ws.data, 'alice', 'calendar.ics'), 'utf8');
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20250331T083000');
    expect(ics).toContain('BEGIN:VTIMEZONE');
    // events.json (read by the reporting store): every event with the id ECAL gave it.
    const synced = JSON.parse(await readFile(join(ws.data, 'alice', 'events.json'), 'utf8')) as { reference: string; ecalId: string | null }[];
    const idsInEcal = Object.fromEntries(ecal.events().map((e) => [e.reference, e.id]));
    expect(synced).toHaveLength(TIMETABLE.length);
    for (const row of synced) expect(row.ecalId).toBe(idsInEcal[row.reference]);
  });

  it('a second run writes nothing and does not log in again', async () => {
    const icsPath = join(ws.data, 'alice', 'calendar.ics');
    const icsBefore = (await stat(icsPath)).mtimeMs;
    const r = await runCli(['run-once', 'alice'], ws.env);
    expect((await stat(icsPath)).mtimeMs).toBe(icsBefore);
    expect(r.code, r.stderr).toBe(0);
    expect(writesIn(ecal.requests)).toBe(0);
    expect(mc.requests.filter((q) => q.host === 'cas')).toEqual([]);
    expect(mc.requests.filter((q) => q.path === '/Home/Get')).toHaveLength(1);
    expect(r.stdout).toContain('nothing to change');
    // The request floor: an unchanged timetable is one MonCampus request, ECAL is not even listed.
    expect(ecal.requests).toEqual([]);
    expect(r.stdout).toMatch(/steady run: timetable unchanged since the ECAL check of .*listing skipped/);
    // LANG=fr_*: the same summary in French (cli/locale.ts).
    const fr = await runCli(['run-once', 'alice'], { ...ws.env, LANG: 'fr_FR.UTF-8', LC_ALL: '', LC_MESSAGES: '' });
    expect(fr.code, fr.stderr).toBe(0);
    expect(fr.stdout).toContain('rien à changer');
    expect(fr.stdout).toMatch(/alice : réussie — \d+ cours ; 0 créés, 0 modifiés/);
  });

  it('a moved class is one PUT, a removed class one DELETE', async () => {
    const moved = TIMETABLE.map((c) => (c.id === 104 ? { ...c, start: '2025-04-02T13:30', end: '2025-04-02T15:30' } : c));
    mc.setCourses(moved);
    let r = await runCli(['run-once', 'alice'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(ecal.requests.filter((q) => q.method !== 'GET').map((q) => q.method)).toEqual(['PUT']);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(moved));
    const synced = JSON.parse(await readFile(join(ws.data, 'alice', 'events.json'), 'utf8')) as { reference: string; lastChange: string; start: string }[];
    const movedRow = synced.find((e) => e.reference.endsWith(':104'));
    expect(movedRow?.start).toBe('2025-04-02T13:30:00+02:00');
    expect(synced.filter((e) => e.lastChange === movedRow?.lastChange)).toHaveLength(1);
    expect(await readFile(join(ws.data, 'alice', 'calendar.ics'), 'utf8')).toContain('DTSTART;TZID=Europe/Paris:20250402T133000');

    ecal.resetLog();
    const removed = moved.filter((c) => c.id !== 105);
    mc.setCourses(removed);
    r = await runCli(['run-once', 'alice'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(ecal.requests.filter((q) => q.method !== 'GET').map((q) => q.method)).toEqual(['DELETE']);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(removed));
    mc.setCourses(TIMETABLE);
    await runCli(['run-once', 'alice'], ws.env);
  });

  it('an event added by hand in the same schedule survives every run', async () => {
    const manual = ecal.addEvent({
      calendarId: CALENDAR_ID,
      name: 'Dentiste',
      location: 'Paris',
      startDate: '2025-04-02',
      endDate: '2025-04-02',
      startTime: '18:00',
      endTime: '19:00',
      timezone: 'Europe/Paris',
    });
    const r = await runCli(['run-once', 'alice'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(ecal.events().find((e) => e.id === manual.id)).toMatchObject({ name: 'Dentiste', startTime: '18:00' });
    expect(writesIn(ecal.requests)).toBe(0);
  });

  it('an empty timetable deletes nothing and says why', async () => {
    const before = ecal.events().length;
    mc.setCourses([]);
    const r = await runCli(['run-once', 'alice'], ws.env);
    mc.setCourses(TIMETABLE);
    expect(r.code, r.stderr).toBe(0);
    expect(writesIn(ecal.requests)).toBe(0);
    expect(ecal.events()).toHaveLength(before);
    expect(r.stdout).toMatch(/deletions held back/);
    const errors = await readFile(join(ws.data, 'alice', 'errors.log'), 'utf8');
    expect(errors).toMatch(/^\d{4}-\d\d-\d\dT[^ ]+ plan \[deletions\.held\] /m);
  });

  it('an expired session costs exactly one re-login', async () => {
    mc.expireSessions();
    const before = mc.stats().logins;
    const r = await runCli(['run-once', 'alice'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(mc.stats().logins - before).toBe(1);
    expect(writesIn(ecal.requests)).toBe(0);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    mc.setCourses([...TIMETABLE, { id: 106, title: 'G1 Sport', comment: 'Sport', start: '2025-04-04T10:15', end: '2025-04-04T12:15', room: 'Gymnase' }]);
    const r = await runCli(['run-once', 'alice', '--dry-run'], ws.env);
    mc.setCourses(TIMETABLE);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\+ create 2025-04-04 10:15 Sport @ Gymnase/);
    expect(r.stdout).toMatch(/1 to create/);
    expect(writesIn(ecal.requests)).toBe(0);
  });

  it('a refused password exits 1 and leaves a line in errors.log without the password', async () => {
    const wrong = 'Wr0ng-Pa55word';
    await writeConfig(ws, 'bob', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, ...WINDOW, password: wrong }));
    const r = await runCli(['run-once', 'bob'], ws.env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('MonCampus refused the login for student');
    expect(r.stdout + r.stderr).not.toContain(wrong);
    const errors = await readFile(join(ws.data, 'bob', 'errors.log'), 'utf8');
    // The stable code for machines, the sentence in the config's language (French by default), the cause after it.
    expect(errors).toMatch(
      /^\d{4}-\d\d-\d\dT\S+ login \[login\.refused\] MonCampus refuse la connexion \(identifiant ou mot de passe\) : MonCampus refused the login for student$/m,
    );
    expect(errors).not.toContain(wrong);
    // Append-only: a second failure adds a line and keeps the first.
    await runCli(['run-once', 'bob'], ws.env);
    const again = await readFile(join(ws.data, 'bob', 'errors.log'), 'utf8');
    expect(again.trim().split('\n')).toHaveLength(2);
    expect(writesIn(ecal.requests)).toBe(0);
  });

  it('a wrong ECAL secret exits 1 with a clear line in errors.log, and changes nothing', async () => {
    const wrongSecret = 'not-the-secret-9876';
    await writeConfig(ws, 'frank', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, ...WINDOW }).replace(API_SECRET, wrongSecret));
    const before = ecal.events().length;
    const r = await runCli(['run-once', 'frank'], ws.env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('ECAL rejected the API key or signature');
    expect(r.stdout + r.stderr).not.toContain(wrongSecret);
    const errors = await readFile(join(ws.data, 'frank', 'errors.log'), 'utf8');
    expect(errors).toMatch(/^\S+ plan \[sync\.failed\] échec de la synchronisation \(plan\) : ECAL rejected the API key or signature/m);
    expect(errors).not.toContain(wrongSecret);
    expect(ecal.events()).toHaveLength(before);
  });

  it('an invalid config exits 2 naming the file and key', async () => {
    await writeConfig(ws, 'carol', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, ...WINDOW }).replace(CALENDAR_ID, 'not-an-id'));
    const r = await runCli(['run-once', 'carol'], ws.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/carol\.yml.*ecal\.calendarId/);
    const v = await runCli(['validate'], ws.env);
    expect(v.code).toBe(2);
    expect(v.stdout).toMatch(/✓ .*alice\.yml/);
    expect(v.stdout).toMatch(/✗ .*carol\.yml/);
  });
});

describe('crash safety', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  const courses = generateTimetable({ count: 150, start: '2025-09-01', seed: 7 });

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    // Latency gives the kill a run in the middle of its writes.
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID], latencyMs: 15 });
    ws = await makeWorkspace();
    await writeConfig(ws, 'dave', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  it('kill -9 mid-run, then a rerun converges with no duplicate and nothing lost', async () => {
    const { child, result } = startCli(['run-once', 'dave'], ws.env);
    await waitFor(() => ecal.requests.filter((q) => q.method === 'POST').length >= 30, 30_000, '30 POSTs');
    child.kill('SIGKILL');
    const killed = await result;
    expect(killed.signal).toBe('SIGKILL');
    const partial = ecal.events().length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(courses.length);

    const r = await runCli(['run-once', 'dave'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(duplicateReferences(ecal.events())).toEqual([]);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(courses));
    ecal.resetLog();
    const again = await runCli(['run-once', 'dave'], ws.env);
    expect(again.code).toBe(0);
    expect(writesIn(ecal.requests)).toBe(0);
  });
});
