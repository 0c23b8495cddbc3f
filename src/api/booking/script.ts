import { addDays, buildOffer, daysBetween, spreadPick, weekBounds } from './offer.js';

/**
 * The tunnel's script: plain ES2020 for any current browser, no framework, no build step. The offer logic
 * is the tested code of offer.ts, served as its own source. It walks date → time → confirm, pages weeks,
 * and falls back to the availability form; errors from the server are shown next to their fields.
 */
const CLIENT = String.raw`
(function () {
  'use strict';
  var settingsEl = document.getElementById('booking-settings');
  if (!settingsEl) return;
  var cfg = JSON.parse(settingsEl.textContent);
  var $ = function (id) { return document.getElementById(id); };
  var LOCALE = 'en-GB';
  var state = { days: [], fetchedUntil: cfg.today, week: 0, offer: [], date: null, time: null, busy: false };
  var bookingId = newRequestId();
  var proposalId = newRequestId();

  // crypto.randomUUID needs a secure context; a LAN address over http is not one. getRandomValues is everywhere.
  function newRequestId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  function formatDate(date, options) {
    var parts = date.split('-').map(Number);
    var opts = Object.assign({ timeZone: 'UTC' }, options);
    return new Intl.DateTimeFormat(LOCALE, opts).format(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], 12)));
  }
  var longDate = function (d) { return formatDate(d, { weekday: 'long', day: 'numeric', month: 'long' }); };
  var shortDate = function (d) { return formatDate(d, { weekday: 'short', day: 'numeric', month: 'short' }); };

  function setStatus(text, isError) {
    var el = $('status');
    el.textContent = text || '';
    el.classList.toggle('error', !!isError);
  }

  var STEPS = ['step-date', 'step-time', 'step-confirm', 'step-done', 'step-propose', 'step-proposed'];
  var PROGRESS = { 'step-date': 0, 'step-time': 1, 'step-confirm': 2, 'step-done': 3 };
  function show(step, focus) {
    STEPS.forEach(function (id) { $(id).hidden = id !== step; });
    var reached = PROGRESS[step];
    ['progress-date', 'progress-time', 'progress-confirm'].forEach(function (id, i) {
      var li = $(id);
      if (reached === i) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
      li.classList.toggle('done', reached !== undefined && i < reached);
    });
    // The availability form is a way out of the three steps, not one of them.
    $('progress').hidden = reached === undefined;
    $('tunnel').setAttribute('data-state', step.replace('step-', ''));
    if (focus !== false) {
      var heading = $(step).querySelector('h2');
      if (heading) heading.focus();
    }
  }

  function fetchJson(url, init) {
    return fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return { status: res.status, ok: res.ok, body: body };
      });
    });
  }

  // Fetches in chunks of rangeDays until the week is covered (or the horizon is reached).
  function ensureWeek(index) {
    var week = weekBounds(cfg.today, index);
    if (state.fetchedUntil > week.end || state.fetchedUntil >= cfg.horizonEnd) return Promise.resolve();
    var range = Math.min(cfg.rangeDays, daysBetween(state.fetchedUntil, cfg.horizonEnd));
    var url = '/api/calcom/slots?type=' + encodeURIComponent(cfg.type) + '&range=' + range + '&from=' + state.fetchedUntil;
    return fetchJson(url, { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok || !Array.isArray(r.body)) throw new Error((r.body && r.body.error) || 'The free times could not be loaded.');
      state.days = state.days.concat(r.body);
      state.fetchedUntil = addDays(state.fetchedUntil, range);
      return ensureWeek(index);
    });
  }

  function lastWeek() {
    return weekBounds(cfg.today, state.week + 1).start >= cfg.horizonEnd;
  }

  function loadWeek(index, focus) {
    setStatus('Loading the free times…');
    $('next-week').disabled = true;
    return ensureWeek(index).then(function () {
      state.week = index;
      setStatus('');
      renderDates();
      show('step-date', focus);
    }, function (err) {
      setStatus(err.message + ' Try again in a moment, or propose your own availability.', true);
      show('step-date', focus);
      $('dates').textContent = '';
      $('no-dates').hidden = true;
    }).then(function () { $('next-week').disabled = false; });
  }

  function choiceButton(className, label, html) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = className ? 'choice ' + className : 'choice';
    b.setAttribute('aria-label', label);
    b.setAttribute('aria-pressed', 'false');
    b.innerHTML = html;
    return b;
  }

  function renderDates() {
    var week = weekBounds(cfg.today, state.week);
    var end = week.end < cfg.horizonEnd ? week.end : addDays(cfg.horizonEnd, -1);
    $('week-label').textContent = (state.week === 0 ? 'Next 7 days: ' : 'Week of ') + shortDate(week.start) + ' – ' + shortDate(end);
    state.offer = buildOffer(state.days, week, cfg.datesOffered, cfg.timesPerDate);
    var box = $('dates');
    box.textContent = '';
    state.offer.forEach(function (d) {
      var parts = formatDate(d.date, { weekday: 'short', day: 'numeric', month: 'short' }).replace(',', '').split(' ');
      var b = choiceButton('', longDate(d.date),
        '<span class="dow">' + parts[0] + '</span><span class="day">' + parts[1] + '</span><span class="mon">' + parts[2] + '</span>');
      b.setAttribute('data-date', d.date);
      b.addEventListener('click', function () { chooseDate(d.date); });
      box.appendChild(b);
    });
    $('no-dates').hidden = state.offer.length > 0;
    var isLast = lastWeek();
    $('next-week').hidden = isLast;
    $('next-week-from-time').hidden = isLast;
    $('end-of-dates').hidden = !isLast;
    $('prev-week').hidden = state.week === 0;
    $('propose-open').className = isLast || state.offer.length === 0 ? 'secondary' : 'ghost';
  }

  function chooseDate(date) {
    state.date = date;
    var day = state.offer.filter(function (d) { return d.date === date; })[0];
    Array.prototype.forEach.call($('dates').children, function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-date') === date)); });
    $('time-date').textContent = longDate(date);
    var box = $('times');
    box.textContent = '';
    (day ? day.hours : []).forEach(function (h) {
      var b = choiceButton('time', h + ' on ' + longDate(date), h);
      b.setAttribute('data-time', h);
      b.addEventListener('click', function () { chooseTime(h); });
      box.appendChild(b);
    });
    show('step-time');
  }

  function chooseTime(time) {
    state.time = time;
    Array.prototype.forEach.call($('times').children, function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-time') === time)); });
    $('summary').textContent = longDate(state.date) + ' at ' + time + ' (' + cfg.timezone + ')';
    clearErrors('confirm-form', 'b-');
    show('step-confirm');
  }

  function fieldId(prefix, key) {
    return prefix + key.replace(/^ranges\.(\d+)\./, 'r$1-');
  }

  function clearErrors(formId, prefix) {
    var form = $(formId);
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (el) { el.removeAttribute('aria-invalid'); });
    Array.prototype.forEach.call(form.querySelectorAll('.field-error'), function (el) { el.textContent = ''; el.hidden = true; });
    var top = $(formId + '-error');
    top.textContent = '';
    top.hidden = true;
  }

  // Field errors next to their fields (announced through aria-describedby); the rest at the top of the form.
  function showErrors(formId, prefix, fields, fallback) {
    clearErrors(formId, prefix);
    var first = null;
    var loose = [];
    Object.keys(fields || {}).forEach(function (key) {
      var input = $(fieldId(prefix, key));
      var slot = input && $(input.id + '-error');
      if (!slot) { loose.push(fields[key]); return; }
      input.setAttribute('aria-invalid', 'true');
      slot.textContent = fields[key];
      slot.hidden = false;
      if (!first) first = input;
    });
    var top = $(formId + '-error');
    var summary = loose.length ? loose.join(' ') : fallback;
    if (summary) { top.textContent = summary; top.hidden = false; }
    if (first) first.focus(); else if (summary) top.focus();
  }

  function postJson(path, payload) {
    return fetchJson(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(payload) });
  }

  var TRY_AGAIN = 'Something went wrong on our side. Try again in a moment.';

  function submitBooking(event) {
    event.preventDefault();
    if (state.busy) return;
    state.busy = true;
    var button = $('confirm');
    button.disabled = true;
    button.textContent = 'Booking…';
    var form = $('confirm-form');
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    postJson('/book/' + encodeURIComponent(cfg.type) + '/booking', {
      requestId: bookingId,
      date: state.date,
      time: state.time,
      name: form.elements.name.value,
      email: form.elements.email.value,
      notes: form.elements.notes.value,
      timeZone: zone
    }).then(function (r) {
      if (r.status === 201 && r.body && r.body.booking) {
        var b = r.body.booking;
        var pending = b.status && b.status !== 'accepted';
        $('h-done').textContent = pending ? 'Your request is sent' : 'Your meeting is booked';
        $('done-text').textContent = longDate(b.date) + ' at ' + b.time + ' (' + cfg.timezone + '). ' +
          (pending ? 'The host confirms it shortly; ' : '') + 'The details are on their way to ' + form.elements.email.value.trim() + '.';
        show('step-done');
        return;
      }
      if (r.status === 409) {
        // Taken meanwhile: fetch the week again and let the visitor choose another time.
        state.days = [];
        state.fetchedUntil = cfg.today;
        bookingId = newRequestId();
        return loadWeek(state.week).then(function () { setStatus('That time was just taken. Please choose another one.', true); });
      }
      if (r.status === 400 && r.body && r.body.fields) return showErrors('confirm-form', 'b-', r.body.fields, 'Please check the highlighted fields.');
      showErrors('confirm-form', 'b-', {}, (r.body && r.body.error) || TRY_AGAIN);
    }, function () {
      showErrors('confirm-form', 'b-', {}, 'The server could not be reached. Check your connection and try again.');
    }).then(function () {
      state.busy = false;
      button.disabled = false;
      button.textContent = 'Confirm booking';
    });
  }

  function submitProposal(event) {
    event.preventDefault();
    if (state.busy) return;
    state.busy = true;
    var button = $('propose-send');
    button.disabled = true;
    var form = $('propose-form');
    var ranges = [];
    for (var i = 0; form.elements['ranges.' + i + '.date']; i++) {
      ranges.push({ date: form.elements['ranges.' + i + '.date'].value, from: form.elements['ranges.' + i + '.from'].value, to: form.elements['ranges.' + i + '.to'].value });
    }
    postJson('/book/' + encodeURIComponent(cfg.type) + '/availability', {
      requestId: proposalId,
      name: form.elements.name.value,
      email: form.elements.email.value,
      ranges: ranges,
      message: form.elements.message.value
    }).then(function (r) {
      if (r.status === 201) { show('step-proposed'); return; }
      if (r.status === 400 && r.body && r.body.fields) return showErrors('propose-form', 'p-', r.body.fields, 'Please check the highlighted fields.');
      showErrors('propose-form', 'p-', {}, (r.body && r.body.error) || TRY_AGAIN);
    }, function () {
      showErrors('propose-form', 'p-', {}, 'The server could not be reached. Check your connection and try again.');
    }).then(function () {
      state.busy = false;
      button.disabled = false;
    });
  }

  function openProposal() {
    setStatus('');
    clearErrors('propose-form', 'p-');
    show('step-propose');
  }

  $('next-week').addEventListener('click', function () { loadWeek(state.week + 1); });
  $('next-week-from-time').addEventListener('click', function () { loadWeek(state.week + 1); });
  $('prev-week').addEventListener('click', function () { loadWeek(state.week - 1); });
  $('propose-open').addEventListener('click', openProposal);
  $('back-to-dates').addEventListener('click', function () { show('step-date'); });
  $('back-to-times').addEventListener('click', function () { show('step-time'); });
  $('back-from-propose').addEventListener('click', function () { renderDates(); show('step-date'); });
  $('confirm-form').addEventListener('submit', submitBooking);
  $('propose-form').addEventListener('submit', submitProposal);
  loadWeek(0, false);
})();
`;

/** The script served at /book/assets/tunnel.js. */
export const TUNNEL_JS = `// campus-sync booking tunnel\n'use strict';\n${[spreadPick, addDays, daysBetween, weekBounds, buildOffer].map((f) => f.toString()).join('\n')}\n${CLIENT}`;
