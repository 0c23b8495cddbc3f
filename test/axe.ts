/**
 * Accessibility checks of a page open in Chromium (issue 23 item 6), for every page the product serves:
 * axe-core's WCAG 2.1 A and AA rules (no serious or critical finding), the page's `lang` matching its text,
 * nothing wider than a 360 px phone, and targets of at least 24×24 CSS px (WCAG 2.2's 2.5.8, which axe
 * only checks under its wcag22aa tag). Each check returns what it found, [] when the page passes, so a
 * failure reads as a list; `expectAccessible` runs them all and fails with every finding at once.
 *
 * axe-core's source is evaluated in the page through the DevTools protocol (page.evaluate), which a page's
 * Content-Security-Policy does not stop: the pages are checked with their real headers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { DESKTOP, type BrowserSession } from './browser.js';

/** The rule sets the issue names: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;
/** Findings of these impacts fail a page; minor and moderate ones are reported by axe but not counted (the issue's bar). */
export const FAILING_IMPACTS = ['serious', 'critical'] as const;
/** The narrowest phone the pages are checked at (a small Android's CSS width), and its height. */
export const NARROW_PHONE = { width: 360, height: 740 } as const;
/** WCAG 2.5.8 (Target Size, Minimum): 24 CSS px in each direction, or enough room around a smaller one. */
export const MIN_TARGET_PX = 24;

/** One way of seeing a page the issue asks for: a size, a colour scheme, a browser language (and the `lang` it gets). */
export interface A11yVariant {
  size: { name: 'phone' | 'desktop'; viewport: { width: number; height: number } };
  scheme: 'light' | 'dark';
  /** The browser's language (Accept-Language), and the page language it must get. */
  locale: 'fr-FR' | 'en-US';
  lang: 'fr' | 'en';
  /** `a11y-phone-dark-fr`: for screenshot names and failure messages. */
  tag: string;
}

/** Every page is checked in each: phone and desktop, light and dark, French and English (eight in all). */
export const A11Y_VARIANTS: readonly A11yVariant[] = (['phone', 'desktop'] as const).flatMap((name) =>
  (['light', 'dark'] as const).flatMap((scheme) =>
    (
      [
        { locale: 'fr-FR', lang: 'fr' },
        { locale: 'en-US', lang: 'en' },
      ] as const
    ).map(({ locale, lang }) => ({
      size: { name, viewport: name === 'phone' ? NARROW_PHONE : DESKTOP },
      scheme,
      locale,
      lang,
      tag: `a11y-${name}-${scheme}-${lang}`,
    })),
  ),
);

/**
 * A new page (its own context: own cookies) at the variant's size, in its browser language and colour scheme,
 * with axe-core loaded in each document it opens (preloadAxe).
 */
export async function openVariant(session: BrowserSession, variant: A11yVariant): Promise<Page> {
  const context = await session.context(variant.size.viewport, { locale: variant.locale });
  await preloadAxe(context);
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: variant.scheme });
  return page;
}

const requireHere = createRequire(import.meta.url);
let axeSource: string | null = null;
/** axe-core's browser build, read once. */
const axeScript = (): string => {
  axeSource ??= readFileSync(requireHere.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
};

/**
 * axe-core in every document the context opens, before the page's own scripts (an init script, which a page's
 * CSP does not stop either). Sent to Chromium once per context instead of after every navigation: sending and
 * compiling its 550 kB again was half of axe's time per page (measured in test/browser-a11y: ~200 ms of ~400).
 * axeFindings still loads it into a page that lacks it.
 */
export async function preloadAxe(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: axeScript() });
}

export interface AxeFinding {
  rule: string;
  impact: string;
  summary: string;
  /** A CSS selector of each element found, and axe's one-line reason for it. */
  nodes: { target: string; why: string }[];
}

/** axe-core's serious and critical WCAG 2.1 A/AA findings on the page as it is now. */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeScript());
  return page.evaluate(
    async ({ tags, failing }) => {
      const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: [...tags] }, resultTypes: ['violations'] });
      return result.violations
        .filter((v) => (failing as readonly string[]).includes(v.impact ?? ''))
        .map((v) => ({
          rule: v.id,
          impact: v.impact ?? '',
          summary: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), why: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })),
        }));
    },
    { tags: WCAG_TAGS, failing: FAILING_IMPACTS },
  );
}

/** One line per element: `rule (impact) selector: why`, then the rule's summary once. */
export function formatAxeFindings(findings: readonly AxeFinding[]): string[] {
  return findings.flatMap((f) => [`${f.rule} (${f.impact}): ${f.summary}`, ...f.nodes.map((n) => `  ${n.target}: ${n.why}`)]);
}

