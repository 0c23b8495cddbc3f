import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../config/index.js';
import { createInstanceToken } from '../../invite/index.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';
import { translator } from '../../lib/index.js';
import { openStore, type Store } from '../../store/index.js';
import { dashboardExtension } from '../dashboard/index.js';
import { API_KEY, ECAL_SECRET, PASSWORD, timetableYaml, writeFiles } from '../dashboard/fixtures.test-helper.js';
import { createApiServer, type ApiServer } from '../server.js';
import { captureLogger, tempDirs, type TempDirs } from '../test-support.test-helper.js';
import { selfPageExtension } from './extension.js';
import type { InstanceManager } from './manager.js';

/**
 * The status page's HTTP side: the token, the budgets, CSRF, the password written by the config writer, and the
 * owner's Delete behind the dashboard login. The manager (pause, checks, the delete core) is the CLI's and is tested
 * there and end to end (test/browser-self.test.ts); here a recording one is the contract the page relies on.
 */

const fr = translator('fr');
const NEW_PASSWORD = 'a-new ${PASSWORD} #one';
let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let base: string;
let token: string;
let bobToken: string;
const calls: string[] = [];
const log = captureLogger();
const clock = fakeClock();

const manager: InstanceManager = {
  pause: async (name) => {
    calls.push(`pause ${name}`);
    return { ok: true, message: 'paused' };
  },
  resume: async (name) => {
    calls.push(`resume ${name}`);
    return { ok: true, message: 'resumed' };
  },
  restart: async (name) => {
    calls.push(`restart ${name}`);
    return { ok: true, message: 'restarted' };
  },
  checkPassword: async (name, password, locale) => {
    calls.push(`check ${name}`);
    return password === NEW_PASSWORD
      ? { ok: true, message: '3 cours' }
      : { ok: false, reason: 'wrong-password', message: translator(locale)('checks.moncampus.wrongPassword') };
  },
  testNotifications: async (name) => {
    calls.push(`test ${name}`);
    return { ok: true, message: '1 sent', details: [`sent with ${ECAL_SECRET}`] };
  },
  deleteInstance: async (name, choices) => {
    calls.push(`delete ${name} data=${choices.alsoData} ecal=${choices.ecalEvents}`);
    return { ok: true, message: `${name} deleted`, configRemoved: true, dataRemoved: choices.alsoData, ecalDeleted: 0 };
  },
};

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', origin: base, ...headers },
  body: new URLSearchParams(fields).toString(),
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The page's own CSRF field. */
async function csrfOf(): Promise<string> {
  const page = await call(`/me/${token}`);
  return /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
}

beforeAll(async () => {
  dirs = await tempDirs('campus-sync-self-ext-');
  store = await openStore({ dataDir: dirs.dataDir });
  await writeFiles(dirs.configDir, { 'alice.yml': `# Alice's timetable, by hand\n${timetableYaml()}` });
  token = await createInstanceToken({ dataDir: dirs.dataDir }, 'alice');
  // Bob keeps his password in a file beside the config.
  await writeFiles(dirs.configDir, { 'bob.yml': 'moncampus:\n  username: bob\n  passwordFile: bob.password # kept apart\n', 'bob.password': 'old\n' });
  bobToken = await createInstanceToken({ dataDir: dirs.dataDir }, 'bob');
  server = createApiServer({
    store,
    configDir: dirs.configDir,
    dataDir: dirs.dataDir,
    apiKeys: [API_KEY],
    logger: log.logger,
    clock,
    extensions: [
      dashboardExtension({ actions: { runNow: manager.pause, restart: manager.pause, testNotification: manager.pause }, manager }),
      selfPageExtension({ manager, limits: { unknownTokensPerClient: 3 } }),
    ],
  });
  ({ url: base } = await server.listen(0));
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await dirs?.cleanup();
});
beforeEach(() => {
  calls.length = 0;
});

