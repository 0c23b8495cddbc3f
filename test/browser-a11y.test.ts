/**
 * Every page the product serves, checked for accessibility in Debian's Chromium (issue 23 item 6): the
 * dashboard's login form (empty and refusing a key) and its overview (a valid instance with runs, a watcher
 * and errors; an invalid one), the booking pages (the list, each step of the tunnel, the form's errors, an
 * unknown type), the guided form (the owner's, with an invitation made; an invitee's; the refusal of an expired
 * and of an unknown invitation), an instance's status page (/me/<token>, and an unknown link), the dashboard's
 * delete confirmation and the API documentation (/docs), at a 360 px phone and at desktop width, light and dark, in
 * French and in English. Each must pass test/axe.ts's checks: axe-core's WCAG 2.1 A/AA rules with no serious
 * or critical finding, `lang` matching the text, nothing wider than the phone, targets of 24 px.
 *
 * The real server (startApi, SQLite, the importer) with the dashboard, onboard, booking and self extensions, over configs and
 * the files a supervisor and a worker leave, written with their own writers; the Cal.com and Slack simulators.
 * The "send test notification" button runs `node dist/cli.js`: `npm run build` first, as for the other browser tests.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingExtension } from '../src/api/booking/index.js';
import { createSessions, dashboardExtension } from '../src/api/dashboard/index.js';
import type { RunningApi } from '../src/api/index.js';
import { onboardExtension } from '../src/api/onboard/index.js';
import { selfPageExtension } from '../src/api/self/index.js';
import { createBookingDeps, type BookingDeps } from '../src/cli/booking-deps.js';
import { createDashboardActions } from '../src/cli/dashboard-actions.js';
import { createInstanceManager } from '../src/cli/instance-manager.js';
import { createOnboardChecks } from '../src/cli/onboard-checks.js';
import { createInstanceToken, createInvitation } from '../src/invite/index.js';
import { fakeClock } from '../src/lib/fake-clock.test-helper.js';
import { writeRunRecord, zeroCounts, type RunRecord } from '../src/instance/index.js';
import { writeSupervisorStatus } from '../src/supervisor/status.js';
import { createErrorFile, WORKER_STATUS_FILE } from '../src/worker/index.js';
import { A11Y_VARIANTS, expectAccessible, openVariant } from './axe.js';
import { describeWithBrowser, screenshot, type BrowserSession } from './browser.js';
import { API_KEY as ECAL_KEY, API_SECRET as ECAL_SECRET, CALENDAR_ID, CLI } from './helpers.js';
import { slackNotify, startBookingHost, startPageServer, writeWatcherState, type BookingHost, type PageServer } from './page-server.js';

const ZONE = 'Europe/Paris';
const DASHBOARD_KEY = 'a11y-dashboard-key-8c41e07b52';
const CAL_TOKEN = 'cal_a11y_token_0b9e55d2';
const EVENT_TYPE = 777;
/** A variant's step shares the machine with the other variants running beside it (three times the default). */
const VARIANT_TEST_TIMEOUT_MS = 180_000;
/** The variants side by side only where the machine has room for it (scripts/run-tests.mjs says the same). */
const SIDE_BY_SIDE = process.env.CAMPUS_SYNC_TEST_LANES === 'parallel';

/**
 * The variants whose pages are kept as pictures (test-artifacts/screenshots/): one per size, scheme and language
 * between them. A picture is for a human reading CI's artifacts, not a check (axe and the assertions are), and
 * they were a third of this file's time; CAMPUS_SYNC_A11Y_SCREENSHOTS=all keeps every variant's.
 */
const PICTURED_VARIANTS = new Set(['a11y-phone-light-fr', 'a11y-desktop-dark-en']);
const pictured = (tag: string, page: string): boolean => {
  if (process.env.CAMPUS_SYNC_A11Y_SCREENSHOTS === 'all') return true;
  // /docs is long (every route and schema): one picture of it is enough.
  if (page === 'docs') return tag === 'a11y-desktop-dark-en';
  return PICTURED_VARIANTS.has(tag);
};

/** Weekday slots from tomorrow for three weeks, at three hours, in Paris time. */
function slotSpecs(): { eventTypeId: number; start: string }[] {
  const first = DateTime.now().setZone(ZONE).startOf('day').plus({ days: 1 });
  const out: { eventTypeId: number; start: string }[] = [];
  for (let i = 0; i < 21; i++) {
    const day = first.plus({ days: i });
    if (day.weekday > 5) continue;
    for (const hour of [9, 14, 16]) out.push({ eventTypeId: EVENT_TYPE, start: day.set({ hour }).toISO() ?? '' });
  }
  return out;
}

