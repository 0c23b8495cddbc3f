/**
 * The tunnel's script, for any current browser (bundled as ES2020 by scripts/build-assets.mjs, no framework).
 * The offer logic is offer.ts itself, imported and bundled in. It walks date → time → confirm, pages weeks,
 * and falls back to the availability form; errors from the server are shown next to their fields.
 * Its sentences and date formats are the page's language (page.ts puts them in the settings block).
 */
import { addDays, buildOffer, daysBetween, weekBounds, type OfferDay } from '../offer.js';
import type { BookingWords, PageSettings } from '../settings.js';

interface JsonReply {
  status: number;
  ok: boolean;
  /** The server's JSON, whatever its shape (null when none): each use checks what it reads. */
  // biome-ignore lint/suspicious/noExplicitAny: the page script reads the server's JSON and its own form elements, both of which it built
  body: any;
}

type FieldErrors = Record<string, string>;

/** What one page's tunnel knows: its settings and where the visitor is. */
interface Tunnel {
  cfg: PageSettings;
  words: BookingWords;
  days: OfferDay[];
  fetchedUntil: string;
  week: number;
  offer: OfferDay[];
  date: string | null;
  time: string | null;
  busy: boolean;
  /** One id per submission: a resend (double click, retry) is answered once by the server. */
  bookingId: string;
  proposalId: string;
}

const STEPS = ['step-date', 'step-time', 'step-confirm', 'step-done', 'step-propose', 'step-proposed'];
const PROGRESS: Record<string, number> = { 'step-date': 0, 'step-time': 1, 'step-confirm': 2, 'step-done': 3 };

/** An element of the page by id: page.ts renders every id used here (browser.test.ts checks it), so no null check. */
// biome-ignore lint/suspicious/noExplicitAny: the page script reads the server's JSON and its own form elements, both of which it built
const $ = (id: string): any => document.getElementById(id);

/** A sentence with its `{name}` places filled. */
function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? (values[key] as string) : whole));
}

// Only a booking type's page has settings (the index and 404 pages share its stylesheet, not its script).
const settingsEl = document.getElementById('booking-settings');
if (settingsEl) start(JSON.parse(settingsEl.textContent ?? '{}') as PageSettings);

function start(cfg: PageSettings): void {
  const tn: Tunnel = {
    cfg,
    words: cfg.words,
    days: [],
    fetchedUntil: cfg.today,
    week: 0,
    offer: [],
    date: null,
    time: null,
    busy: false,
    bookingId: newRequestId(),
    proposalId: newRequestId(),
  };
  wire(tn);
  void loadWeek(tn, 0, false);
}

function wire(tn: Tunnel): void {
  $('next-week').addEventListener('click', () => loadWeek(tn, tn.week + 1));
  $('next-week-from-time').addEventListener('click', () => loadWeek(tn, tn.week + 1));
  $('prev-week').addEventListener('click', () => loadWeek(tn, tn.week - 1));
  $('propose-open').addEventListener('click', () => openProposal());
  $('back-to-dates').addEventListener('click', () => show('step-date'));
  $('back-to-times').addEventListener('click', () => show('step-time'));
  $('back-from-propose').addEventListener('click', () => {
    renderDates(tn);
    show('step-date');
  });
  $('confirm-form').addEventListener('submit', (e: Event) => submitBooking(tn, e));
  $('propose-form').addEventListener('submit', (e: Event) => submitProposal(tn, e));
}

// crypto.randomUUID needs a secure context; a LAN address over http is not one. getRandomValues is everywhere.
function newRequestId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
}

/**
 * A `YYYY-MM-DD` of the booking's calendar in the page's language. The date is already the booking zone's day
 * (the server counts days there), so it is formatted at noon UTC of that day: the same day whatever the
 * visitor's own zone.
 */
