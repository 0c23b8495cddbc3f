/**
 * The tunnel's script, for any current browser (bundled as ES2020 by scripts/build-assets.mjs, no framework).
 * The offer logic is offer.ts itself, imported and bundled in. It walks date → time → confirm, pages weeks,
 * and falls back to the availability form; errors from the server are shown next to their fields.
 */
import { addDays, buildOffer, daysBetween, weekBounds, type OfferDay } from '../offer.js';
import type { PageSettings } from '../settings.js';

interface JsonReply {
  status: number;
  ok: boolean;
  /** The server's JSON, whatever its shape (null when none): each use checks what it reads. */
  body: any;
}

type FieldErrors = Record<string, string>;

const LOCALE = 'en-GB';
const TRY_AGAIN = 'Something went wrong on our side. Try again in a moment.';
const STEPS = ['step-date', 'step-time', 'step-confirm', 'step-done', 'step-propose', 'step-proposed'];
const PROGRESS: Record<string, number> = { 'step-date': 0, 'step-time': 1, 'step-confirm': 2, 'step-done': 3 };

// Only a booking type's page has settings (the index and 404 pages share its stylesheet, not its script).
const settingsEl = document.getElementById('booking-settings');
if (settingsEl) start(JSON.parse(settingsEl.textContent ?? '{}') as PageSettings);

