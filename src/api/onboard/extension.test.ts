import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayContact, type HostPolicy } from '../../config/index.js';
import { createInvitation, revokeInvitation } from '../../invite/index.js';
import { fakeClock, type FakeClock } from '../../lib/fake-clock.test-helper.js';
import { openStore, type Store } from '../../store/index.js';
import { createSessions } from '../dashboard/auth.js';
import { dashboardExtension } from '../dashboard/extension.js';
import { createApiServer, type ApiServer } from '../server.js';
import { captureLogger, tempDirs, type TempDirs } from '../test-support.test-helper.js';
import type { OnboardChecks } from './checks.js';
import { onboardExtension } from './extension.js';

const API_KEY = 'onboard-api-key-0123456789abcdef';
const PASSWORD = 'Pa55-of-the-classmate-42';
const DAY = 24 * 3600_000;

let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let base: string;
let clock: FakeClock;
const logged = captureLogger();
/** What the form asked the checks, with the policy it gave them. */
const asked: { what: string; url: string; policy: HostPolicy; password?: string; apiKey?: string; apiSecret?: string; channels?: string[] }[] = [];

/** The form only calls the checks (their own tests run them against the simulators): a recording set is its contract. */
const checks: OnboardChecks = {
  async moncampus(input) {
    asked.push({ what: 'moncampus', url: input.url, policy: input.policy, password: input.password });
    if (input.password !== PASSWORD) return { ok: false, reason: 'wrong-password', message: 'MonCampus refuses this username or password.' };
    return { ok: true, message: '3 classes in the next 14 days' };
  },
  async ecal(input) {
    asked.push({ what: 'ecal', url: input.url, policy: input.policy, apiKey: input.apiKey, apiSecret: input.apiSecret });
    return { ok: true, message: 'one schedule', calendars: [{ id: '0123456789abcdef01234567', name: 'Cours' }] };
  },
  async notify(input) {
    asked.push({ what: 'notify', url: '', policy: input.policy, channels: input.channels.map((c) => c.type) });
    return { ok: true, message: 'sent', details: input.channels.map((c) => c.type) };
  },
};

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(`${base}${path}`, {
    redirect: 'manual',
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const same = { 'sec-fetch-site': 'same-origin' };
/** The anti-CSRF token the page embeds. */
const csrfOf = (html: string): string => (JSON.parse(/id="onboard-settings">([^<]*)</.exec(html)?.[1] ?? '{}') as { csrf: string }).csrf;

async function invitee(): Promise<{ token: string; csrf: string }> {
  const inv = await createInvitation({ dataDir: dirs.dataDir, clock, expiresInMs: 7 * DAY });
  const page = await call(`/invite/${inv.token}`);
  expect(page.status).toBe(200);
  return { token: inv.token, csrf: csrfOf(page.text) };
}

/** The owner's session; `probe` first tries a login without the key (refused: a failure the login budget counts). */
async function ownerSession(probe = true): Promise<{ cookie: string; csrf: string }> {
  if (probe) {
    const r = await call('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...same } });
    expect(r.status).toBe(401);
  }
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...same },
    body: `key=${API_KEY}`,
  });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const page = await call('/dashboard/configs/new', { headers: { cookie } });
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfOf(page.text) };
}

