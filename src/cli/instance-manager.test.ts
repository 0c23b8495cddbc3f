import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventReference } from '../ecal/index.js';
import { markStoppedOnPurpose, STOPPED_MARK_FILE, SYNCED_EVENTS_FILE } from '../instance/index.js';
import { createInstanceToken, instanceForToken } from '../invite/index.js';
import { translator } from '../lib/index.js';
import { startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { createInstanceManager, ownEventDays } from './instance-manager.js';
import { loadConfigFile } from '../config/index.js';

/**
 * The delete core and the status page's checks, against the ECAL and MonCampus simulators, with no supervisor
 * running (so pause says so, and delete has no worker to stop). The supervisor's side is test/browser-self.test.ts.
 */

const KEY = 'im-key';
const SECRET = 'im-secret';
const CAL = 'abcdefabcdefabcdefabcdef';
const PASSWORD = 'Bon-Mot-de-passe-1';
const fr = translator('fr');

let ecal: EcalSim;
let mc: MonCampusSim;
let root: string;
let configDir: string;
let dataDir: string;

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

const yaml = (over: { ecal?: boolean; notify?: boolean } = {}): string =>
  [
    '# by hand',
    'moncampus:',
    `  url: ${mc.url}`,
    `  casUrl: ${mc.casUrl}`,
    '  username: student',
    `  password: "${PASSWORD}"`,
    '  window: {pastDays: 7, futureDays: 30}',
    ...(over.ecal === false ? [] : ['ecal:', `  url: ${ecal.url}`, `  apiKey: ${KEY}`, `  apiSecret: ${SECRET}`, `  calendarId: ${CAL}`]),
    '',
  ].join('\n');

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const event = (date: string, reference?: string) => ({
  calendarId: CAL,
  name: 'Cours',
  location: '',
  startDate: date,
  endDate: date,
  startTime: '08:30',
  endTime: '10:00',
  timezone: 'Europe/Paris',
  ...(reference ? { reference } : {}),
});

beforeAll(async () => {
  ecal = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CAL] });
  mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: [] });
});
afterAll(async () => {
  await ecal.close();
  await mc.close();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cs-instance-manager-'));
  configDir = join(root, 'configs');
  dataDir = join(root, 'data');
  await mkdir(configDir, { recursive: true });
  await mkdir(join(dataDir, 'lea'), { recursive: true });
  for (const e of ecal.events()) ecal.removeEvent(e.id);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('deleteInstance', () => {
  it("removes the config, the token and campus-sync's ECAL events of this instance only; the data stays unless asked", async () => {
    await writeFile(join(configDir, 'lea.yml'), yaml());
    const token = await createInstanceToken({ dataDir }, 'lea');
    await markStoppedOnPurpose(join(dataDir, 'lea'), new Date());
    // An event synced under an older, longer window: found through events.json.
    await writeFile(
      join(dataDir, 'lea', SYNCED_EVENTS_FILE),
      JSON.stringify([{ reference: eventReference('lea', 'OLD'), start: `${day(-60)}T08:30:00+01:00` }]),
    );
    const ours = [ecal.addEvent(event(day(1), eventReference('lea', 'A'))), ecal.addEvent(event(day(-60), eventReference('lea', 'OLD')))];
    const kept = [ecal.addEvent(event(day(1))), ecal.addEvent(event(day(1), eventReference('leah', 'A'))), ecal.addEvent(event(day(2), '987654'))];

    const manager = createInstanceManager({ configDir, dataDir, env: {} });
    const r = await manager.deleteInstance('lea', { alsoData: false, ecalEvents: true }, 'fr');

    expect(r).toMatchObject({ ok: true, configRemoved: true, dataRemoved: false, ecalDeleted: 2 });
    expect(r.message).toBe(fr('self.delete.doneDataKept', { name: 'lea' }));
    expect(r.details).toEqual([fr('self.delete.ecalDeleted', { count: 2 })]);
    expect(await exists(join(configDir, 'lea.yml'))).toBe(false);
    expect(await instanceForToken({ dataDir }, token)).toBeNull();
    expect(await exists(join(dataDir, 'lea', SYNCED_EVENTS_FILE))).toBe(true);
    // Kept data does not leave a config made again under this name stopped.
    expect(await exists(join(dataDir, 'lea', STOPPED_MARK_FILE))).toBe(false);
    const left = ecal.events().map((e) => e.id);
    for (const e of ours) expect(left).not.toContain(e.id);
    expect(left.sort()).toEqual(kept.map((e) => e.id).sort());
  });

  it('with its data: data/<name>/ goes too; without the ECAL box, ECAL is not touched', async () => {
    await writeFile(join(configDir, 'lea.yml'), yaml());
    const mine = ecal.addEvent(event(day(1), eventReference('lea', 'A')));
    const r = await createInstanceManager({ configDir, dataDir, env: {} }).deleteInstance('lea', { alsoData: true, ecalEvents: false }, 'en');
    expect(r).toMatchObject({ ok: true, dataRemoved: true, ecalDeleted: 0 });
    expect(await exists(join(dataDir, 'lea'))).toBe(false);
    expect(ecal.events().map((e) => e.id)).toEqual([mine.id]);
  });

  it('removes nothing when ECAL is asked for but the config cannot be read, or ECAL refuses the keys', async () => {
    await writeFile(join(configDir, 'lea.yml'), 'moncampus:\n  username: x\n  pasword: y\n');
    const manager = createInstanceManager({ configDir, dataDir, env: {} });
    const unreadable = await manager.deleteInstance('lea', { alsoData: true, ecalEvents: true }, 'fr');
    expect(unreadable.ok).toBe(false);
    expect(unreadable.message).toMatch(/^Rien n’a été supprimé/);
    expect(await exists(join(configDir, 'lea.yml'))).toBe(true);
    expect(await exists(join(dataDir, 'lea'))).toBe(true);

    await writeFile(join(configDir, 'lea.yml'), yaml().replace(`apiSecret: ${SECRET}`, 'apiSecret: wrong-secret'));
    const refused = await manager.deleteInstance('lea', { alsoData: true, ecalEvents: true }, 'en');
    expect(refused).toMatchObject({ ok: false, configRemoved: false });
    expect(refused.message).toMatch(/^Config kept: ECAL could not be reached/);
    expect(refused.message).not.toContain('wrong-secret');
    expect(await exists(join(configDir, 'lea.yml'))).toBe(true);
  });

  it('an unknown instance is said so', async () => {
    const r = await createInstanceManager({ configDir, dataDir, env: {} }).deleteInstance('nobody', { alsoData: true, ecalEvents: false }, 'en');
    expect(r).toMatchObject({ ok: false, configRemoved: false, message: translator('en')('self.delete.notFound', { name: 'nobody' }) });
  });
});

describe('the status page checks', () => {
  it("checks a password with the config's MonCampus, names a wrong one, and writes nothing", async () => {
    await writeFile(join(configDir, 'lea.yml'), yaml());
    const before = await readFile(join(configDir, 'lea.yml'), 'utf8');
    const manager = createInstanceManager({ configDir, dataDir, env: {} });
    expect(await manager.checkPassword('lea', 'faux', 'fr')).toMatchObject({
      ok: false,
      reason: 'wrong-password',
      message: fr('checks.moncampus.wrongPassword'),
    });
    expect((await manager.checkPassword('lea', PASSWORD, 'fr')).ok).toBe(true);
    expect(await readFile(join(configDir, 'lea.yml'), 'utf8')).toBe(before);
  });

  it('follows no redirect of the timetable host off the config’s hosts and the schools’ CAS servers', async () => {
    const other = await startMonCampusSim({ users: { student: PASSWORD }, courses: [] });
    const redirecting = await startMonCampusSim({ users: { student: PASSWORD }, courses: [], casRedirect: other.casUrl });
    try {
      // No casUrl: the check discovers the CAS from the timetable host, which names another host's login page.
      const text = ['moncampus:', `  url: ${redirecting.url}`, '  username: student', `  password: "${PASSWORD}"`, ''].join('\n');
      await writeFile(join(configDir, 'lea.yml'), text);
      const r = await createInstanceManager({ configDir, dataDir, env: {} }).checkPassword('lea', PASSWORD, 'fr');
      expect(r).toEqual({ ok: false, reason: 'refused-host', message: fr('selfRest.casRedirectRefused', { host: new URL(other.casUrl).host }) });
      expect(other.requests).toEqual([]);
    } finally {
      await Promise.all([other.close(), redirecting.close()]);
    }
  });

  it('pause without a supervisor, and a test without channels, say so', async () => {
    await writeFile(join(configDir, 'lea.yml'), yaml());
    const manager = createInstanceManager({ configDir, dataDir, env: {} });
    expect(await manager.pause('lea', 'fr')).toEqual({ ok: false, message: fr('self.result.noSupervisor') });
    expect(await manager.testNotifications('lea', 'fr')).toEqual({ ok: false, message: fr('self.notify.none') });
  });
});

describe('ownEventDays', () => {
  it('is the sync window, widened to the days of the synced events', async () => {
    await writeFile(join(configDir, 'lea.yml'), yaml());
    const config = await loadConfigFile(join(configDir, 'lea.yml'), { env: {} });
    const now = new Date('2026-12-07T10:00:00Z');
    expect(await ownEventDays(config, join(dataDir, 'lea'), now)).toEqual({ from: '2026-11-30', to: '2027-01-06' });
    await writeFile(join(dataDir, 'lea', SYNCED_EVENTS_FILE), JSON.stringify([{ start: '2026-09-01T08:30:00+02:00' }]));
    expect(await ownEventDays(config, join(dataDir, 'lea'), now)).toEqual({ from: '2026-09-01', to: '2027-01-06' });
  });
});
