/**
 * The page's stylesheet and script, served by the dashboard itself: no framework, no CDN, no build step, so
 * the page works offline and the CSP can be `'self'` only. The script is plain ES2017 (no template literals:
 * it sits inside one here).
 */

export const DASHBOARD_CSS = `
:root {
  --bg: #f4f5f7; --card: #ffffff; --text: #1c1f24; --muted: #5c6470; --line: #dde1e6;
  --ok: #17803d; --ok-bg: #e3f5e9; --warn: #9a5b00; --warn-bg: #fff2d6; --bad: #b42318; --bad-bg: #fde7e5;
  --info: #1f5fbf; --info-bg: #e4eefc; --focus: #1f5fbf; --accent: #1f5fbf; --accent-text: #ffffff;
  --created: #2f9e5b; --updated: #3b7dd8; --deleted: #d0473b;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171b; --card: #1d2126; --text: #e6e8eb; --muted: #9aa3ad; --line: #2f353c;
    --ok: #5fd08a; --ok-bg: #173823; --warn: #f0b44c; --warn-bg: #3a2c10; --bad: #ff8a7e; --bad-bg: #43201c;
    --info: #8ab4ff; --info-bg: #1c2b45; --focus: #8ab4ff; --accent: #4d8ef0; --accent-text: #0b1220;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
h1, h2, h3 { margin: 0; line-height: 1.2; }
h1 { font-size: 1.25rem; }
h2 { font-size: 1.15rem; word-break: break-word; }
h3 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin: 14px 0 6px; }
ul { margin: 0; padding: 0; list-style: none; }
p { margin: 6px 0; }
.muted { color: var(--muted); }
.small { font-size: 0.85rem; }
.bad-text { color: var(--bad); }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 14px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
.brand { display: flex; align-items: baseline; gap: 8px; }
.summary { flex: 1 1 320px; font-size: 0.9rem; }
.summary p { margin: 2px 0; }
.logout { margin: 0; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; vertical-align: 0; }
.dot.ok { background: var(--ok); } .dot.warn { background: var(--warn); }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); gap: 16px; padding: 16px 20px; align-items: start; max-width: 1600px; margin: 0 auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
.card-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 8px; }
.card-head h2 { margin-right: auto; }
.meta { margin: 4px 0 8px; }

.badge, .pill, .outcome { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.pill { font-weight: 500; background: var(--bg); border: 1px solid var(--line); color: var(--muted); }
.st-running { background: var(--ok-bg); color: var(--ok); }
.st-starting, .st-syncing { background: var(--info-bg); color: var(--info); }
.st-stopped, .st-missing, .st-unknown { background: var(--warn-bg); color: var(--warn); }
.st-crash-looping, .st-invalid { background: var(--bad-bg); color: var(--bad); }
.outcome-ok { background: var(--ok-bg); color: var(--ok); } .outcome-warn { background: var(--warn-bg); color: var(--warn); } .outcome-bad { background: var(--bad-bg); color: var(--bad); }

.facts { margin: 8px 0; display: grid; gap: 4px; }
.facts div { display: grid; grid-template-columns: 6em 1fr; gap: 8px; align-items: baseline; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.counts { font-variant-numeric: tabular-nums; font-weight: 600; }
.c-created { color: var(--created); } .c-updated { color: var(--updated); } .c-deleted { color: var(--deleted); }

.config-error, .run-error { background: var(--bad-bg); color: var(--bad); border-radius: 6px; padding: 8px 10px; overflow-wrap: anywhere; }
.classes > li { display: grid; grid-template-columns: 7.5em 1fr; gap: 2px 8px; padding: 5px 0; border-top: 1px solid var(--line); }
.classes > li:first-child { border-top: 0; }
.day { color: var(--muted); font-weight: 600; white-space: nowrap; }
.day-classes li { display: grid; grid-template-columns: 6.6em 1fr; gap: 6px; padding: 1px 0; }
.hours { font-variant-numeric: tabular-nums; color: var(--muted); white-space: nowrap; }
.now { font-size: 0.72rem; font-weight: 700; color: var(--info); background: var(--info-bg); border-radius: 4px; padding: 0 4px; margin-left: 4px; }
.watcher { padding: 6px 0; border-top: 1px solid var(--line); }
.watcher:first-child { border-top: 0; }
.watcher-head { display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; }
.slots { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0 2px; }
.slots li { background: var(--ok-bg); color: var(--ok); border-radius: 6px; padding: 1px 7px; font-size: 0.85rem; }
.slots li.muted { background: transparent; color: var(--muted); }
.errors li { padding: 4px 0; border-top: 1px solid var(--line); font-size: 0.85rem; overflow-wrap: anywhere; }
.errors li:first-child { border-top: 0; }
.errors time { color: var(--muted); }
.phase { font: 0.8em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bad-bg); color: var(--bad); border-radius: 4px; padding: 0 4px; }

.plot { width: 100%; max-width: 460px; height: auto; display: block; }
.plot text { font: 10px system-ui, sans-serif; fill: var(--muted); }
.plot .p-title { font-weight: 600; }
.p-axis { stroke: var(--line); stroke-width: 1; }
.p-ok { fill: var(--ok); } .p-partial { fill: var(--warn); } .p-failed { fill: var(--bad); }
.p-created { fill: var(--created); opacity: 0.75; } .p-updated { fill: var(--updated); opacity: 0.75; } .p-deleted { fill: var(--deleted); opacity: 0.75; }
.p-line { fill: none; stroke: var(--text); stroke-width: 1.4; stroke-linejoin: round; }
.p-dot { fill: var(--text); }
.p-hit { fill: transparent; }
.p-hit:hover { fill: var(--bg); }

.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 14px; padding-top: 12px; border-top: 1px solid var(--line); }
.actions:empty { display: none; }
.btn { font: inherit; font-size: 0.9rem; font-weight: 600; min-height: 40px; padding: 8px 14px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); color: var(--text); cursor: pointer; }
.btn:hover { border-color: var(--muted); }
.btn-primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.btn-quiet { background: transparent; }
.btn[aria-busy="true"] { opacity: 0.65; cursor: progress; }
.btn:focus-visible, input:focus-visible, .p-hit:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.result { display: block; font-size: 0.9rem; margin-top: 10px; border-radius: 6px; overflow-wrap: anywhere; }
.result:empty { display: none; }
.result.pending { padding: 8px 10px; background: var(--info-bg); color: var(--info); }
.result.ok { padding: 8px 10px; background: var(--ok-bg); color: var(--ok); }
.result.fail { padding: 8px 10px; background: var(--bad-bg); color: var(--bad); }
.result ul { margin: 4px 0 0 1.1em; list-style: disc; }

.foot { text-align: center; padding: 4px 20px 24px; }
.foot.stale, .stale #live-status { color: var(--bad); }

.login-body { display: grid; place-items: center; min-height: 100vh; padding: 16px; }
.login { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 24px; width: min(100%, 380px); }
.login form { display: grid; gap: 8px; margin: 16px 0 8px; }
.login label { font-weight: 600; }
.login input { font: inherit; padding: 10px 12px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); color: var(--text); }
.login-error { background: var(--bad-bg); color: var(--bad); border-radius: 6px; padding: 8px 10px; }

@media (max-width: 520px) {
  .top { padding: 12px 14px; }
  .brand { flex: 1; }
  .summary { order: 3; flex-basis: 100%; }
  .classes > li { grid-template-columns: 1fr; }
  .cards { padding: 12px 10px; gap: 12px; }
  .card { padding: 12px; }
  .btn { flex: 1 1 auto; }
}
`;

