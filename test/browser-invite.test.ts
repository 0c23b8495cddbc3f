/**
 * Inviting a classmate, end to end in Debian's Chromium (issue 23, "Done when", first half): a real supervisor
 * (`campus-sync supervise`, process runtime) with its API companion (`serve`, the onboard pages), real workers,
 * and the MonCampus and ECAL simulators the owner's environment points the services at. The owner logs in and
 * makes an invitation; the classmate, on a phone-sized page, is told a wrong password is wrong, sees the coming
 * classes with the right one, saves; the page follows the worker's start and first sync to the feed link, which
 * serves those classes. A used and an expired invitation are refused, and an invitee's check pointed at another
 * host is refused before anything is contacted.
 *
 * Screenshots go to test-artifacts/screenshots/; with CAMPUS_SYNC_SCREENSHOTS=1 also to docs/screenshots/, which
 * the README shows (CI does not set it, so it never rewrites tracked files).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInvitation } from '../src/invite/index.js';
import { fakeClock } from '../src/lib/fake-clock.test-helper.js';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { describeWithBrowser, DESKTOP, launchBrowser, screenshot, type BrowserSession } from './browser.js';
import { API_KEY as ECAL_KEY, API_SECRET as ECAL_SECRET, CALENDAR_ID, makeWorkspace, startCli, type CliResult, type Workspace } from './helpers.js';

const OWNER_KEY = 'invite-browser-owner-key-3c8e1f09b2';
const USER = 'lea.martin';
const PASSWORD = 'Lea-S3cret-pw!';
const ZONE = 'Europe/Paris';
/** The narrowest phone the pages are checked at (a small Android's CSS width). */
const PHONE_360 = { width: 360, height: 740 };
/** A first sync on a busy 2-core runner: supervisor debounce, worker start, CAS login, fetch, import (5 s). */
const FIRST_SYNC_MS = 90_000;
const DOCS_SHOTS = resolve(import.meta.dirname, '../docs/screenshots');
const API_LISTENING = /campus-sync API listening on (http:\/\/\S+)/;

