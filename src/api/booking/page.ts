import type { BookingTypeConfig } from '../../config/index.js';
import { DEFAULT_LOCALE, INTL_LOCALE, translator, type Locale } from '../../lib/index.js';
import { languageSwitch } from '../lang.js';
import { jsonInHtml, pageShell } from '../page-shell.js';
import type { BookingWords, PageSettings } from './settings.js';

export type { PageSettings } from './settings.js';

/**
 * Everything the page loads comes from this server; nothing inline runs (the page's settings are a JSON
 * data block, which is not script). Forms post only here; no one may frame the page (clickjacking a
 * booking form).
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'referrer-policy': 'no-referrer',
  // The free times change with every booking: a page from a cache would offer taken ones.
  'cache-control': 'no-store',
};

/** The sentences the script says itself, in `locale` (`booking.script`, and three it shares with the page). */
function scriptWords(locale: Locale): BookingWords {
  const t = translator(locale);
  const own = t('booking.script', { returnObjects: true }) as Omit<BookingWords, 'loading' | 'booked' | 'confirm'>;
  return { ...own, loading: t('booking.loading'), booked: t('booking.booked'), confirm: t('booking.confirm') };
}

export function pageSettings(type: BookingTypeConfig, today: string, horizonEnd: string, locale: Locale = DEFAULT_LOCALE): PageSettings {
  return {
    type: type.type,
    title: type.title,
    timezone: type.timezone,
    today,
    horizonEnd,
    rangeDays: type.rangeDays,
    datesOffered: type.datesOffered,
    timesPerDate: type.timesPerDate,
    intlLocale: INTL_LOCALE[locale],
    words: scriptWords(locale),
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const TUNNEL_ASSETS = { css: 'booking/tunnel.css', js: 'booking/tunnel.js' } as const;

function shell(title: string, body: string, withScript: boolean, locale: Locale): string {
  return pageShell({ title, body, locale, css: TUNNEL_ASSETS.css, js: withScript ? TUNNEL_ASSETS.js : undefined });
}

/** The page's header line: what the page is, and the language switch (the same one as the dashboard's). */
function eyebrow(locale: Locale, path: string): string {
  return `<div class="topline"><p class="eyebrow">${escapeHtml(translator(locale)('booking.eyebrow'))}</p>${languageSwitch(locale, path)}</div>`;
}

/** A text field with its label and the place its error goes (announced with the field: aria-describedby). */
function field(id: string, label: string, input: string, hint?: string): string {
  const hintHtml = hint ? `<p class="hint" id="${id}-hint">${escapeHtml(hint)}</p>` : '';
  return `<div class="field">
  <label for="${id}">${escapeHtml(label)}</label>
  ${hintHtml}${input}
  <p class="field-error" id="${id}-error" hidden></p>
</div>`;
}

const describedBy = (id: string, hint = false): string => `aria-describedby="${hint ? `${id}-hint ` : ''}${id}-error"`;

/** How many date/time rows the availability form shows. */
export const PROPOSAL_ROWS = 3;

function rangeRow(i: number, locale: Locale): string {
  const t = translator(locale);
  const n = i + 1;
  const cell = (part: 'date' | 'from' | 'to', label: string, type: string) => {
    const id = `p-r${i}-${part}`;
    return `<div${part === 'date' ? ' class="cell-date"' : ''}>
      <label for="${id}">${escapeHtml(label)}</label>
      <input id="${id}" name="ranges.${i}.${part}" type="${type}" ${describedBy(id)}${part === 'date' ? '' : ' step="900"'}>
      <p class="field-error" id="${id}-error" hidden></p>
    </div>`;
  };
  return `<div class="range" role="group" aria-label="${escapeHtml(t(i === 0 ? 'booking.range' : 'booking.rangeOptional', { n }))}">
    ${cell('date', i === 0 ? t('booking.date') : t('booking.dateOptional', { n }), 'date')}
    ${cell('from', t('booking.from'), 'time')}
    ${cell('to', t('booking.to'), 'time')}
  </div>`;
}

/**
 * ` lang="xx"` on the owner's own words (a type's title and description, written in the config's `locale`) when the
 * page speaks another language: a screen reader then reads a French description in French on an English page
 * (WCAG 3.1.2, Language of Parts).
 */
const ownerLang = (textLocale: Locale | undefined, pageLocale: Locale): string => (textLocale && textLocale !== pageLocale ? ` lang="${textLocale}"` : '');

/**
 * The tunnel for one booking type: static markup the script fills and walks through, in `locale`; the type's title
 * and description are in `textLocale`, the language of the config that declares it.
 */
export function renderBookingPage(type: BookingTypeConfig, settings: PageSettings, locale: Locale = DEFAULT_LOCALE, textLocale?: Locale): string {
  const t = (key: string, values?: Record<string, string | number>): string => escapeHtml(translator(locale)(key, values));
  const zone = escapeHtml(type.timezone);
  const own = ownerLang(textLocale, locale);
  const description = type.description ? `<p class="lead"${own}>${escapeHtml(type.description)}</p>` : '';
  const body = `<main class="tunnel" id="tunnel" data-state="loading">
<header class="intro">
  ${eyebrow(locale, `/book/${encodeURIComponent(type.type)}`)}
  <h1${own}>${escapeHtml(type.title)}</h1>
  ${description}
  <p class="zone">${translator(locale)('booking.zone', { zone })}</p>
</header>

<ol id="progress" class="progress" aria-label="${t('booking.steps')}">
  <li id="progress-date" aria-current="step">${t('booking.stepDate')}</li>
  <li id="progress-time">${t('booking.stepTime')}</li>
  <li id="progress-confirm">${t('booking.stepConfirm')}</li>
</ol>

<p id="status" class="status" role="status" aria-live="polite">${t('booking.loading')}</p>

<section id="step-date" class="step" aria-labelledby="h-date" hidden>
  <h2 id="h-date" tabindex="-1">${t('booking.chooseDate')}</h2>
  <p id="week-label" class="week"></p>
  <div id="dates" class="choices dates" role="group" aria-labelledby="h-date week-label"></div>
  <p id="no-dates" class="empty" hidden>${t('booking.noDates')}</p>
  <p id="end-of-dates" class="empty" hidden>${t('booking.endOfDates')}</p>
  <div class="alt">
    <button type="button" id="prev-week" class="secondary" hidden><span aria-hidden="true">←</span> ${t('booking.prevWeek')}</button>
    <button type="button" id="next-week" class="secondary">${t('booking.nextWeek')} <span aria-hidden="true">→</span></button>
  </div>
  <p class="fallback"><button type="button" id="propose-open" class="ghost">${t('booking.proposeOpen')}</button></p>
</section>

<section id="step-time" class="step" aria-labelledby="h-time" hidden>
  <h2 id="h-time" tabindex="-1">${t('booking.chooseTime')}</h2>
  <p id="time-date" class="week"></p>
  <div id="times" class="choices times" role="group" aria-labelledby="h-time time-date"></div>
  <div class="alt">
    <button type="button" id="back-to-dates" class="secondary"><span aria-hidden="true">←</span> ${t('booking.otherDates')}</button>
  </div>
  <p class="fallback"><button type="button" id="next-week-from-time" class="ghost">${t('booking.nextWeekFromTime')}</button></p>
</section>

<section id="step-confirm" class="step" aria-labelledby="h-confirm" hidden>
  <h2 id="h-confirm" tabindex="-1">${t('booking.confirmTitle')}</h2>
  <p id="summary" class="summary"></p>
  <form id="confirm-form" novalidate>
    <p id="confirm-form-error" class="form-error" role="alert" hidden></p>
    ${field('b-name', translator(locale)('booking.name'), `<input id="b-name" name="name" type="text" autocomplete="name" required maxlength="100" ${describedBy('b-name')}>`)}
    ${field('b-email', translator(locale)('booking.email'), `<input id="b-email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="254" ${describedBy('b-email', true)}>`, translator(locale)('booking.emailHint'))}
    ${field('b-notes', translator(locale)('booking.notes'), `<textarea id="b-notes" name="notes" rows="3" maxlength="1000" ${describedBy('b-notes')}></textarea>`)}
    <div class="actions">
      <button type="submit" id="confirm" class="primary">${t('booking.confirm')}</button>
      <button type="button" id="back-to-times" class="secondary"><span aria-hidden="true">←</span> ${t('booking.changeTime')}</button>
    </div>
  </form>
</section>

<section id="step-done" class="step done" aria-labelledby="h-done" hidden>
  <h2 id="h-done" tabindex="-1">${t('booking.booked')}</h2>
  <p id="done-text"></p>
</section>

<section id="step-propose" class="step" aria-labelledby="h-propose" hidden>
  <h2 id="h-propose" tabindex="-1">${t('booking.proposeTitle')}</h2>
  <p class="lead">${t('booking.proposeLead')}</p>
  <form id="propose-form" novalidate>
    <p id="propose-form-error" class="form-error" role="alert" hidden></p>
    ${field('p-name', translator(locale)('booking.name'), `<input id="p-name" name="name" type="text" autocomplete="name" required maxlength="100" ${describedBy('p-name')}>`)}
    ${field('p-email', translator(locale)('booking.email'), `<input id="p-email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="254" ${describedBy('p-email')}>`)}
    <fieldset class="ranges">
      <legend>${t('booking.whenFree')} <span class="hint">${t('booking.zoneHint', { zone: type.timezone })}</span></legend>
      ${Array.from({ length: PROPOSAL_ROWS }, (_, i) => rangeRow(i, locale)).join('\n      ')}
    </fieldset>
    ${field('p-message', translator(locale)('booking.message'), `<textarea id="p-message" name="message" rows="4" maxlength="2000" ${describedBy('p-message')}></textarea>`)}
    <div class="actions">
      <button type="submit" id="propose-send" class="primary">${t('booking.send')}</button>
      <button type="button" id="back-from-propose" class="secondary"><span aria-hidden="true">←</span> ${t('booking.backToDates')}</button>
    </div>
  </form>
</section>

<section id="step-proposed" class="step done" aria-labelledby="h-proposed" hidden>
  <h2 id="h-proposed" tabindex="-1">${t('booking.thanks')}</h2>
  <p id="proposed-text">${t('booking.proposed')}</p>
</section>

<noscript><p class="status">${t('booking.noscript')}</p></noscript>
</main>
<script type="application/json" id="booking-settings">${jsonInHtml(settings)}</script>`;
  return shell(translator(locale)('booking.title', { title: type.title }), body, true, locale);
}

/** The list at `/book`: every type served, by title; each type's words in its config's language (`textLocale`). */
export function renderIndexPage(
  types: readonly { type: string; title: string; description?: string; textLocale?: Locale }[],
  locale: Locale = DEFAULT_LOCALE,
): string {
  const t = translator(locale);
  const items = types.length
    ? `<ul class="type-list">${types
        .map(
          (ty) =>
            `<li${ownerLang(ty.textLocale, locale)}><a href="/book/${encodeURIComponent(ty.type)}">${escapeHtml(ty.title)}</a>${ty.description ? `<p>${escapeHtml(ty.description)}</p>` : ''}</li>`,
        )
        .join('')}</ul>`
    : `<p>${escapeHtml(t('booking.noTypes'))}</p>`;
  return shell(
    t('booking.eyebrow'),
    `<main class="tunnel"><header class="intro">${eyebrow(locale, '/book')}<h1>${escapeHtml(t('booking.indexTitle'))}</h1></header>${items}</main>`,
    false,
    locale,
  );
}

export function renderNotFoundPage(message: string, locale: Locale = DEFAULT_LOCALE): string {
  const t = translator(locale);
  return shell(
    t('booking.notFound'),
    `<main class="tunnel"><header class="intro">${eyebrow(locale, '/book')}<h1>${escapeHtml(t('booking.notFoundTitle'))}</h1></header><p>${escapeHtml(message)}</p><p><a href="/book">${escapeHtml(t('booking.seeTypes'))}</a></p></main>`,
    false,
    locale,
  );
}
