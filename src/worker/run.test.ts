import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../config/index.js';
import { silentLogger } from '../lib/index.js';
import { startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { readLastRun } from '../instance/index.js';
import { runSync } from './run.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

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
      ecal: {
        url: ecal.url,
        apiKey: 'zoe-key-1',
        apiSecret: 'zoe-secret-1',
        calendarId: CAL,
        alert: '15M',
        maxDeleteShare: 0.5,
        concurrency: 2,
        verifyEveryMs: 6 * 3600_000,
      },
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
    expect(errors).toMatch(/ push \[push\.failed\] .*: create campus-sync:zoe:\d+: /);
    expect(errors).not.toMatch(/zoe-secret-1|zoe-key-1|zoe-password/);
    const second = await runSync({ config, dir, logger: silentLogger });
    expect(second.record.outcome).toBe('success');
    expect(
      ecal
        .events()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['Cours 1', 'Cours 2', 'Cours 3', 'Cours 4']);
    expect((await readLastRun(dir))?.outcome).toBe('success');
    const history = (await readFile(join(dir, 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect(history.map((l) => (JSON.parse(l) as { outcome: string }).outcome)).toEqual(['partial', 'success']);
  });

  it('calendar.ics: a moved class gets SEQUENCE+1 and DTSTAMP/LAST-MODIFIED of the run that saw the change, kept in the state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    const icsOnly: InstanceConfig = { ...config, name: 'zoe-ics' };
    delete icsOnly.ecal;
    const clock = fakeClock('2025-05-02T06:46:00Z');
    const eventOf = (ics: string, uid: string): string[] => {
      const all = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
      const at = all.indexOf(`UID:${uid}`);
      return all.slice(at, all.indexOf('END:VEVENT', at));
    };
    await runSync({ config: icsOnly, dir, logger: silentLogger, clock });
    const first = await readFile(join(dir, 'calendar.ics'), 'utf8');
    expect(eventOf(first, '301@zoe-ics.campus-sync')).toEqual(
      expect.arrayContaining(['SEQUENCE:0', 'DTSTAMP:20250502T064600Z', 'LAST-MODIFIED:20250502T064600Z']),
    );

    // Nothing changed an hour later: the file is byte for byte the same.
    clock.set('2025-05-02T07:46:00Z');
    expect((await runSync({ config: icsOnly, dir, logger: silentLogger, clock })).record.icsWritten).toBe(false);

    mc.setCourses(COURSES.map((c) => (c.id === 301 ? { ...c, start: '2025-05-05T13:30', end: '2025-05-05T15:00', room: 'B2' } : c)));
    try {
      clock.set('2025-05-02T08:46:00Z');
      expect((await runSync({ config: icsOnly, dir, logger: silentLogger, clock })).record.icsWritten).toBe(true);
      const second = await readFile(join(dir, 'calendar.ics'), 'utf8');
      expect(eventOf(second, '301@zoe-ics.campus-sync')).toEqual(
        expect.arrayContaining([
          'SEQUENCE:1',
          'DTSTAMP:20250502T084600Z',
          'LAST-MODIFIED:20250502T084600Z',
          'DTSTART;TZID=Europe/Paris:20250505T133000',
          'LOCATION:B2',
        ]),
      );
      // The untouched class keeps its first revision.
      expect(eventOf(second, '302@zoe-ics.campus-sync')).toEqual(expect.arrayContaining(['SEQUENCE:0', 'DTSTAMP:20250502T064600Z']));
    } finally {
      mc.setCourses(COURSES);
    }
  });

  it('the request floor: an unchanged timetable costs one MonCampus request; drift waits for the next full check, which repairs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    const floor: InstanceConfig = { ...config, name: 'zoe-floor' };
    const clock = fakeClock('2025-05-02T06:46:00Z');
    const first = await runSync({ config: floor, dir, logger: silentLogger, clock });
    expect(first.record).toMatchObject({ outcome: 'success', ecalCheck: { kind: 'full', reason: 'first' }, counts: { created: 4 } });
    const mine = () => ecal.events().filter((e) => String(e.reference).startsWith('campus-sync:zoe-floor:'));
    expect(mine()).toHaveLength(4);

    clock.set('2025-05-02T07:46:00Z');
    const steady = await runSync({ config: floor, dir, logger: silentLogger, clock });
    expect(steady.record).toMatchObject({ outcome: 'success', ecalCheck: { kind: 'skipped' }, counts: { unchanged: 4 } });
    expect(steady.record.requests).toEqual({ moncampus: 1, ecal: 0, ecalWrites: 0 });
    // events.json keeps the ECAL ids it had.
    const synced = JSON.parse(await readFile(join(dir, 'events.json'), 'utf8')) as { ecalId: string | null }[];
    expect(synced.every((e) => e.ecalId !== null)).toBe(true);

    // Someone deletes an event by hand in ECAL: a steady run does not see it, the scheduled check repairs it.
    expect(ecal.removeEvent(mine()[0]!.id)).toBe(true);
    clock.set('2025-05-02T08:46:00Z');
    expect((await runSync({ config: floor, dir, logger: silentLogger, clock })).record.ecalCheck?.kind).toBe('skipped');
    expect(mine()).toHaveLength(3);
    clock.set('2025-05-02T12:46:00Z');
    const due = await runSync({ config: floor, dir, logger: silentLogger, clock });
    expect(due.record).toMatchObject({ ecalCheck: { kind: 'full', reason: 'scheduled' }, counts: { created: 1 } });
    expect(mine()).toHaveLength(4);

    // --verify lists at once; a changed config lists; a changed timetable lists and writes only the change.
    clock.set('2025-05-02T13:46:00Z');
    expect((await runSync({ config: floor, dir, logger: silentLogger, clock, verify: true })).record.ecalCheck).toEqual({ kind: 'full', reason: 'requested' });
    expect((await runSync({ config: { ...floor, ecal: { ...floor.ecal!, alert: '1H' } }, dir, logger: silentLogger, clock })).record.ecalCheck).toEqual({
      kind: 'full',
      reason: 'config-changed',
    });
    mc.setCourses(COURSES.map((c) => (c.id === 301 ? { ...c, room: 'B2' } : c)));
    try {
      const moved = await runSync({ config: { ...floor, ecal: { ...floor.ecal!, alert: '1H' } }, dir, logger: silentLogger, clock });
      expect(moved.record).toMatchObject({ ecalCheck: { kind: 'full', reason: 'timetable-changed' }, counts: { updated: 1 } });
    } finally {
      mc.setCourses(COURSES);
    }
  });

  it('the request floor after a failure: a partial run, a run cut after its first write, and a failed run make the next run list ECAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-run-'));
    const floor: InstanceConfig = { ...config, name: 'zoe-floor2' };
    const clock = fakeClock('2025-05-02T06:46:00Z');
    expect((await runSync({ config: floor, dir, logger: silentLogger, clock })).record.outcome).toBe('success');
    mc.setCourses(COURSES.map((c) => (c.id === 301 ? { ...c, room: 'B3' } : c)));
    try {
      ecal.injectFailures({ status: 503, count: 10, methods: ['PUT'] });
      // While writes are in flight the state on disk already says "not matched": a kill here forces a listing.
      const onDisk: boolean[] = [];
      const partial = await runSync({
        config: floor,
        dir,
        logger: silentLogger,
        clock,
        onProgress: () => onDisk.push((JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { ecalSync: { matched: boolean } }).ecalSync.matched),
      });
      expect(onDisk.length).toBeGreaterThan(0);
      expect(onDisk.every((m) => m === false)).toBe(true);
      ecal.clearFailures();
      expect(partial.record.outcome).toBe('partial');
      // The timetable went back: its hash equals the checked one, but ECAL was written since: list again.
      mc.setCourses(COURSES);
      const after = await runSync({ config: floor, dir, logger: silentLogger, clock });
      expect(after.record.ecalCheck).toEqual({ kind: 'full', reason: 'after-failure' });
      // A run that fails before ECAL (a refused password) also forces the next check.
      const refused = await runSync({
        config: { ...floor, moncampus: { ...floor.moncampus!, username: 'nobody', password: 'wrong' } },
        dir,
        logger: silentLogger,
        clock,
      });
      expect(refused.record.outcome).toBe('failed');
      expect((await runSync({ config: floor, dir, logger: silentLogger, clock })).record.ecalCheck).toEqual({ kind: 'full', reason: 'after-failure' });
      expect((await runSync({ config: floor, dir, logger: silentLogger, clock })).record.ecalCheck?.kind).toBe('skipped');
    } finally {
      ecal.clearFailures();
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
