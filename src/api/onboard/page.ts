import { SCHOOL_GROUPS } from '../../config/index.js';
import { LOCALES, translator, type Locale } from '../../lib/index.js';
import { esc } from '../dashboard/html.js';
import { languageSwitch } from '../lang.js';
import { jsonInHtml, pageShell } from '../page-shell.js';
import { SCHOOL_CHOICES, type Role } from './form.js';

/**
 * The guided form's page (issue 23): one page, two entries. The owner's (`/dashboard/configs/new`, behind the
 * dashboard login) names the config and may choose "other" with a URL; the invitee's (`/invite/<token>`) shows
 * only the form for their own timetable. Static markup the script (browser/form.ts) drives; its settings are a
 * JSON data block, so nothing inline runs. Labels and errors sit beside their field (aria-describedby).
 */

/** Same rules as the booking page: only this server's files, no inline script, no framing, posts only here. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  // The invitation's token is in the address: no other site learns it from a Referer.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

export interface FormPageOptions {
  role: Role;
  locale: Locale;
  /** This page's path (the language switch links back to it). */
  path: string;
  /** The anti-CSRF token the script sends back with each post (x-csrf-token). */
  csrf: string;
  /** The invitation's token (invitee), sent back in each post's body. */
  invite?: string;
}

const ONBOARD_ASSETS = { css: 'onboard/form.css', js: 'onboard/form.js' } as const;

type Tr = (key: string, vars?: Record<string, string | number>) => string;

/** A field with its label, its hint and the place its error goes, announced with it. */
function field(id: string, label: string, input: string, hint?: string): string {
  const hintHtml = hint ? `<p class="hint" id="${id}-hint">${esc(hint)}</p>` : '';
  return `<div class="field" data-field="${id}">
  <label for="${id}">${esc(label)}</label>
  ${hintHtml}${input}
  <p class="field-error" id="${id}-error" hidden></p>
</div>`;
}

const described = (id: string, hint = false): string => `aria-describedby="${hint ? `${id}-hint ` : ''}${id}-error"`;
const textInput = (id: string, attrs = '', hint = false): string => `<input id="${id}" name="${id}" ${described(id, hint)} ${attrs}>`;
const result = (id: string): string => `<p class="result" id="${id}" role="status" aria-live="polite"></p>`;

function schoolSelect(t: Tr, role: Role): string {
  const choices = SCHOOL_CHOICES.filter((c) => c !== 'other' || role === 'owner');
  const options = choices.map((c) => {
    const label = c === 'other' ? t('onboard.school.other') : `${SCHOOL_GROUPS[c].label} — ${t(`onboard.school.${c}`)}`;
    return `<option value="${c}">${esc(label)}</option>`;
  });
  return `<select id="school" name="school" ${described('school', true)}>${options.join('')}</select>`;
}

function moncampusSection(t: Tr, role: Role): string {
  const name =
    role === 'owner'
      ? field('name', t('onboard.name'), textInput('name', 'autocomplete="off" autocapitalize="none" spellcheck="false" required', true), t('onboard.nameHint'))
      : '';
  const other =
    role === 'owner'
      ? `<div id="other-url" hidden>${field('moncampusUrl', t('onboard.moncampusUrl'), textInput('moncampusUrl', 'type="url" inputmode="url" autocomplete="off"'))}</div>`
      : '';
  return `<fieldset id="moncampus">
  <legend>${esc(t('onboard.moncampus'))}</legend>
  ${name}
  ${field('school', t('onboard.school.label'), schoolSelect(t, role), t('onboard.school.hint'))}
  ${other}
  ${field('username', t('onboard.username'), textInput('username', 'autocomplete="username" autocapitalize="none" spellcheck="false" required'))}
  ${field('password', t('onboard.password'), textInput('password', 'type="password" autocomplete="current-password" required'))}
  <button type="button" class="secondary" id="check-moncampus">${esc(t('onboard.check'))}</button>
  ${result('moncampus-result')}
</fieldset>`;
}

function ecalSection(t: Tr): string {
  return `<fieldset id="ecal">
  <legend>${esc(t('onboard.ecal'))}</legend>
  <p class="hint">${esc(t('onboard.ecalHint'))}</p>
  ${field('ecalApiKey', t('onboard.ecalApiKey'), textInput('ecalApiKey', 'autocomplete="off" spellcheck="false"'))}
  ${field('ecalApiSecret', t('onboard.ecalApiSecret'), textInput('ecalApiSecret', 'type="password" autocomplete="off"'))}
  <button type="button" class="secondary" id="check-ecal">${esc(t('onboard.check'))}</button>
  ${result('ecal-result')}
  ${field('ecalCalendarId', t('onboard.ecalCalendar'), `<select id="ecalCalendarId" name="ecalCalendarId" ${described('ecalCalendarId')} disabled><option value="">${esc(t('onboard.ecalPickFirst'))}</option></select>`)}
</fieldset>`;
}

