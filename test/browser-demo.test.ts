/**
 * The dashboard of the real demo in Debian's Chromium: the built `npm run demo` (simulators, the supervisor
 * with the process runtime, its workers and API) in a temporary folder with PORT=0. Logs in with the key
 * the demo prints, sees one card per demo instance, running; waits for alice's scheduled syncs (every 30 s)
 * to show up on the page by its own polling (every 5 s), never a reload; then Ctrl+C must stop it all.
 */
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser, DESKTOP, launchBrowser, PHONE, screenshot, type BrowserSession } from './browser.js';
import { API_WAIT_MS } from '../src/demo/supervisor-child.js';
import { alive, startDemo, type Proc, type RunningDemo } from './demo-helpers.js';

/** The demo's instances: two students with a timetable (alice also watches a slot), one slot watcher only. */
const INSTANCES = ['alice', 'bob', 'office-hours'];
/** The demo configs' timezone: the card shows times in it. */
const ZONE = 'Europe/Paris';
/** Workers start with a run, then sync every 30 s; the importer (5 s) and the page's polling (5 s) add up to 10. */
const RUN_SHOWN_WAIT_MS = 45_000;

describeWithBrowser('the real demo’s dashboard in a real browser', () => {
  let demo: RunningDemo;
  let session: BrowserSession;
  let tree: Proc[] = [];

  beforeAll(async () => {
    demo = await startDemo();
    session = await launchBrowser();
  });

  afterAll(async () => {
    await session?.close();
    // Only if the test failed half-way: nothing of this run may outlive it.
    await demo?.cleanup(tree);
  });

  const card = (page: Page, name: string) => page.locator(`article.card[data-name="${name}"]`);
  /** The first <time> of the facts is the last run's (finishedAt in its datetime attribute). */
  const lastRunTime = (page: Page) => card(page, 'alice').locator('.facts time').first();

  /** Logs in through the form with the key the demo printed, as a person would. */
  async function login(page: Page, url: string, apiKey: string): Promise<void> {
    await page.goto(`${url}/`);
    await page.locator('#key').fill(apiKey);
    await page.keyboard.press('Enter');
    await card(page, 'alice').waitFor();
  }

  it('shows each demo instance running, then alice’s runs as they happen without a reload; Ctrl+C stops it all', async () => {
    const url = (await demo.waitForOutput(/Dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\//, API_WAIT_MS))[1]!;
    const apiKey = (await demo.waitForOutput(/API key:\s+(\S+)/, 1_000))[1]!;

    const page = await (await session.context(DESKTOP)).newPage();
    await page.goto(`${url}/`);
    expect(await page.locator('form[action="/login"]').count()).toBe(1);
    await login(page, url, apiKey);
    // Gone on a reload: still there at the end proves the page refreshed itself.
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    expect(await page.locator('article.card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')).sort())).toEqual(INSTANCES);
    // A worker the supervisor has just started may still say "starting" for a poll or two.
    for (const name of INSTANCES) {
      await expect.poll(() => card(page, name).locator('.badge').first().textContent(), { timeout: RUN_SHOWN_WAIT_MS }).toBe('running');
    }

    // The first run (a full sync of ~120 classes) lands on the card by the page's own polling.
    const alice = card(page, 'alice');
    await alice.locator('.facts .badge', { hasText: /^success$/ }).waitFor({ timeout: RUN_SHOWN_WAIT_MS });
    const facts = (await alice.locator('.facts').textContent()) ?? '';
    expect(facts).toMatch(/Last run.*success.*Changes\s*\+\d+ ~\d+ −\d+.*\d+ events in the timetable.*Next run/s);
    expect(Number(/(\d+) events in the timetable/.exec(facts)?.[1])).toBeGreaterThan(0);
    const firstAt = (await lastRunTime(page).getAttribute('datetime'))!;
    const firstShown = (await lastRunTime(page).textContent())!;
    expect(Date.parse(firstAt)).not.toBeNaN();
    expect(firstShown).toMatch(/\d\d:\d\d$/);
    const barsBefore = await alice.locator('svg.plot rect.p-ok:not(.p-swatch)').count();
    expect(barsBefore).toBeGreaterThan(0);

    // The next scheduled sync: a new last-run time, a new bar, the same page.
    await expect.poll(() => lastRunTime(page).getAttribute('datetime'), { timeout: RUN_SHOWN_WAIT_MS }).not.toBe(firstAt);
    const nextAt = (await lastRunTime(page).getAttribute('datetime'))!;
    expect(Date.parse(nextAt)).toBeGreaterThan(Date.parse(firstAt));
    // The card shows minutes only, so two runs 30 s apart may read alike; what it shows is the new run's.
    expect(await lastRunTime(page).textContent()).toMatch(new RegExp(`${DateTime.fromISO(nextAt).setZone(ZONE).toFormat('HH:mm')}$`));
    expect(await alice.locator('.facts .badge', { hasText: /^success$/ }).count()).toBe(1);
    expect(await alice.locator('svg.plot rect.p-ok:not(.p-swatch)').count()).toBeGreaterThan(barsBefore);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await screenshot(page, 'demo-dashboard-desktop');

    const phone = await (await session.context(PHONE)).newPage();
    await login(phone, url, apiKey);
    await card(phone, 'alice')
      .locator('.facts .badge', { hasText: /^success$/ })
      .waitFor();
    // Nothing wider than the screen: no sideways scrolling on a phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone, 'demo-dashboard-phone');

    tree = await demo.tree();
    expect(tree.filter((p) => p.args.includes(` worker --config ${demo.dir}`))).toHaveLength(3);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/stopped: nothing of the demo is left running/);
    expect(tree.filter((p) => alive(p.pid))).toEqual([]);
  }, 120_000);
});
