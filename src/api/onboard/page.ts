import { SCHOOL_GROUPS } from '../../config/index.js';
import type { InvitationView } from '../../invite/index.js';
import { LOCALES, translator, type Locale } from '../../lib/index.js';
import { esc } from '../dashboard/html.js';
import { languageSwitch } from '../lang.js';
import { jsonInHtml, pageShell } from '../page-shell.js';
import { SCHOOL_CHOICES, type Role } from './form.js';
import type { Prefill } from './prefill.js';
import { invitationsSection } from './invitations-page.js';

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
  /** The owner's edit of an existing config: the form filled in from it (secrets only as "set"). */
  edit?: EditPage;
  /** The owner's invitations, listed with their state (owner's new-config page). */
  invitations?: readonly InvitationView[];
}

export interface EditPage {
  name: string;
  /** The file's name in configs/ (`alice.yml`). */
  file: string;
  /** The hash of the text the form is filled from: Save sends it back, a file changed since is a conflict. */
  hash: string;
  prefill: Prefill;
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
/** ` value="…"` for a filled-in field (edit), nothing for a new one. */
const valueAttr = (v: string | number | undefined): string => (v === undefined ? '' : ` value="${esc(v)}"`);
/** A write-only field already set: a placeholder says so; its value never reaches the page. */
const secretAttrs = (t: Tr, isSet: boolean | undefined): string => (isSet ? ` placeholder="${esc(t('onboardEdit.secretSet'))}"` : '');
const secretHint = (t: Tr, isSet: boolean | undefined): string | undefined => (isSet ? t('onboardEdit.secretHint') : undefined);

const result = (id: string): string => `<p class="result" id="${id}" role="status" aria-live="polite"></p>`;

function schoolSelect(t: Tr, role: Role, chosen?: string): string {
  const choices = SCHOOL_CHOICES.filter((c) => c !== 'other' || role === 'owner');
  const options = choices.map((c) => {
    const label = c === 'other' ? t('onboard.school.other') : `${SCHOOL_GROUPS[c].label} — ${t(`onboard.school.${c}`)}`;
    return `<option value="${c}"${c === chosen ? ' selected' : ''}>${esc(label)}</option>`;
  });
  return `<select id="school" name="school" ${described('school', true)}>${options.join('')}</select>`;
}

/** The config's name: typed for a new one; shown, not editable, for an edit (renaming is delete + add). */
function nameField(t: Tr, role: Role, edit: EditPage | undefined): string {
  if (edit)
    return `<p class="hint" id="name-fixed"><strong>${esc(t('onboardEdit.name'))}</strong> ${esc(t('onboardEdit.nameFixed', { name: edit.name, file: edit.file }))}</p>`;
  return role === 'owner'
    ? field('name', t('onboard.name'), textInput('name', 'autocomplete="off" autocapitalize="none" spellcheck="false" required', true), t('onboard.nameHint'))
    : '';
}

function moncampusSection(t: Tr, role: Role, edit?: EditPage): string {
  const v = edit?.prefill.values;
  const set = edit?.prefill.set;
  const name = nameField(t, role, edit);
  const other =
    role === 'owner'
      ? `<div id="other-url" hidden>${field('moncampusUrl', t('onboard.moncampusUrl'), textInput('moncampusUrl', `type="url" inputmode="url" autocomplete="off"${valueAttr(v?.moncampusUrl)}`))}</div>`
      : '';
  return `<fieldset id="moncampus">
  <legend>${esc(t('onboard.moncampus'))}</legend>
  ${name}
  ${field('school', t('onboard.school.label'), schoolSelect(t, role, v?.school), t('onboard.school.hint'))}
  ${other}
  ${field('username', t('onboard.username'), textInput('username', `autocomplete="username" autocapitalize="none" spellcheck="false" required${valueAttr(v?.username)}`))}
  ${field('password', t('onboard.password'), textInput('password', `type="password" autocomplete="${edit ? 'new-password' : 'current-password'}"${set?.password ? '' : ' required'}${secretAttrs(t, set?.password)}`, Boolean(set?.password)), secretHint(t, set?.password))}
  <button type="button" class="secondary" id="check-moncampus">${esc(t('onboard.check'))}</button>
  ${result('moncampus-result')}
</fieldset>`;
}

/** The schedule select: disabled until Check ECAL lists them; an edit starts with the file's schedule chosen. */
function calendarSelect(t: Tr, current: string | undefined): string {
  const option =
    current === undefined
      ? `<option value="">${esc(t('onboard.ecalPickFirst'))}</option>`
      : `<option value="${esc(current)}" selected>${esc(current)}</option>`;
  return `<select id="ecalCalendarId" name="ecalCalendarId" ${described('ecalCalendarId')}${current === undefined ? ' disabled' : ''}>${option}</select>`;
}

function ecalSection(t: Tr, edit?: EditPage): string {
  const set = edit?.prefill.set;
  return `<fieldset id="ecal">
  <legend>${esc(t('onboard.ecal'))}</legend>
  <p class="hint">${esc(t('onboard.ecalHint'))}</p>
  ${field('ecalApiKey', t('onboard.ecalApiKey'), textInput('ecalApiKey', `autocomplete="off" spellcheck="false"${secretAttrs(t, set?.ecalApiKey)}`, Boolean(set?.ecalApiKey)), secretHint(t, set?.ecalApiKey))}
  ${field('ecalApiSecret', t('onboard.ecalApiSecret'), textInput('ecalApiSecret', `type="password" autocomplete="off"${secretAttrs(t, set?.ecalApiSecret)}`, Boolean(set?.ecalApiSecret)), secretHint(t, set?.ecalApiSecret))}
  <button type="button" class="secondary" id="check-ecal">${esc(t('onboard.check'))}</button>
  ${result('ecal-result')}
  ${field('ecalCalendarId', t('onboard.ecalCalendar'), calendarSelect(t, edit?.prefill.values.ecalCalendarId))}
</fieldset>`;
}

function notifySection(t: Tr, edit?: EditPage): string {
  const v = edit?.prefill.values;
  const notifySet = edit?.prefill.set.notify === true;
  const langs = LOCALES.map((l) => `<option value="${l}" lang="${l}"${v?.locale === l ? ' selected' : ''}>${esc(translator(l)('page.name'))}</option>`).join(
    '',
  );
  const notifyHint = notifySet ? `${t('onboard.notifyHint')} ${t('onboardEdit.notifySetHint')}` : t('onboard.notifyHint');
  const notifyPlaceholder = notifySet ? t('onboardEdit.secretSet') : 'ntfys://…';
  // A new config starts with a week of change alerts; an edit shows what the file says (empty: the default).
  const days = edit ? valueAttr(v?.changesDays) : ' value="7"';
  return `<fieldset id="feed">
  <legend>${esc(t('onboard.feedAndAlerts'))}</legend>
  <div class="field check"><input type="checkbox" id="ics" name="ics"${v?.ics === false ? '' : ' checked'}><label for="ics">${esc(t('onboard.ics'))}</label></div>
  ${field('notify', t('onboard.notify'), textInput('notify', `type="url" inputmode="url" autocomplete="off" spellcheck="false" placeholder="${esc(notifyPlaceholder)}"`, true), notifyHint)}
  <button type="button" class="secondary" id="check-notify">${esc(t('onboard.sendTest'))}</button>
  ${result('notify-result')}
  ${field('changesDays', t('onboard.changesDays'), textInput('changesDays', `type="number" inputmode="numeric" min="1" max="60"${days}`, true), t('onboard.changesHint'))}
  ${field('digest', t('onboard.digest'), textInput('digest', `type="time"${valueAttr(v?.digest)}`, true), t('onboard.digestHint'))}
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

function progressSection(t: Tr, edit: boolean): string {
  const step = (id: string, key: string) => `<li id="step-${id}" data-state="waiting">${esc(t(key))}</li>`;
  // After an edit the worker restarts with the new file: the same steps, named for what happens then.
  const steps = edit ? 'onboardEdit.progress' : 'onboard.progress';
  return `<section class="card" id="progress" hidden aria-labelledby="progress-title" tabindex="-1">
  <h2 id="progress-title">${esc(t('onboard.progress.title'))}</h2>
  <ol class="steps">${step('saved', 'onboard.progress.saved')}${step('worker', `${steps}.worker`)}${step('sync', `${steps}.sync`)}</ol>
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
  const edit = opts.role === 'owner' ? opts.edit : undefined;
  const settings = {
    role: opts.role,
    csrf: opts.csrf,
    invite: opts.invite ?? null,
    // The name and the file's hash only: the form's values are in its fields, secrets nowhere.
    edit: edit ? { name: edit.name, hash: edit.hash } : null,
    words: scriptWords(t),
  };
  const title = edit ? t('onboardEdit.title', { name: edit.name }) : opts.role === 'owner' ? t('onboard.titleOwner') : t('onboard.titleInvitee');
  const lead = edit ? t('onboardEdit.lead') : opts.role === 'owner' ? t('onboard.leadOwner') : t('onboard.leadInvitee');
  const owned = opts.role === 'owner' && !edit ? `${inviteSection(t)}\n${invitationsSection(opts.invitations ?? [], opts.locale)}` : '';
  const back = opts.role === 'owner' ? `<p><a href="/">${esc(t('onboard.back'))}</a></p>` : '';
  const body = `<main class="onboard" data-role="${opts.role}">
<header class="intro">
  <div class="topline">${back}${languageSwitch(opts.locale, opts.path)}</div>
  <h1>${esc(title)}</h1>
  <p class="lead">${esc(lead)}</p>
</header>
${owned}
<form id="onboard-form" novalidate>
${moncampusSection(t, opts.role, edit)}
${ecalSection(t, edit)}
${notifySection(t, edit)}
<p class="form-error" id="form-error" role="alert" hidden></p>
<button type="submit" id="save">${esc(t(edit ? 'onboardEdit.save' : 'onboard.save'))}</button>
<p class="hint">${esc(t('onboard.nothingStored'))}</p>
</form>
${progressSection(t, edit !== undefined)}
</main>
<script type="application/json" id="onboard-settings">${jsonInHtml(settings)}</script>`;
  return pageShell({ title, body, locale: opts.locale, ...ONBOARD_ASSETS });
}

/** An invitation that opens nothing: expired, used, revoked or unknown, said plainly, with what to do. */
export function renderRefusedPage(reason: 'expired' | 'used' | 'revoked' | 'unknown' | 'tooMany', locale: Locale, path: string, retryAfterS?: number): string {
  const t: Tr = (key, vars) => translator(locale)(key, vars);
  // Too many unknown links from this client: say when to try again, not that the link is unknown (it may not be).
  const text = reason === 'tooMany' ? t('onboard.errors.tooMany', { seconds: retryAfterS ?? 60 }) : t(`onboard.refused.${reason}`);
  const body = `<main class="onboard refused">
<header class="intro">
  <div class="topline">${languageSwitch(locale, path)}</div>
  <h1>${esc(t('onboard.refused.title'))}</h1>
</header>
<p class="lead" id="refused-reason" data-reason="${reason}">${esc(text)}</p>
${reason === 'tooMany' ? '' : `<p>${esc(t('onboard.refused.askAgain'))}</p>`}
</main>`;
  return pageShell({ title: t('onboard.refused.title'), body, locale, css: ONBOARD_ASSETS.css });
}

/** A page that says why there is no form (an edit of a missing or hand-only config), with the way back. */
export function renderNoticePage(o: { title: string; text: string; locale: Locale; path: string; status?: 'not-found' | 'cannot-edit' }): string {
  const t: Tr = (key, vars) => translator(o.locale)(key, vars);
  const body = `<main class="onboard refused">
<header class="intro">
  <div class="topline"><p><a href="/">${esc(t('onboard.back'))}</a></p>${languageSwitch(o.locale, o.path)}</div>
  <h1>${esc(o.title)}</h1>
</header>
<p class="lead" id="notice"${o.status ? ` data-status="${o.status}"` : ''}>${esc(o.text)}</p>
</main>`;
  return pageShell({ title: o.title, body, locale: o.locale, css: ONBOARD_ASSETS.css });
}
