import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../config/index.js';
import { fixedClock, silentLogger } from '../lib/index.js';
import { startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { readLastRun } from './run-record.js';
import { runSync } from './run.js';

const CAL = 'cccccccccccccccccccccccc';
const COURSES: SimCourseSpec[] = [1, 2, 3, 4].map((i) => ({
  id: 300 + i,
  title: `G1 Cours ${i}`,
  comment: `Cours ${i}`,
  start: `2025-05-0${i + 4}T08:30`,
  end: `2025-05-0${i + 4}T10:00`,
  room: 'A1',
}));

describe('runSync', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let config: InstanceConfig;

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { zoe: 'zoe-password' }, courses: COURSES });
    ecal = await startEcalSim({ keys: { 'zoe-key-1': 'zoe-secret-1' }, calendars: [CAL] });
    config = {
      name: 'zoe',
      file: '/dev/null',
      timezone: 'Europe/Paris',
      schedule: '46 6-18 * * *',
      runOnStart: true,
      moncampus: { url: mc.url, casUrl: mc.casUrl, username: 'zoe', password: 'zoe-password', window: { from: '2025-05-01', to: '2025-05-31' } },
      ecal: { url: ecal.url, apiKey: 'zoe-key-1', apiSecret: 'zoe-secret-1', calendarId: CAL, alert: '15M', maxDeleteShare: 0.5, concurrency: 2 },
      ics: { enabled: true },
      locale: 'fr',
      changes: { horizonDays: 7 },
      slots: [],
      notify: [],
      booking: [],
      legacy: false,
      warnings: [],
      secrets: ['zoe-password', 'zoe-key-1', 'zoe-secret-1'],
    };
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  it('a dry run plans without writing anything at all: no state, no errors.log, no run history, not even its folder', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'cs-run-')), 'zoe');
    const { record, plan } = await runSync({ config, dir, logger: silentLogger, dryRun: true });
    expect(record.outcome).toBe('dry-run');
    expect(plan?.counts.create).toBe(4);
    expect(ecal.events()).toHaveLength(0);
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    // A failing dry run (refused login) writes nothing either.
    const failed = await runSync({ config: { ...config, moncampus: { ...config.moncampus!, password: 'wrong' } }, dir, logger: silentLogger, dryRun: true });
    expect(failed.record.outcome).toBe('failed');
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('ECAL writes that keep failing make a partial run: recorded, logged, and completed by the next run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    // Every POST fails for longer than the client's retry budget (5 attempts each).
    ecal.injectFailures({ status: 503, count: 10, methods: ['POST'] });
    const first = await runSync({ config, dir, logger: silentLogger });
    ecal.clearFailures();
    expect(first.record.outcome).toBe('partial');
    expect(first.record.counts.failed).toBeGreaterThan(0);
    expect(first.record.counts.created + first.record.counts.failed).toBe(4);
    const errors = await readFile(join(dir, 'errors.log'), 'utf8');
    expect(errors).toMatch(/ push create campus-sync:zoe:\d+: /);
    expect(errors).not.toMatch(/zoe-secret-1|zoe-key-1|zoe-password/);
    const second = await runSync({ config, dir, logger: silentLogger });
    expect(second.record.outcome).toBe('success');
    expect(ecal.events().map((e) => e.name).sort()).toEqual(['Cours 1', 'Cours 2', 'Cours 3', 'Cours 4']);
    expect((await readLastRun(dir))?.outcome).toBe('success');
    const history = (await readFile(join(dir, 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect(history.map((l) => (JSON.parse(l) as { outcome: string }).outcome)).toEqual(['partial', 'success']);
  });

  it('calendar.ics: a moved class gets SEQUENCE+1 and DTSTAMP/LAST-MODIFIED of the run that saw the change, kept in the state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    const icsOnly: InstanceConfig = { ...config, name: 'zoe-ics' };
    delete icsOnly.ecal;
    const clock = fixedClock('2025-05-02T06:46:00Z');
    const eventOf = (ics: string, uid: string): string[] => {
      const all = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
      const at = all.indexOf(`UID:${uid}`);
      return all.slice(at, all.indexOf('END:VEVENT', at));
    };
    await runSync({ config: icsOnly, dir, logger: silentLogger, clock });
    const first = await readFile(join(dir, 'calendar.ics'), 'utf8');
    expect(eventOf(first, '301@zoe-ics.campus-sync')).toEqual(expect.arrayContaining(['SEQUENCE:0', 'DTSTAMP:20250502T064600Z', 'LAST-MODIFIED:20250502T064600Z']));

    // Nothing changed an hour later: the file is byte for byte the same.
    clock.set('2025-05-02T07:46:00Z');
    expect((await runSync({ config: icsOnly, dir, logger: silentLogger, clock })).record.icsWritten).toBe(false);

    mc.setCourses(COURSES.map((c) => (c.id === 301 ? { ...c, start: '2025-05-05T13:30', end: '2025-05-05T15:00', room: 'B2' } : c)));
    try {
      clock.set('2025-05-02T08:46:00Z');
      expect((await runSync({ config: icsOnly, dir, logger: silentLogger, clock })).record.icsWritten).toBe(true);
      const second = await readFile(join(dir, 'calendar.ics'), 'utf8');
      expect(eventOf(second, '301@zoe-ics.campus-sync')).toEqual(
        expect.arrayContaining(['SEQUENCE:1', 'DTSTAMP:20250502T084600Z', 'LAST-MODIFIED:20250502T084600Z', 'DTSTART;TZID=Europe/Paris:20250505T133000', 'LOCATION:B2']),
      );
      // The untouched class keeps its first revision.
      expect(eventOf(second, '302@zoe-ics.campus-sync')).toEqual(expect.arrayContaining(['SEQUENCE:0', 'DTSTAMP:20250502T064600Z']));
    } finally {
      mc.setCourses(COURSES);
    }
  });

  it('a state file that cannot be read fails the run, says so, and releases the run lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    // A directory where state.json should be: reading it fails with EISDIR, not a parse error.
    await mkdir(join(dir, 'state.json'));
    const { record } = await runSync({ config, dir, logger: silentLogger });
    expect(record).toMatchObject({ outcome: 'failed', phase: 'state' });
    expect(record.error).toMatch(/EISDIR/);
    expect(await readFile(join(dir, 'errors.log'), 'utf8')).toMatch(/ state .*EISDIR/);
    await expect(readFile(join(dir, 'run.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(join(dir, 'state.json'), { recursive: true });
    expect((await runSync({ config, dir, logger: silentLogger })).record.outcome).toBe('success');
  });
});
