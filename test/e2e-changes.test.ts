/**
 * Timetable-change alerts end to end: the real worker (`campus-sync worker`, one run per process with RUN_ONCE),
 * the MonCampus, ECAL and Discord simulators. A class moved tomorrow is one French message naming it; a class moved
 * in three weeks is nothing; the first sync is a baseline; a change is announced once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordSim, startEcalSim, startMonCampusSim, type DiscordSim, type EcalSim, type MonCampusSim, type SimCourseSpec } from '../src/sim/index.js';
import { API_KEY, API_SECRET, PASSWORD, makeWorkspace, nestedConfig, runCli, writeConfig, type Workspace } from './helpers.js';

const ZONE = 'Europe/Paris';
/** Wall clock in Paris, `days` from today, as the simulator takes it. */
const wall = (days: number, hour: number, minute = 0): string =>
  DateTime.now().setZone(ZONE).startOf('day').plus({ days }).set({ hour, minute }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('timetable-change alerts', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let discord: DiscordSim;
  let ws: Workspace;
  const env = () => ({ ...ws.env, RUN_ONCE: '1' });
  const bodies = () => discord.messages().map((m) => JSON.stringify(m.body));
  const courses: SimCourseSpec[] = [
    { id: 501, title: 'G1 Droit des affaires', start: wall(1, 8, 30), end: wall(1, 10, 30), room: 'B12', teacher: 'M. Durand' },
    { id: 502, title: 'G1 Marketing digital', start: wall(3, 14), end: wall(3, 16), room: 'A01' },
    { id: 503, title: 'G1 Finance', start: wall(21, 9), end: wall(21, 11), room: 'C3' },
  ];

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: ['aaaaaaaaaaaaaaaaaaaaaaaa'] });
    discord = await startDiscordSim();
    const webhook = discord.createWebhook();
    ws = await makeWorkspace();
    const from = DateTime.now().setZone(ZONE).minus({ days: 2 }).toISODate() as string;
    const to = DateTime.now().setZone(ZONE).plus({ days: 40 }).toISODate() as string;
    await writeConfig(
      ws,
      'lea',
      nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from, to }) +
        ['notify:', '  - name: discord', '    type: discord-webhook', `    url: ${webhook.url}`, ''].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([mc?.close(), ecal?.close(), discord?.close()]);
  });

  it('the first sync is a baseline: no message', async () => {
    const r = await runCli(['worker', 'lea'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/baseline recorded/);
    expect(bodies().filter((b) => b.includes('cours'))).toEqual([]);
  });

  it('a class moved in three weeks: nothing', async () => {
    mc.setCourses(courses.map((c) => (c.id === 503 ? { ...c, start: wall(22, 9), end: wall(22, 11) } : c)));
    const before = discord.messages().length;
    const r = await runCli(['worker', 'lea'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(discord.messages()).toHaveLength(before);
  });

  it('a class moved tomorrow: one French message naming it, old → new time; announced once', async () => {
    mc.setCourses(
      courses.map((c) =>
        c.id === 501 ? { ...c, start: wall(1, 10, 45), end: wall(1, 12, 45) } : c.id === 503 ? { ...c, start: wall(22, 9), end: wall(22, 11) } : c,
      ),
    );
    const before = discord.messages().length;
    const r = await runCli(['worker', 'lea'], env());
    expect(r.code, r.stderr).toBe(0);
    const fresh = bodies().slice(before);
    expect(fresh).toHaveLength(1);
    const text = fresh[0] as string;
    expect(text).toContain('lea : un cours change');
    expect(text).toMatch(/Droit des affaires déplacé : \S+ \d+ \S+ 08:30–10:30 → 10:45–12:45/);
    // The same timetable again: nothing more.
    await runCli(['worker', 'lea'], env());
    expect(discord.messages()).toHaveLength(before + 1);
    // Kept for the dashboard's "last changes": one announcement, the move.
    const recent = JSON.parse(await readFile(join(ws.data, 'lea', 'changes.json'), 'utf8')) as {
      entries: { changes: { kind: string; before: { title: string } }[] }[];
    };
    expect(recent.entries).toHaveLength(1);
    expect(recent.entries[0]?.changes.map((c) => `${c.kind} ${c.before.title}`)).toEqual(['moved Droit des affaires']);
  });
});
