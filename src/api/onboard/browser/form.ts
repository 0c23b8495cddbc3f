/**
 * The guided form's script (issue 23): the Check buttons, Save, and the live progress after it. Bundled by
 * scripts/build-assets.mjs; its settings come from the page's JSON data block (no inline script). Errors go
 * beside their field (the page gives each field a `<id>-error` paragraph it is described by).
 */

// A module of its own (esbuild wraps it in an IIFE): its names do not meet the other pages' scripts.
export {};

interface Settings {
  role: 'owner' | 'invitee';
  csrf: string;
  invite: string | null;
  /** The owner's edit of an existing config: its name and the hash of the file the form was filled from. */
  edit: { name: string; hash: string } | null;
  words: Record<string, string>;
}

interface Answer {
  ok?: boolean;
  message?: string;
  error?: string;
  reason?: string;
  field?: string;
  fields?: Record<string, string>;
  calendars?: { id: string; name: string }[];
  details?: string[];
  name?: string;
  progress?: string;
  statusToken?: string;
  worker?: boolean;
  synced?: boolean;
  state?: string;
  feedUrl?: string;
  qr?: string;
  link?: string;
  hash?: string;
  stateText?: string;
}

/** The page asks again this often while the worker starts and syncs: a second is lost at most, a Pi is not flooded. */
const POLL_MS = 2000;
/** Text fields posted as they are typed (trimmed by the server). */
const TEXT_FIELDS = ['name', 'school', 'moncampusUrl', 'username', 'password', 'ecalApiKey', 'ecalApiSecret', 'ecalCalendarId', 'notify', 'digest', 'locale'];

const settingsEl = document.getElementById('onboard-settings');
const settings = JSON.parse(settingsEl?.textContent ?? '{}') as Settings;
const words = settings.words;
const $ = <T extends HTMLElement>(id: string): T | null => document.getElementById(id) as T | null;

function formBody(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of TEXT_FIELDS) {
    const el = $<HTMLInputElement>(id);
    if (el && !el.disabled && el.value.trim() !== '') out[id] = el.value;
  }
  const ics = $<HTMLInputElement>('ics');
  if (ics) out.ics = ics.checked;
  const days = $<HTMLInputElement>('changesDays');
  if (days && days.value.trim() !== '') out.changesDays = Number(days.value);
  if (settings.invite) out.invite = settings.invite;
  if (settings.edit) {
    out.hash = settings.edit.hash;
    // The Checks then use the stored secret of any secret field left empty (the page never has them).
    out.edit = settings.edit.name;
  }
  return out;
}

async function send(
  method: 'GET' | 'POST',
  path: string,
  extra: Record<string, string> = {},
  body: () => Record<string, unknown> = formBody,
): Promise<{ status: number; data: Answer }> {
  const headers: Record<string, string> = { 'x-csrf-token': settings.csrf, ...extra };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body());
  }
  try {
    const res = await fetch(path, init);
    const data = (await res.json().catch(() => ({}))) as Answer;
    return { status: res.status, data };
  } catch {
    return { status: 0, data: { error: words.failed } };
  }
}

function fieldError(id: string, message: string | null): void {
  const p = $(`${id}-error`);
  const input = $(id);
  if (p) {
    p.textContent = message ?? '';
    p.hidden = message === null;
  }
  if (input) {
    if (message === null) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  }
}

