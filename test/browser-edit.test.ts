/**
 * The owner's edit of a config and their invitations list (issue 23, item 2 and item 3's "listed with its state,
 * revocable") in Debian's Chromium, against the real thing: `campus-sync supervise --runtime process` (which runs
 * `serve` beside it and a worker per config) and the MonCampus and ECAL simulators. The owner logs in, opens Edit
 * on an instance card, turns the ICS feed off and changes the alerts' horizon, saves, and the page follows the
 * worker's restart to a sync with the new settings; the YAML on disk shows the change with its comments kept and
 * the password untouched. A second save from a form opened before the first one is a conflict, said on the page,
 * and writes nothing. Then the owner makes an invitation, sees it listed as pending, revokes it, and its link
 * opens nothing. Each page state passes test/axe.ts's checks.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { translator } from '../src/lib/index.js';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { expectAccessible, NARROW_PHONE } from './axe.js';
import { describeWithBrowser, DESKTOP, launchBrowser, screenshot, type BrowserSession } from './browser.js';
import { API_KEY, API_SECRET, CALENDAR_ID, makeWorkspace, PASSWORD, type startCli, startProcessSupervisor, until, type Workspace } from './helpers.js';

const DASHBOARD_KEY = 'edit-browser-key-7f3a91c2d4';
const fr = translator('fr');
/** A worker's restart and sync on a busy 2-core runner: supervisor debounce, worker start, CAS login, fetch, import. */
const SYNC_TIMEOUT_MS = 90_000;

