/**
 * The classmate's status page (issue 23, "Done when", second half) in Debian's Chromium, on a 360 px phone,
 * against the real thing: `campus-sync supervise --runtime process` (which runs `serve` beside it and a worker
 * per config) and the MonCampus, ECAL and Discord simulators. The instance is made the way an invitation makes
 * it: a config file and a status-page token (createInstanceToken). The classmate sees their status, pauses and
 * resumes, changes the password (a wrong one named as such, the right one accepted and written with the file's
 * comments kept, and `validate` agrees), tests notifications, then deletes the instance with its data: the config
 * is gone, the worker stopped, the data gone, campus-sync's ECAL events gone and a hand-made one kept.
 */
import { execFileSync } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInstanceToken } from '../src/invite/index.js';
import { translator } from '../src/lib/index.js';
import { generateTimetable, startDiscordSim, startEcalSim, startMonCampusSim, type DiscordSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { describeWithBrowser, launchBrowser, screenshot, type BrowserSession } from './browser.js';
import { API_KEY, API_SECRET, CALENDAR_ID, makeWorkspace, PASSWORD, runCli, type startCli, startProcessSupervisor, until, type Workspace } from './helpers.js';

/** The smallest phone screen the issue names. */
const PHONE_360 = { width: 360, height: 740 };
const NEW_PASSWORD = 'N0uveau-Mot-de-passe!';
const DASHBOARD_KEY = 'self-browser-key-2b7d1c9e55';
const fr = translator('fr');

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/** Worker processes of one config of this workspace, from `ps`: what really runs. */
function workerPids(ws: Workspace, name = 'lea'): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(` worker --config ${ws.configs}/${name}.yml`))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describeWithBrowser('the status page of one instance, in a real browser on a phone', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let discord: DiscordSim;
  let ws: Workspace;
  let supervisor: ReturnType<typeof startCli>;
  let session: BrowserSession;
  let base: string;
  let token: string;
  let handMadeId: string;
  const configFile = (): string => join(ws.configs, 'lea.yml');
  const ours = (): number => ecal.events().filter((e) => e.reference?.startsWith('campus-sync:lea:')).length;

  beforeAll(async () => {
    const today = DateTime.now().setZone('Europe/Paris');
    mc = await startMonCampusSim({
      users: { student: PASSWORD },
      courses: generateTimetable({ count: 20, start: today.toISODate() as string, seed: 23 }),
    });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    discord = await startDiscordSim();
    const webhook = discord.createWebhook();
    // Made by hand in ECAL, in the instance's window, beside the events campus-sync will create: it must survive.
    const day = today.plus({ days: 1 }).toISODate() as string;
    handMadeId = ecal.addEvent({
      calendarId: CALENDAR_ID,
      name: 'Anniversaire de Léa',
      location: '',
      startDate: day,
      endDate: day,
      startTime: '18:00',
      endTime: '20:00',
      timezone: 'Europe/Paris',
    }).id;
    ws = await makeWorkspace();
    await writeFile(
      join(ws.configs, 'lea.yml'),
      [
        '# Léa, added by invitation',
        'timezone: Europe/Paris',
        'moncampus:',
        `  url: ${mc.url}`,
        `  casUrl: ${mc.casUrl}`,
        '  username: student # her MonCampus login',
        `  password: "${PASSWORD}"`,
        '  window: {pastDays: 7, futureDays: 60}',
        'ecal:',
        `  url: ${ecal.url}`,
        `  apiKey: ${API_KEY}`,
        `  apiSecret: ${API_SECRET}`,
        `  calendarId: ${CALENDAR_ID}`,
        'notify:',
        '  - name: lea-discord',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '',
      ].join('\n'),
    );
    token = await createInstanceToken({ dataDir: ws.data }, 'lea');
    // Another instance, deleted by the owner from the dashboard (its data kept).
    await writeFile(
      join(ws.configs, 'max.yml'),
      ['timezone: Europe/Paris', 'moncampus:', `  url: ${mc.url}`, `  casUrl: ${mc.casUrl}`, '  username: student', `  password: "${PASSWORD}"`, ''].join('\n'),
    );
    ({ supervisor, base } = await startProcessSupervisor(ws, DASHBOARD_KEY));
    await until("the worker's first sync in ECAL", async () => ours() === 20);
    session = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    supervisor?.child.kill('SIGTERM');
    await supervisor?.result;
    await Promise.all([mc?.close(), ecal?.close(), discord?.close()]);
  });

  async function phonePage(): Promise<Page> {
    return (await session.context(PHONE_360, { locale: 'fr-FR' })).newPage();
  }

  /** Nothing wider than the phone's screen. */
  async function fitsThePhone(page: Page): Promise<void> {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_360.width);
  }

  it('the owner deletes another instance from the dashboard: its worker stops, its config goes, its data stays', async () => {
    await until("max's worker", async () => workerPids(ws, 'max').length === 1);
    await until("max's first run", () => exists(join(ws.data, 'max', 'last-run.json')));
    const page = await (await session.context({ width: 1280, height: 800 }, { locale: 'fr-FR' })).newPage();
    await page.goto(`${base}/`);
    await page.locator('#key').fill(DASHBOARD_KEY);
    await page.keyboard.press('Enter');
    await page.locator('#card-max').waitFor();
    await page.locator('#card-max a[href="/dashboard/delete/max"]').click();
    await expect(page.locator('h1').textContent()).resolves.toBe(fr('self.ownerDeleteTitle', { name: 'max' }));
    // max has no ECAL section: nothing to offer removing there.
    expect(await page.locator('input[name=ecal]').count()).toBe(0);
    await page.getByLabel(fr('self.deleteConfirmOwner', { name: 'max' })).check();
    await screenshot(page, 'dashboard-delete');
    await page.getByRole('button', { name: fr('self.deleteButton') }).click();
    await expect(page.locator('.flash').textContent()).resolves.toContain(fr('self.delete.doneDataKept', { name: 'max' }));
    expect(await exists(join(ws.configs, 'max.yml'))).toBe(false);
    await until("max's worker stopped", async () => workerPids(ws, 'max').length === 0);
    expect(await exists(join(ws.data, 'max', 'last-run.json'))).toBe(true);
    // Lea's instance is untouched.
    expect(workerPids(ws)).toHaveLength(1);
    expect(ours()).toBe(20);
  }, 120_000);

  it('an unknown token opens nothing', async () => {
    const page = await phonePage();
    const res = await page.goto(`${base}/me/${'x'.repeat(43)}`);
    expect(res?.status()).toBe(404);
    await expect(page.locator('h1').textContent()).resolves.toBe(fr('self.notFoundTitle'));
  });

  it('the classmate sees their status, pauses, changes the password, tests notifications and deletes themselves', async () => {
    const page = await phonePage();
    const url = `${base}/me/${token}`;
    // The first sync reaches the page once the importer and the supervisor have written it down.
    await until('the last sync on the page', async () => {
      await page.goto(url);
      return ((await page.locator('#h-state + ul').textContent()) ?? '').includes('Dernière synchronisation');
    });
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    const state = (await page.locator('#h-state + ul').textContent()) ?? '';
    expect(state).toContain(fr('self.state', { state: fr('dashboard.state.running') }));
    expect(state).toMatch(/\d+ cours dans les 7 prochains jours/);
    await fitsThePhone(page);
    await screenshot(page, 'self-status-phone');

    // Pause, then resume: the worker process stops and comes back.
    await page.getByRole('button', { name: fr('self.pauseButton') }).click();
    await expect(page.locator('.flash').textContent()).resolves.toContain(fr('self.result.paused'));
    await until('no worker process', async () => workerPids(ws).length === 0);
    await page.getByRole('button', { name: fr('self.resumeButton') }).click();
    await expect(page.locator('.flash').textContent()).resolves.toContain(fr('self.result.resumed'));
    await until('the worker back', async () => workerPids(ws).length === 1);

    // A wrong password is named as such, beside the field, and nothing is written.
    const before = await readFile(configFile(), 'utf8');
    mc.setPassword('student', NEW_PASSWORD);
    await page.getByLabel(fr('self.passwordLabel')).fill('pas-le-bon');
    await page.getByRole('button', { name: fr('self.passwordButton') }).click();
    await expect(page.locator('#password-error').textContent()).resolves.toBe(fr('checks.moncampus.wrongPassword'));
    expect(await page.getAttribute('#password', 'aria-invalid')).toBe('true');
    await fitsThePhone(page);
    await screenshot(page, 'self-password-wrong-phone');
    expect(await readFile(configFile(), 'utf8')).toBe(before);

    // The right one is checked with MonCampus, then written where the file keeps it, comments kept.
    await page.getByLabel(fr('self.passwordLabel')).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: fr('self.passwordButton') }).click();
    const saved = (await page.locator('.flash').textContent()) ?? '';
    expect(saved).toContain('Mot de passe vérifié et enregistré');
    expect(saved).not.toContain(NEW_PASSWORD);
    const after = await readFile(configFile(), 'utf8');
    expect(after).toContain('# Léa, added by invitation');
    expect(after).toContain('username: student # her MonCampus login');
    expect(after).toContain(NEW_PASSWORD);
    expect(after).not.toContain(PASSWORD);
    // `validate` agrees with the file the page wrote.
    const validated = await runCli(['validate', ws.configs, '--json'], ws.env);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('"valid":true');
    await screenshot(page, 'self-password-saved-phone');

    // Test notifications: one message reaches the classmate's Discord.
    const sentBefore = discord.messages().length;
    await page.getByRole('button', { name: fr('self.notifyButton') }).click();
    await expect(page.locator('.flash').textContent()).resolves.toContain(fr('self.notify.sent', { sent: 1, count: 1 }));
    expect(discord.messages().length).toBe(sentBefore + 1);

    // Delete without ticking the box: refused beside the box, nothing removed.
    await page.locator('input[name=confirm]').evaluate((el) => el.removeAttribute('required'));
    await page.getByRole('button', { name: fr('self.deleteButton') }).click();
    await expect(page.locator('#confirm-error').textContent()).resolves.toBe(fr('self.deleteNeedConfirm'));
    expect(await exists(configFile())).toBe(true);

    // Delete with the ECAL box and the confirmation.
    await page.getByLabel(fr('self.deleteEcal')).check();
    await page.getByLabel(fr('self.deleteConfirm')).check();
    await screenshot(page, 'self-delete-phone');
    await page.getByRole('button', { name: fr('self.deleteButton') }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe(fr('self.deletedTitle'));
    await expect(page.locator('.flash').textContent()).resolves.toContain(fr('self.delete.doneWithData', { name: 'lea' }));
    await fitsThePhone(page);
    await screenshot(page, 'self-deleted-phone');

    expect(await exists(configFile())).toBe(false);
    await until('the worker stopped', async () => workerPids(ws).length === 0);
    expect(await exists(join(ws.data, 'lea'))).toBe(false);
    expect(ours()).toBe(0);
    expect(ecal.events().map((e) => e.id)).toEqual([handMadeId]);
    // The link opens nothing any more.
    expect((await page.goto(url))?.status()).toBe(404);
  }, 120_000);
});
