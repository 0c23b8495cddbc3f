import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store/index.js';
import { createApiServer, type ApiServer } from '../server.js';
import { captureLogger, tempDirs, type TempDirs } from '../test-support.test-helper.js';
import { SESSION_COOKIE } from './auth.js';
import { dashboardExtension, type ActionResult, type DashboardActions } from './extension.js';
import { API_KEY, invalidYaml, PASSWORD, runRow, SECRETS, slotsOnlyYaml, timetableYaml, writeFiles } from './fixtures.test-helper.js';

let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let base: string;
let host: string;
const calls: string[] = [];
/** The page language each action was asked to answer in. */
const locales: string[] = [];
/** Released by the test that checks a second click while the first is still running. */
let hold: Promise<void> | null = null;
const served: string[] = [];

/** The actions as the dashboard sees them: it only calls them, so a recording implementation is its whole contract. */
const actions: DashboardActions = {
  async runNow(name, locale): Promise<ActionResult> {
    calls.push(`run ${name}`);
    locales.push(locale);
    if (hold !== null) await hold;
    return { ok: true, message: `Run success for ${name}`, details: [`a detail with ${PASSWORD}`] };
  },
  async restart(name, locale) {
    calls.push(`restart ${name}`);
    locales.push(locale);
    return { ok: false, message: 'No supervisor is running' };
  },
  async testNotification(name, locale) {
    calls.push(`test ${name}`);
    locales.push(locale);
    throw new Error(`channel exploded with ${PASSWORD}`);
  },
};

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  served.push(text, JSON.stringify([...res.headers]));
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const sameOrigin = () => ({ 'sec-fetch-site': 'same-origin', origin: base });

async function login(): Promise<string> {
  const r = await call('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...sameOrigin() },
    body: `key=${encodeURIComponent(API_KEY)}`,
  });
  expect(r.status).toBe(303);
  const set = r.headers.get('set-cookie') ?? '';
  return set.split(';')[0] as string;
}

beforeAll(async () => {
  dirs = await tempDirs('campus-sync-dashboard-ext-');
  store = await openStore({ dataDir: dirs.dataDir });
  await writeFiles(dirs.configDir, { 'alice.yml': timetableYaml(), 'broken.yml': invalidYaml, 'watch.yml': slotsOnlyYaml });
  await store.insertRun(runRow('alice', new Date(Date.now() - 3_600_000), { created: 5 }));
  server = createApiServer({
    store,
    configDir: dirs.configDir,
    dataDir: dirs.dataDir,
    apiKeys: [API_KEY],
    logger: captureLogger().logger,
    extensions: [dashboardExtension({ actions })],
  });
  ({ url: base } = await server.listen(0));
  host = new URL(base).host;
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await dirs?.cleanup();
});

