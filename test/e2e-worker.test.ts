import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  within,
  writeConfig,
  type Workspace,
} from './helpers.js';

const COURSES: SimCourseSpec[] = [
  { id: 201, title: 'G2 Algorithmique', comment: 'Algorithmique', start: '2025-10-24T08:30', end: '2025-10-24T10:00', room: 'B110', teacher: 'KNUTH DONALD' },
  // The autumn DST change (26 October 2025): 08:30 must stay 08:30.
  {
    id: 202,
    title: 'G2 Algorithmique',
    comment: 'Algorithmique',
    start: '2025-10-27T08:30',
    end: '2025-10-27T10:00',
    room: 'B110',
    teacher: 'KNUTH DONALD',
    dateFormat: 'aspnet',
  },
  { id: 203, title: 'G2 Compilation', comment: 'Compilation', start: '2025-10-28T10:15', end: '2025-10-28T12:15', room: 'Aucune', teacher: null },
];

describe('the Python original’s users', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { 'jean.dupont': PASSWORD }, courses: COURSES });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  it('a legacy flat config loads unchanged and its events are adopted, not recreated', async () => {
    // What the original left in ECAL: random numeric references, same content.
    const legacy = ecal.addEvent({
      calendarId: CALENDAR_ID,
      name: 'Algorithmique',
      location: 'B110',
      startDate: '2025-10-24',
      endDate: '2025-10-24',
      startTime: '08:30',
      endTime: '10:00',
      timezone: 'Europe/Paris',
      reference: '83412093',
      details: 'Intervenant : KNUTH DONALD',
      alert: '15M',
      draft: 0,
    });
    // The original's file, with its unquoted YAML dates; only the URLs point at the simulators.
    await writeConfig(
      ws,
      'config1',
      [
        `moncampus_username: jean.dupont`,
        `moncampus_password: "${PASSWORD}"`,
        `moncampus_start_date: 2025-10-01`,
        `moncampus_end_date: 2025-11-30`,
        `ecal_api_key: ${API_KEY}`,
        `ecal_api_secret: ${API_SECRET}`,
        `ecal_calendar_id: ${CALENDAR_ID}`,
        `error_file_path: /app/errors_config1.txt`,
        `instance_name: config1`,
        '',
      ].join('\n'),
    );
    const env = { ...ws.env };
    // Legacy files have no URL keys: the simulator addresses come from the env overrides of the defaults.
    env.CAMPUS_SYNC_MONCAMPUS_URL = mc.url;
    env.CAMPUS_SYNC_CAS_URL = mc.casUrl;
    env.CAMPUS_SYNC_ECAL_URL = ecal.url;
    const v = await runCli(['validate'], env);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/legacy/);
    const r = await runCli(['run-once', 'config1'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(ecal.requests.filter((q) => q.method === 'PUT').map((q) => q.path)).toEqual([`/apiv2/event/${legacy.id}`]);
    expect(ecal.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
    expect(ecal.requests.filter((q) => q.method === 'DELETE')).toHaveLength(0);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(COURSES));
    expect(duplicateReferences(ecal.events())).toEqual([]);
    expect(ecal.events().find((e) => e.id === legacy.id)?.reference).toMatch(/config1/);
    const times = ecal
      .events()
      .map((e) => `${e.startDate} ${e.startTime?.slice(0, 5)}`)
      .sort();
    expect(times).toEqual(['2025-10-24 08:30', '2025-10-27 08:30', '2025-10-28 10:15']);
  });
});

describe('the long-running worker', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  const courses = generateTimetable({ count: 120, start: '2025-09-01', seed: 3 });

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID], latencyMs: 25 });
    ws = await makeWorkspace();
    await writeConfig(ws, 'erin', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  it('RUN_ONCE=1 runs one cycle and exits 0', async () => {
    const r = await runCli(['worker', 'erin'], { ...ws.env, RUN_ONCE: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(courses));
    expect(r.stderr).toMatch(/\[erin\]/);
  });

  it('runs at start, then SIGTERM finishes the run in flight within 10 s and exits', async () => {
    const changed = courses.map((c, i) => (i % 2 === 0 ? { ...c, room: `R${i}` } : c));
    mc.setCourses(changed);
    ecal.resetLog();
    const { child, result } = startCli(['worker', 'erin'], ws.env);
    await waitFor(() => ecal.requests.filter((q) => q.method === 'PUT').length >= 5, 30_000, 'the first PUTs');
    child.kill('SIGTERM');
    const r = await within(result, 10_000, 'the worker to exit after SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/SIGTERM/);
    // Whatever was started was finished; a rerun completes the rest with no duplicate.
    const again = await runCli(['run-once', 'erin'], ws.env);
    expect(again.code).toBe(0);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(changed));
    expect(duplicateReferences(ecal.events())).toEqual([]);
    const status = JSON.parse(await readFile(join(ws.data, 'erin', 'worker.json'), 'utf8')) as { state: string };
    expect(status.state).toBe('stopped');
  });
});