beforeAll(async () => {
  dirs = await tempDirs('campus-sync-onboard-');
  store = await openStore({ dataDir: dirs.dataDir });
  clock = fakeClock(new Date());
  const sessions = createSessions();
  const unused = async (): Promise<never> => {
    throw new Error('not used');
  };
  server = createApiServer({
    store,
    configDir: dirs.configDir,
    dataDir: dirs.dataDir,
    apiKeys: [API_KEY],
    logger: logged.logger,
    clock,
    env: {},
    extensions: [
      dashboardExtension({ actions: { runNow: unused, restart: unused, testNotification: unused }, sessions, env: {} }),
      onboardExtension({
        checks,
        sessions,
        env: { EDITH_ECAL_KEY: 'edith-ecal-key-from-env' },
        limits: { savesPerClientPerHour: 50, savesPerHour: 50, badTokensPerClientPer15Min: 3 },
      }),
    ],
  });
  ({ url: base } = await server.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await server.close();
  await store.close();
  await dirs.cleanup();
});

describe('the guided form’s pages', () => {
  it('the owner’s is behind the dashboard login, in the page’s language, with nothing inline that runs', async () => {
    expect((await call('/dashboard/configs/new')).headers.get('location')).toBe('/');
    const { cookie } = await ownerSession();
    const fr = await call('/dashboard/configs/new', { headers: { cookie } });
    expect(fr.text).toMatch(/<html lang="fr">/);
    expect(fr.text).toContain('Ajouter un emploi du temps');
    expect(fr.text).toContain('id="name"');
    expect(fr.text).toContain('value="other"');
    expect(fr.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const en = await call('/dashboard/configs/new?lang=en', { headers: { cookie } });
    expect(en.text).toMatch(/<html lang="en">/);
    expect(en.text).toContain('Add a timetable');
  });

  it('the invitee’s opens with the token alone, without a name field nor "other"; ended ones are refused plainly', async () => {
    const inv = await createInvitation({ dataDir: dirs.dataDir, clock, expiresInMs: DAY });
    const page = await call(`/invite/${inv.token}`, { headers: { 'accept-language': 'en' } });
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('id="name"');
    expect(page.text).not.toContain('value="other"');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    await revokeInvitation({ dataDir: dirs.dataDir, clock }, inv.id);
    const revoked = await call(`/invite/${inv.token}`, { headers: { 'accept-language': 'en' } });
    expect(revoked.status).toBe(410);
    expect(revoked.text).toContain('This invitation was revoked.');
    const old = await createInvitation({ dataDir: dirs.dataDir, clock, expiresInMs: DAY });
    clock.advance(DAY);
    const expired = await call(`/invite/${old.token}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('Cette invitation a expiré.');
  });

  it('counts links that open nothing, and stops a guesser', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await call(`/invite/${'A'.repeat(42)}${i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    // The throttled page says to wait, and for how long, not that the link is unknown.
    expect(last?.text).toContain('data-reason="tooMany"');
    expect(last?.text).toMatch(/Trop d’essais : réessayez dans \d+ s\./);
    clock.advance(15 * 60_000);
  });
});

describe('the checks', () => {
  it('run for an invitee under the invitee’s host policy, and for the owner under none', async () => {
    const { token, csrf } = await invitee();
    asked.length = 0;
    const r = await call('/onboard/check/moncampus', {
      headers: { ...same, 'x-csrf-token': csrf },
      body: { invite: token, school: 'igensia', username: 'lea', password: 'wrong' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: false, reason: 'wrong-password', field: 'password' });
    const policy = asked[0]?.policy as HostPolicy;
    expect(policy.role).toBe('invitee');
    expect(mayContact(policy, 'http://192.168.1.1:8123').ok).toBe(false);
    expect(mayContact(policy, asked[0]?.url as string).ok).toBe(true);
    const owner = await ownerSession();
    await call('/onboard/check/ecal', {
      headers: { ...same, cookie: owner.cookie, 'x-csrf-token': owner.csrf },
      body: { ecalApiKey: 'k', ecalApiSecret: 's' },
    });
    expect(asked[1]).toMatchObject({ what: 'ecal', policy: { role: 'owner' } });
  });

  it('need the fields they check, beside each field', async () => {
    const { token, csrf } = await invitee();
    const r = await call('/onboard/check/moncampus', { headers: { ...same, 'x-csrf-token': csrf, 'accept-language': 'en' }, body: { invite: token } });
    expect(r.status).toBe(400);
    expect(r.json.fields).toEqual({ username: 'Required.', password: 'Required.' });
    const n = await call('/onboard/check/notify', {
      headers: { ...same, 'x-csrf-token': csrf, 'accept-language': 'en' },
      body: { invite: token, notify: 'nope://x' },
    });
    expect(n.status).toBe(400);
    expect(n.json.fields.notify).toMatch(/not recognised/);
  });

  it('refuse posts without the page’s token, from another site, or without an invitation or a login', async () => {
    const { token, csrf } = await invitee();
    const body = { invite: token, username: 'lea', password: 'x' };
    expect((await call('/onboard/check/moncampus', { headers: same, body })).status).toBe(403);
    expect((await call('/onboard/check/moncampus', { headers: { 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf }, body })).status).toBe(403);
    expect((await call('/onboard/check/moncampus', { headers: { ...same, 'x-csrf-token': csrf }, body: { username: 'lea', password: 'x' } })).status).toBe(401);
    const form = await call('/onboard/check/moncampus', {
      method: 'POST',
      headers: { ...same, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });
});

describe('Save', () => {
  it('writes a valid config for an invitee, uses the invitation once, and gives the status key', async () => {
    const { token, csrf } = await invitee();
    const body = { invite: token, school: 'cd', username: 'Lea.Martin', password: PASSWORD, ics: true, locale: 'en' };
    const r = await call('/onboard/save', { headers: { ...same, 'x-csrf-token': csrf }, body });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'lea-martin', progress: '/onboard/progress/lea-martin' });
    const text = await readFile(join(dirs.configDir, 'lea-martin.yml'), 'utf8');
    expect(text).toContain('https://ws-edt-cd.wigorservices.net');
    expect(text).toContain('username: Lea.Martin');
    // The second save with the same link is refused, and says why.
    const again = await call('/onboard/save', { headers: { ...same, 'x-csrf-token': csrf, 'accept-language': 'en' }, body });
    expect(again.status).toBe(410);
    expect(again.json.error).toMatch(/already used/);
    // The status key opens this instance's progress, and nothing else does.
    const key = r.json.statusToken as string;
    const progress = await call('/onboard/progress/lea-martin', { headers: { 'x-instance-token': key, 'accept-language': 'en' } });
    expect(progress.status).toBe(200);
    expect(progress.json).toMatchObject({ worker: false, synced: false });
    expect((await call('/onboard/progress/lea-martin', { headers: { 'x-instance-token': token } })).status).toBe(401);
    expect((await call('/onboard/progress/other', { headers: { 'x-instance-token': key } })).status).toBe(401);
    // The password is in the file (0600), never in the log.
    expect(JSON.stringify(logged.lines)).not.toContain(PASSWORD);
    expect(JSON.stringify(logged.lines)).not.toContain(token);
  });

  it('refuses an invitee’s typed server before using the invitation, with the reason beside the field', async () => {
    const { token, csrf } = await invitee();
    const r = await call('/onboard/save', {
      headers: { ...same, 'x-csrf-token': csrf, 'accept-language': 'en' },
      body: { invite: token, school: 'igensia', moncampusUrl: 'http://10.0.0.5:8080', username: 'eve', password: 'x' },
    });
    expect(r.status).toBe(400);
    expect(r.json.fields.school).toBe('10.0.0.5:8080 is an IP address: an invitation cannot use one');
    // Still usable: nothing was written, the link still opens.
    expect((await call(`/invite/${token}`)).status).toBe(200);
  });

  it('gives a second classmate with the same login another name, and the owner names theirs', async () => {
    const { token, csrf } = await invitee();
    const r = await call('/onboard/save', { headers: { ...same, 'x-csrf-token': csrf }, body: { invite: token, username: 'lea.martin', password: 'x' } });
    expect(r.json.name).toBe('lea-martin-2');
    const owner = await ownerSession();
    const headers = { ...same, cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'accept-language': 'en' };
    const taken = await call('/onboard/save', { headers, body: { name: 'lea-martin', username: 'x', password: 'y' } });
    expect(taken.status).toBe(400);
    expect(taken.json.fields.name).toMatch(/exists already/);
    const mine = await call('/onboard/save', {
      headers,
      body: { name: 'bob', school: 'other', moncampusUrl: 'https://edt.example.org', username: 'bob', password: 'y' },
    });
    expect(mine.status).toBe(201);
    expect(mine.json.statusToken).toBeUndefined();
    expect(await readFile(join(dirs.configDir, 'bob.yml'), 'utf8')).toContain('url: https://edt.example.org');
    expect((await call('/onboard/progress/bob', { headers: { cookie: owner.cookie } })).status).toBe(200);
  });

  it('says why the loader refuses a config in the page’s language, naming the key', async () => {
    const owner = await ownerSession();
    const body = {
      name: 'zoe',
      username: 'zoe',
      password: 'y',
      ecalUrl: 'pas-une-adresse',
      ecalApiKey: 'k',
      ecalApiSecret: 's',
      ecalCalendarId: 'a'.repeat(24),
    };
    const answers: Record<string, { status: number; json: { error: string } }> = {};
    for (const lang of ['fr', 'en']) {
      const headers = { ...same, cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'accept-language': lang };
      answers[lang] = await call('/onboard/save', { headers, body });
    }
    expect(answers.fr?.status).toBe(400);
    expect(answers.fr?.json.error).toBe(
      'La configuration ne passe pas la validation : zoe.yml: ecal.url: attendu : une URL http:// ou https://, trouvé : "pas-une-adresse"',
    );
    expect(answers.en?.status).toBe(400);
    expect(answers.en?.json.error).toBe('The config does not pass validation: zoe.yml: ecal.url: expected an http:// or https:// URL, got "pas-une-adresse"');
    expect(existsSync(join(dirs.configDir, 'zoe.yml'))).toBe(false);
  });

  it('gives two classmates saving the same login at once two names: neither used link is lost', async () => {
    const [a, b] = [await invitee(), await invitee()];
    const save = (i: { token: string; csrf: string }) =>
      call('/onboard/save', { headers: { ...same, 'x-csrf-token': i.csrf }, body: { invite: i.token, username: 'sam', password: 'x' } });
    const answers = await Promise.all([save(a), save(b)]);
    expect(answers.map((r) => r.status)).toEqual([201, 201]);
    expect(answers.map((r) => r.json.name).sort()).toEqual(['sam', 'sam-2']);
  });

  it('lets the owner make an invitation link from the page, with its QR code', async () => {
    const owner = await ownerSession();
    const r = await call('/dashboard/invitations', { method: 'POST', headers: { ...same, cookie: owner.cookie, 'x-csrf-token': owner.csrf } });
    expect(r.status).toBe(201);
    expect(r.json.link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(r.json.qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect((await call(new URL(r.json.link).pathname)).status).toBe(200);
    expect((await call('/dashboard/invitations', { method: 'POST', headers: { ...same, cookie: owner.cookie } })).status).toBe(403);
    expect((await call('/dashboard/invitations', { method: 'POST', headers: same })).status).toBe(401);
    expect(JSON.stringify(logged.lines)).not.toContain(new URL(r.json.link).pathname.slice('/invite/'.length));
  });
});

/** One login for the tests below (the ones above spent the login budget's failures). */
let ownerOnce: Promise<{ cookie: string; csrf: string }> | undefined;
const owner = (): Promise<{ cookie: string; csrf: string }> => {
  ownerOnce ??= ownerSession(false);
  return ownerOnce;
};

describe('the owner’s edit of an existing config', () => {
  const SECRET_PASSWORD = 'Inline-pass-of-Edith-77';
  const ECAL_SECRET = 'edith-ecal-secret-in-a-file';
  const WEBHOOK = 'discord://1234567890/edith-webhook-token-abcdef';
  const text = [
    '# Edith, written by hand',
    'timezone: Europe/Paris',
    'moncampus:',
    '  username: edith # her login',
    `  password: "${SECRET_PASSWORD}"`,
    'ecal:',
    '  apiKey: ${EDITH_ECAL_KEY}',
    '  apiSecretFile: secrets/edith-ecal',
    '  calendarId: 0123456789abcdef01234567',
    '# the feed, on',
    'ics:',
    '  enabled: true',
    'notify:',
    `  - ${WEBHOOK}`,
    '',
  ].join('\n');
  const file = () => join(dirs.configDir, 'edith.yml');
  const hashOf = (html: string): string => (JSON.parse(/id="onboard-settings">([^<]*)</.exec(html)?.[1] ?? '{}') as { edit: { hash: string } }).edit.hash;

  async function openEdit(cookie: string) {
    const page = await call('/dashboard/configs/edith/edit?lang=en', { headers: { cookie } });
    expect(page.status).toBe(200);
    return { html: page.text, csrf: csrfOf(page.text), hash: hashOf(page.text) };
  }

  it('fills the form from the file, secrets only as "set": none reaches the page, not even masked', async () => {
    await mkdir(join(dirs.configDir, 'secrets'), { recursive: true });
    await writeFile(join(dirs.configDir, 'secrets', 'edith-ecal'), `${ECAL_SECRET}\n`);
    await writeFile(file(), text);
    expect((await call('/dashboard/configs/edith/edit')).headers.get('location')).toBe('/');
    const { cookie } = await owner();
    const { html, hash } = await openEdit(cookie);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(html).toContain('Edit edith');
    expect(html).toContain('value="edith"');
    expect(html).toContain('<option value="0123456789abcdef01234567" selected>');
    expect(html).toContain('placeholder="Set, not shown"');
    expect(html).not.toContain('id="name"');
    for (const secret of [SECRET_PASSWORD, ECAL_SECRET, 'EDITH_ECAL_KEY', 'secrets/edith-ecal', WEBHOOK, 'edith-webhook-token'])
      expect(html).not.toContain(secret);
    expect((await call('/dashboard/configs/nobody/edit', { headers: { cookie } })).status).toBe(404);
  });

  it('writes only what changed: comments and key order survive, untouched secrets keep their form, a typed one replaces', async () => {
    await writeFile(file(), text);
    const { cookie } = await owner();
    const { csrf, hash } = await openEdit(cookie);
    const form = { school: 'igensia', username: 'edith', ecalCalendarId: '0123456789abcdef01234567', ics: false, changesDays: 14, locale: 'fr', hash };
    const r = await call('/onboard/edit/edith', { headers: { ...same, cookie, 'x-csrf-token': csrf }, body: { ...form, ecalApiSecret: 'new-ecal-secret' } });
    expect(r.status).toBe(201);
    expect(r.json.progress).toMatch(/^\/onboard\/progress\/edith\?since=/);
    const after = await readFile(file(), 'utf8');
    expect(after).toContain('# Edith, written by hand');
    expect(after).toContain('username: edith # her login');
    expect(after).toContain('# the feed, on');
    expect(after).toContain(`password: "${SECRET_PASSWORD}"`);
    expect(after).toContain('apiKey: ${EDITH_ECAL_KEY}');
    expect(after).toContain('apiSecretFile: secrets/edith-ecal');
    expect(after).toContain(WEBHOOK);
    expect(after).toMatch(/ics:\n {2}enabled: false/);
    expect(after).toMatch(/changes:\n {2}horizonDays: 14/);
    expect(await readFile(join(dirs.configDir, 'secrets', 'edith-ecal'), 'utf8')).toBe('new-ecal-secret\n');
    const keys = after
      .split('\n')
      .filter((l) => /^[a-z]+:/.test(l))
      .map((l) => l.split(':')[0]);
    expect(keys).toEqual(['timezone', 'moncampus', 'ecal', 'ics', 'notify', 'changes']);
    expect(r.json.hash).not.toBe(hash);
    // A typed password replaces the inline one, in the same place.
    const again = await call('/onboard/edit/edith', {
      headers: { ...same, cookie, 'x-csrf-token': csrf },
      body: { ...form, hash: r.json.hash, password: 'Typed-New-9' },
    });
    expect(again.status).toBe(201);
    expect(await readFile(file(), 'utf8')).toContain('password: "Typed-New-9"');
    expect(JSON.stringify(logged.lines)).not.toContain('Typed-New-9');
  });

  it('Checks with a secret field left empty use the edited config’s stored secret (owner only); a typed one wins; none comes back', async () => {
    await mkdir(join(dirs.configDir, 'secrets'), { recursive: true });
    await writeFile(join(dirs.configDir, 'secrets', 'edith-ecal'), `${ECAL_SECRET}\n`);
    await writeFile(file(), text);
    const { cookie } = await owner();
    const { csrf } = await openEdit(cookie);
    const headers = { ...same, cookie, 'x-csrf-token': csrf };
    asked.length = 0;
    const mc = await call('/onboard/check/moncampus', { headers, body: { edit: 'edith', school: 'igensia', username: 'edith' } });
    const ecal = await call('/onboard/check/ecal', { headers, body: { edit: 'edith' } });
    const notify = await call('/onboard/check/notify', { headers, body: { edit: 'edith' } });
    expect([mc.status, ecal.status, notify.status]).toEqual([200, 200, 200]);
    expect(asked[0]).toMatchObject({ what: 'moncampus', password: SECRET_PASSWORD });
    // Resolved as the worker resolves them: ${EDITH_ECAL_KEY} from the server's environment, the secret from its file.
    expect(asked[1]).toMatchObject({ what: 'ecal', apiKey: 'edith-ecal-key-from-env', apiSecret: ECAL_SECRET });
    expect(asked[2]).toMatchObject({ what: 'notify', channels: ['discord-webhook'] });
    for (const r of [mc, ecal, notify])
      for (const secret of [SECRET_PASSWORD, ECAL_SECRET, 'edith-ecal-key-from-env', 'edith-webhook-token']) expect(r.text).not.toContain(secret);
    await call('/onboard/check/moncampus', { headers, body: { edit: 'edith', school: 'igensia', username: 'edith', password: 'Typed-Now-1' } });
    expect(asked[3]).toMatchObject({ what: 'moncampus', password: 'Typed-Now-1' });
    // An invitee naming somebody's config gets nothing from it.
    const { token, csrf: inviteeCsrf } = await invitee();
    const refused = await call('/onboard/check/moncampus', {
      headers: { ...same, 'x-csrf-token': inviteeCsrf, 'accept-language': 'en' },
      body: { invite: token, edit: 'edith', school: 'igensia', username: 'edith' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.fields).toMatchObject({ password: 'Required.' });
    expect(asked).toHaveLength(4);
  });

  it('answers a file changed on disk since the form was opened with 409 in the page’s language, and writes nothing', async () => {
    await writeFile(file(), text);
    const { cookie } = await owner();
    const { csrf, hash } = await openEdit(cookie);
    const handEdited = text.replace('enabled: true', 'enabled: true # changed by hand');
    await writeFile(file(), handEdited);
    const body = { school: 'igensia', username: 'edith', ecalCalendarId: '0123456789abcdef01234567', ics: false, hash };
    const fr = await call('/onboard/edit/edith', { headers: { ...same, cookie, 'x-csrf-token': csrf }, body });
    expect(fr.status).toBe(409);
    expect(fr.json.error).toBe(
      'configs/edith.yml a changé sur le disque depuis l’ouverture de ce formulaire : rien n’a été écrit. Rechargez la page pour repartir du fichier actuel.',
    );
    const en = await call('/onboard/edit/edith', { headers: { ...same, cookie, 'x-csrf-token': csrf, 'accept-language': 'en' }, body });
    expect(en.json.error).toMatch(/^configs\/edith\.yml changed on disk since this form was opened: nothing was written/);
    expect(await readFile(file(), 'utf8')).toBe(handEdited);
  });

  it('is the owner’s only: no CSRF token, no login or an invitation’s token are refused, and nothing is written', async () => {
    await writeFile(file(), text);
    const { cookie } = await owner();
    const { hash } = await openEdit(cookie);
    const body = { school: 'igensia', username: 'mallory', hash };
    expect((await call('/onboard/edit/edith', { headers: { ...same, cookie }, body })).status).toBe(403);
    expect((await call('/onboard/edit/edith', { headers: same, body })).status).toBe(401);
    const i = await invitee();
    expect((await call('/onboard/edit/edith', { headers: { ...same, 'x-csrf-token': i.csrf }, body: { ...body, invite: i.token } })).status).toBe(403);
    expect(await readFile(file(), 'utf8')).toBe(text);
  });

  it('the dashboard shows an Edit link on each instance card', async () => {
    await writeFile(file(), text);
    const { cookie } = await owner();
    const dashboard = await call('/?lang=en', { headers: { cookie } });
    expect(dashboard.text).toContain('href="/dashboard/configs/edith/edit"');
  });
});

describe('the owner’s invitations in the page', () => {
  it('are listed with their state, and a pending one is revoked with the page’s token: its link then opens nothing', async () => {
    const me = await owner();
    const pending = await createInvitation({ dataDir: dirs.dataDir, clock, expiresInMs: 7 * DAY });
    const page = await call('/dashboard/configs/new?lang=en', { headers: { cookie: me.cookie } });
    expect(page.text).toContain('id="invitations-table"');
    expect(page.text).toMatch(new RegExp(`id="invitation-${pending.id}" data-state="pending"`));
    expect(page.text).toMatch(/data-state="used">[\s\S]*?used — used for sam/);
    expect(page.text).toMatch(/data-state="revoked"/);
    expect(page.text).not.toContain(pending.token);
    expect(page.text).not.toMatch(/tokenHash|[0-9a-f]{64}/);

    const revoke = (headers: Record<string, string>) => call(`/dashboard/invitations/${pending.id}/revoke`, { method: 'POST', headers });
    expect((await revoke({ ...same, cookie: me.cookie })).status).toBe(403);
    expect((await revoke(same)).status).toBe(401);
    expect((await call(`/invite/${pending.token}`)).status).toBe(200);
    const done = await revoke({ ...same, cookie: me.cookie, 'x-csrf-token': me.csrf, 'accept-language': 'en' });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ state: 'revoked', stateText: 'revoked', message: 'Invitation revoked: its link opens nothing now.' });
    const refused = await call(`/invite/${pending.token}`, { headers: { 'accept-language': 'en' } });
    expect(refused.status).toBe(410);
    expect(refused.text).toContain('data-reason="revoked"');
    expect((await revoke({ ...same, cookie: me.cookie, 'x-csrf-token': me.csrf })).status).toBe(409);
    expect(
      (await call('/dashboard/invitations/000000000000/revoke', { method: 'POST', headers: { ...same, cookie: me.cookie, 'x-csrf-token': me.csrf } })).status,
    ).toBe(404);
  });
});
