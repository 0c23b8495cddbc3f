import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteePolicy } from '../config/index.js';
// Test-only import: the simulators follow reference/moncampus.md and reference/ecal.md, not these checks.
import { startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { createOnboardChecks } from './onboard-checks.js';

const USER = 'lea.martin';
const PASSWORD = 'S3cr3t!pw';
const CAL = 'aaaaaaaaaaaaaaaaaaaaaaaa';

let mc: MonCampusSim;
let ecal: EcalSim;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  mc = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: [] });
  ecal = await startEcalSim({ keys: { k: 's' }, calendars: [CAL] });
  // The owner's environment moves the services to the simulators; an invitee follows it, and nothing else.
  env = { CAMPUS_SYNC_MONCAMPUS_URL: mc.url, CAMPUS_SYNC_CAS_URL: mc.casUrl, CAMPUS_SYNC_ECAL_URL: ecal.url };
});
afterAll(async () => {
  await mc.close();
  await ecal.close();
});

describe('the guided form’s checks, composed from the worker’s clients', () => {
  const checks = () => createOnboardChecks({ env });
  const invitee = () => inviteePolicy({ school: 'igensia', env });

  it('log in for real under an invitee’s policy: a wrong password is named as such, the right one is accepted', async () => {
    const wrong = await checks().moncampus({ url: mc.url, username: USER, password: 'nope', locale: 'en', policy: invitee() });
    expect(wrong).toEqual({ ok: false, reason: 'wrong-password', message: 'MonCampus refuses this username or password.' });
    const right = await checks().moncampus({ url: mc.url, username: USER, password: PASSWORD, locale: 'en', policy: invitee() });
    expect(right.ok).toBe(true);
    expect(right.message).toMatch(/no class in the next 14 days/);
  });

  it('refuse an invitee’s other host before contacting it', async () => {
    // Loopback, but not the simulators' ports: another host as far as the policy is concerned.
    const elsewhere = 'http://127.0.0.1:9/';
    const refused = await checks().moncampus({ url: elsewhere, username: USER, password: PASSWORD, locale: 'en', policy: invitee() });
    expect(refused).toEqual({ ok: false, reason: 'refused-host', message: '127.0.0.1:9 is an IP address: an invitation cannot use one' });
    const ecalRefused = await checks().ecal({ url: 'https://ecal.home.lan', apiKey: 'k', apiSecret: 's', locale: 'fr', policy: invitee() });
    expect(ecalRefused).toMatchObject({ ok: false, reason: 'refused-host', calendars: [] });
  });

  it('follow the timetable host to the school’s CAS for an invitee, and refuse a redirect to any other host', async () => {
    // No CAS override: the check discovers the CAS from the timetable host's redirect, as the worker does. The
    // simulator's CAS stands for cas-p (the school's login server), allowed here as the owner allows origins.
    const discovering = createOnboardChecks({ env: { CAMPUS_SYNC_MONCAMPUS_URL: mc.url } });
    const policy = inviteePolicy({ school: 'igensia', env: { CAMPUS_SYNC_MONCAMPUS_URL: mc.url }, ownerOrigins: [mc.casUrl] });
    const normal = await discovering.moncampus({ url: mc.url, username: USER, password: PASSWORD, locale: 'en', policy });
    expect(normal.ok).toBe(true);

    // The same school's timetable server, made to send its visitors to another host's login page (the same
    // user exists there: a follower would post the password to it).
    const other = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: [] });
    const redirecting = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: [], casRedirect: other.casUrl });
    try {
      const env2 = { CAMPUS_SYNC_MONCAMPUS_URL: redirecting.url };
      const policy2 = inviteePolicy({ school: 'igensia', env: env2, ownerOrigins: [redirecting.casUrl] });
      const refused = await createOnboardChecks({ env: env2 }).moncampus({
        url: redirecting.url,
        username: USER,
        password: PASSWORD,
        locale: 'en',
        policy: policy2,
      });
      const otherHost = new URL(other.casUrl).host;
      expect(refused).toEqual({
        ok: false,
        reason: 'refused-host',
        message: `MonCampus sends the login to ${otherHost}, which is not the school's login server: the check stopped there and sent nothing to it.`,
      });
      expect(other.requests).toEqual([]);
      // Only the anonymous visit to the timetable host happened, and no password was posted anywhere.
      expect(redirecting.requests.map((r) => `${r.host} ${r.method} ${r.path}`)).toEqual(['edt GET /Home/Get']);
      const fr = await createOnboardChecks({ env: env2 }).moncampus({
        url: redirecting.url,
        username: USER,
        password: PASSWORD,
        locale: 'fr',
        policy: policy2,
      });
      expect(fr.message).toBe(
        `MonCampus envoie la connexion vers ${otherHost}, qui n’est pas le serveur de connexion de l’école : la vérification s’est arrêtée là, rien n’y a été envoyé.`,
      );
      expect(other.requests).toEqual([]);
    } finally {
      await Promise.all([other.close(), redirecting.close()]);
    }
  });

  it('list the ECAL schedules the keys can write', async () => {
    const r = await checks().ecal({ url: ecal.url, apiKey: 'k', apiSecret: 's', locale: 'en', policy: invitee() });
    expect(r.ok).toBe(true);
    expect(r.calendars.map((c) => c.id)).toEqual([CAL]);
    expect((await checks().ecal({ url: ecal.url, apiKey: 'k', apiSecret: 'bad', locale: 'en', policy: invitee() })).reason).toBe('refused');
  });

  it('refuse a self-hosted notification server for an invitee, and say there is nothing to test', async () => {
    const channels = [{ type: 'gotify', name: 'g', url: 'https://push.example.org', token: 't' }] as never;
    const r = await checks().notify({ channels, secrets: ['t'], instance: 'lea', locale: 'en', policy: invitee() });
    expect(r).toMatchObject({ ok: false, reason: 'refused-host' });
    expect((await checks().notify({ channels: [], secrets: [], instance: 'lea', locale: 'en', policy: invitee() })).reason).toBe('no-channel');
  });
});