describe('dashboard access', () => {
  it('without a key or cookie: the login form, and nothing of the instances', async () => {
    const r = await call('/');
    expect(r.status).toBe(401);
    expect(r.text).toContain('<form method="post" action="/login">');
    expect(r.text).not.toContain('alice');
    expect((await call('/dashboard/state.json')).status).toBe(401);
    expect((await call('/dashboard/state.json', { headers: { cookie: `${SESSION_COOKIE}=123.abc` } })).status).toBe(401);
  });

  it('a wrong key is refused at the login form and sets no cookie; a cross-site login is refused', async () => {
    const wrong = await call('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sameOrigin() }, body: 'key=nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Cette clé n’est pas acceptée.');
    const wrongEn = await call('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en-GB,en;q=0.9', ...sameOrigin() },
      body: 'key=nope',
    });
    expect(wrongEn.text).toContain('That key is not accepted.');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const cross = await call('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: `key=${API_KEY}`,
    });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
  });

  it('the right key sets an HttpOnly SameSite=Strict cookie without the key, which opens the page and the state', async () => {
    const r = await call('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...sameOrigin() },
      body: `key=${encodeURIComponent(API_KEY)}`,
    });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/');
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`));
    expect(set).not.toContain(API_KEY);
    const cookie = set.split(';')[0] as string;
    const page = await call('/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('id="card-alice"');
    expect(page.text).toContain('configuration invalide');
    expect(page.text).toContain('<html lang="fr">');
    // The browser's language, then the switch, which is kept in a cookie.
    const en = await call('/', { headers: { cookie, 'accept-language': 'en-US,en;q=0.9' } });
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('invalid config');
    const switched = await call('/?lang=fr', { headers: { cookie, 'accept-language': 'en-US,en;q=0.9' } });
    expect(switched.text).toContain('<html lang="fr">');
    expect(switched.headers.get('set-cookie')).toMatch(/^campus_sync_lang=fr; Path=\/;/);
    const state = await call('/dashboard/state.json', { headers: { cookie } });
    expect(state.status).toBe(200);
    expect(state.json.instances.map((i: { name: string; state: string }) => `${i.name}:${i.state}`)).toEqual([
      'alice:unknown',
      'broken:invalid',
      'watch:unknown',
    ]);
    expect(state.json.instances[0].lastRun.created).toBe(5);
    expect(state.json.html.cards).toHaveLength(3);
    expect(state.json.html.cards[0].live.html).toContain('+5');
  });

  it('the x-api-key header opens them too (scripts)', async () => {
    expect((await call('/', { headers: { 'x-api-key': API_KEY } })).status).toBe(200);
    expect((await call('/dashboard/state.json', { headers: { 'x-api-key': API_KEY } })).status).toBe(200);
  });

  it('logout clears the cookie', async () => {
    const r = await call('/logout', { method: 'POST', headers: sameOrigin() });
    expect(r.status).toBe(303);
    expect(r.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    const cross = await call('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect([cross.status, cross.json]).toEqual([403, { error: 'refusé : requête venue d’un autre site' }]);
    const crossEn = await call('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'accept-language': 'en' } });
    expect(crossEn.json).toEqual({ error: 'refused: cross-site request' });
  });

  it('serves its script and stylesheet itself: hashed paths immutable, stable paths revalidated by ETag', async () => {
    const page = await call('/', { headers: { 'x-api-key': API_KEY } });
    const hashed = /<script src="(\/dashboard\/app\.[0-9a-f]{16}\.js)"/.exec(page.text)?.[1] ?? '';
    const js = await call(hashed);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.text).toContain('/dashboard/state.json');
    const etag = js.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const again = await call(hashed, { headers: { 'if-none-match': etag } });
    expect([again.status, again.text, again.headers.get('etag')]).toEqual([304, '', etag]);
    const stable = await call('/dashboard/app.js');
    expect([stable.status, stable.text, stable.headers.get('etag'), stable.headers.get('cache-control')]).toEqual([200, js.text, etag, 'no-cache']);
    expect((await call('/dashboard/app.js', { headers: { 'if-none-match': `W/${etag}` } })).status).toBe(304);
    const css = /<link rel="stylesheet" href="(\/dashboard\/app\.[0-9a-f]{16}\.css)"/.exec(page.text)?.[1] ?? '';
    expect((await call(css)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await call('/dashboard/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await call('/dashboard/app.0000000000000000.js')).status).toBe(404);
  });
});

describe('dashboard buttons', () => {
  const post = (path: string, headers: Record<string, string>) =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

  it('need a login, and a same-origin request when it is the cookie that logs in', async () => {
    const cookie = await login();
    calls.length = 0;
    expect((await post('/dashboard/instances/alice/run', {})).status).toBe(401);
    expect((await post('/dashboard/instances/alice/run', { cookie })).status).toBe(403);
    expect((await post('/dashboard/instances/alice/run', { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post('/dashboard/instances/alice/run', { cookie, origin: 'http://evil.example', host })).status).toBe(403);
    expect((await post('/dashboard/instances/alice/run', { 'x-api-key': API_KEY, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Said in the page's language: French by default, English when the browser asks for it.
    expect((await post('/dashboard/instances/alice/run', {})).json.message).toBe('Connectez-vous d’abord (ou envoyez l’en-tête x-api-key).');
    expect((await post('/dashboard/instances/alice/run', { 'accept-language': 'en' })).json.message).toBe('Log in first (or send the x-api-key header).');
    expect((await post('/dashboard/instances/alice/run', { cookie })).json.message).toBe(
      'Refusé : cette requête ne vient pas de la page du tableau de bord (autre site).',
    );
    expect((await post('/dashboard/instances/alice/run', { cookie, 'accept-language': 'en' })).json.message).toBe(
      'Refused: this request did not come from the dashboard page (cross-site).',
    );
    expect(calls).toEqual([]);
  });

  it('call the actions and answer their result, redacted', async () => {
    const cookie = await login();
    calls.length = 0;
    const run = await post('/dashboard/instances/alice/run', { cookie, ...sameOrigin() });
    expect(run.status).toBe(200);
    expect(run.json).toEqual({ ok: true, message: 'Run success for alice', details: ['a detail with [REDACTED]'] });
    const restart = await post('/dashboard/instances/watch/restart', { 'x-api-key': API_KEY });
    expect(restart.json).toEqual({ ok: false, message: 'No supervisor is running', details: [] });
    const test = await post('/dashboard/instances/alice/test-notification', { cookie, ...sameOrigin() });
    expect(test.status).toBe(500);
    expect(test.json.message).toBe('Envoyer une notification de test : échec (channel exploded with [REDACTED])');
    expect(calls).toEqual(['run alice', 'restart watch', 'test alice']);
  });

  it("ask the actions for their result in the page's language (its cookie, else Accept-Language, else French)", async () => {
    const cookie = await login();
    locales.length = 0;
    await post('/dashboard/instances/alice/run', { cookie, ...sameOrigin() });
    await post('/dashboard/instances/alice/run', { cookie, ...sameOrigin(), 'accept-language': 'en-GB,en;q=0.8' });
    await post('/dashboard/instances/alice/run', { cookie: `${cookie}; campus_sync_lang=fr`, ...sameOrigin(), 'accept-language': 'en' });
    await post('/dashboard/instances/watch/restart', { 'x-api-key': API_KEY, 'accept-language': 'en' });
    expect(locales).toEqual(['fr', 'en', 'fr', 'en']);
  });

  it('refuse unknown instances and actions, invalid configs and buttons an instance does not have', async () => {
    const h = { 'x-api-key': API_KEY };
    calls.length = 0;
    expect((await post('/dashboard/instances/nobody/run', h)).status).toBe(404);
    expect((await post('/dashboard/instances/..%2Fetc/run', h)).status).toBe(404);
    expect((await post('/dashboard/instances/alice/delete-everything', h)).status).toBe(404);
    const invalid = await post('/dashboard/instances/broken/restart', h);
    expect(invalid.status).toBe(409);
    expect(invalid.json.message).toBe('broken : sa config est invalide, corrigez-la d’abord');
    const noTimetable = await post('/dashboard/instances/watch/run', { ...h, 'accept-language': 'en' });
    expect(noTimetable.status).toBe(409);
    expect(noTimetable.json.message).toBe('watch has no timetable to sync (it only watches slots)');
    const noTimetableFr = await post('/dashboard/instances/watch/run', h);
    expect(noTimetableFr.json.message).toBe('watch n’a pas d’emploi du temps à synchroniser (il surveille seulement des créneaux)');
    const nobody = await post('/dashboard/instances/nobody/run', { ...h, 'accept-language': 'en' });
    expect(nobody.json).toEqual({ ok: false, message: 'no such instance' });
    expect((await post('/dashboard/instances/nobody/run', h)).json).toEqual({ ok: false, message: 'aucune instance de ce nom' });
    expect((await post('/dashboard/instances/alice/delete-everything', h)).json.message).toBe('action inconnue "delete-everything"');
    expect((await post('/dashboard/instances/watch/test-notification', h)).status).toBe(409);
    expect((await call('/dashboard/instances/alice/run')).status).toBe(405);
    expect(calls).toEqual([]);
  });

  it('a second click while the first runs is told so, not run twice', async () => {
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    calls.length = 0;
    const first = post('/dashboard/instances/alice/run', { 'x-api-key': API_KEY });
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await post('/dashboard/instances/alice/run', { 'x-api-key': API_KEY });
    expect(second.status).toBe(409);
    expect(second.json.message).toMatch(/déjà en cours/);
    release();
    hold = null;
    expect((await first).status).toBe(200);
    expect(calls).toEqual(['run alice']);
  });
});

describe('secrets', () => {
  it('no config secret or API key in anything served', () => {
    const all = served.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});