function dateParts(tn: Tunnel, date: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormatPart[] {
  const parts = date.split('-').map(Number) as [number, number, number];
  const opts = Object.assign({ timeZone: 'UTC' }, options);
  return new Intl.DateTimeFormat(tn.cfg.intlLocale, opts).formatToParts(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], 12)));
}
const joined = (parts: Intl.DateTimeFormatPart[]): string => parts.map((p) => p.value).join('');
const longDate = (tn: Tunnel, d: string): string => joined(dateParts(tn, d, { weekday: 'long', day: 'numeric', month: 'long' }));
const shortDate = (tn: Tunnel, d: string): string => joined(dateParts(tn, d, { weekday: 'short', day: 'numeric', month: 'short' }));

function setStatus(text: string, isError?: boolean): void {
  const el = $('status');
  el.textContent = text || '';
  el.classList.toggle('error', !!isError);
}

function show(step: string, focus?: boolean): void {
  STEPS.forEach((id) => {
    $(id).hidden = id !== step;
  });
  const reached = PROGRESS[step];
  ['progress-date', 'progress-time', 'progress-confirm'].forEach((id, i) => {
    const li = $(id);
    if (reached === i) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
    li.classList.toggle('done', reached !== undefined && i < reached);
  });
  // The availability form is a way out of the three steps, not one of them.
  $('progress').hidden = reached === undefined;
  $('tunnel').setAttribute('data-state', step.replace('step-', ''));
  if (focus !== false) {
    const heading = $(step).querySelector('h2');
    if (heading) heading.focus();
  }
}

function fetchJson(url: string, init?: RequestInit): Promise<JsonReply> {
  return fetch(url, init).then((res) =>
    res.text().then((text) => {
      let body = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      return { status: res.status, ok: res.ok, body };
    }),
  );
}

function postJson(path: string, payload: unknown): Promise<JsonReply> {
  return fetchJson(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(payload) });
}

// Fetches in chunks of rangeDays until the week is covered (or the horizon is reached).
function ensureWeek(tn: Tunnel, index: number): Promise<void> {
  const { cfg } = tn;
  const week = weekBounds(cfg.today, index);
  if (tn.fetchedUntil > week.end || tn.fetchedUntil >= cfg.horizonEnd) return Promise.resolve();
  const range = Math.min(cfg.rangeDays, daysBetween(tn.fetchedUntil, cfg.horizonEnd));
  const url = `/api/calcom/slots?type=${encodeURIComponent(cfg.type)}&range=${range}&from=${tn.fetchedUntil}`;
  return fetchJson(url, { headers: { accept: 'application/json' } }).then((r) => {
    if (!r.ok || !Array.isArray(r.body)) throw new Error(r.body?.error || tn.words.loadFailed);
    tn.days = tn.days.concat(r.body as OfferDay[]);
    tn.fetchedUntil = addDays(tn.fetchedUntil, range);
    return ensureWeek(tn, index);
  });
}

function lastWeek(tn: Tunnel): boolean {
  return weekBounds(tn.cfg.today, tn.week + 1).start >= tn.cfg.horizonEnd;
}

function loadWeek(tn: Tunnel, index: number, focus?: boolean): Promise<void> {
  setStatus(tn.words.loading);
  $('next-week').disabled = true;
  return ensureWeek(tn, index)
    .then(
      () => {
        tn.week = index;
        setStatus('');
        renderDates(tn);
        show('step-date', focus);
      },
      (err: Error) => {
        setStatus(fill(tn.words.retryOrPropose, { why: err.message }), true);
        show('step-date', focus);
        $('dates').textContent = '';
        $('no-dates').hidden = true;
      },
    )
    .then(() => {
      $('next-week').disabled = false;
    });
}

/** A choice button; its accessible name is its text unless `label` gives more (a time names its date too). */
function choiceButton(className: string, label: string | null): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className ? `choice ${className}` : 'choice';
  if (label) b.setAttribute('aria-label', label);
  b.setAttribute('aria-pressed', 'false');
  return b;
}

/**
 * A date as three stacked lines (weekday, day, month) in the page's language. The separators Intl puts
 * between them stay in the button as text, so what a screen reader says is exactly what is shown.
 */