function notifySection(t: Tr): string {
  const langs = LOCALES.map((l) => `<option value="${l}" lang="${l}">${esc(translator(l)('page.name'))}</option>`).join('');
  return `<fieldset id="feed">
  <legend>${esc(t('onboard.feedAndAlerts'))}</legend>
  <div class="field check"><input type="checkbox" id="ics" name="ics" checked><label for="ics">${esc(t('onboard.ics'))}</label></div>
  ${field('notify', t('onboard.notify'), textInput('notify', 'type="url" inputmode="url" autocomplete="off" spellcheck="false" placeholder="ntfys://…"', true), t('onboard.notifyHint'))}
  <button type="button" class="secondary" id="check-notify">${esc(t('onboard.sendTest'))}</button>
  ${result('notify-result')}
  ${field('changesDays', t('onboard.changesDays'), textInput('changesDays', 'type="number" inputmode="numeric" min="1" max="60" value="7"', true), t('onboard.changesHint'))}
  ${field('digest', t('onboard.digest'), textInput('digest', 'type="time"', true), t('onboard.digestHint'))}
  ${field('locale', t('onboard.alertLanguage'), `<select id="locale" name="locale" ${described('locale')}>${langs}</select>`)}
</fieldset>`;
}

/** The owner's part: make an invitation link for a classmate (shown once, with its QR code). */
function inviteSection(t: Tr): string {
  return `<section class="card" id="invite" aria-labelledby="invite-title">
  <h2 id="invite-title">${esc(t('onboard.invite.title'))}</h2>
  <p class="hint">${esc(t('onboard.invite.hint'))}</p>
  <button type="button" class="secondary" id="make-invite">${esc(t('onboard.invite.make'))}</button>
  ${result('invite-result')}
  <p class="link-box" id="invite-link" hidden></p>
  <div class="qr" id="invite-qr" hidden></div>
</section>`;
}

function progressSection(t: Tr): string {
  const step = (id: string, key: string) => `<li id="step-${id}" data-state="waiting">${esc(t(key))}</li>`;
  return `<section class="card" id="progress" hidden aria-labelledby="progress-title" tabindex="-1">
  <h2 id="progress-title">${esc(t('onboard.progress.title'))}</h2>
  <ol class="steps">${step('saved', 'onboard.progress.saved')}${step('worker', 'onboard.progress.worker')}${step('sync', 'onboard.progress.sync')}</ol>
  ${result('progress-result')}
  <div id="feed-box" hidden>
    <h3>${esc(t('onboard.progress.feedTitle'))}</h3>
    <p class="hint">${esc(t('onboard.progress.feedHint'))}</p>
    <p class="link-box"><a id="feed-link" href="#"></a></p>
    <div class="qr" id="feed-qr"></div>
  </div>
  <p id="status-box" hidden>${esc(t('onboard.progress.statusPage'))} <a id="status-link" href="#">${esc(t('onboard.progress.statusLink'))}</a></p>
</section>`;
}

/** The sentences the script says itself, in the page's language. */
function scriptWords(t: Tr): Record<string, string> {
  const keys = ['checking', 'saving', 'failed', 'fixFields', 'qrAlt'];
  return Object.fromEntries(keys.map((k) => [k, t(`onboard.script.${k}`)]));
}

export function renderFormPage(opts: FormPageOptions): string {
  const t: Tr = (key, vars) => translator(opts.locale)(key, vars);
  const settings = { role: opts.role, csrf: opts.csrf, invite: opts.invite ?? null, words: scriptWords(t) };
  const title = opts.role === 'owner' ? t('onboard.titleOwner') : t('onboard.titleInvitee');
  const back = opts.role === 'owner' ? `<p><a href="/">${esc(t('onboard.back'))}</a></p>` : '';
  const body = `<main class="onboard" data-role="${opts.role}">
<header class="intro">
  <div class="topline">${back}${languageSwitch(opts.locale, opts.path)}</div>
  <h1>${esc(title)}</h1>
  <p class="lead">${esc(opts.role === 'owner' ? t('onboard.leadOwner') : t('onboard.leadInvitee'))}</p>
</header>
${opts.role === 'owner' ? inviteSection(t) : ''}
<form id="onboard-form" novalidate>
${moncampusSection(t, opts.role)}
${ecalSection(t)}
${notifySection(t)}
<p class="form-error" id="form-error" role="alert" hidden></p>
<button type="submit" id="save">${esc(t('onboard.save'))}</button>
<p class="hint">${esc(t('onboard.nothingStored'))}</p>
</form>
${progressSection(t)}
</main>
<script type="application/json" id="onboard-settings">${jsonInHtml(settings)}</script>`;
  return pageShell({ title, body, locale: opts.locale, ...ONBOARD_ASSETS });
}

/** An invitation that opens nothing: expired, used, revoked or unknown, said plainly, with what to do. */
export function renderRefusedPage(reason: 'expired' | 'used' | 'revoked' | 'unknown', locale: Locale, path: string): string {
  const t: Tr = (key, vars) => translator(locale)(key, vars);
  const body = `<main class="onboard refused">
<header class="intro">
  <div class="topline">${languageSwitch(locale, path)}</div>
  <h1>${esc(t('onboard.refused.title'))}</h1>
</header>
<p class="lead" id="refused-reason" data-reason="${reason}">${esc(t(`onboard.refused.${reason}`))}</p>
<p>${esc(t('onboard.refused.askAgain'))}</p>
</main>`;
  return pageShell({ title: t('onboard.refused.title'), body, locale, css: ONBOARD_ASSETS.css });
}