describe('the status page', () => {
  it('opens with its token only: the instance, its forms with a CSRF field, a strict CSP, and no token in any log line', async () => {
    const r = await call(`/me/${token}`, { headers: { 'accept-language': 'fr' } });
    expect(r.status).toBe(200);
    expect(r.text).toContain(fr('self.title', { name: 'alice' }));
    expect(r.text.match(/name="csrf"/g)?.length).toBeGreaterThanOrEqual(4);
    expect(r.text).not.toContain(PASSWORD);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const lines = log.lines.map((l) => `${l.message} ${JSON.stringify(l.meta ?? {})}`).join('\n');
    expect(lines).toContain('GET /me/<token> 200');
    expect(lines).not.toContain(token);
  });

  it('an unknown token is 404, and guessing is budgeted (429 with Retry-After); a real token then still opens after the window', async () => {
    expect((await call(`/me/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await call(`/me/${'B'.repeat(43)}`)).status).toBe(404);
    expect((await call(`/me/${'C'.repeat(43)}`)).status).toBe(404);
    const refused = await call(`/me/${'D'.repeat(43)}`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(`/me/${token}`)).status).toBe(429);
    await clock.tickAsync(15 * 60_000);
    expect((await call(`/me/${token}`)).status).toBe(200);
  });

  it('refuses a form without its CSRF field or from another site, before doing anything', async () => {
    const csrf = await csrfOf();
    expect((await call(`/me/${token}/pause`, form({}))).status).toBe(403);
    expect((await call(`/me/${token}/pause`, form({ csrf: 'x'.repeat(43) }))).status).toBe(403);
    const cross = await call(`/me/${token}/pause`, form({ csrf }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }));
    expect(cross.status).toBe(403);
    expect(cross.text).toContain(fr('self.crossSite'));
    expect(calls).toEqual([]);
    const ok = await call(`/me/${token}/pause`, form({ csrf }));
    expect(ok.status).toBe(200);
    expect(calls).toEqual(['pause alice']);
  });

  it('a wrong password is named beside the field and nothing is written; the right one is written, comments kept, and the loader agrees', async () => {
    const file = join(dirs.configDir, 'alice.yml');
    const before = await readFile(file, 'utf8');
    const csrf = await csrfOf();
    const empty = await call(`/me/${token}/password`, form({ csrf, password: '' }));
    expect(empty.status).toBe(400);
    expect(empty.text).toContain(`<p id="password-error" class="field-error">${fr('self.passwordEmpty')}</p>`);
    const wrong = await call(`/me/${token}/password`, form({ csrf, password: 'nope' }));
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('aria-describedby="password-hint password-error" aria-invalid="true"');
    expect(wrong.text).toContain(fr('checks.moncampus.wrongPassword'));
    expect(await readFile(file, 'utf8')).toBe(before);
    const right = await call(`/me/${token}/password`, form({ csrf, password: NEW_PASSWORD }));
    expect(right.status).toBe(200);
    expect(right.text).toContain(fr('self.passwordSaved', { check: '3 cours' }));
    expect(right.text).not.toContain(NEW_PASSWORD);
    const after = await readFile(file, 'utf8');
    expect(after).toContain("# Alice's timetable, by hand");
    // What `validate` runs: the typed `${` stays literal text, never an environment variable.
    expect((await loadConfigFile(file, { env: {} })).moncampus?.password).toBe(NEW_PASSWORD);
    expect(log.lines.map((l) => l.message).join('\n')).not.toContain(NEW_PASSWORD);
  });

  it('a password kept in a passwordFile is written there, the config left as it was, and the worker restarted', async () => {
    const configBefore = await readFile(join(dirs.configDir, 'bob.yml'), 'utf8');
    const page = await call(`/me/${bobToken}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const r = await call(`/me/${bobToken}/password`, form({ csrf, password: NEW_PASSWORD }));
    expect(r.status).toBe(200);
    expect(await readFile(join(dirs.configDir, 'bob.yml'), 'utf8')).toBe(configBefore);
    expect(await readFile(join(dirs.configDir, 'bob.password'), 'utf8')).toBe(`${NEW_PASSWORD}\n`);
    expect(calls).toEqual(['check bob', 'restart bob']);
  });

  it('delete asks for the box first (error beside it), then deletes the instance with its data, ECAL only when ticked', async () => {
    const csrf = await csrfOf();
    const unconfirmed = await call(`/me/${token}/delete`, form({ csrf, ecal: '1' }));
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.text).toContain(`<p id="confirm-error" class="field-error">${fr('self.deleteNeedConfirm')}</p>`);
    expect(unconfirmed.text).toContain('name="ecal" value="1" checked');
    expect(calls).toEqual([]);
    const done = await call(`/me/${token}/delete`, form({ csrf, confirm: '1', ecal: '1' }));
    expect(done.status).toBe(200);
    expect(done.text).toContain(fr('self.deletedTitle'));
    expect(calls).toEqual(['delete alice data=true ecal=true']);
  });

  it('test messages: the result with its details, secrets removed', async () => {
    const r = await call(`/me/${token}/test-notifications`, form({ csrf: await csrfOf() }));
    expect(r.status).toBe(200);
    expect(r.text).toContain('1 sent');
    expect(r.text).toContain('sent with');
    expect(r.text).not.toContain(ECAL_SECRET);
  });
});

describe("the dashboard's Delete", () => {
  it('needs the login, refuses a cross-site post, asks for the box, and keeps the data unless asked', async () => {
    expect((await call('/dashboard/delete/alice')).status).toBe(303);
    const page = await call('/dashboard/delete/alice', { headers: { 'x-api-key': API_KEY } });
    expect(page.status).toBe(200);
    expect(page.text).toContain(fr('self.deleteAlsoData', { name: 'alice' }));
    expect(page.text).toContain('name="ecal"');
    expect((await call('/dashboard/delete/nobody', { headers: { 'x-api-key': API_KEY } })).status).toBe(404);
    expect((await call('/dashboard/delete/alice', form({ confirm: '1' }))).status).toBe(303);
    const cross = await call(
      '/dashboard/delete/alice',
      form({ confirm: '1' }, { 'x-api-key': API_KEY, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }),
    );
    expect(cross.status).toBe(403);
    const unconfirmed = await call('/dashboard/delete/alice', form({}, { 'x-api-key': API_KEY }));
    expect(unconfirmed.status).toBe(400);
    expect(calls).toEqual([]);
    const done = await call('/dashboard/delete/alice', form({ confirm: '1' }, { 'x-api-key': API_KEY }));
    expect(done.status).toBe(200);
    expect(calls).toEqual(['delete alice data=false ecal=false']);
  });
});

describe('a read-only configs folder', () => {
  it('is said as such, not as a crash', async () => {
    const failing: InstanceManager = {
      ...manager,
      deleteInstance: async () => Promise.reject(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })),
    };
    const s = createApiServer({
      store,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: [API_KEY],
      logger: captureLogger().logger,
      extensions: [selfPageExtension({ manager: failing })],
    });
    const { url } = await s.listen(0);
    try {
      const page = await fetch(`${url}/me/${token}`).then((r) => r.text());
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const res = await fetch(`${url}/me/${token}/delete`, { ...form({ csrf, confirm: '1' }), headers: { ...form({}).headers, origin: url } });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain(fr('self.readOnly'));
    } finally {
      await s.close();
    }
  });
});