function dateButton(tn: Tunnel, date: string): HTMLButtonElement {
  const b = choiceButton('', null);
  const CLASS: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = { weekday: 'dow', day: 'day', month: 'mon' };
  for (const part of dateParts(tn, date, { weekday: 'short', day: 'numeric', month: 'short' })) {
    const cls = CLASS[part.type];
    if (!cls) {
      b.appendChild(document.createTextNode(part.value.replace(/,/g, '').replace(/\s+/g, ' ')));
      continue;
    }
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = part.value;
    b.appendChild(span);
  }
  b.setAttribute('data-date', date);
  b.addEventListener('click', () => chooseDate(tn, date));
  return b;
}

function renderDates(tn: Tunnel): void {
  const { cfg, words } = tn;
  const week = weekBounds(cfg.today, tn.week);
  const end = week.end < cfg.horizonEnd ? week.end : addDays(cfg.horizonEnd, -1);
  const range = `${shortDate(tn, week.start)} – ${shortDate(tn, end)}`;
  $('week-label').textContent = fill(tn.week === 0 ? words.next7 : words.weekOf, { range });
  tn.offer = buildOffer(tn.days, week, cfg.datesOffered, cfg.timesPerDate);
  const box = $('dates');
  box.textContent = '';
  for (const d of tn.offer) box.appendChild(dateButton(tn, d.date));
  $('no-dates').hidden = tn.offer.length > 0;
  const isLast = lastWeek(tn);
  $('next-week').hidden = isLast;
  $('next-week-from-time').hidden = isLast;
  $('end-of-dates').hidden = !isLast;
  $('prev-week').hidden = tn.week === 0;
  $('propose-open').className = isLast || tn.offer.length === 0 ? 'secondary' : 'ghost';
}

const press = (boxId: string, attr: string, value: string): void => {
  for (const b of Array.from($(boxId).children as HTMLCollection)) b.setAttribute('aria-pressed', String(b.getAttribute(attr) === value));
};

function chooseDate(tn: Tunnel, date: string): void {
  tn.date = date;
  const day = tn.offer.filter((d) => d.date === date)[0];
  press('dates', 'data-date', date);
  const long = longDate(tn, date);
  $('time-date').textContent = long;
  const box = $('times');
  box.textContent = '';
  (day ? day.hours : []).forEach((h) => {
    const b = choiceButton('time', fill(tn.words.timeOn, { time: h, date: long }));
    b.textContent = h;
    b.setAttribute('data-time', h);
    b.addEventListener('click', () => chooseTime(tn, h));
    box.appendChild(b);
  });
  show('step-time');
}

/** "mardi 9 décembre à 16:30 (Europe/Paris)": hours are the booking zone's wall clock, as the server gave them. */
const when = (tn: Tunnel, date: string, time: string): string => fill(tn.words.when, { date: longDate(tn, date), time, zone: tn.cfg.timezone });

function chooseTime(tn: Tunnel, time: string): void {
  tn.time = time;
  press('times', 'data-time', time);
  $('summary').textContent = when(tn, tn.date as string, time);
  clearErrors('confirm-form');
  show('step-confirm');
}

function fieldId(prefix: string, key: string): string {
  return prefix + key.replace(/^ranges\.(\d+)\./, 'r$1-');
}

function clearErrors(formId: string): void {
  const form = $(formId) as HTMLElement;
  for (const el of Array.from(form.querySelectorAll('[aria-invalid]'))) el.removeAttribute('aria-invalid');
  form.querySelectorAll<HTMLElement>('.field-error').forEach((el) => {
    el.textContent = '';
    el.hidden = true;
  });
  const top = $(`${formId}-error`);
  top.textContent = '';
  top.hidden = true;
}

// Field errors next to their fields (announced through aria-describedby); the rest at the top of the form.
function showErrors(formId: string, prefix: string, fields: FieldErrors, fallback: string): void {
  clearErrors(formId);
  let first: HTMLElement | null = null;
  const loose: string[] = [];
  for (const key of Object.keys(fields || {})) {
    const input = $(fieldId(prefix, key));
    const slot = input && $(`${input.id}-error`);
    if (!slot) {
      loose.push(fields[key] as string);
      continue;
    }
    input.setAttribute('aria-invalid', 'true');
    slot.textContent = fields[key];
    slot.hidden = false;
    if (!first) first = input;
  }
  const top = $(`${formId}-error`);
  const summary = loose.length ? loose.join(' ') : fallback;
  if (summary) {
    top.textContent = summary;
    top.hidden = false;
  }
  if (first) first.focus();
  else if (summary) top.focus();
}