/** The run records an instance's worker would have left: mostly fine, one failed, one with changes. */
function runRecords(now: number): RunRecord[] {
  return [8, 7, 6, 5, 4, 3, 2, 1].map((i) => {
    const startedAt = new Date(now - i * 3_600_000);
    const durationMs = 900 + ((i * 337) % 2400);
    const base: RunRecord = {
      instance: 'alice',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + durationMs).toISOString(),
      durationMs,
      outcome: 'success',
      courses: 24,
      counts: { ...zeroCounts(), unchanged: 24 },
      requests: { moncampus: 1, ecal: 2, ecalWrites: 0 },
      logins: 0,
      icsWritten: false,
    };
    if (i === 5) return { ...base, outcome: 'failed', phase: 'login', error: 'MonCampus did not answer (timeout)', counts: zeroCounts(), courses: 0 };
    if (i === 3) return { ...base, counts: { ...zeroCounts(), created: 2, updated: 1, deleted: 1, unchanged: 20 }, courses: 26 };
    return base;
  });
}

describeWithBrowser('every page passes the accessibility checks', () => {
  let root: string;
  let host: BookingHost;
  let deps: BookingDeps;
  let server: PageServer;
  let api: RunningApi;
  let session: BrowserSession;
  let base: string;
  /** A live invitation, an expired one, and alice's status-page token (as an invitation's Save makes it). */
  let invite: string;
  let expiredInvite: string;
  let selfToken: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'campus-sync-a11y-'));
    const configDir = join(root, 'configs');
    const dataDir = join(root, 'data');
    await mkdir(configDir, { recursive: true });
    host = await startBookingHost({ configDir, slots: slotSpecs(), token: CAL_TOKEN, eventTypeId: EVENT_TYPE, timezone: ZONE });
    // Nothing here is contacted: the pages are only looked at (no button pressed), so the hosts may be closed ports.
    await writeFile(
      join(configDir, 'alice.yml'),
      [
        `timezone: ${ZONE}`,
        'schedule: "46 6-18 * * *"',
        'moncampus:',
        '  url: http://127.0.0.1:9',
        '  username: student',
        '  password: "not-used-here"',
        'ecal:',
        '  url: http://127.0.0.1:9',
        `  apiKey: ${ECAL_KEY}`,
        `  apiSecret: ${ECAL_SECRET}`,
        `  calendarId: ${CALENDAR_ID}`,
        'slots:',
        '  - name: consulat',
        '    provider: clicrdv',
        '    url: "http://127.0.0.1:9/api/v2/availabletimeslots?group_id=1&from={date}"',
        ...slackNotify(host.webhook),
        '',
      ].join('\n'),
    );
    await writeFile(join(configDir, 'bob.yml'), ['moncampus:', '  username: bob', '  windw: {pastDays: 7}', ''].join('\n'));

    const t = Date.now();
    for (const r of runRecords(t)) await writeRunRecord(join(dataDir, 'alice'), r);
    await writeFile(
      join(dataDir, 'alice', WORKER_STATUS_FILE),
      JSON.stringify({ pid: 4242, state: 'idle', schedule: '46 6-18 * * *', timezone: ZONE, nextRun: new Date(t + 40 * 60_000).toISOString() }),
    );
    await createErrorFile({ path: join(dataDir, 'alice', 'errors.log'), redact: (s) => s }).append('login', 'MonCampus did not answer (timeout)', new Date(t));
    await writeWatcherState({ configFile: join(configDir, 'alice.yml'), dataDir, instance: 'alice', timezone: ZONE });
    await writeSupervisorStatus(dataDir, {
      pid: 4000,
      runtime: 'process',
      startedAt: new Date(t - 86_400_000).toISOString(),
      heartbeatAt: new Date(t).toISOString(),
      instances: [
        { name: 'alice', state: 'running', restartCount: 2, nextRun: new Date(t + 40 * 60_000).toISOString() },
        { name: 'bob', state: 'invalid', restartCount: 0, configError: 'bob.yml: moncampus.windw: unknown key' },
        { name: 'cabinet', state: 'running', restartCount: 0 },
      ],
    });

    invite = (await createInvitation({ dataDir, clock: fakeClock(new Date(t)), expiresInMs: 86_400_000 })).token;
    // Made two minutes ago for one minute: expired now (refused with 410 and a page saying so).
    expiredInvite = (await createInvitation({ dataDir, clock: fakeClock(new Date(t - 120_000)), expiresInMs: 60_000 })).token;
    selfToken = await createInstanceToken({ dataDir }, 'alice');

    const env = { ...process.env, LOG_LEVEL: 'warn' };
    deps = createBookingDeps({ dataDir });
    // One login for the dashboard, its guided form and its Delete page, as serve.ts wires them.
    const sessions = createSessions();
    const manager = createInstanceManager({ configDir, dataDir, env: {} });
    server = await startPageServer({
      env: {},
      configDir,
      dataDir,
      apiKeys: [DASHBOARD_KEY],
      importIntervalMs: 200,
      extensions: [
        dashboardExtension({ actions: createDashboardActions({ configDir, dataDir, cliPath: CLI, env }), env: {}, sessions, manager }),
        // Nothing is checked here (no button pressed): the checks are the real ones, never reached.
        // Eight variants each post two empty Saves (the owner's, an invitee's) from 127.0.0.1: more than a client's hourly five.
        onboardExtension({ checks: createOnboardChecks({ env: {} }), sessions, env: {}, limits: { savesPerClientPerHour: 2 * A11Y_VARIANTS.length } }),
        bookingExtension({ ...deps, env: {} }),
        selfPageExtension({ manager, env: {} }),
      ],
    });
    ({ api, base, session } = server);
  });

  afterAll(async () => {
    await server?.close();
    await deps?.stop();
    await host?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /**
   * The dashboard runs one action per instance at a time (a second one is answered 409, busy): the variants
   * running side by side press alice's button in turn, each once the one before has its answer.
   */
  let lastTurn: Promise<void> = Promise.resolve();
  const oneAtATime = async (step: () => Promise<void>): Promise<void> => {
    const before = lastTurn;
    let done = (): void => {};
    lastTurn = new Promise((resolve) => (done = resolve));
    await before;
    try {
      await step();
    } finally {
      done();
    }
  };

  for (const { size, scheme, locale, lang, tag } of A11Y_VARIANTS) {
    // Each variant in its own browser context, its pages in order (it.sequential). Side by side (concurrent) the
    // variants took both cores for minutes: 217 s in CI instead of ~300, but the engine files running beside
    // `shared` then timed out waiting on containers (2026-12-07), so on a 2-core machine they run one at a time;
    // CAMPUS_SYNC_TEST_LANES=parallel (a bigger machine) runs them side by side again.
    describe(`${size.name}, ${scheme}, ${lang}`, { concurrent: SIDE_BY_SIDE, timeout: VARIANT_TEST_TIMEOUT_MS }, () => {
      let page: Page;

      beforeAll(async () => {
        page = await openVariant(session, { size, scheme, locale, lang, tag });
      });

      /** The page is in the browser's language (the check that its text is, too, is expectAccessible's). */
      const check = async (name: string): Promise<void> => {
        expect(await page.getAttribute('html', 'lang')).toBe(name === 'docs' ? 'en' : lang);
        expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(scheme === 'dark');
        await expectAccessible(page, `${tag} ${name}`);
        if (pictured(tag, name)) await screenshot(page, `${tag}-${name}`);
      };

      it.sequential('the login form, and its answer to a wrong key', async () => {
        await page.goto(`${base}/`);
        await check('login');
        // A wrong key spends one of the client's five tries (LOGIN_FAILURES): at phone size only, four in all.
        if (size.name !== 'phone') return;
        await page.locator('#key').fill('not-the-key');
        await page.keyboard.press('Enter');
        await page.locator('.login-error').waitFor();
        await check('login-refused');
      });

      it.sequential('the overview: a working instance with runs, a watcher and errors, and an invalid one', async () => {
        // The importer's first passes: the overview shows the runs once they are in the store.
        await expect.poll(async () => (await api.store.listRuns('alice', { limit: 50 })).items.length, { timeout: 15_000 }).toBe(8);
        await page.goto(`${base}/`);
        await page.locator('#key').fill(DASHBOARD_KEY);
        await page.keyboard.press('Enter');
        await page.locator('#card-alice svg.plot').waitFor();
        await page.locator('#card-bob').waitFor();
        await check('dashboard');
        // A button's answer in the card (a real `notify test` to the Slack simulator): at phone size only, it spawns the CLI.
        if (size.name !== 'phone') return;
        await oneAtATime(async () => {
          await page.locator('#card-alice button[data-action="test-notification"]').click();
          await page.locator('#card-alice output.result.ok').waitFor({ timeout: 60_000 });
        });
        await check('dashboard-result');
      });

      it.sequential('the booking list and an unknown type', async () => {
        await page.goto(`${base}/book`);
        await check('book-list');
        await page.goto(`${base}/book/nope`);
        await check('book-unknown');
      });

      it.sequential('each step of the booking tunnel, and the availability form with its errors', async () => {
        await page.goto(`${base}/book/appel`);
        await page.waitForSelector('#dates .choice');
        await check('book-dates');
        await page.click('#dates .choice >> nth=0');
        await page.waitForSelector('#step-time:not([hidden])');
        await check('book-time');
        await page.click('#times .choice >> nth=0');
        await page.waitForSelector('#step-confirm:not([hidden])');
        await check('book-confirm');
        await page.click('#back-to-times');
        await page.click('#back-to-dates');
        await page.click('#propose-open');
        await page.waitForSelector('#step-propose:not([hidden])');
        await page.fill('#p-email', 'not-an-email');
        await page.click('#propose-send');
        await page.waitForSelector('#p-name-error:not([hidden])');
        await check('book-propose-errors');
      });

      /** Logged in to the dashboard (this page's context keeps the cookie once it is). */
      const loggedIn = async (path: string): Promise<void> => {
        await page.goto(`${base}${path}`);
        if (new URL(page.url()).pathname === path) return;
        await page.locator('#key').fill(DASHBOARD_KEY);
        await page.keyboard.press('Enter');
        await page.locator('#card-alice').waitFor();
        await page.goto(`${base}${path}`);
      };

      it.sequential("the owner's guided form, and an invitation made from it", async () => {
        await loggedIn('/dashboard/configs/new');
        await page.locator('#make-invite').waitFor();
        await check('onboard-owner');
        await page.locator('#make-invite').click();
        await page.locator('#invite-qr img').waitFor();
        await check('onboard-owner-invited');
        // Save with nothing filled in: the server names each missing field, shown beside it (nothing is written).
        await page.locator('#save').click();
        await page.locator('#form-error[data-state="error"]').waitFor();
        await page.locator('.field-error:not([hidden]) >> nth=0').waitFor();
        await check('onboard-owner-errors');
      });

      it.sequential("the invitee's form, and the refusal of an expired and an unknown invitation", async () => {
        await page.goto(`${base}/invite/${invite}`);
        await page.locator('#username').waitFor();
        await check('onboard-invitee');
        // Save with nothing filled in: the fields named beside them; the invitation is not spent.
        await page.locator('#save').click();
        await page.locator('#form-error[data-state="error"]').waitFor();
        await page.locator('.field-error:not([hidden]) >> nth=0').waitFor();
        await check('onboard-invitee-errors');
        expect((await page.goto(`${base}/invite/${expiredInvite}`))?.status()).toBe(410);
        await check('onboard-refused-expired');
        expect((await page.goto(`${base}/invite/${'x'.repeat(43)}`))?.status()).toBe(404);
        await check('onboard-refused-unknown');
      });

      it.sequential("an instance's status page, an unknown link, and the dashboard's delete confirmation", async () => {
        await page.goto(`${base}/me/${selfToken}`);
        await page.locator('#h-state').waitFor();
        await check('self-status');
        // Delete without the confirmation (the browser's own `required` taken off): refused beside the box.
        await page.locator('input[name=confirm]').evaluate((el) => el.removeAttribute('required'));
        await page.locator('button.danger').click();
        await page.locator('#confirm-error').waitFor();
        await check('self-delete-refused');
        expect((await page.goto(`${base}/me/${'x'.repeat(43)}`))?.status()).toBe(404);
        await check('self-unknown');
        await loggedIn('/dashboard/delete/alice');
        await page.locator('input[name=confirm]').waitFor();
        await check('owner-delete');
      });

      it.sequential('the API documentation', async () => {
        await page.goto(`${base}/docs`);
        await check('docs');
      });
    });
  }
});
