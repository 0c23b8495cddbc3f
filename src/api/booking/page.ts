import type { BookingTypeConfig } from '../../config/index.js';
import { assetPath } from '../assets.js';
import type { PageSettings } from './settings.js';

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

export function pageSettings(type: BookingTypeConfig, today: string, horizonEnd: string): PageSettings {
  return {
    type: type.type,
    title: type.title,
    timezone: type.timezone,
    today,
    horizonEnd,
    rangeDays: type.rangeDays,
    datesOffered: type.datesOffered,
    timesPerDate: type.timesPerDate,
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a `<script type="application/json">`: no `</script>` or `<!--` can end it early. */
function jsonInHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function shell(title: string, body: string, withScript: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${assetPath('booking/tunnel.css')}">
${withScript ? `<script src="${assetPath('booking/tunnel.js')}" defer></script>\n` : ''}</head>
<body>
${body}
</body>
</html>
`;
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

function rangeRow(i: number): string {
  const cell = (part: 'date' | 'from' | 'to', label: string, type: string) => {
    const id = `p-r${i}-${part}`;
    return `<div${part === 'date' ? ' class="cell-date"' : ''}>
      <label for="${id}">${label}</label>
      <input id="${id}" name="ranges.${i}.${part}" type="${type}" ${describedBy(id)}${part === 'date' ? '' : ' step="900"'}>
      <p class="field-error" id="${id}-error" hidden></p>
    </div>`;
  };
  return `<div class="range" role="group" aria-label="Availability ${i + 1}${i === 0 ? '' : ' (optional)'}">
    ${cell('date', i === 0 ? 'Date' : `Date ${i + 1} (optional)`, 'date')}
    ${cell('from', 'From', 'time')}
    ${cell('to', 'To', 'time')}
  </div>`;
}

/** The tunnel for one booking type: static markup the script fills and walks through. */
export function renderBookingPage(type: BookingTypeConfig, settings: PageSettings): string {
  const description = type.description ? `<p class="lead">${escapeHtml(type.description)}</p>` : '';
  const body = `<main class="tunnel" id="tunnel" data-state="loading">
<header class="intro">
  <p class="eyebrow">Book a meeting</p>
  <h1>${escapeHtml(type.title)}</h1>
  ${description}
  <p class="zone">Times are in <strong>${escapeHtml(type.timezone)}</strong>.</p>
</header>

<ol id="progress" class="progress" aria-label="Steps">
  <li id="progress-date" aria-current="step">Date</li>
  <li id="progress-time">Time</li>
  <li id="progress-confirm">Confirm</li>
</ol>

<p id="status" class="status" role="status" aria-live="polite">Loading the free times…</p>

<section id="step-date" class="step" aria-labelledby="h-date" hidden>
  <h2 id="h-date" tabindex="-1">Choose a date</h2>
  <p id="week-label" class="week"></p>
  <div id="dates" class="choices dates" role="group" aria-labelledby="h-date week-label"></div>
  <p id="no-dates" class="empty" hidden>No time is free this week.</p>
  <p id="end-of-dates" class="empty" hidden>These are all the dates open online.</p>
  <div class="alt">
    <button type="button" id="prev-week" class="secondary" hidden><span aria-hidden="true">←</span> Previous week</button>
    <button type="button" id="next-week" class="secondary">Show next week <span aria-hidden="true">→</span></button>
  </div>
  <p class="fallback"><button type="button" id="propose-open" class="ghost">None of these suit me: propose my availability</button></p>
</section>

<section id="step-time" class="step" aria-labelledby="h-time" hidden>
  <h2 id="h-time" tabindex="-1">Choose a time</h2>
  <p id="time-date" class="week"></p>
  <div id="times" class="choices times" role="group" aria-labelledby="h-time time-date"></div>
  <div class="alt">
    <button type="button" id="back-to-dates" class="secondary"><span aria-hidden="true">←</span> Other dates</button>
  </div>
  <p class="fallback"><button type="button" id="next-week-from-time" class="ghost">None of these times suit me: show next week</button></p>
</section>

<section id="step-confirm" class="step" aria-labelledby="h-confirm" hidden>
  <h2 id="h-confirm" tabindex="-1">Confirm your booking</h2>
  <p id="summary" class="summary"></p>
  <form id="confirm-form" novalidate>
    <p id="confirm-form-error" class="form-error" role="alert" hidden></p>
    ${field('b-name', 'Your name', `<input id="b-name" name="name" type="text" autocomplete="name" required maxlength="100" ${describedBy('b-name')}>`)}
    ${field('b-email', 'Email address', `<input id="b-email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="254" ${describedBy('b-email', true)}>`, 'Cal.com sends the confirmation here.')}
    ${field('b-notes', 'Anything we should know? (optional)', `<textarea id="b-notes" name="notes" rows="3" maxlength="1000" ${describedBy('b-notes')}></textarea>`)}
    <div class="actions">
      <button type="submit" id="confirm" class="primary">Confirm booking</button>
      <button type="button" id="back-to-times" class="secondary"><span aria-hidden="true">←</span> Change the time</button>
    </div>
  </form>
</section>

<section id="step-done" class="step done" aria-labelledby="h-done" hidden>
  <h2 id="h-done" tabindex="-1">Your meeting is booked</h2>
  <p id="done-text"></p>
</section>

<section id="step-propose" class="step" aria-labelledby="h-propose" hidden>
  <h2 id="h-propose" tabindex="-1">Propose your availability</h2>
  <p class="lead">No time suits you? Tell us when you are free and we will get back to you by email.</p>
  <form id="propose-form" novalidate>
    <p id="propose-form-error" class="form-error" role="alert" hidden></p>
    ${field('p-name', 'Your name', `<input id="p-name" name="name" type="text" autocomplete="name" required maxlength="100" ${describedBy('p-name')}>`)}
    ${field('p-email', 'Email address', `<input id="p-email" name="email" type="email" autocomplete="email" inputmode="email" required maxlength="254" ${describedBy('p-email')}>`)}
    <fieldset class="ranges">
      <legend>When are you free? <span class="hint">(times in ${escapeHtml(type.timezone)})</span></legend>
      ${Array.from({ length: PROPOSAL_ROWS }, (_, i) => rangeRow(i)).join('\n      ')}
    </fieldset>
    ${field('p-message', 'Message (optional)', `<textarea id="p-message" name="message" rows="4" maxlength="2000" ${describedBy('p-message')}></textarea>`)}
    <div class="actions">
      <button type="submit" id="propose-send" class="primary">Send my availability</button>
      <button type="button" id="back-from-propose" class="secondary"><span aria-hidden="true">←</span> Back to the dates</button>
    </div>
  </form>
</section>

<section id="step-proposed" class="step done" aria-labelledby="h-proposed" hidden>
  <h2 id="h-proposed" tabindex="-1">Thank you</h2>
  <p id="proposed-text">Your availability was sent. We will get back to you by email.</p>
</section>

<noscript><p class="status">This page needs JavaScript to show the free times.</p></noscript>
</main>
<script type="application/json" id="booking-settings">${jsonInHtml(settings)}</script>`;
  return shell(`Book: ${type.title}`, body, true);
}

/** The list at `/book`: every type served, by title. */
export function renderIndexPage(types: readonly { type: string; title: string; description?: string }[]): string {
  const items = types.length
    ? `<ul class="type-list">${types
        .map((t) => `<li><a href="/book/${encodeURIComponent(t.type)}">${escapeHtml(t.title)}</a>${t.description ? `<p>${escapeHtml(t.description)}</p>` : ''}</li>`)
        .join('')}</ul>`
    : '<p>No meeting can be booked here yet.</p>';
  return shell('Book a meeting', `<main class="tunnel"><header class="intro"><p class="eyebrow">Book a meeting</p><h1>Choose a meeting</h1></header>${items}</main>`, false);
}

export function renderNotFoundPage(message: string): string {
  return shell(
    'Not found',
    `<main class="tunnel"><header class="intro"><p class="eyebrow">Book a meeting</p><h1>This page does not exist</h1></header><p>${escapeHtml(message)}</p><p><a href="/book">See the meetings you can book</a></p></main>`,
    false,
  );
}