/** A refused or failed submission of `formId`: errors by field, else the server's sentence, else ours. */
function showRefusal(tn: Tunnel, formId: string, prefix: string, r: JsonReply): void {
  if (r.status === 400 && r.body && r.body.fields) return showErrors(formId, prefix, r.body.fields, tn.words.checkFields);
  showErrors(formId, prefix, {}, r.body?.error || tn.words.tryAgain);
}

function submitBooking(tn: Tunnel, event: Event): void {
  event.preventDefault();
  if (tn.busy) return;
  tn.busy = true;
  const button = $('confirm');
  button.disabled = true;
  button.textContent = tn.words.booking;
  const form = $('confirm-form');
  void postJson(`/book/${encodeURIComponent(tn.cfg.type)}/booking`, {
    requestId: tn.bookingId,
    date: tn.date,
    time: tn.time,
    name: form.elements.name.value,
    email: form.elements.email.value,
    notes: form.elements.notes.value,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  })
    .then(
      (r) => bookingAnswered(tn, r, form.elements.email.value.trim()),
      () => showErrors('confirm-form', 'b-', {}, tn.words.unreachable),
    )
    .then(() => {
      tn.busy = false;
      button.disabled = false;
      button.textContent = tn.words.confirm;
    });
}

function bookingAnswered(tn: Tunnel, r: JsonReply, email: string): void | Promise<void> {
  if (r.status === 201 && r.body && r.body.booking) return showBooked(tn, r.body.booking, email);
  if (r.status === 409) {
    // Taken meanwhile: fetch the week again and let the visitor choose another time.
    tn.days = [];
    tn.fetchedUntil = tn.cfg.today;
    tn.bookingId = newRequestId();
    return loadWeek(tn, tn.week).then(() => setStatus(tn.words.taken, true));
  }
  showRefusal(tn, 'confirm-form', 'b-', r);
}

function showBooked(tn: Tunnel, booking: { date: string; time: string; status?: string }, email: string): void {
  const pending = !!booking.status && booking.status !== 'accepted';
  $('h-done').textContent = pending ? tn.words.requestSent : tn.words.booked;
  $('done-text').textContent = fill(pending ? tn.words.pendingText : tn.words.doneText, { when: when(tn, booking.date, booking.time), email });
  show('step-done');
}

// biome-ignore lint/suspicious/noExplicitAny: the page script reads the server's JSON and its own form elements, both of which it built
function proposalRanges(form: any): { date: string; from: string; to: string }[] {
  const ranges: { date: string; from: string; to: string }[] = [];
  for (let i = 0; form.elements[`ranges.${i}.date`]; i++) {
    ranges.push({
      date: form.elements[`ranges.${i}.date`].value,
      from: form.elements[`ranges.${i}.from`].value,
      to: form.elements[`ranges.${i}.to`].value,
    });
  }
  return ranges;
}

function submitProposal(tn: Tunnel, event: Event): void {
  event.preventDefault();
  if (tn.busy) return;
  tn.busy = true;
  const button = $('propose-send');
  button.disabled = true;
  const form = $('propose-form');
  void postJson(`/book/${encodeURIComponent(tn.cfg.type)}/availability`, {
    requestId: tn.proposalId,
    name: form.elements.name.value,
    email: form.elements.email.value,
    ranges: proposalRanges(form),
    message: form.elements.message.value,
  })
    .then(
      (r) => (r.status === 201 ? show('step-proposed') : showRefusal(tn, 'propose-form', 'p-', r)),
      () => showErrors('propose-form', 'p-', {}, tn.words.unreachable),
    )
    .then(() => {
      tn.busy = false;
      button.disabled = false;
    });
}

function openProposal(): void {
  setStatus('');
  clearErrors('propose-form');
  show('step-propose');
}