/**
 * Words frequent in one language and absent from the other's ordinary text (no "on", "a", "en", "de"… that
 * both use): enough to tell French from English in a page's sentences, which is all `lang` must say.
 */
const MARKERS: Record<string, readonly string[]> = {
  fr: [
    'le',
    'la',
    'les',
    'des',
    'du',
    'et',
    'est',
    'une',
    'un',
    'pour',
    'avec',
    'dans',
    'sur',
    'vous',
    'votre',
    'vos',
    'pas',
    'au',
    'aux',
    'aucun',
    'aucune',
    'ce',
    'cette',
    'qui',
    'que',
    'jours',
    'suivante',
    'prochains',
    'choisissez',
    'semaine',
    'depuis',
    'toutes',
    'tous',
    'jamais',
    'mot',
    'clé',
    'ou',
    'été',
    'être',
    'heure',
    'heures',
  ],
  en: [
    'the',
    'and',
    'of',
    'to',
    'is',
    'for',
    'with',
    'your',
    'you',
    'this',
    'are',
    'be',
    'from',
    'by',
    'or',
    'no',
    'not',
    'next',
    'days',
    'choose',
    'week',
    'since',
    'never',
    'key',
    'hours',
    'every',
    'any',
    'was',
    'its',
    'when',
  ],
};

export interface LangFinding {
  /** `html` for the page, else a selector of the element whose text is judged. */
  where: string;
  declared: string;
  /** The language the text's marker words (and, for French, its accented words) belong to. */
  detected: string;
  counts: Record<string, number>;
  sample: string;
}

/** French writes accents English does not: a word carrying one counts as French (téléphone, découverte, à). */
const FRENCH_ACCENTS = '[àâçéèêëîïôûùüÿœ]';

/**
 * Where the declared language (the closest `lang`) is not the language of the text, judged two ways:
 * - a part (the text under `<html lang>`, or under an element with its own `lang`) whose marker words are
 *   mostly of another language, once it has `partWords` of them;
 * - a block (a paragraph, a list item, a heading, a cell…) with `blockWords` signs of another language and none
 *   of its declared one: a French description on an English page, which WCAG 3.1.2 asks to mark with `lang`.
 * Names, dates and codes carry too few signs to be judged.
 */
