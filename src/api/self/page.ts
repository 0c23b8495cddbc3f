import { createHash } from 'node:crypto';
import { formatWhen, translator, type Locale } from '../../lib/index.js';
import { esc } from '../dashboard/html.js';
import { UPCOMING_DAYS, type InstanceView } from '../dashboard/state.js';
import { languageSwitch } from '../lang.js';

/**
 * The classmate's status page (`/me/<token>`) and the owner's delete confirmation, as plain HTML forms: they work
 * without a script, on a 360 px phone first, each error beside its field (aria-describedby), every form carrying
 * its CSRF field. The style is inline and allowed by its hash in the CSP, so nothing else may run or style.
 */

const CSS = `
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#4a4a4a;--line:#c4c4c4;--ok:#0b6b2b;--err:#a3160f;--accent:#0b57a4}
@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#121212;--muted:#c2c2c2;--line:#555;--ok:#7ad48f;--err:#ff9a90;--accent:#8cc4ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
section{border-top:1px solid var(--line)}
a{color:var(--accent);text-decoration:underline}
.lang a{display:inline-block;min-height:24px;padding:.2rem 0}
ul{padding-left:1.2rem}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
label.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}
label.check input{width:24px;height:24px;flex:none;margin:0}
input[type=password]{width:100%;min-height:44px;font-size:1rem;padding:.5rem;border:1px solid var(--muted);border-radius:4px;color:var(--fg);background:var(--bg)}
button{min-height:44px;min-width:44px;font-size:1rem;padding:.5rem 1rem;margin:.5rem 0;border:1px solid var(--accent);border-radius:4px;color:var(--bg);background:var(--accent);cursor:pointer}
button.danger{border-color:var(--err);background:var(--err)}
.hint{color:var(--muted);margin:.25rem 0}
.field-error{color:var(--err);font-weight:600;margin:.25rem 0}
.flash{padding:.5rem .75rem;border:2px solid var(--line);border-radius:4px;overflow-wrap:anywhere}
.flash.ok{border-color:var(--ok)}
.flash.err{border-color:var(--err)}
`;

const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');

/** No script at all; this page's style only; forms post back here; never framed; the token never leaves in a Referer. */
export const SELF_HTML_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
};

/** A result shown at the top of the page (role=status: read out when it appears). */
export interface Flash {
  ok: boolean;
  message: string;
  details?: string[];
}

/** Errors beside their field, by field name (`password`, `confirm`). */
export type FieldErrors = Partial<Record<'password' | 'confirm', string>>;

function shell(locale: Locale, title: string, body: string, switchPath: string | null): string {
  return [
    '<!doctype html>',
    `<html lang="${locale}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${CSS}</style></head>`,
    `<body><main><header><h1>${esc(title)}</h1>${switchPath ? languageSwitch(locale, switchPath) : ''}</header>`,
    body,
    '</main></body></html>',
  ].join('');
}