function start(cfg: PageSettings): void {
  /** An element of the page by id: page.ts renders every id used here (browser.test.ts checks it), so no null check. */
  const $ = (id: string): any => document.getElementById(id);
  const state = {
    days: [] as OfferDay[],
    fetchedUntil: cfg.today,
    week: 0,
    offer: [] as OfferDay[],
    date: null as string | null,
    time: null as string | null,
    busy: false,
  };
  let bookingId = newRequestId();
  const proposalId = newRequestId();

  // crypto.randomUUID needs a secure context; a LAN address over http is not one. getRandomValues is everywhere.
  function newRequestId(): string {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
  }

  function formatDate(date: string, options: Intl.DateTimeFormatOptions): string {
    const parts = date.split('-').map(Number) as [number, number, number];
    const opts = Object.assign({ timeZone: 'UTC' }, options);
    return new Intl.DateTimeFormat(LOCALE, opts).format(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], 12)));
  }
  const longDate = (d: string): string => formatDate(d, { weekday: 'long', day: 'numeric', month: 'long' });
  const shortDate = (d: string): string => formatDate(d, { weekday: 'short', day: 'numeric', month: 'short' });

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

  // Fetches in chunks of rangeDays until the week is covered (or the horizon is reached).
  function ensureWeek(index: number): Promise<void> {
    const week = weekBounds(cfg.today, index);
    if (state.fetchedUntil > week.end || state.fetchedUntil >= cfg.horizonEnd) return Promise.resolve();
    const range = Math.min(cfg.rangeDays, daysBetween(state.fetchedUntil, cfg.horizonEnd));
    const url = '/api/calcom/slots?type=' + encodeURIComponent(cfg.type) + '&range=' + range + '&from=' + state.fetchedUntil;
    return fetchJson(url, { headers: { accept: 'application/json' } }).then((r) => {
      if (!r.ok || !Array.isArray(r.body)) throw new Error((r.body && r.body.error) || 'The free times could not be loaded.');
      state.days = state.days.concat(r.body as OfferDay[]);
      state.fetchedUntil = addDays(state.fetchedUntil, range);
      return ensureWeek(index);
    });
  }

  function lastWeek(): boolean {
    return weekBounds(cfg.today, state.week + 1).start >= cfg.horizonEnd;
  }

  function loadWeek(index: number, focus?: boolean): Promise<void> {
    setStatus('Loading the free times…');
    $('next-week').disabled = true;
    return ensureWeek(index)
      .then(
        () => {
          state.week = index;
          setStatus('');
          renderDates();
          show('step-date', focus);
        },
        (err: Error) => {
          setStatus(err.message + ' Try again in a moment, or propose your own availability.', true);
          show('step-date', focus);
          $('dates').textContent = '';
          $('no-dates').hidden = true;
        },
      )
      .then(() => {
        $('next-week').disabled = false;
      });
  }

  function choiceButton(className: string, label: string, html: string): HTMLButtonElement {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className ? 'choice ' + className : 'choice';
    b.setAttribute('aria-label', label);
    b.setAttribute('aria-pressed', 'false');
    b.innerHTML = html;
    return b;
  }

  function renderDates(): void {
    const week = weekBounds(cfg.today, state.week);
    const end = week.end < cfg.horizonEnd ? week.end : addDays(cfg.horizonEnd, -1);
    $('week-label').textContent = (state.week === 0 ? 'Next 7 days: ' : 'Week of ') + shortDate(week.start) + ' – ' + shortDate(end);
    state.offer = buildOffer(state.days, week, cfg.datesOffered, cfg.timesPerDate);
    const box = $('dates');
    box.textContent = '';
    state.offer.forEach((d) => {
      const parts = formatDate(d.date, { weekday: 'short', day: 'numeric', month: 'short' }).replace(',', '').split(' ');
      const b = choiceButton(
        '',
        longDate(d.date),
        '<span class="dow">' + parts[0] + '</span><span class="day">' + parts[1] + '</span><span class="mon">' + parts[2] + '</span>',
      );
      b.setAttribute('data-date', d.date);
      b.addEventListener('click', () => chooseDate(d.date));
      box.appendChild(b);
    });
    $('no-dates').hidden = state.offer.length > 0;
    const isLast = lastWeek();
    $('next-week').hidden = isLast;
    $('next-week-from-time').hidden = isLast;
    $('end-of-dates').hidden = !isLast;
    $('prev-week').hidden = state.week === 0;
    $('propose-open').className = isLast || state.offer.length === 0 ? 'secondary' : 'ghost';
  }

  function chooseDate(date: string): void {
    state.date = date;
    const day = state.offer.filter((d) => d.date === date)[0];
    Array.from($('dates').children as HTMLCollection).forEach((b) => b.setAttribute('aria-pressed', String(b.getAttribute('data-date') === date)));
    $('time-date').textContent = longDate(date);
    const box = $('times');
    box.textContent = '';
    (day ? day.hours : []).forEach((h) => {
      const b = choiceButton('time', h + ' on ' + longDate(date), h);
      b.setAttribute('data-time', h);
      b.addEventListener('click', () => chooseTime(h));
      box.appendChild(b);
    });
    show('step-time');
  }

  function chooseTime(time: string): void {
    state.time = time;
    Array.from($('times').children as HTMLCollection).forEach((b) => b.setAttribute('aria-pressed', String(b.getAttribute('data-time') === time)));
    $('summary').textContent = longDate(state.date as string) + ' at ' + time + ' (' + cfg.timezone + ')';
    clearErrors('confirm-form');
    show('step-confirm');
  }

  function fieldId(prefix: string, key: string): string {
    return prefix + key.replace(/^ranges\.(\d+)\./, 'r$1-');
  }

  function clearErrors(formId: string): void {
    const form = $(formId) as HTMLElement;
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    form.querySelectorAll<HTMLElement>('.field-error').forEach((el) => {
      el.textContent = '';
      el.hidden = true;
    });
    const top = $(formId + '-error');
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
      const slot = input && $(input.id + '-error');
      if (!slot) {
        loose.push(fields[key] as string);
        continue;
      }
      input.setAttribute('aria-invalid', 'true');
      slot.textContent = fields[key];
      slot.hidden = false;
      if (!first) first = input;
    }
    const top = $(formId + '-error');
    const summary = loose.length ? loose.join(' ') : fallback;
    if (summary) {
      top.textContent = summary;
      top.hidden = false;
    }
    if (first) first.focus();
    else if (summary) top.focus();
  }

  function postJson(path: string, payload: unknown): Promise<JsonReply> {
    return fetchJson(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(payload) });
  }

  function submitBooking(event: Event): void {
    event.preventDefault();
    if (state.busy) return;
    state.busy = true;
    const button = $('confirm');
    button.disabled = true;
    button.textContent = 'Booking…';
    const form = $('confirm-form');
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    postJson('/book/' + encodeURIComponent(cfg.type) + '/booking', {
      requestId: bookingId,
      date: state.date,
      time: state.time,
      name: form.elements.name.value,
      email: form.elements.email.value,
      notes: form.elements.notes.value,
      timeZone: zone,
    })
      .then(
        (r): void | Promise<void> => {
          if (r.status === 201 && r.body && r.body.booking) {
            const b = r.body.booking;
            const pending = b.status && b.status !== 'accepted';
            $('h-done').textContent = pending ? 'Your request is sent' : 'Your meeting is booked';
            $('done-text').textContent =
              longDate(b.date) + ' at ' + b.time + ' (' + cfg.timezone + '). ' +
              (pending ? 'The host confirms it shortly; ' : '') + 'The details are on their way to ' + form.elements.email.value.trim() + '.';
            show('step-done');
            return;
          }
          if (r.status === 409) {
            // Taken meanwhile: fetch the week again and let the visitor choose another time.
            state.days = [];
            state.fetchedUntil = cfg.today;
            bookingId = newRequestId();
            return loadWeek(state.week).then(() => setStatus('That time was just taken. Please choose another one.', true));
          }
          if (r.status === 400 && r.body && r.body.fields) return showErrors('confirm-form', 'b-', r.body.fields, 'Please check the highlighted fields.');
          showErrors('confirm-form', 'b-', {}, (r.body && r.body.error) || TRY_AGAIN);
        },
        () => {
          showErrors('confirm-form', 'b-', {}, 'The server could not be reached. Check your connection and try again.');
        },
      )
      .then(() => {
        state.busy = false;
        button.disabled = false;
        button.textContent = 'Confirm booking';
      });
  }

  function submitProposal(event: Event): void {
    event.preventDefault();
    if (state.busy) return;
    state.busy = true;
    const button = $('propose-send');
    button.disabled = true;
    const form = $('propose-form');
    const ranges: { date: string; from: string; to: string }[] = [];
    for (let i = 0; form.elements['ranges.' + i + '.date']; i++) {
      ranges.push({
        date: form.elements['ranges.' + i + '.date'].value,
        from: form.elements['ranges.' + i + '.from'].value,
        to: form.elements['ranges.' + i + '.to'].value,
      });
    }
    postJson('/book/' + encodeURIComponent(cfg.type) + '/availability', {
      requestId: proposalId,
      name: form.elements.name.value,
      email: form.elements.email.value,
      ranges,
      message: form.elements.message.value,
    })
      .then(
        (r) => {
          if (r.status === 201) {
            show('step-proposed');
            return;
          }
          if (r.status === 400 && r.body && r.body.fields) return showErrors('propose-form', 'p-', r.body.fields, 'Please check the highlighted fields.');
          showErrors('propose-form', 'p-', {}, (r.body && r.body.error) || TRY_AGAIN);
        },
        () => {
          showErrors('propose-form', 'p-', {}, 'The server could not be reached. Check your connection and try again.');
        },
      )
      .then(() => {
        state.busy = false;
        button.disabled = false;
      });
  }

  function openProposal(): void {
    setStatus('');
    clearErrors('propose-form');
    show('step-propose');
  }

  $('next-week').addEventListener('click', () => loadWeek(state.week + 1));
  $('next-week-from-time').addEventListener('click', () => loadWeek(state.week + 1));
  $('prev-week').addEventListener('click', () => loadWeek(state.week - 1));
  $('propose-open').addEventListener('click', openProposal);
  $('back-to-dates').addEventListener('click', () => show('step-date'));
  $('back-to-times').addEventListener('click', () => show('step-time'));
  $('back-from-propose').addEventListener('click', () => {
    renderDates();
    show('step-date');
  });
  $('confirm-form').addEventListener('submit', submitBooking);
  $('propose-form').addEventListener('submit', submitProposal);
  void loadWeek(0, false);
}