function clearErrors(): void {
  for (const p of document.querySelectorAll<HTMLElement>('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const formError = $('form-error');
  if (formError) formError.hidden = true;
}

/** Field errors beside their fields, the first one focused; true when there were any. */
function showFields(fields: Record<string, string> | undefined): boolean {
  if (!fields || Object.keys(fields).length === 0) return false;
  let first: string | null = null;
  for (const [id, message] of Object.entries(fields)) {
    fieldError(id, message);
    first ??= $(id) ? id : null;
  }
  if (first) $(first)?.focus();
  return true;
}

function result(id: string, state: 'busy' | 'ok' | 'error', message: string): void {
  const p = $(id);
  if (!p) return;
  p.textContent = message;
  p.dataset.state = state;
}

/** One Check button: busy while it runs, the answer under it, a refusal beside the field it concerns. */
function checkButton(buttonId: string, path: string, resultId: string, onAnswer?: (a: Answer) => void): void {
  const button = $<HTMLButtonElement>(buttonId);
  button?.addEventListener('click', async () => {
    clearErrors();
    button.disabled = true;
    result(resultId, 'busy', words.checking ?? '…');
    const { status, data } = await send('POST', path);
    button.disabled = false;
    if (status === 400 && showFields(data.fields)) {
      result(resultId, 'error', data.error ?? words.fixFields ?? '');
      return;
    }
    const message = [data.message ?? data.error ?? words.failed ?? '', ...(data.details && data.details.length > 1 ? data.details : [])].join('\n');
    result(resultId, data.ok ? 'ok' : 'error', message);
    if (!data.ok && data.field) fieldError(data.field, data.message ?? '');
    onAnswer?.(data);
  });
}

function fillCalendars(a: Answer): void {
  const select = $<HTMLSelectElement>('ecalCalendarId');
  if (!select || !a.ok || !a.calendars) return;
  select.replaceChildren(
    ...a.calendars.map((c) => {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = c.name;
      return o;
    }),
  );
  select.disabled = a.calendars.length === 0;
}

function step(id: string, state: 'waiting' | 'active' | 'done' | 'failed'): void {
  const li = $(`step-${id}`);
  if (li) li.dataset.state = state;
}

/** A QR code image (a data: URL the server made) in `box`, named for screen readers. */
function showQr(box: HTMLElement, src: string): void {
  const img = document.createElement('img');
  img.src = src;
  img.alt = words.qrAlt ?? 'QR code';
  img.width = 200;
  img.height = 200;
  box.replaceChildren(img);
  box.hidden = false;
}

function showFeed(a: Answer): void {
  const box = $('feed-box');
  const link = $<HTMLAnchorElement>('feed-link');
  const qr = $('feed-qr');
  if (!box || !link || !qr || !a.feedUrl) return;
  link.href = a.feedUrl;
  link.textContent = a.feedUrl;
  if (a.qr) showQr(qr, a.qr);
  box.hidden = false;
}

/** Follows the new instance until its first sync is done (or failed): the worker's start, then the sync. */
function follow(path: string, statusToken: string | undefined): void {
  const headers: Record<string, string> = statusToken ? { 'x-instance-token': statusToken } : {};
  const tick = async (): Promise<void> => {
    const { status, data } = await send('GET', path, headers);
    if (status === 200) {
      step('worker', data.worker ? 'done' : 'active');
      const failed = data.state === 'failing' || data.state === 'crash-looping' || data.state === 'invalid';
      step('sync', data.synced ? 'done' : failed ? 'failed' : data.worker ? 'active' : 'waiting');
      result('progress-result', data.synced ? 'ok' : failed ? 'error' : 'busy', data.message ?? '');
      if (data.synced) {
        showFeed(data);
        return;
      }
    }
    window.setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
}

/**
 * An invitee's own status page (api/self serves it at STATUS_PAGE_PATH + their status token): where they pause,
 * change their password, test notifications or delete themselves. The token is shown once, here.
 */
const STATUS_PAGE_PATH = '/me/';

function showStatusLink(token: string | undefined): void {
  const box = $('status-box');
  const link = $<HTMLAnchorElement>('status-link');
  if (!token || !box || !link) return;
  link.href = `${STATUS_PAGE_PATH}${encodeURIComponent(token)}`;
  box.hidden = false;
}

async function save(event: Event): Promise<void> {
  event.preventDefault();
  clearErrors();
  const button = $<HTMLButtonElement>('save');
  if (button) button.disabled = true;
  const formError = $('form-error');
  if (formError) {
    formError.textContent = words.saving ?? '';
    formError.hidden = false;
    formError.dataset.state = 'busy';
  }
  const path = settings.edit ? `/onboard/edit/${encodeURIComponent(settings.edit.name)}` : '/onboard/save';
  const { status, data } = await send('POST', path);
  if (settings.edit && data.hash) settings.edit.hash = data.hash;
  if (button) button.disabled = false;
  if (status !== 201 || !data.progress) {
    showFields(data.fields);
    if (formError) {
      formError.textContent = data.error ?? words.failed ?? '';
      formError.hidden = false;
      formError.dataset.state = 'error';
    }
    return;
  }
  const form = $('onboard-form');
  if (form) form.hidden = true;
  $('invite')?.setAttribute('hidden', '');
  const progress = $('progress');
  if (progress) {
    progress.hidden = false;
    progress.focus();
  }
  step('saved', 'done');
  step('worker', 'active');
  showStatusLink(data.statusToken);
  follow(data.progress, data.statusToken);
}

function wireInvite(): void {
  const button = $<HTMLButtonElement>('make-invite');
  button?.addEventListener('click', async () => {
    button.disabled = true;
    result('invite-result', 'busy', words.checking ?? '…');
    const { status, data } = await send('POST', '/dashboard/invitations');
    button.disabled = false;
    if (status !== 201 || !data.link) {
      result('invite-result', 'error', data.error ?? words.failed ?? '');
      return;
    }
    result('invite-result', 'ok', data.message ?? '');
    const link = $('invite-link');
    if (link) {
      link.textContent = data.link;
      link.hidden = false;
    }
    const qr = $('invite-qr');
    if (qr && data.qr) showQr(qr, data.qr);
    await refreshInvitations();
  });
}

/** The invitations list as the server renders it now (the new one in it): this page again, its list taken. */
async function refreshInvitations(): Promise<void> {
  try {
    const res = await fetch(window.location.pathname, { credentials: 'same-origin' });
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('invitations');
    const now = $('invitations');
    if (fresh && now) {
      now.replaceWith(document.importNode(fresh, true));
      wireRevoke();
    }
  } catch {
    // The list stays as it was; the new link is shown above it all the same.
  }
}

/** Revoke buttons: a pending invitation's link stops opening; its row then says so. */
function wireRevoke(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-revoke]')) {
    button.addEventListener('click', async () => {
      const id = button.dataset.revoke ?? '';
      button.disabled = true;
      const { status, data } = await send('POST', `/dashboard/invitations/${encodeURIComponent(id)}/revoke`, {}, () => ({}));
      const row = $(`invitation-${id}`);
      const cell = row?.querySelector('.invitation-state');
      if (cell && data.stateText) cell.textContent = data.stateText;
      if (status === 200) {
        if (row) row.dataset.state = 'revoked';
        button.remove();
      } else button.disabled = false;
      result('invitations-result', status === 200 ? 'ok' : 'error', data.message ?? data.error ?? words.failed ?? '');
    });
  }
}

function wireSchool(): void {
  const school = $<HTMLSelectElement>('school');
  const other = $('other-url');
  if (!school || !other) return;
  const sync = (): void => {
    other.hidden = school.value !== 'other';
  };
  school.addEventListener('change', sync);
  sync();
}

checkButton('check-moncampus', '/onboard/check/moncampus', 'moncampus-result');
checkButton('check-ecal', '/onboard/check/ecal', 'ecal-result', fillCalendars);
checkButton('check-notify', '/onboard/check/notify', 'notify-result');
$('onboard-form')?.addEventListener('submit', (e) => void save(e));
wireInvite();
wireRevoke();
wireSchool();