export async function langFindings(page: Page, opts: { partWords?: number; blockWords?: number } = {}): Promise<LangFinding[]> {
  return page.evaluate(
    ({ markers, accents, partWords, blockWords }) => {
      const accented = new RegExp(accents, 'u');
      const score = (text: string): Record<string, number> => {
        const words = text.toLowerCase().split(/[^\p{L}]+/u);
        const counts: Record<string, number> = {};
        for (const [lang, list] of Object.entries(markers)) counts[lang] = words.filter((w) => list.includes(w) || (lang === 'fr' && accented.test(w))).length;
        return counts;
      };
      const declaredOf = (el: Element): string => (el.getAttribute('lang') ?? '').toLowerCase().split('-')[0] ?? '';
      const describe = (el: Element): string => {
        if (el === document.documentElement) return 'html';
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`;
      };
      const byPart = new Map<Element, string[]>();
      const byBlock = new Map<string, { block: Element; part: Element; texts: string[] }>();
      const blocks: Element[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const parent = n.parentElement;
        if (!parent || parent.closest('script, style, noscript, [hidden], [aria-hidden="true"]')) continue;
        const text = n.textContent ?? '';
        const part = parent.closest('[lang]') ?? document.documentElement;
        byPart.set(part, [...(byPart.get(part) ?? []), text]);
        let block: Element = parent;
        while (block.parentElement && block !== part && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
        // A block and the part it is declared by: an inline `lang` inside a paragraph makes a group of its own.
        let index = blocks.indexOf(block);
        if (index < 0) index = blocks.push(block) - 1;
        const key = `${index}|${blocks.indexOf(part) < 0 ? describe(part) : blocks.indexOf(part)}|${declaredOf(part)}`;
        const entry = byBlock.get(key) ?? { block, part, texts: [] };
        entry.texts.push(text);
        byBlock.set(key, entry);
      }
      const out: LangFinding[] = [];
      const sample = (texts: string[]): string => texts.join(' ').replace(/\s+/g, ' ').trim().slice(0, 120);
      for (const [part, texts] of byPart) {
        const counts = score(texts.join(' '));
        const [detected, top] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
        const declared = declaredOf(part);
        if (top >= partWords && detected !== declared)
          out.push({ where: describe(part), declared: declared || '(none)', detected, counts, sample: sample(texts) });
      }
      for (const { block, part, texts } of byBlock.values()) {
        const counts = score(texts.join(' '));
        const declared = declaredOf(part);
        if ((counts[declared] ?? 0) > 0) continue;
        const other = Object.entries(counts).find(([lang, n]) => lang !== declared && n >= blockWords);
        if (other) out.push({ where: describe(block), declared: declared || '(none)', detected: other[0], counts, sample: sample(texts) });
      }
      return out;
    },
    { markers: MARKERS, accents: FRENCH_ACCENTS, partWords: opts.partWords ?? 6, blockWords: opts.blockWords ?? 3 },
  );
}

/** Every laid-out element reaching past the viewport's edges, and the page's own scroll width: [] when it fits. */
export async function overflowFindings(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width) out.push(`the page scrolls to ${document.documentElement.scrollWidth} px in a ${width} px viewport`);
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
        // The outermost offender only: its children are past the edge because it is.
        const parent = el.parentElement?.getBoundingClientRect();
        if (parent && (parent.right > width + 0.5 || parent.left < -0.5)) continue;
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls} spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
      }
    }
    return out;
  });
}

/**
 * Interactive targets smaller than 24×24 CSS px that no WCAG 2.5.8 exception covers: a link inside a line of
 * text (inline, with other text in its block), or a small target with room around it (a 24 px circle on its
 * centre touches no other target and no other small target's circle).
 */
export async function targetFindings(page: Page): Promise<string[]> {
  return page.evaluate((min) => {
    const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [tabindex]:not([tabindex="-1"])';
    const visible = (el: Element): boolean => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('[hidden], [inert]');
    };
    const targets = [...document.querySelectorAll(selector)].filter(visible);
    const inSentence = (el: Element): boolean => {
      if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
      let block = el.parentElement;
      while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
      return (block?.textContent ?? '').trim().length > (el.textContent ?? '').trim().length;
    };
    const small = targets.filter((el) => {
      const r = el.getBoundingClientRect();
      return (r.width < min - 0.5 || r.height < min - 0.5) && !inSentence(el);
    });
    const centre = (r: DOMRect) => ({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
    /** Distance from a point to a rectangle (0 inside). */
    const distance = (p: { x: number; y: number }, r: DOMRect) =>
      Math.hypot(Math.max(r.left - p.x, 0, p.x - r.right), Math.max(r.top - p.y, 0, p.y - r.bottom));
    const out: string[] = [];
    for (const el of small) {
      const r = el.getBoundingClientRect();
      const c = centre(r);
      const crowded = targets.some((other) => {
        if (other === el || other.contains(el) || el.contains(other)) return false;
        const o = other.getBoundingClientRect();
        if (distance(c, o) < min / 2) return true;
        const oc = centre(o);
        return small.includes(other) && Math.hypot(c.x - oc.x, c.y - oc.y) < min;
      });
      if (!crowded) continue;
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
      out.push(
        `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${name}" is ${Math.round(r.width)}×${Math.round(r.height)} px, with another target within reach`,
      );
    }
    return out;
  }, MIN_TARGET_PX);
}

export interface AccessibilityReport {
  axe: string[];
  lang: string[];
  overflow: string[];
  targets: string[];
}

/**
 * Every check on the page as it is, each a list of readable lines ([] when it passes). Overflow is judged
 * only at a viewport of NARROW_PHONE's width or less (a wider page may be wider than 360 px, of course).
 */
export async function accessibilityReport(page: Page): Promise<AccessibilityReport> {
  const width = page.viewportSize()?.width ?? Number.POSITIVE_INFINITY;
  return {
    axe: formatAxeFindings(await axeFindings(page)),
    lang: (await langFindings(page)).map((f) => `${f.where} says "${f.declared}" around ${f.detected} text (${JSON.stringify(f.counts)}): "${f.sample}"`),
    overflow: width <= NARROW_PHONE.width ? await overflowFindings(page) : [],
    targets: await targetFindings(page),
  };
}

/** Findings listed per check: enough to see the pattern (a long page repeats one fault on every row). */
const SHOWN = 12;
const more = (found: readonly string[]): string[] => (found.length > SHOWN ? [`  … and ${found.length - SHOWN} more`] : []);

/** Fails, naming the page and every finding, unless the page passes each check of accessibilityReport. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const report = await accessibilityReport(page);
  const lines = Object.entries(report).flatMap(([check, found]) =>
    found.length ? [`[${check}]`, ...(found as string[]).slice(0, SHOWN), ...more(found)] : [],
  );
  expect(lines.length === 0, `${name} (${page.url()}) is not accessible:\n${lines.join('\n')}\n`).toBe(true);
}
