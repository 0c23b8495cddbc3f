/**
 * The booking tunnel in a real browser, against the real API server (SQLite store, the booking extension
 * with the real Cal.com client and notification channels) and the Cal.com and Slack simulators.
 */
import { mkdtemp, readdir, readFile, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bookingExtension } from '../src/api/booking/index.js';
import { API_OUTBOX_DIR, createBookingDeps, type BookingDeps } from '../src/cli/booking-deps.js';
import { OUTBOX_DELIVERIES_DIR } from '../src/instance/index.js';
import type { CalcomSim, SlackSim } from '../src/sim/index.js';
import { NARROW_PHONE, overflowFindings } from './axe.js';
import { describeWithBrowser, DESKTOP, PHONE, screenshot, type BrowserSession } from './browser.js';
import { startBookingHost, startPageServer, type BookingHost, type PageServer } from './page-server.js';

const ZONE = 'Europe/Paris';
const EVENT_TYPE = 4242;
const CAL_TOKEN = 'cal_secret_token_d41d8cd98f00';
const SLACK_PATH_SECRET_HINT = '/services/';
const HOURS = ['09:00', '09:30', '10:00', '14:00', '16:30'];

/** Weekday slots from tomorrow for five weeks, in Paris time, as a host's availability would give. */
function slotSpecs(): { eventTypeId: number; start: string }[] {
  const first = DateTime.now().setZone(ZONE).startOf('day').plus({ days: 1 });
  const out: { eventTypeId: number; start: string }[] = [];
  for (let i = 0; i < 35; i++) {
    const day = first.plus({ days: i });
    if (day.weekday > 5) continue;
    for (const h of HOURS) {
      const [hh, mm] = h.split(':').map(Number);
      out.push({ eventTypeId: EVENT_TYPE, start: day.set({ hour: hh, minute: mm }).toISO() ?? '' });
    }
  }
  return out;
}

/** Focus must be seen: an outline of 2 px or more, or a halo (box-shadow). */
async function focusStyle(page: Page): Promise<{ tag: string; id: string; outline: string; outlineWidth: number; boxShadow: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return { tag: el.tagName, id: el.id, outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), boxShadow: s.boxShadow };
  });
}

function expectVisibleFocus(style: Awaited<ReturnType<typeof focusStyle>>): void {
  const outlined = style.outline !== 'none' && style.outlineWidth >= 2;
  const halo = style.boxShadow !== 'none' && style.boxShadow !== '';
  expect(outlined || halo, `focus on ${style.tag}#${style.id} is not visible (${JSON.stringify(style)})`).toBe(true);
}

/** Presses Tab until `predicate` holds for the focused element (at most `max` presses). */
async function tabUntil(page: Page, predicate: string, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return;
  }
  throw new Error(`focus never reached: ${predicate}`);
}