function flashHtml(flash: Flash | undefined): string {
  if (!flash) return '';
  const details = flash.details?.length ? `<ul>${flash.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '';
  return `<div class="flash ${flash.ok ? 'ok' : 'err'}" role="status"><p>${esc(flash.message)}</p>${details}</div>`;
}

const hidden = (csrf: string): string => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

/** An error paragraph for a field, and the attributes that tie the field to its hint and error. */
function fieldError(id: string, error: string | undefined, hintId?: string): { attrs: string; html: string } {
  const described = [hintId, error ? `${id}-error` : undefined].filter(Boolean).join(' ');
  return {
    attrs: `${described ? ` aria-describedby="${described}"` : ''}${error ? ' aria-invalid="true"' : ''}`,
    html: error ? `<p id="${id}-error" class="field-error">${esc(error)}</p>` : '',
  };
}

function stateSection(i: InstanceView, locale: Locale): string {
  const t = translator(locale);
  const zone = i.timezone;
  const lines: string[] = [t('self.state', { state: t(`dashboard.state.${i.state}`) })];
  if (i.state === 'stopped') lines.push(t('self.paused'));
  lines.push(
    i.lastRun
      ? t('self.lastSync', { at: formatWhen(i.lastRun.finishedAt, zone, locale), outcome: t(`dashboard.outcome.${i.lastRun.outcome}`) })
      : t('self.neverSynced'),
  );
  if (i.timetable) lines.push(t('self.nextClasses', { count: i.upcoming.length + i.upcomingMore, days: UPCOMING_DAYS }));
  if (i.nextRun && i.state !== 'stopped') lines.push(t('self.nextRun', { at: formatWhen(i.nextRun, zone, locale) }));
  // errors.log lines are written in the config's language (the worker's catalogue): shown as written.
  const last = i.errors[0];
  lines.push(last ? t('self.lastError', { at: last.at ? formatWhen(last.at, zone, locale) : '?', text: last.message }) : t('self.noError'));
  return `<section aria-labelledby="h-state"><h2 id="h-state">${esc(t('self.stateHeading'))}</h2><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>`;
}

export interface StatusPageInput {
  locale: Locale;
  /** `/me/<token>`: where the forms post (the token is the visitor's own; never logged). */
  base: string;
  csrf: string;
  instance: InstanceView;
  flash?: Flash;
  errors?: FieldErrors;
  /** Tick the ECAL box again after a refused delete. */
  ecalChecked?: boolean;
  /** The config syncs into ECAL: the delete form offers to remove campus-sync's events there. */
  ecal: boolean;
}

export function renderStatusPage(p: StatusPageInput): string {
  const t = translator(p.locale);
  const i = p.instance;
  const e = p.errors ?? {};
  const paused = i.state === 'stopped';
  const pw = fieldError('password', e.password, 'password-hint');
  const confirm = fieldError('confirm', e.confirm);
  const parts = [
    `<p>${esc(t('self.intro'))}</p>`,
    flashHtml(p.flash),
    stateSection(i, p.locale),
    `<section aria-labelledby="h-pause"><h2 id="h-pause">${esc(t('self.pauseHeading'))}</h2>`,
    `<form method="post" action="${esc(`${p.base}/${paused ? 'resume' : 'pause'}`)}">${hidden(p.csrf)}`,
    `<button type="submit">${esc(t(paused ? 'self.resumeButton' : 'self.pauseButton'))}</button></form></section>`,
  ];
  if (i.timetable) {
    parts.push(
      `<section aria-labelledby="h-password"><h2 id="h-password">${esc(t('self.passwordHeading'))}</h2>`,
      `<form method="post" action="${esc(`${p.base}/password`)}">${hidden(p.csrf)}`,
      `<label for="password">${esc(t('self.passwordLabel'))}</label>`,
      `<input id="password" name="password" type="password" autocomplete="new-password" required${pw.attrs}>`,
      `<p id="password-hint" class="hint">${esc(t('self.passwordHint'))}</p>${pw.html}`,
      `<button type="submit">${esc(t('self.passwordButton'))}</button></form></section>`,
    );
  }
  if (i.channels.length > 0) {
    parts.push(
      `<section aria-labelledby="h-notify"><h2 id="h-notify">${esc(t('self.notifyHeading'))}</h2>`,
      `<form method="post" action="${esc(`${p.base}/test-notifications`)}">${hidden(p.csrf)}`,
      `<button type="submit">${esc(t('self.notifyButton'))}</button></form></section>`,
    );
  }
  parts.push(
    `<section aria-labelledby="h-delete"><h2 id="h-delete">${esc(t('self.deleteHeading'))}</h2>`,
    `<form method="post" action="${esc(`${p.base}/delete`)}">${hidden(p.csrf)}<p>${esc(t('self.deleteExplain'))}</p>`,
    p.ecal
      ? `<label class="check"><input type="checkbox" name="ecal" value="1"${p.ecalChecked ? ' checked' : ''}> <span>${esc(t('self.deleteEcal'))}</span></label>`
      : '',
    `<label class="check"><input type="checkbox" name="confirm" value="1" required${confirm.attrs}> <span>${esc(t('self.deleteConfirm'))}</span></label>`,
    confirm.html,
    `<button type="submit" class="danger">${esc(t('self.deleteButton'))}</button></form></section>`,
  );
  return shell(p.locale, t('self.title', { name: i.name }), parts.join(''), p.base);
}

/** After a delete (by the classmate or the owner): what happened, and nothing to click that would need the instance. */
export function renderDeletedPage(locale: Locale, flash: Flash, back?: string): string {
  const t = translator(locale);
  const link = back ? `<p><a href="${esc(back)}">${esc(t('self.back'))}</a></p>` : '';
  return shell(locale, t('self.deletedTitle'), flashHtml(flash) + link, null);
}

export function renderUnknownLinkPage(locale: Locale): string {
  const t = translator(locale);
  return shell(locale, t('self.notFoundTitle'), `<p>${esc(t('self.notFound'))}</p>`, null);
}

export interface OwnerDeletePageInput {
  locale: Locale;
  name: string;
  /** `/dashboard/delete/<name>`. */
  action: string;
  /** The config syncs into ECAL: offer to remove campus-sync's events there. */
  ecal: boolean;
  flash?: Flash;
  errors?: FieldErrors;
}

/** The owner's confirmation: the data is kept unless its box is ticked; ECAL events only when asked. */
export function renderOwnerDeletePage(p: OwnerDeletePageInput): string {
  const t = translator(p.locale);
  const confirm = fieldError('confirm', p.errors?.confirm);
  const body = [
    flashHtml(p.flash),
    `<p>${esc(t('self.ownerDeleteExplain', { name: p.name }))}</p>`,
    // The dashboard's CSRF rule guards it: a SameSite=Strict session cookie and a same-origin request (auth.ts).
    `<form method="post" action="${esc(p.action)}">`,
    `<label class="check"><input type="checkbox" name="data" value="1"> <span>${esc(t('self.deleteAlsoData', { name: p.name }))}</span></label>`,
    p.ecal ? `<label class="check"><input type="checkbox" name="ecal" value="1"> <span>${esc(t('self.deleteEcal'))}</span></label>` : '',
    `<label class="check"><input type="checkbox" name="confirm" value="1" required${confirm.attrs}> <span>${esc(t('self.deleteConfirmOwner', { name: p.name }))}</span></label>`,
    confirm.html,
    `<button type="submit" class="danger">${esc(t('self.deleteButton'))}</button></form>`,
    `<p><a href="/">${esc(t('self.back'))}</a></p>`,
  ].join('');
  return shell(p.locale, t('self.ownerDeleteTitle', { name: p.name }), body, p.action);
}