/** Every laid-out element past the screen's edges, and the page's own overflow: [] when it fits. */
function tooWide(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5))
        out.push(`${el.tagName.toLowerCase()}#${el.id} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    if (document.documentElement.scrollWidth > width) out.push(`page scrolls to ${document.documentElement.scrollWidth} px`);
    return out;
  });
}

/** A screenshot kept as a test artifact, and for the README when asked. */
async function shot(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, `invite-${name}`);
  if (process.env.CAMPUS_SYNC_SCREENSHOTS === '1') {
    await mkdir(DOCS_SHOTS, { recursive: true });
    await copyFile(file, join(DOCS_SHOTS, `invite-${name}.png`));
  }
}

describeWithBrowser('inviting a classmate, in a real browser against a real supervisor', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let supervisor: { child: import('node:child_process').ChildProcess; result: Promise<CliResult> };
  let base: string;
  let session: BrowserSession;
  let link: string;
  /** The coming classes' titles, as the simulator serves them. */
  let titles: string[];

  beforeAll(async () => {
    const today = DateTime.now().setZone(ZONE);
    const courses = generateTimetable({ count: 24, start: today.plus({ days: 1 }).toISODate() as string, seed: 23 });
    // What a title may read as once normalised (the subject, its detail, or the raw title): any of them.
    titles = [...new Set(courses.flatMap((c) => [c.subject, c.comment, c.title].filter((t): t is string => typeof t === 'string' && t !== 'COMMENTAIRE')))];
    mc = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [ECAL_KEY]: ECAL_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    // The owner moves the services to the simulators: an invitee follows the owner's choice, never their own.
    const env = {
      ...ws.env,
      API_KEY: OWNER_KEY,
      CAMPUS_SYNC_RUNTIME: 'process',
      CAMPUS_SYNC_HEARTBEAT_MS: '500',
      CAMPUS_SYNC_MONCAMPUS_URL: mc.url,
      CAMPUS_SYNC_CAS_URL: mc.casUrl,
      CAMPUS_SYNC_ECAL_URL: ecal.url,
    };
    supervisor = startCli(['supervise'], env);
    base = await new Promise<string>((resolveUrl, reject) => {
      let seen = '';
      supervisor.child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        const m = API_LISTENING.exec(seen);
        if (m) resolveUrl(m[1] as string);
      });
      void supervisor.result.then((r) => reject(new Error(`the supervisor exited before its API listened: ${r.stderr || r.stdout}`)));
    });
    session = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    supervisor?.child.kill('SIGTERM');
    await supervisor?.result;
    await mc?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
  });

  it('the owner logs in and makes an invitation from the dashboard', async () => {
    const page = await (await session.context(DESKTOP, { locale: 'fr-FR' })).newPage();
    await page.goto(`${base}/`);
    await page.locator('#key').fill(OWNER_KEY);
    await page.keyboard.press('Enter');
    await page.locator('a[href="/dashboard/configs/new"]').click();
    await page.locator('#make-invite').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await page.locator('#make-invite').click();
    await page.locator('#invite-link').waitFor({ state: 'visible' });
    link = (await page.locator('#invite-link').textContent()) ?? '';
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    await page.locator('#invite-qr img').waitFor();
    await shot(page, '1-owner');
  });

  it(
    'the classmate, on a phone, is told a wrong password is wrong, and sees the coming classes with the right one',
    async () => {
      const page = await (await session.context(PHONE_360, { locale: 'fr-FR' })).newPage();
      await page.goto(link);
      expect(await page.getAttribute('html', 'lang')).toBe('fr');
      expect(await page.locator('#name').count()).toBe(0);
      expect(await tooWide(page)).toEqual([]);
      await page.locator('#username').fill(USER);
      await page.locator('#password').fill('not-the-password');
      await page.locator('#check-moncampus').click();
      await page.locator('#moncampus-result[data-state="error"]').waitFor();
      expect(await page.locator('#moncampus-result').textContent()).toBe('MonCampus refuse cet identifiant ou ce mot de passe.');
      // Beside the field it is about, and announced with it.
      expect(await page.locator('#password-error').isVisible()).toBe(true);
      expect(await page.getAttribute('#password', 'aria-invalid')).toBe('true');
      await shot(page, '2-wrong-password');

      await page.locator('#password').fill(PASSWORD);
      await page.locator('#check-moncampus').click();
      await page.locator('#moncampus-result[data-state="ok"]').waitFor();
      const answer = (await page.locator('#moncampus-result').textContent()) ?? '';
      expect(answer).toMatch(/^\d+ cours dans les 14 prochains jours, le prochain : /);
      expect(titles.some((t) => answer.includes(t))).toBe(true);
      expect(await page.locator('#password-error').isVisible()).toBe(false);
      await shot(page, '3-classes');

      // A crafted post pointing the check at another host: refused before anything is contacted.
      const before = mc.requests.length;
      const refused = await page.evaluate(async () => {
        const settings = JSON.parse(document.getElementById('onboard-settings')?.textContent ?? '{}') as { csrf: string; invite: string };
        const res = await fetch('/onboard/check/moncampus', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': settings.csrf },
          body: JSON.stringify({ invite: settings.invite, username: 'x', password: 'y', moncampusUrl: 'http://127.0.0.1:9/' }),
        });
        return res.json() as Promise<{ ok: boolean; reason: string; message: string }>;
      });
      expect(refused).toEqual({
        ok: false,
        reason: 'refused-host',
        message: '127.0.0.1:9 est une adresse IP : une invitation ne peut pas en utiliser',
        field: 'school',
      });
      expect(mc.requests.length).toBe(before);

      // Save: the supervisor starts a worker, the page follows it to the first sync and the feed.
      await page.locator('#save').click();
      await page.locator('#progress').waitFor({ state: 'visible' });
      await page.locator('#step-saved[data-state="done"]').waitFor();
      // Their own status page (api/self), opened by the status token Save gave them, shown once.
      expect(await page.locator('#status-link').getAttribute('href')).toMatch(/^\/me\/[A-Za-z0-9_-]{43}$/);
      await shot(page, '4-starting');
      await page.locator('#feed-box').waitFor({ state: 'visible', timeout: FIRST_SYNC_MS });
      expect(await page.locator('#step-worker').getAttribute('data-state')).toBe('done');
      expect(await page.locator('#step-sync').getAttribute('data-state')).toBe('done');
      expect(await page.locator('#feed-qr img').count()).toBe(1);
      expect(await tooWide(page)).toEqual([]);
      const synced = Number(/(\d+) cours/.exec((await page.locator('#progress-result').textContent()) ?? '')?.[1]);
      expect(synced).toBeGreaterThan(0);
      await shot(page, '5-feed');

      // The feed link serves those classes.
      const feedUrl = (await page.locator('#feed-link').getAttribute('href')) ?? '';
      expect(feedUrl).toMatch(/\/ics\/lea-martin\.ics\?token=/);
      // Unfolded (RFC 5545 §3.1: long lines continue after a newline and a space) and unescaped, to read the titles.
      const ics = (await (await fetch(feedUrl)).text()).replace(/\r?\n[ \t]/g, '').replace(/\\([,;\\])/g, '$1');
      expect(ics).toContain('BEGIN:VCALENDAR');
      // As many events as the first sync counted, titled from the simulator's classes.
      expect(ics.match(/^BEGIN:VEVENT/gm) ?? []).toHaveLength(synced);
      const summaries = (ics.match(/^SUMMARY:.*$/gm) ?? []).map((l) => l.slice('SUMMARY:'.length));
      expect(summaries.every((sum) => titles.some((t) => sum.includes(t)))).toBe(true);
    },
    FIRST_SYNC_MS + 60_000,
  );

  it('refuses the used invitation, and an expired one, with a page saying which', async () => {
    const page = await (await session.context(PHONE_360, { locale: 'en-US' })).newPage();
    const used = await page.goto(link);
    expect(used?.status()).toBe(410);
    expect(await page.locator('#refused-reason').getAttribute('data-reason')).toBe('used');
    expect(await page.locator('#refused-reason').textContent()).toBe('This invitation was already used: a link works once.');
    await shot(page, '6-used');
    // Made two minutes ago for one minute: expired now.
    const old = await createInvitation({ dataDir: ws.data, clock: fakeClock(DateTime.now().minus({ minutes: 2 }).toJSDate()), expiresInMs: 60_000 });
    const expired = await page.goto(`${base}/invite/${old.token}`);
    expect(expired?.status()).toBe(410);
    expect(await page.locator('#refused-reason').textContent()).toBe('This invitation has expired.');
  });
});
