/**
 * The accessibility checks themselves (test/axe.ts): each finds the fault it is for on a small page made to have
 * it, names it readably, and finds nothing on the same page without it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accessibilityReport, axeFindings, expectAccessible, langFindings, NARROW_PHONE, overflowFindings, targetFindings } from './axe.js';
import { describeWithBrowser, DESKTOP, launchBrowser, type BrowserSession } from './browser.js';

const page = (lang: string, body: string, style = ''): string =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>t</title><style>body{font:16px/1.5 sans-serif;margin:8px}${style}</style></head><body><main><h1>Title</h1>${body}</main></body></html>`;

const ENGLISH = '<p>Choose a date for your meeting: the next days are shown, and you can pick any of them.</p>';
const FRENCH = '<p>Choisissez une date pour votre rendez-vous : les prochains jours sont affichés, et vous pouvez prendre celui qui vous convient.</p>';

describeWithBrowser('the accessibility checks', () => {
  let session: BrowserSession;
  let phone: Page;
  let desktop: Page;

  beforeAll(async () => {
    session = await launchBrowser();
    phone = await (await session.context(NARROW_PHONE)).newPage();
    desktop = await (await session.context(DESKTOP)).newPage();
  });
  afterAll(async () => {
    await session?.close();
  });

  it('passes a plain page in its language', async () => {
    await phone.setContent(page('en', `${ENGLISH}<p><a href="#x">A link</a> in a sentence of text.</p><button type="button">Go</button>`));
    expect(await accessibilityReport(phone)).toEqual({ axe: [], lang: [], overflow: [], targets: [] });
    await expectAccessible(phone, 'plain page');
  });

  it('axe: names the rule, the element and the contrast of grey text on white', async () => {
    await desktop.setContent(page('en', `${ENGLISH}<p class="faint">Faint text</p>`, '.faint{color:#aaa}'));
    const found = await axeFindings(desktop);
    expect(found.map((f) => [f.rule, f.impact])).toEqual([['color-contrast', 'serious']]);
    expect(found[0]?.nodes[0]?.target).toBe('.faint');
    expect(found[0]?.nodes[0]?.why).toMatch(/contrast of 2\.3/);
    await expect(expectAccessible(desktop, 'faint page')).rejects.toThrow(/faint page .*is not accessible:\n\[axe\]\ncolor-contrast \(serious\)/);
  });

  it('lang: an English page of French text, and a French paragraph on an English page, until marked', async () => {
    await desktop.setContent(page('en', FRENCH));
    expect((await langFindings(desktop)).map((f) => [f.where, f.declared, f.detected])).toContainEqual(['html', 'en', 'fr']);
    await desktop.setContent(page('en', `${ENGLISH}${ENGLISH}<p class="lead">Vingt minutes au téléphone pour faire connaissance.</p>`));
    expect((await langFindings(desktop)).map((f) => [f.where, f.declared, f.detected])).toEqual([['p.lead', 'en', 'fr']]);
    await desktop.setContent(page('en', `${ENGLISH}<p class="lead" lang="fr">Vingt minutes au téléphone pour faire connaissance.</p>`));
    expect(await langFindings(desktop)).toEqual([]);
  });

  it('overflow: a table wider than the phone, found by its outermost element', async () => {
    await phone.setContent(page('en', `${ENGLISH}<table class="wide"><tr><td><span>${'x'.repeat(80)}</span></td></tr></table>`));
    const found = await overflowFindings(phone);
    expect(found[0]).toMatch(/^the page scrolls to \d+ px in a 360 px viewport$/);
    expect(found.slice(1)).toEqual([expect.stringMatching(/^table\.wide spans 8\.\.\d+ px$/)]);
    await phone.setContent(page('en', ENGLISH));
    expect(await overflowFindings(phone)).toEqual([]);
  });

  it('targets: two small buttons side by side fail, spaced apart or inline in a sentence they pass', async () => {
    const small = '<button type="button" class="s" id="a">a</button><button type="button" class="s" id="b">b</button>';
    await desktop.setContent(page('en', `${ENGLISH}<p>${small}</p>`, '.s{width:16px;height:16px;padding:0;margin:0;border:0}'));
    expect(await targetFindings(desktop)).toEqual([
      'button#a "a" is 16×16 px, with another target within reach',
      'button#b "b" is 16×16 px, with another target within reach',
    ]);
    await desktop.setContent(page('en', `${ENGLISH}<p>${small}</p>`, '.s{width:16px;height:16px;padding:0;margin:0 12px;border:0}'));
    expect(await targetFindings(desktop)).toEqual([]);
    await desktop.setContent(page('en', `<p>Read <a href="#a">this</a> and <a href="#b">that</a> first, then choose.</p>`, 'body{font-size:12px}'));
    expect(await targetFindings(desktop)).toEqual([]);
  });
});
