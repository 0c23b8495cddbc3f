/**
 * The dashboard in Debian's Chromium: the real server (startApi, SQLite, the importer) with the dashboard
 * extension and the real actions, over configs and the files a supervisor and a worker leave, written with
 * their own writers. "Run now" runs a real sync against the MonCampus and ECAL simulators; "test
 * notification" posts to the Discord simulator; "restart" meets no supervisor and says so.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningApi } from '../src/api/index.js';
import { dashboardExtension } from '../src/api/dashboard/index.js';
import { createDashboardActions } from '../src/cli/dashboard-actions.js';
import { generateTimetable, startDiscordSim, startEcalSim, startMonCampusSim, type DiscordSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { SUPERVISOR_DIR } from '../src/supervisor/index.js';
import { writeSupervisorStatus } from '../src/supervisor/status.js';
import { createErrorFile, WORKER_STATUS_FILE } from '../src/worker/index.js';
import { writeRunRecord, zeroCounts, type RunRecord } from '../src/instance/index.js';
import { describeWithBrowser, DESKTOP, PHONE, screenshot, type BrowserSession } from './browser.js';
import { API_KEY as ECAL_KEY, API_SECRET as ECAL_SECRET, CALENDAR_ID, CLI, PASSWORD } from './helpers.js';
import { startPageServer, writeWatcherState, type PageServer } from './page-server.js';

const DASHBOARD_KEY = 'dashboard-browser-key-5f2c9a7e41';
const CLIC_KEY = 'clicrdv-browser-apikey-77';
const ZONE = 'Europe/Paris';

describeWithBrowser('the dashboard in a real browser', () => {
  let root: string;
  let configDir: string;
  let dataDir: string;
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let discord: DiscordSim;
  let webhook: { id: string; token: string; url: string };
  let server: PageServer;
  let api: RunningApi;
  let session: BrowserSession;
  let base: string;
  /** Everything our server answered the browser, for the sweep at the end. */
  const answers: string[] = [];
  const secrets = (): string[] => [PASSWORD, ECAL_KEY, ECAL_SECRET, DASHBOARD_KEY, CLIC_KEY, webhook.token];

  const now = (): Date => new Date();
  const record = (startedAt: Date, over: Partial<RunRecord> = {}): RunRecord => ({
    instance: 'alice',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + (over.durationMs ?? 1500)).toISOString(),
    durationMs: 1500,
    outcome: 'success',
    courses: 24,
    counts: { ...zeroCounts(), unchanged: 24 },
    requests: { moncampus: 1, ecal: 2, ecalWrites: 0 },
    logins: 0,
    icsWritten: false,
    ...over,
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'campus-sync-browser-dashboard-'));
    configDir = join(root, 'configs');
    dataDir = join(root, 'data');
    await mkdir(configDir, { recursive: true });
    const today = DateTime.now().setZone(ZONE);
    mc = await startMonCampusSim({
      users: { student: PASSWORD },
      courses: generateTimetable({ count: 30, start: today.minus({ days: 3 }).toISODate() as string, seed: 21 }),
    });
    ecal = await startEcalSim({ keys: { [ECAL_KEY]: ECAL_SECRET }, calendars: [CALENDAR_ID] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();

    await writeFile(
      join(configDir, 'alice.yml'),
      [
        'timezone: Europe/Paris',
        'schedule: "46 6-18 * * *"',
        'moncampus:',
        `  url: ${mc.url}`,
        `  casUrl: ${mc.casUrl}`,
        '  username: student',
        `  password: "${PASSWORD}"`,
        '  window: {pastDays: 7, futureDays: 60}',
        'ecal:',
        `  url: ${ecal.url}`,
        `  apiKey: ${ECAL_KEY}`,
        `  apiSecret: ${ECAL_SECRET}`,
        `  calendarId: ${CALENDAR_ID}`,
        'slots:',
        '  - name: consulat',
        '    provider: clicrdv',
        `    url: "http://127.0.0.1:9/api/v2/availabletimeslots?group_id=1&from={date}&apikey=${CLIC_KEY}"`,
        'notify:',
        '  - name: team',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '',
      ].join('\n'),
    );
    // Invalid (a typo in a key), carrying the same password: the card shows the error, never the password.
    await writeFile(join(configDir, 'bob.yml'), ['moncampus:', '  username: bob', `  password: "${PASSWORD}"`, '  windw: {pastDays: 7}', ''].join('\n'));

    // What a worker and a supervisor leave behind, written by their own code.
    const t = now().getTime();
    for (let i = 8; i >= 1; i--) {
      await writeRunRecord(
        join(dataDir, 'alice'),
        record(new Date(t - i * 3_600_000), {
          durationMs: 900 + ((i * 337) % 2400),
          ...(i === 5 ? { outcome: 'failed', phase: 'login', error: 'MonCampus did not answer (timeout)', counts: zeroCounts(), courses: 0 } : {}),
          ...(i === 3 ? { counts: { ...zeroCounts(), created: 2, updated: 1, unchanged: 21 }, courses: 26 } : {}),
        }),
      );
    }
    await writeFile(
      join(dataDir, 'alice', WORKER_STATUS_FILE),
      JSON.stringify({
        pid: 4242,
        state: 'idle',
        schedule: '46 6-18 * * *',
        timezone: ZONE,
        nextRun: new Date(t + 40 * 60_000).toISOString(),
        updatedAt: new Date(t - 3_600_000).toISOString(),
      }),
    );
    await createErrorFile({ path: join(dataDir, 'alice', 'errors.log'), redact: (s) => s }).append(
      'login',
      'MonCampus did not answer (timeout)',
      new Date(t - 5 * 3_600_000),
    );
    await writeWatcherState({ configFile: join(configDir, 'alice.yml'), dataDir, instance: 'alice', timezone: ZONE });
    await writeSupervisorStatus(dataDir, {
      pid: 4000,
      runtime: 'process',
      startedAt: new Date(t - 86_400_000).toISOString(),
      heartbeatAt: new Date(t).toISOString(),
      instances: [
        { name: 'alice', state: 'running', restartCount: 0, nextRun: new Date(t + 40 * 60_000).toISOString() },
        { name: 'bob', state: 'invalid', restartCount: 0, configError: 'bob.yml: moncampus.windw: unknown key' },
      ],
    });
    await mkdir(join(dataDir, SUPERVISOR_DIR), { recursive: true });

    const env = { ...process.env, LOG_LEVEL: 'warn' };
    server = await startPageServer({
      env,
      configDir,
      dataDir,
      apiKeys: [DASHBOARD_KEY],
      importIntervalMs: 300,
      extensions: [dashboardExtension({ actions: createDashboardActions({ configDir, dataDir, cliPath: CLI, env }), env })],
    });
    ({ api, base, session } = server);
    const deadline = Date.now() + 10_000;
    while ((await api.store.listRuns('alice', { limit: 50 })).items.length < 8) {
      if (Date.now() > deadline) throw new Error('the importer did not pick up the runs');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await server?.close();
    await Promise.all([mc?.close(), ecal?.close(), discord?.close()]);
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function open(viewport = DESKTOP, locale = 'en-US'): Promise<Page> {
    const page = await (await session.context(viewport, { locale })).newPage();
    page.on('response', async (res) => {
      if (!res.url().startsWith(base)) return;
      const body = await res.text().catch(() => '');
      answers.push(body, JSON.stringify(await res.allHeaders().catch(() => ({}))));
    });
    return page;
  }

  /** Logs in with the keyboard, as a person would. */
  async function login(page: Page): Promise<void> {
    await page.goto(`${base}/`);
    await page.locator('#key').fill(DASHBOARD_KEY);
    await page.keyboard.press('Enter');
    await page.locator('#card-alice').waitFor();
  }

  const card = (page: Page, name: string) => page.locator(`article.card[data-name="${name}"]`);

  it('asks for the key first, refuses a wrong one, and logs in with the right one', async () => {
    const page = await open(PHONE);
    await page.goto(`${base}/`);
    expect(await page.locator('form[action="/login"]').count()).toBe(1);
    expect(await page.content()).not.toContain('alice');
    await page.locator('#key').fill('not-the-key');
    await page.keyboard.press('Enter');
    await page.locator('.login-error').waitFor();
    expect(await page.locator('.login-error').textContent()).toBe('That key is not accepted.');
    await page.locator('#key').fill(DASHBOARD_KEY);
    await page.keyboard.press('Enter');
    await card(page, 'alice').waitFor();
    const cookies = await page.context().cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]?.value).not.toContain(DASHBOARD_KEY);
  });

  it('shows each instance’s state, last run, next run, errors, watcher and plot; the invalid config as invalid', async () => {
    const page = await open();
    await login(page);
    const alice = card(page, 'alice');
    expect(await alice.locator('.badge').first().textContent()).toBe('running');
    expect(await alice.locator('.facts').textContent()).toMatch(/Last run.*success.*\+0 ~0 −0.*24 events.*Next run/s);
    expect(await alice.locator('.errors').textContent()).toContain('MonCampus did not answer (timeout)');
    expect(await alice.locator('.watcher').textContent()).toMatch(/consulat.*clicrdv.*2 slots/s);
    expect(await alice.locator('.watcher .slots li').count()).toBe(2);
    expect(await alice.locator('svg.plot rect.p-ok:not(.p-swatch)').count()).toBe(7);
    expect(await alice.locator('svg.plot rect.p-failed:not(.p-swatch)').count()).toBe(1);
    const bob = card(page, 'bob');
    expect(await bob.locator('.badge').first().textContent()).toBe('invalid config');
    expect(await bob.locator('.config-error').textContent()).toMatch(/windw/);
    expect(await bob.locator('button').count()).toBe(0);
  });

  it('updates a card without a reload when a new run is recorded', async () => {
    const page = await open();
    await login(page);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await writeRunRecord(
      join(dataDir, 'alice'),
      record(new Date(now().getTime() - 1000), {
        durationMs: 4200,
        courses: 31,
        counts: { ...zeroCounts(), created: 7, updated: 3, deleted: 1, unchanged: 20 },
      }),
    );
    await page.locator('#card-alice .counts', { hasText: '+7 ~3 −1' }).waitFor({ timeout: 20_000 });
    expect(await card(page, 'alice').locator('.facts').textContent()).toContain('31 events');
    expect(await card(page, 'alice').locator('svg.plot rect.p-ok:not(.p-swatch)').count()).toBe(8);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('keyboard: Tab reaches the buttons, the focus is visible and survives a refresh', async () => {
    const page = await open();
    await login(page);
    let focused = '';
    for (let i = 0; i < 15 && focused !== 'run'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.getAttribute('data-action') ?? document.activeElement?.tagName ?? '');
    }
    expect(focused).toBe('run');
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement as Element);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
    const before = await page.locator('#updated').getAttribute('datetime');
    await expect.poll(() => page.locator('#updated').getAttribute('datetime'), { timeout: 15_000 }).not.toBe(before);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Run now: alice');
  });

  it('"Run now" runs a real sync and shows its outcome; the classes land on the card', async () => {
    const page = await open();
    await login(page);
    const alice = card(page, 'alice');
    await alice.locator('button[data-action="run"]').click();
    await alice.locator('output.result.ok, output.result.fail').waitFor({ timeout: 60_000 });
    const text = (await alice.locator('output.result').textContent()) ?? '';
    expect(text).toMatch(/^Run success: \d+ created, 0 updated, 0 deleted/);
    const created = Number(/(\d+) created/.exec(text)?.[1]);
    expect(created).toBeGreaterThan(0);
    expect(ecal.events()).toHaveLength(created);
    // The run's events.json reaches the store through the importer, then the page.
    await alice.locator('.classes li li').first().waitFor({ timeout: 20_000 });
    expect(await alice.locator('.classes .hours').first().textContent()).toMatch(/^\d\d:\d\d–\d\d:\d\d$/);
    await expect.poll(async () => alice.locator('.counts').first().textContent(), { timeout: 20_000 }).toBe(`+${created} ~0 −0`);
  });

  it('"Restart worker" without a supervisor says so clearly', async () => {
    const page = await open();
    await login(page);
    const alice = card(page, 'alice');
    await alice.locator('button[data-action="restart"]').click();
    await alice.locator('output.result.fail').waitFor({ timeout: 40_000 });
    expect(await alice.locator('output.result').textContent()).toMatch(/^No supervisor is running/);
  });

  it('"Send test notification" reaches the channel and reports it', async () => {
    const page = await open();
    await login(page);
    const before = discord.messages().length;
    const alice = card(page, 'alice');
    await alice.locator('button[data-action="test-notification"]').click();
    await alice.locator('output.result.ok').waitFor({ timeout: 60_000 });
    expect(await alice.locator('output.result').textContent()).toBe('Test notification sent to 1 of 1 channel(s).✓ team (discord-webhook): sent');
    expect(discord.messages()).toHaveLength(before + 1);
  });

  it('is readable at phone and desktop width (screenshots kept)', async () => {
    for (const [name, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const page = await open(viewport);
      await page.goto(`${base}/`);
      await screenshot(page, `dashboard-login-${name}`);
      await login(page);
      await card(page, 'alice').locator('.classes').waitFor();
      // Nothing wider than the screen: no sideways scrolling on a phone.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
      await screenshot(page, `dashboard-${name}`);
    }
  });

  it('speaks French to a French browser at phone width, English on the switch, and keeps the choice', async () => {
    const page = await open(PHONE, 'fr-FR');
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.locator('label[for="key"]').textContent()).toBe('Clé d’API');
    await screenshot(page, 'dashboard-login-phone-fr');
    await page.locator('#key').fill(DASHBOARD_KEY);
    await page.keyboard.press('Enter');
    const alice = card(page, 'alice');
    await alice.waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await alice.locator('.badge').first().textContent()).toBe('en marche');
    expect(await alice.locator('.facts').textContent()).toMatch(/Dernière synchro.*réussie.*événements dans l’emploi du temps.*Prochaine synchro/s);
    expect(await card(page, 'bob').locator('.badge').first().textContent()).toBe('configuration invalide');
    expect(await page.locator('#live-status').textContent()).toMatch(/^En direct/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'dashboard-phone-fr');
    // The switch: a visible link naming the other language in itself.
    const toEnglish = page.locator('nav.lang a[hreflang="en"]');
    expect(await toEnglish.isVisible()).toBe(true);
    expect(await toEnglish.textContent()).toBe('English');
    await toEnglish.click();
    await page.waitForURL(/\?lang=en$/);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await card(page, 'alice').locator('.badge').first().textContent()).toBe('running');
    await screenshot(page, 'dashboard-phone-en');
    // Kept in a cookie: the plain address stays English, and so do the refreshed fragments.
    await page.goto(`${base}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    const before = await page.locator('#updated').getAttribute('datetime');
    await expect.poll(() => page.locator('#updated').getAttribute('datetime'), { timeout: 15_000 }).not.toBe(before);
    expect(await card(page, 'alice').locator('.badge').first().textContent()).toBe('running');
  });

  it('the plot’s scale labels sit inside the picture (none cut off at the left edge), at phone width', async () => {
    const page = await open(PHONE, 'fr-FR');
    await login(page);
    const boxes = await page.$$eval('#card-alice svg.plot text.p-scale', (els) =>
      els.map((e) => ({ x: (e as SVGGraphicsElement).getBBox().x, text: e.textContent })),
    );
    expect(boxes.length).toBe(6);
    for (const b of boxes) expect(b.x, b.text ?? '').toBeGreaterThanOrEqual(0);
    // A round top of the scale: the longest run here is under 3,3 s, so the line says 5 s.
    expect(boxes.map((b) => b.text)).toContain('5 s');
  });

  it('serves no secret: no password, ECAL key, watcher key, webhook token or API key in any page or JSON', async () => {
    const page = await open();
    await login(page);
    const cookie = (await page.context().cookies())[0]!;
    for (const path of ['/', '/dashboard/state.json', '/dashboard/app.js', '/dashboard/app.css']) {
      const res = await fetch(`${base}${path}`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
      expect(res.status).toBe(200);
      answers.push(await res.text());
    }
    const all = answers.join('\n');
    expect(all).toContain('alice');
    for (const s of secrets()) expect(all).not.toContain(s);
  });
});
