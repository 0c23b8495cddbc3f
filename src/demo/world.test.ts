import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { loadConfigFile } from '../config/index.js';
import { prepareDemoDir, writeDemoConfigs } from './demo-dir.js';
import { startDemoWorld, ZONE, type DemoWorld } from './world.js';

describe('startDemoWorld', () => {
  let world: DemoWorld;
  let root: string;
  beforeAll(async () => {
    world = await startDemoWorld({ clock: () => DateTime.fromISO('2026-03-02T10:00', { zone: ZONE }) });
    root = await mkdtemp(join(tmpdir(), 'campus-sync-demo-world-'));
  });
  afterAll(async () => {
    await world.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes valid configs: two students syncing to ECAL (one watching ClicRDV), one slots-only watching Cal.com with a booking page, all alerting Discord', async () => {
    const dirs = await prepareDemoDir(root);
    const files = await writeDemoConfigs(dirs.configs, world.configs);
    const configs = await Promise.all(files.map((f) => loadConfigFile(f, { env: {} })));
    const byName = Object.fromEntries(configs.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['alice', 'bob', 'office-hours']);
    expect(byName.alice?.moncampus?.username).toBe('alice.etudiant');
    expect(byName.alice?.slots.map((s) => s.provider)).toEqual(['clicrdv']);
    expect(byName.bob?.slots).toEqual([]);
    expect(byName['office-hours']?.moncampus).toBeUndefined();
    expect(byName['office-hours']?.slots.map((s) => s.provider)).toEqual(['calcom']);
    expect(byName.alice?.notify.map((n) => n.type)).toEqual(['discord-webhook']);
    expect(byName['office-hours']?.booking.map((b) => [b.type, b.eventTypeId])).toEqual([['tutorat', 1001]]);
    // Every address in every config is a simulator on loopback.
    const text = JSON.stringify(world.configs);
    const hosts = [...text.matchAll(/https?:\/\/([^/:"]+)/g)].map((m) => m[1]);
    expect(hosts.length).toBeGreaterThan(8);
    expect(new Set(hosts)).toEqual(new Set(['127.0.0.1']));
  });

  it('gives each student a generated timetable of their own, on a MonCampus of their own', async () => {
    const [alice, bob] = world.students;
    expect(alice!.courses.length).toBeGreaterThan(50);
    expect(alice!.courses.map((c) => c.title)).not.toEqual(bob!.courses.map((c) => c.title));
    expect(alice!.moncampus.url).not.toBe(bob!.moncampus.url);
  });

  it('openSlot: the new slot is listed by the simulator the watcher asks, after the ones open at start', async () => {
    const clic = world.watchers.find((w) => w.provider === 'clicrdv')!;
    const when = world.openSlot(clic, 0);
    // One answer covers the coming days (the watcher's URL has no {date}).
    const clicRes = await fetch(
      `${world.clicrdv.url}/api/v2/availabletimeslots?group_id=4242&appointments[0][intervention_id]=17&from=2026-03-03&apikey=demo-clicrdv-key`,
    );
    const starts = ((await clicRes.json()) as { availabletimeslots: { start: string }[] }).availabletimeslots.map((s) => s.start);
    expect(starts).toHaveLength(4);
    expect(starts).toContain(DateTime.fromFormat(when, 'ccc d LLL HH:mm', { zone: ZONE }).set({ year: 2026 }).toFormat('yyyy-MM-dd HH:mm:ss'));

    const cal = world.watchers.find((w) => w.provider === 'calcom')!;
    world.openSlot(cal, 1);
    const res = await fetch(`${world.calcom.url}/v2/slots?eventTypeId=1001&start=2026-03-02&end=2026-03-20&timeZone=${ZONE}`, {
      headers: { authorization: 'Bearer demo-calcom-token', 'cal-api-version': '2024-09-04' },
    });
    const body = (await res.json()) as { data: Record<string, unknown[]> };
    expect(Object.values(body.data).flat()).toHaveLength(4);
  });

  it("moveClass moves one class of the coming days an hour later, into another room, in the first student's MonCampus", () => {
    const before = world.students[0]!.courses;
    const said = world.moveClass(1);
    const after = world.students[0]!.courses;
    const changed = after.map((c, i) => ({ c, was: before[i]! })).filter(({ c, was }) => c.room !== was.room);
    expect(changed).toHaveLength(1);
    const { c, was } = changed[0]!;
    expect(c.room).toBe('Salle 101(Bâtiment D)');
    expect(DateTime.fromISO(c.start).diff(DateTime.fromISO(was.start), 'minutes').minutes).toBe(60);
    // Inside the change-alert horizon (7 days by default), so the worker announces it.
    const days = DateTime.fromISO(was.start, { zone: 'Europe/Paris' }).diff(DateTime.fromISO('2026-03-02T10:00', { zone: ZONE }), 'days').days;
    expect(days).toBeGreaterThan(0);
    expect(days).toBeLessThan(7);
    expect(said).toContain('Salle 101');
  });
});
