/**
 * The dashboard page's script: polls /dashboard/state.json and swaps the regions whose digest changed, and runs
 * the card buttons. Served by the dashboard itself (no framework, no CDN), so the page works offline and the CSP
 * can be 'self' only. Bundled (IIFE, ES2020, minified) into dist/assets/ by scripts/build-assets.mjs.
 */

/** A region of the page and its digest, as render.ts's Fragment (a type of ours, not imported: no node here). */
interface Fragment {
  html: string;
  v: string;
}

interface StateReply {
  generatedAt: string;
  html: { summary: Fragment; updated: string; cards: { name: string; live: Fragment; actions: Fragment }[] };
}

interface ActionReply {
  ok: boolean;
  message: string;
  details?: string[];
}

/** The poll interval when the page does not say (render.ts sets data-poll-ms from POLL_MS). */
const DEFAULT_POLL_MS = 5000;

const body = document.body;
const pollMs = Number(body.getAttribute('data-poll-ms')) || DEFAULT_POLL_MS;

/** The words the script says itself, in the page's language (render.ts puts them in data-words); English if absent. */
interface Words {
  live: string;
  stale: string;
  noAnswer: string;
  working: string;
  loggedOut: string;
  serverAnswered: string;
  requestFailed: string;
}
const FALLBACK_WORDS: Words = {
  live: `Live: refreshed every ${pollMs / 1000} s`,
  stale: 'Not updating ({why}): retrying',
  noAnswer: 'no answer',
  working: 'Working…',
  loggedOut: 'Logged out: log in again.',
  serverAnswered: 'The server answered {status}.',
  requestFailed: 'The request failed: {why}',
};
function readWords(): Words {
  try {
    return { ...FALLBACK_WORDS, ...(JSON.parse(body.getAttribute('data-words') || '{}') as Partial<Words>) };
  } catch {
    return FALLBACK_WORDS;
  }
}
const words = readWords();
const fill = (text: string, key: string, value: string): string => text.split(`{${key}}`).join(value);
const cardsEl = document.getElementById('cards') as HTMLElement;
const summaryEl = document.getElementById('summary') as HTMLElement;
const updatedEl = document.getElementById('updated') as HTMLElement;
const statusEl = document.getElementById('live-status') as HTMLElement;
const footEl = document.querySelector('.foot') as HTMLElement;
let timer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

const message = (err: unknown, fallback: string): string => (err instanceof Error && err.message ? err.message : fallback);

function findCard(name: string): HTMLElement | null {
  const all = cardsEl.querySelectorAll<HTMLElement>('article.card');
  for (const card of Array.from(all)) if (card.getAttribute('data-name') === name) return card;
  return null;
}

function newCard(name: string): HTMLElement {
  const a = document.createElement('article');
  a.className = 'card';
  a.id = `card-${name}`;
  a.setAttribute('data-name', name);
  a.setAttribute('aria-labelledby', `title-${name}`);
  const live = document.createElement('div');
  live.className = 'live';
  const actions = document.createElement('div');
  actions.className = 'actions';
  const out = document.createElement('output');
  out.className = 'result';
  out.setAttribute('aria-live', 'polite');
  a.appendChild(live);
  a.appendChild(actions);
  a.appendChild(out);
  return a;
}

/** Replaces a region only when its digest changed: the rest of the page (and the focus) stays put. */
function put(el: Element, frag: Fragment): void {
  if (el.getAttribute('data-v') === frag.v) return;
  el.innerHTML = frag.html;
  el.setAttribute('data-v', frag.v);
}

function apply(data: StateReply): void {
  put(summaryEl, data.html.summary);
  const wanted = new Set<string>();
  let previous: HTMLElement | null = null;
  for (const c of data.html.cards) {
    wanted.add(c.name);
    let card = findCard(c.name);
    if (!card) {
      card = newCard(c.name);
      const placeholder = cardsEl.querySelector(':scope > p');
      if (placeholder) placeholder.remove();
    }
    // Keeps the server's order; moving an element that is already in place is skipped.
    const next: Element | null = previous ? previous.nextElementSibling : cardsEl.firstElementChild;
    if (next !== card) cardsEl.insertBefore(card, next);
    put(card.querySelector('.live') as Element, c.live);
    put(card.querySelector('.actions') as Element, c.actions);
    previous = card;
  }
  for (const card of Array.from(cardsEl.querySelectorAll('article.card'))) {
    if (!wanted.has(card.getAttribute('data-name') ?? '')) card.remove();
  }
  updatedEl.setAttribute('datetime', data.generatedAt);
  updatedEl.textContent = data.html.updated;
}

function setStale(stale: boolean, why?: string): void {
  footEl.classList.toggle('stale', stale);
  statusEl.textContent = stale ? fill(words.stale, 'why', why ?? words.noAnswer) : words.live;
}

function schedule(): void {
  clearTimeout(timer);
  if (!document.hidden) timer = setTimeout(refresh, pollMs);
}

function refresh(): void {
  if (polling) return;
  polling = true;
  void fetch('/dashboard/state.json', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
    .then((res): Promise<StateReply> | null => {
      if (res.status === 401) {
        location.reload();
        return null;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json() as Promise<StateReply>;
    })
    .then((data) => {
      if (data) {
        apply(data);
        setStale(false);
      }
    })
    .catch((err: unknown) => {
      setStale(true, message(err, words.noAnswer));
    })
    .then(() => {
      polling = false;
      schedule();
    });
}

function show(out: HTMLElement, result: ActionReply): void {
  out.textContent = '';
  out.className = `result ${result.ok ? 'ok' : 'fail'}`;
  const strong = document.createElement('strong');
  strong.textContent = result.message;
  out.appendChild(strong);
  if (result.details?.length) {
    const ul = document.createElement('ul');
    for (const d of result.details) {
      const li = document.createElement('li');
      li.textContent = d;
      ul.appendChild(li);
    }
    out.appendChild(ul);
  }
}

cardsEl.addEventListener('click', (ev) => {
  const target = ev.target as Element | null;
  const btn = target?.closest ? target.closest('button[data-action]') : null;
  if (!btn || btn.getAttribute('aria-busy') === 'true') return;
  const card = btn.closest('article.card') as HTMLElement;
  const out = card.querySelector('output.result') as HTMLElement;
  const name = card.getAttribute('data-name') ?? '';
  // aria-busy rather than disabled: a disabled button drops the keyboard focus.
  btn.setAttribute('aria-busy', 'true');
  out.className = 'result pending';
  out.textContent = btn.getAttribute('data-pending') || words.working;
  void fetch(`/dashboard/instances/${encodeURIComponent(name)}/${btn.getAttribute('data-action')}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: '{}',
  })
    .then((res): ActionReply | Promise<ActionReply> => {
      if (res.status === 401) {
        location.reload();
        return { ok: false, message: words.loggedOut };
      }
      return (res.json() as Promise<ActionReply>).catch(() => ({ ok: false, message: fill(words.serverAnswered, 'status', String(res.status)) }));
    })
    .then((result) => {
      show(out, result);
    })
    .catch((err: unknown) => {
      show(out, { ok: false, message: fill(words.requestFailed, 'why', message(err, words.noAnswer)) });
    })
    .then(() => {
      btn.removeAttribute('aria-busy');
      refresh();
    });
});

document.addEventListener('visibilitychange', () => {
  if (document.hidden) clearTimeout(timer);
  else refresh();
});
schedule();