describeWithBrowser('the booking tunnel in a browser', () => {
  let root: string;
  let dataDir: string;
  let cal: CalcomSim;
  let slack: SlackSim;
  let host: BookingHost;
  let server: PageServer;
  let deps: BookingDeps;
  let session: BrowserSession;
  let base: string;
  const served: { url: string; text: string }[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'campus-sync-booking-'));
    const configDir = join(root, 'configs');
    dataDir = join(root, 'data');
    await mkdir(configDir, { recursive: true });
    await mkdir(dataDir, { recursive: true });
    host = await startBookingHost({ configDir, slots: slotSpecs(), token: CAL_TOKEN, eventTypeId: EVENT_TYPE, timezone: ZONE });
    ({ cal, slack } = host);
    deps = createBookingDeps({ dataDir, drainIntervalMs: 200 });
    server = await startPageServer({
      env: {},
      configDir,
      dataDir,
      apiKeys: ['api-key-for-tests-0001'],
      extensions: [bookingExtension({ ...deps, env: {} })],
    });
    ({ base, session } = server);
  });

  afterAll(async () => {
    await server?.close();
    await deps?.stop();
    await host?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A page that records every answer of our server, for the secret sweep at the end. */
  /** What an English browser's fetch sends (the server's texts follow the page's language). */
  const EN = { headers: { 'accept-language': 'en-US,en;q=0.9' } };

  async function open(viewport = DESKTOP): Promise<Page> {
    const page = await (await session.context(viewport)).newPage();
    page.on('response', async (res) => {
      if (!res.url().startsWith(base)) return;
      served.push({ url: res.url(), text: await res.text().catch(() => '') });
    });
    await page.goto(`${base}/book/appel`);
    await page.waitForSelector('#dates .choice');
    return page;
  }

  /**
   * The notifications the API has queued for the instance and its channel not yet taken: a delivery file is
   * written before the proposal's answer leaves and removed once Slack answered, so a message is always either
   * here or in the simulator's list.
   */
  async function queuedDeliveries(): Promise<string[]> {
    const names = await readdir(join(dataDir, API_OUTBOX_DIR, 'cabinet', OUTBOX_DELIVERIES_DIR)).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  }

  /** A page at 360 px in a browser that asks for `acceptLanguage` (Accept-Language follows the context's locale). */
  async function openIn(acceptLanguage: string): Promise<Page> {
    const page = await (await session.context(NARROW_PHONE, { locale: acceptLanguage })).newPage();
    await page.goto(`${base}/book/appel`);
    await page.waitForSelector('#dates .choice');
    return page;
  }

  /** Date buttons: each one's accessible name is exactly its visible text (no aria-label saying something else). */
  async function expectDateNamesAreTheirText(page: Page): Promise<string[]> {
    const texts = await page.$$eval('#dates .choice', (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(texts.length).toBeGreaterThanOrEqual(3);
    for (const text of texts) {
      expect(await page.getByRole('button', { name: text, exact: true }).count(), text).toBe(1);
      expect(await page.$$eval('#dates .choice[aria-label]', (els) => els.length)).toBe(0);
    }
    return texts;
  }

  /** Walks date → time → confirm at the narrow width, checking nothing is wider than the screen at each step. */
  async function walkToConfirm(page: Page, name: string): Promise<void> {
    expect(await overflowFindings(page)).toEqual([]);
    await screenshot(page, `booking-360-${name}-1-dates`);
    await page.click('#dates .choice >> nth=1');
    await page.waitForSelector('#step-time:not([hidden])');
    expect(await overflowFindings(page)).toEqual([]);
    await page.click('#times .choice[data-time="16:30"]');
    await page.waitForSelector('#step-confirm:not([hidden])');
    expect(await overflowFindings(page)).toEqual([]);
    await screenshot(page, `booking-360-${name}-2-confirm`);
    await page.click('#back-to-times');
    await page.click('#back-to-dates');
    await page.click('#propose-open');
    await page.waitForSelector('#step-propose:not([hidden])');
    expect(await overflowFindings(page)).toEqual([]);
    await screenshot(page, `booking-360-${name}-3-propose`);
  }

  it('is French by default (a browser asking for no language we speak), dates and times in French, at 360 px', async () => {
    const page = await openIn('de-DE');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.textContent('#h-date')).toBe('Choisissez une date');
    expect(await page.textContent('#week-label')).toMatch(/^7 prochains jours : (lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2} \S+ – /);
    const names = await expectDateNamesAreTheirText(page);
    for (const n of names) expect(n).toMatch(/^(lun|mar|mer|jeu|ven)\. \d{1,2} \S+$/);
    const date = await page.getAttribute('#dates .choice >> nth=1', 'data-date');
    const long = DateTime.fromISO(date ?? '', { zone: ZONE })
      .setLocale('fr-FR')
      .toFormat('cccc d LLLL');
    await page.click('#dates .choice >> nth=1');
    await page.waitForSelector('#step-time:not([hidden])');
    expect(await page.textContent('#time-date')).toBe(long);
    expect(await page.getAttribute('#times .choice[data-time="16:30"]', 'aria-label')).toBe(`16:30, ${long}`);
    await page.click('#times .choice[data-time="16:30"]');
    await page.waitForSelector('#step-confirm:not([hidden])');
    expect(await page.textContent('#summary')).toBe(`${long} à 16:30 (Europe/Paris)`);
    expect(await page.textContent('#confirm')).toBe('Confirmer le rendez-vous');
    await page.click('#back-to-times');
    await page.click('#back-to-dates');
    await walkToConfirm(page, 'fr');
    expect(await page.textContent('label[for="p-r1-date"]')).toBe('Date 2 (facultatif)');
  });

  it('is English when the browser asks for it (Accept-Language), at 360 px', async () => {
    const page = await openIn('en-US');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#h-date')).toBe('Choose a date');
    expect(await page.textContent('#week-label')).toMatch(/^Next 7 days: (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w+ – /);
    for (const n of await expectDateNamesAreTheirText(page)) expect(n).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{1,2} \w+$/);
    await walkToConfirm(page, 'en');
  });

  it("switches language on the page and keeps the choice (the dashboard's cookie)", async () => {
    const page = await openIn('fr-FR');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await overflowFindings(page)).toEqual([]);
    await page.click('nav.lang a[hreflang="en"]');
    await page.waitForSelector('#dates .choice');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#h-date')).toBe('Choose a date');
    // Back on the page without ?lang=: the cookie keeps English though the browser asks for French.
    await page.goto(`${base}/book/appel`);
    await page.waitForSelector('#dates .choice');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#week-label')).toMatch(/^Next 7 days: /);
    await page.click('nav.lang a[hreflang="fr"]');
    await page.waitForSelector('#dates .choice');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.textContent('#h-date')).toBe('Choisissez une date');
  });

  const offeredDates = (page: Page): Promise<string[]> => page.$$eval('#dates .choice', (els) => els.map((e) => e.getAttribute('data-date') ?? ''));

  it('date → time → confirm books exactly one slot in Cal.com and shows the confirmation', async () => {
    const page = await open(PHONE);
    const dates = await offeredDates(page);
    expect(dates.length).toBeGreaterThanOrEqual(3);
    expect(dates.length).toBeLessThanOrEqual(4);
    const today = DateTime.now().setZone(ZONE).toISODate() ?? '';
    const weekEnd = DateTime.fromISO(today).plus({ days: 6 }).toISODate() ?? '';
    for (const d of dates) expect(d > today && d <= weekEnd).toBe(true);
    await screenshot(page, 'booking-phone-1-dates');

    await page.click(`#dates .choice[data-date="${dates[1]}"]`);
    await page.waitForSelector('#step-time:not([hidden])');
    const times = await page.$$eval('#times .choice', (els) => els.map((e) => e.getAttribute('data-time')));
    expect(times).toEqual(['09:00', '16:30']);
    await screenshot(page, 'booking-phone-2-time');

    await page.click('#times .choice[data-time="16:30"]');
    await page.waitForSelector('#step-confirm:not([hidden])');
    expect(await page.textContent('#summary')).toContain('16:30 (Europe/Paris)');
    await page.fill('#b-name', 'Camille Martin');
    await page.fill('#b-email', 'camille@example.org');
    await page.fill('#b-notes', 'Je préfère être appelée sur mon portable.');
    await screenshot(page, 'booking-phone-3-confirm');
    await page.click('#confirm');
    await page.waitForSelector('#step-done:not([hidden])');
    expect(await page.textContent('#h-done')).toBe('Your meeting is booked');
    expect(await page.textContent('#done-text')).toContain('16:30');
    await screenshot(page, 'booking-phone-4-done');

    const bookings = cal.bookings();
    expect(bookings).toHaveLength(1);
    const expected = DateTime.fromISO(`${dates[1]}T16:30`, { zone: ZONE }).toUTC().toISO();
    expect(bookings[0]).toMatchObject({ eventTypeId: EVENT_TYPE, start: expected, attendee: { name: 'Camille Martin', email: 'camille@example.org' } });
    // The booked time is gone from what the tunnel offers next.
    const after = (await (await fetch(`${base}/api/calcom/slots?type=appel&range=14`)).json()) as { date: string; hours: string[] }[];
    expect(after.find((d) => d.date === dates[1])?.hours).not.toContain('16:30');
  });

  it('shows the same steps at desktop width', async () => {
    const page = await open(DESKTOP);
    await screenshot(page, 'booking-desktop-1-dates');
    await page.click('#dates .choice >> nth=0');
    await page.waitForSelector('#step-time:not([hidden])');
    await screenshot(page, 'booking-desktop-2-time');
    await page.click('#times .choice >> nth=0');
    await page.waitForSelector('#step-confirm:not([hidden])');
    await screenshot(page, 'booking-desktop-3-confirm');
  });

  it('"next week" offers later dates, and "previous week" comes back', async () => {
    const page = await open(DESKTOP);
    const first = await offeredDates(page);
    await page.click('#next-week');
    await page.waitForFunction((before) => {
      const now = [...document.querySelectorAll('#dates .choice')].map((e) => e.getAttribute('data-date'));
      return now.length > 0 && now.join() !== before;
    }, first.join());
    const second = await offeredDates(page);
    expect(second.length).toBeGreaterThanOrEqual(3);
    const lastOfFirst = [...first].sort().at(-1) as string;
    for (const d of second) expect(d > lastOfFirst).toBe(true);
    expect(await page.textContent('#week-label')).toMatch(/^Week of /);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'booking-phone-6-next-week');
    await page.click('#prev-week');
    await page.waitForFunction(
      (want) => [...document.querySelectorAll('#dates .choice')].map((e) => e.getAttribute('data-date')).join() === want,
      first.join(),
    );
  });

  it('the availability form shows each error next to its field and stores or sends nothing', async () => {
    const page = await open(PHONE);
    await page.click('#propose-open');
    await page.waitForSelector('#step-propose:not([hidden])');
    await page.fill('#p-email', 'not-an-email');
    await page.fill('#p-r0-date', DateTime.now().setZone(ZONE).plus({ days: 3 }).toISODate() ?? '');
    await page.fill('#p-r0-from', '15:00');
    await page.fill('#p-r0-to', '11:00');
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/book/appel/availability'));
    await page.click('#propose-send');
    expect((await refused).status()).toBe(400);
    await page.waitForSelector('#p-name-error:not([hidden])');
    expect(await page.textContent('#p-name-error')).toBe('Enter your name');
    expect(await page.textContent('#p-email-error')).toBe('Enter an email address such as name@example.com');
    expect(await page.textContent('#p-r0-to-error')).toBe('The end must be after the start');
    expect(await page.getAttribute('#p-name', 'aria-invalid')).toBe('true');
    // The first field in error has the focus, and its error is what a screen reader hears with it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('p-name');
    expect(await page.getAttribute('#p-name', 'aria-describedby')).toContain('p-name-error');
    await screenshot(page, 'booking-phone-5-propose-errors');

    await expect(readFile(join(dataDir, '.booking', 'appel.jsonl'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    // The server had finished with the request when it answered 400: anything it meant to send would be queued
    // or already in Slack by now (see queuedDeliveries), so no wait can make a message appear later.
    expect(await queuedDeliveries()).toEqual([]);
    expect(slack.messages()).toHaveLength(0);
  });

  it('a valid proposal is stored once and reaches the Slack channel', async () => {
    const page = await open(DESKTOP);
    await page.click('#propose-open');
    await page.waitForSelector('#step-propose:not([hidden])');
    const day = DateTime.now().setZone(ZONE).plus({ days: 9 }).toISODate() ?? '';
    await page.fill('#p-name', 'Noé Lefèvre');
    await page.fill('#p-email', 'noe@example.org');
    await page.fill('#p-r0-date', day);
    await page.fill('#p-r0-from', '18:00');
    await page.fill('#p-r0-to', '20:00');
    await page.fill('#p-message', 'Après le travail, si possible.');
    await screenshot(page, 'booking-desktop-4-propose');
    // A double click sends twice: the server keeps one. Each POST the page makes is counted until answered.
    const posts = { sent: 0, done: 0 };
    const isProposal = (r: { method(): string; url(): string }): boolean => r.method() === 'POST' && r.url().endsWith('/book/appel/availability');
    page.on('request', (r) => void (isProposal(r) && posts.sent++));
    page.on('requestfinished', (r) => void (isProposal(r) && posts.done++));
    page.on('requestfailed', (r) => void (isProposal(r) && posts.done++));
    await page.dblclick('#propose-send');
    await page.waitForSelector('#step-proposed:not([hidden])');
    await screenshot(page, 'booking-desktop-5-proposed');

    const lines = (await readFile(join(dataDir, '.booking', 'appel.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      type: 'appel',
      instance: 'cabinet',
      name: 'Noé Lefèvre',
      email: 'noe@example.org',
      ranges: [{ date: day, from: '18:00', to: '20:00' }],
      message: 'Après le travail, si possible.',
    });

    // Settled: every POST answered (nothing more can be queued), something reached Slack, and the outbox has
    // nothing left to send (see queuedDeliveries). Only then does "exactly one message" mean no second comes.
    await expect
      .poll(async () => posts.sent > 0 && posts.done === posts.sent && slack.messages().length > 0 && (await queuedDeliveries()).length === 0, {
        timeout: 15_000,
      })
      .toBe(true);
    const messages = slack.messages();
    expect(messages).toHaveLength(1);
    const text = JSON.stringify(messages[0]?.body);
    expect(text).toContain('Disponibilités proposées : Appel découverte');
    expect(text).toContain('Noé Lefèvre');
    expect(text).toContain('noe@example.org');
    expect(text).toContain('18:00–20:00');
  });

  it('can be walked with the keyboard alone, the focus always visible', async () => {
    const page = await open(DESKTOP);
    const before = cal.bookings().length;
    await tabUntil(page, `document.activeElement?.classList.contains('choice')`);
    expectVisibleFocus(await focusStyle(page));
    const date = await page.evaluate(() => document.activeElement?.getAttribute('data-date'));
    await screenshot(page, 'booking-desktop-6-keyboard-focus');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#step-time:not([hidden])');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-time');

    await tabUntil(page, `document.activeElement?.classList.contains('time')`);
    expectVisibleFocus(await focusStyle(page));
    const time = await page.evaluate(() => document.activeElement?.getAttribute('data-time'));
    await page.keyboard.press('Space');
    await page.waitForSelector('#step-confirm:not([hidden])');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-confirm');

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('b-name');
    expectVisibleFocus(await focusStyle(page));
    await page.keyboard.type('Sacha Keyboard');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('b-email');
    await page.keyboard.type('sacha@example.org');
    await tabUntil(page, `document.activeElement?.id === 'confirm'`);
    expectVisibleFocus(await focusStyle(page));
    await screenshot(page, 'booking-desktop-7-keyboard-confirm');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#step-done:not([hidden])');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-done');

    const bookings = cal.bookings();
    expect(bookings).toHaveLength(before + 1);
    expect(bookings.at(-1)?.start).toBe(DateTime.fromISO(`${date}T${time}`, { zone: ZONE }).toUTC().toISO());
  });

  it('answers 502 with a clear message when Cal.com fails, 404 for an unknown type, 400 naming a bad parameter', async () => {
    cal.rateLimitNext(10, 1);
    const failed = await fetch(`${base}/api/calcom/slots?type=appel&range=30`, EN);
    const failedText = await failed.text();
    served.push({ url: 'slots during a Cal.com outage', text: failedText });
    expect(failed.status).toBe(502);
    expect(JSON.parse(failedText).error).toBe('The free times could not be loaded: Cal.com is unavailable or busy. Try again in a moment.');
    cal.rateLimitNext(0);

    const unknown = await fetch(`${base}/api/calcom/slots?type=visio`);
    expect(unknown.status).toBe(404);
    const bad = await fetch(`${base}/api/calcom/slots?type=appel&range=365`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ parameter: 'range' });
    const page404 = await fetch(`${base}/book/visio`, EN);
    expect(page404.status).toBe(404);
    expect(await page404.text()).toContain('There is no booking type');
    // Node's fetch names no language (Accept-Language: *): French, the default.
    expect(await (await fetch(`${base}/book/visio`)).text()).toContain('Il n’y a pas de type de rendez-vous');
  });

  it('never serves the Cal.com token: every page, script, style and JSON answer swept', async () => {
    for (const path of ['/book', '/book/appel', '/book/assets/tunnel.js', '/book/assets/tunnel.css', '/api/calcom/slots?type=appel']) {
      served.push({ url: path, text: await (await fetch(`${base}${path}`)).text() });
    }
    expect(served.length).toBeGreaterThan(20);
    for (const s of served) {
      expect(s.text, s.url).not.toContain(CAL_TOKEN);
      expect(s.text, s.url).not.toContain(SLACK_PATH_SECRET_HINT);
      expect(s.text, s.url).not.toContain(String(EVENT_TYPE));
    }
  });
});