describeWithBrowser('the owner edits a config and manages invitations, in a real browser', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let supervisor: ReturnType<typeof startCli>;
  let session: BrowserSession;
  let base: string;
  const configFile = (): string => join(ws.configs, 'edith.yml');
  const ours = (): number => ecal.events().filter((e) => e.reference?.startsWith('campus-sync:edith:')).length;

  beforeAll(async () => {
    const today = DateTime.now().setZone('Europe/Paris');
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: generateTimetable({ count: 12, start: today.toISODate() as string, seed: 7 }) });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    await writeFile(
      configFile(),
      [
        '# Edith, written by hand',
        'timezone: Europe/Paris',
        'moncampus:',
        `  url: ${mc.url} # the simulator`,
        `  casUrl: ${mc.casUrl}`,
        '  username: student # her login',
        `  password: "${PASSWORD}"`,
        'ecal:',
        `  url: ${ecal.url}`,
        `  apiKey: ${API_KEY}`,
        `  apiSecret: ${API_SECRET}`,
        `  calendarId: ${CALENDAR_ID}`,
        '# the feed for her phone',
        'ics:',
        '  enabled: true',
        '',
      ].join('\n'),
    );
    ({ supervisor, base } = await startProcessSupervisor(ws, DASHBOARD_KEY));
    await until("the worker's first sync in ECAL", async () => ours() === 12, SYNC_TIMEOUT_MS);
    session = await launchBrowser();
  }, 150_000);

  afterAll(async () => {
    await session?.close();
    supervisor?.child.kill('SIGTERM');
    await supervisor?.result;
    await Promise.all([mc?.close(), ecal?.close()]);
  });

  /** The owner's dashboard, logged in, in French (a new context: its own session cookie). */
  async function ownerPage(): Promise<Page> {
    const page = await (await session.context(DESKTOP, { locale: 'fr-FR' })).newPage();
    await page.goto(`${base}/`);
    await page.locator('#key').fill(DASHBOARD_KEY);
    await page.keyboard.press('Enter');
    await page.locator('#card-edith').waitFor();
    return page;
  }

  /** The same page on a 360 px phone in dark mode passes the checks too (then back to the desktop). */
  async function onPhoneInDark(page: Page, name: string): Promise<void> {
    await page.setViewportSize(NARROW_PHONE);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, `${name}, phone, dark`);
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'light' });
  }

  it('edits the ICS option and the alerts’ horizon: saved with comments kept, the worker resynced; a stale form gets the conflict', async () => {
    const page = await ownerPage();
    await page.locator('#card-edith a[href="/dashboard/configs/edith/edit"]').click();
    await expect(page.locator('h1').textContent()).resolves.toBe(fr('onboardEdit.title', { name: 'edith' }));
    // A second form opened now, from the same file: it goes stale when the first one saves.
    const stale = await page.context().newPage();
    await stale.goto(`${base}/dashboard/configs/edith/edit`);
    const html = await page.content();
    for (const secret of [PASSWORD, API_KEY, API_SECRET]) expect(html).not.toContain(secret);
    expect(await page.locator('#username').inputValue()).toBe('student');
    expect(await page.locator('#password').inputValue()).toBe('');
    expect(await page.locator('#password').getAttribute('placeholder')).toBe(fr('onboardEdit.secretSet'));
    expect(await page.locator('#ics').isChecked()).toBe(true);
    await expectAccessible(page, 'the edit form');
    await onPhoneInDark(page, 'the edit form');
    await screenshot(page, 'edit-1-form');
    // The password field stays empty (write-only): Check uses the stored password through the worker's client.
    await page.locator('#check-moncampus').click();
    await page.locator('#moncampus-result[data-state="ok"]').waitFor({ timeout: SYNC_TIMEOUT_MS });
    expect(await page.locator('#moncampus-result').textContent()).toMatch(/\d+/);

    await page.getByLabel(fr('onboard.ics')).uncheck();
    await page.locator('#changesDays').fill('14');
    await page.getByRole('button', { name: fr('onboardEdit.save') }).click();
    await page.locator('#progress').waitFor({ state: 'visible' });
    await page.locator('#step-sync[data-state="done"]').waitFor({ timeout: SYNC_TIMEOUT_MS });
    await expect(page.locator('#progress-result').textContent()).resolves.toBe(fr('onboardEdit.progress.synced', { count: 12 }));
    await expectAccessible(page, 'the edit’s progress');
    await screenshot(page, 'edit-2-synced');

    const yaml = await readFile(configFile(), 'utf8');
    expect(yaml).toMatch(/ics:\n {2}enabled: false/);
    expect(yaml).toMatch(/changes:\n {2}horizonDays: 14/);
    for (const kept of [
      '# Edith, written by hand',
      `url: ${mc.url} # the simulator`,
      'username: student # her login',
      '# the feed for her phone',
      `password: "${PASSWORD}"`,
    ]) {
      expect(yaml).toContain(kept);
    }

    await stale.locator('#changesDays').fill('3');
    await stale.getByRole('button', { name: fr('onboardEdit.save') }).click();
    await expect(stale.locator('#form-error[data-state="error"]').textContent()).resolves.toBe(fr('onboardEdit.conflict', { file: 'edith.yml' }));
    expect(await stale.locator('#onboard-form').isVisible()).toBe(true);
    await expectAccessible(stale, 'the edit form with its conflict');
    await screenshot(stale, 'edit-3-conflict');
    expect(await readFile(configFile(), 'utf8')).toBe(yaml);
  }, 150_000);

  it('lists an invitation as pending, revokes it with its button, and its link then opens nothing', async () => {
    const page = await ownerPage();
    await page.goto(`${base}/dashboard/configs/new`);
    await expect(page.locator('#invitations-empty').textContent()).resolves.toBe(fr('onboardEdit.invites.empty'));
    await page.locator('#make-invite').click();
    await page.locator('#invite-link').waitFor({ state: 'visible' });
    const link = (await page.locator('#invite-link').textContent()) ?? '';
    const row = page.locator('#invitations-table tbody tr');
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('pending');
    await expect(row.locator('.invitation-state').textContent()).resolves.toBe(fr('invite.state.pending'));
    expect(await page.locator('#invitations').textContent()).not.toContain(link.split('/').pop() as string);
    expect((await fetch(link)).status).toBe(200);

    await row.getByRole('button', { name: fr('onboardEdit.invites.revoke') }).click();
    await expect(page.locator('#invitations-result:not([data-state="busy"])[data-state]').textContent()).resolves.toBe(fr('onboardEdit.invites.revoked'));
    await expect(row.locator('.invitation-state').textContent()).resolves.toBe(fr('invite.state.revoked'));
    expect(await row.getByRole('button').count()).toBe(0);
    await expectAccessible(page, 'the owner’s page with a revoked invitation');
    await onPhoneInDark(page, 'the owner’s page with a revoked invitation');
    await screenshot(page, 'edit-4-invitations');
    expect((await fetch(link)).status).toBe(410);
  }, 60_000);
});
