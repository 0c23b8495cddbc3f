/**
 * The invitee's pages that only show after something is done (issue 23 item 6), checked in Debian's Chromium with
 * test/axe.ts (axe-core's WCAG 2.1 A/AA rules with no serious or critical finding, `lang` matching the text,
 * nothing wider than a 360 px phone, 24 px targets): the MonCampus Check's answers (a wrong password, named
 * beside its field, then the right one with the coming classes), the live progress after Save (waiting for the
 * worker, then the first sync with the feed link and its QR code), and the pages a throttled visitor gets (429: an
 * invitation link and a status-page link over their budgets). Phone and desktop, light and dark, French and
 * English: one browser, a context per variant.
 *
 * The real server (startApi, SQLite, the importer) with the onboard and status-page extensions, the real checks
 * against the MonCampus simulator (the owner's environment points an invitee there). No supervisor: after Save,
 * the files a supervisor and a worker leave (status.json, a run record) are written with their own writers, so
 * the page reaches its last step in a second instead of a real first sync (test/browser-invite.test.ts does that).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessions } from '../src/api/dashboard/index.js';
import { startApi, type RunningApi } from '../src/api/index.js';
import { onboardExtension } from '../src/api/onboard/index.js';
import { selfPageExtension } from '../src/api/self/index.js';
import { createInstanceManager } from '../src/cli/instance-manager.js';
import { createOnboardChecks } from '../src/cli/onboard-checks.js';
import { writeRunRecord, zeroCounts } from '../src/instance/index.js';
import { createInvitation } from '../src/invite/index.js';
import { silentLogger, translator } from '../src/lib/index.js';
import { generateTimetable, startMonCampusSim, type MonCampusSim } from '../src/sim/index.js';
import { writeSupervisorStatus } from '../src/supervisor/status.js';
import { A11Y_VARIANTS, expectAccessible, openVariant } from './axe.js';
import { describeWithBrowser, launchBrowser, screenshot, type BrowserSession } from './browser.js';

const ZONE = 'Europe/Paris';
const USER = 'lea.martin';
const PASSWORD = 'Bon-Mot-de-passe-1';
const COURSES = 12;

describeWithBrowser("the invitee's check answers, progress after Save and 429 pages pass the accessibility checks", () => {
  let root: string;
  let dataDir: string;
  let mc: MonCampusSim;
  let api: RunningApi;
  let session: BrowserSession;
  let base: string;
  /** One invitation per variant: a Save uses its link. */
  const invites: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'campus-sync-a11y-onboard-'));
    const configDir = join(root, 'configs');
    dataDir = join(root, 'data');
    await mkdir(configDir, { recursive: true });
    const today = DateTime.now().setZone(ZONE);
    mc = await startMonCampusSim({
      users: { [USER]: PASSWORD },
      courses: generateTimetable({ count: COURSES, start: today.plus({ days: 1 }).toISODate() as string, seed: 5 }),
    });
    for (let n = 0; n < A11Y_VARIANTS.length; n++) invites.push((await createInvitation({ dataDir, expiresInMs: 86_400_000 })).token);
    // The owner moves MonCampus to the simulator: an invitee's checks follow it (and nothing they type).
    const env = { CAMPUS_SYNC_MONCAMPUS_URL: mc.url, CAMPUS_SYNC_CAS_URL: mc.casUrl };
    api = await startApi({
      logger: silentLogger,
      env: {},
      configDir,
      dataDir,
      port: 0,
      host: '127.0.0.1',
      apiKeys: ['a11y-onboard-key-5d2f9a7c31'],
      importIntervalMs: 200,
      extensions: [
        // All from 127.0.0.1: a Save and two checks per variant fit; an unknown invitation is over budget at once,
        // so it gets the 429 page; the progress polls are not what is tested here.
        onboardExtension({
          checks: createOnboardChecks({ env }),
          sessions: createSessions(),
          env,
          limits: { savesPerClientPerHour: A11Y_VARIANTS.length, badTokensPerClientPer15Min: 0, pollsPerClientPerMinute: 10_000 },
        }),
        selfPageExtension({ manager: createInstanceManager({ configDir, dataDir, env: {} }), env: {}, limits: { unknownTokensPerClient: 0 } }),
      ],
    });
    base = api.url;
    session = await launchBrowser();
  });

  afterAll(async () => {
    await session?.close();
    await api?.stop(1_000);
    await mc?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** What the supervisor and the worker leave once `name`'s first sync is done. */
  async function firstSyncDone(name: string): Promise<void> {
    const now = Date.now();
    await writeSupervisorStatus(dataDir, {
      pid: 4000,
      runtime: 'process',
      startedAt: new Date(now - 60_000).toISOString(),
      heartbeatAt: new Date(now).toISOString(),
      instances: [{ name, state: 'running', restartCount: 0 }],
    });
    await writeRunRecord(join(dataDir, name), {
      instance: name,
      startedAt: new Date(now - 2_000).toISOString(),
      finishedAt: new Date(now).toISOString(),
      durationMs: 2_000,
      outcome: 'success',
      courses: COURSES,
      counts: { ...zeroCounts(), created: COURSES },
      requests: { moncampus: 3, ecal: 0, ecalWrites: 0 },
      logins: 1,
      icsWritten: true,
    });
  }

  A11Y_VARIANTS.forEach((variant, i) => {
    const { tag, lang, scheme } = variant;
    const t = translator(lang);
    describe(`${variant.size.name}, ${scheme}, ${lang}`, () => {
      let page: Page;
      beforeAll(async () => {
        page = await openVariant(session, variant);
      });

      const check = async (name: string): Promise<void> => {
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(scheme === 'dark');
        await expectAccessible(page, `${tag} ${name}`);
        // One set of pictures is enough to look at; the others cost a second each.
        if (tag === 'a11y-phone-light-fr' || tag === 'a11y-phone-dark-en') await screenshot(page, `${tag}-${name}`);
      };

      it("the Check's answers, then Save and the progress to the feed link", async () => {
        await page.goto(`${base}/invite/${invites[i]}`);
        await page.locator('#username').fill(USER);
        await page.locator('#password').fill('not-the-password');
        await page.locator('#check-moncampus').click();
        await page.locator('#moncampus-result[data-state="error"]').waitFor();
        expect(await page.locator('#moncampus-result').textContent()).toBe(t('checks.moncampus.wrongPassword'));
        expect(await page.locator('#password-error').isVisible()).toBe(true);
        await check('onboard-check-wrong');

        await page.locator('#password').fill(PASSWORD);
        await page.locator('#check-moncampus').click();
        await page.locator('#moncampus-result[data-state="ok"]').waitFor();
        expect(await page.locator('#password-error').isVisible()).toBe(false);
        await check('onboard-check-right');

        const saved = page.waitForResponse((r) => r.url().endsWith('/onboard/save'));
        await page.locator('#save').click();
        const { name } = (await (await saved).json()) as { name: string };
        await page.locator('#progress').waitFor({ state: 'visible' });
        await page.locator('#step-saved[data-state="done"]').waitFor();
        await page.locator('#progress-result[data-state="busy"]').waitFor();
        await check('onboard-progress-waiting');

        await firstSyncDone(name);
        await page.locator('#feed-box').waitFor({ state: 'visible', timeout: 15_000 });
        await page.locator('#feed-qr img').waitFor();
        expect(await page.locator('#step-sync').getAttribute('data-state')).toBe('done');
        await check('onboard-progress-synced');
      });

      it('the 429 pages of an invitation link and of a status-page link', async () => {
        const invite = await page.goto(`${base}/invite/${'x'.repeat(43)}`);
        expect(invite?.status()).toBe(429);
        expect(await invite?.headerValue('retry-after')).toMatch(/^\d+$/);
        await check('onboard-429');
        const self = await page.goto(`${base}/me/${'x'.repeat(43)}`);
        expect(self?.status()).toBe(429);
        expect(await page.locator('main').textContent()).toContain(t('self.tooMany', { seconds: Number(await self?.headerValue('retry-after')) }));
        await check('self-429');
      });
    });
  });
});