export const DASHBOARD_JS = `(function () {
  'use strict';
  var body = document.body;
  var pollMs = Number(body.getAttribute('data-poll-ms')) || 5000;
  var cardsEl = document.getElementById('cards');
  var summaryEl = document.getElementById('summary');
  var updatedEl = document.getElementById('updated');
  var statusEl = document.getElementById('live-status');
  var footEl = document.querySelector('.foot');
  var timer = null;
  var polling = false;

  function findCard(name) {
    var all = cardsEl.querySelectorAll('article.card');
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute('data-name') === name) return all[i];
    return null;
  }

  function newCard(name) {
    var a = document.createElement('article');
    a.className = 'card';
    a.id = 'card-' + name;
    a.setAttribute('data-name', name);
    a.setAttribute('aria-labelledby', 'title-' + name);
    var live = document.createElement('div');
    live.className = 'live';
    var actions = document.createElement('div');
    actions.className = 'actions';
    var out = document.createElement('output');
    out.className = 'result';
    out.setAttribute('aria-live', 'polite');
    a.appendChild(live);
    a.appendChild(actions);
    a.appendChild(out);
    return a;
  }

  /** Replaces a region only when its digest changed: the rest of the page (and the focus) stays put. */
  function put(el, frag) {
    if (el.getAttribute('data-v') === frag.v) return;
    el.innerHTML = frag.html;
    el.setAttribute('data-v', frag.v);
  }

  function apply(data) {
    put(summaryEl, data.html.summary);
    var wanted = {};
    var previous = null;
    data.html.cards.forEach(function (c) {
      wanted[c.name] = true;
      var card = findCard(c.name);
      if (!card) {
        card = newCard(c.name);
        var placeholder = cardsEl.querySelector(':scope > p');
        if (placeholder) placeholder.remove();
      }
      // Keeps the server's order; moving an element that is already in place is skipped.
      var next = previous ? previous.nextElementSibling : cardsEl.firstElementChild;
      if (next !== card) cardsEl.insertBefore(card, next);
      put(card.querySelector('.live'), c.live);
      put(card.querySelector('.actions'), c.actions);
      previous = card;
    });
    Array.prototype.forEach.call(cardsEl.querySelectorAll('article.card'), function (card) {
      if (!wanted[card.getAttribute('data-name')]) card.remove();
    });
    updatedEl.setAttribute('datetime', data.generatedAt);
    updatedEl.textContent = data.html.updated;
  }

  function setStale(stale, why) {
    footEl.classList.toggle('stale', stale);
    statusEl.textContent = stale ? 'Not updating (' + why + '): retrying' : 'Live: refreshed every ' + pollMs / 1000 + ' s';
  }

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(refresh, pollMs);
  }

  function refresh() {
    if (polling) return;
    polling = true;
    fetch('/dashboard/state.json', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401) {
          location.reload();
          return null;
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (data) {
        if (data) {
          apply(data);
          setStale(false);
        }
      })
      .catch(function (err) {
        setStale(true, err && err.message ? err.message : 'no answer');
      })
      .then(function () {
        polling = false;
        schedule();
      });
  }

  function show(out, result) {
    out.textContent = '';
    out.className = 'result ' + (result.ok ? 'ok' : 'fail');
    var strong = document.createElement('strong');
    strong.textContent = result.message;
    out.appendChild(strong);
    if (result.details && result.details.length) {
      var ul = document.createElement('ul');
      result.details.forEach(function (d) {
        var li = document.createElement('li');
        li.textContent = d;
        ul.appendChild(li);
      });
      out.appendChild(ul);
    }
  }

  cardsEl.addEventListener('click', function (ev) {
    var btn = ev.target.closest ? ev.target.closest('button[data-action]') : null;
    if (!btn || btn.getAttribute('aria-busy') === 'true') return;
    var card = btn.closest('article.card');
    var out = card.querySelector('output.result');
    var name = card.getAttribute('data-name');
    // aria-busy rather than disabled: a disabled button drops the keyboard focus.
    btn.setAttribute('aria-busy', 'true');
    out.className = 'result pending';
    out.textContent = btn.getAttribute('data-pending') || 'Working…';
    fetch('/dashboard/instances/' + encodeURIComponent(name) + '/' + btn.getAttribute('data-action'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}'
    })
      .then(function (res) {
        if (res.status === 401) {
          location.reload();
          return { ok: false, message: 'Logged out: log in again.' };
        }
        return res.json().catch(function () {
          return { ok: false, message: 'The server answered ' + res.status + '.' };
        });
      })
      .then(function (result) {
        show(out, result);
      })
      .catch(function (err) {
        show(out, { ok: false, message: 'The request failed: ' + (err && err.message ? err.message : 'no answer') });
      })
      .then(function () {
        btn.removeAttribute('aria-busy');
        refresh();
      });
  });

  document.addEventListener('visibilitychange', function () {
    if (document.hidden) clearTimeout(timer);
    else refresh();
  });
  schedule();
})();
`;
