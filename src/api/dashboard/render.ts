import { createHash } from 'node:crypto';
import { assetPath } from '../assets.js';
import { dayKey, formatClock, formatDay, formatDuration, formatTime, formatWhen } from './format.js';
import { esc } from './html.js';
import { renderRunPlot } from './plot.js';
import type { DashboardState, InstanceState, InstanceView } from './state.js';

/** Classes listed on a card; the state has up to UPCOMING_MAX, the rest is counted in a line. */
export const UPCOMING_SHOWN = 12;
/** How often the page asks for fresh state: a run or a slot shows within seconds, and it is one small request. */
export const POLL_MS = 5_000;
/**
 * While Discord ingestion runs live, a message should show about as fast as it arrives (within a second);
 * the page polls this often then, and only while it is visible (the script pauses on hidden tabs).
 */
export const LIVE_POLL_MS = 1_000;

const pollMsOf = (state: DashboardState): number => (state.discordGateway !== null && state.discordGateway.status !== 'stopped' ? LIVE_POLL_MS : POLL_MS);

/** Button → the POST path segment, its label, and what the card says while it runs. */
export const ACTIONS = {
  run: { label: 'Run now', pending: 'Running a sync… (this can take a minute)' },
  restart: { label: 'Restart worker', pending: 'Asking the supervisor to restart the worker…' },
  'test-notification': { label: 'Send test notification', pending: 'Sending a test message to each channel…' },
} as const;
export type ActionName = keyof typeof ACTIONS;

/** A region of the page and a short digest of it: the page replaces a region only when its digest changed. */
export interface Fragment {
  html: string;
  v: string;
}

export interface Fragments {
  summary: Fragment;
  /** The "updated" clock of the footer. */
  updated: string;
  cards: { name: string; live: Fragment; actions: Fragment }[];
}

const fragment = (html: string): Fragment => ({ html, v: createHash('sha256').update(html).digest('hex').slice(0, 16) });

const STATE_LABEL: Record<InstanceState, string> = {
  running: 'running',
  failing: 'failing',
  'never-synced': 'never synced',
  starting: 'starting',
  stopped: 'stopped',
  'crash-looping': 'crash-looping',
  invalid: 'invalid config',
  missing: 'no worker',
  unknown: 'state unknown',
};

const time = (iso: string | null, zone: string, now: Date): string =>
  iso ? `<time datetime="${esc(iso)}">${esc(formatWhen(iso, zone, now))}</time>` : '<span class="muted">—</span>';

function outcomeBadge(outcome: string): string {
  const cls = outcome === 'success' || outcome === 'dry-run' ? 'ok' : outcome === 'partial' ? 'warn' : 'bad';
  return `<span class="badge outcome-${cls}">${esc(outcome)}</span>`;
}

/** The zone for times that belong to no instance (the heartbeat, "updated"): the first instance's, else Paris. */
export function pageZone(state: DashboardState): string {
  return state.instances.find((i) => i.state !== 'invalid')?.timezone ?? 'Europe/Paris';
}

/** "updated 14:05:09": when the state was read, in the page's zone. */
export function renderUpdated(state: DashboardState): string {
  return formatClock(state.generatedAt, pageZone(state));
}

export function renderSummary(state: DashboardState): string {
  const now = new Date(state.generatedAt);
  const counts = new Map<string, number>();
  for (const i of state.instances) counts.set(STATE_LABEL[i.state], (counts.get(STATE_LABEL[i.state]) ?? 0) + 1);
  const tally = [...counts].map(([label, n]) => `${n} ${esc(label)}`).join(' · ');
  const sup = state.supervisor;
  const zone = pageZone(state);
  const supLine = sup.running
    ? `<span class="dot ok" aria-hidden="true"></span>Supervisor up (${esc(sup.runtime ?? '?')} runtime), heartbeat ${time(sup.heartbeatAt, zone, now)}`
    : `<span class="dot warn" aria-hidden="true"></span>No supervisor heartbeat${sup.heartbeatAt ? ` since ${time(sup.heartbeatAt, zone, now)}` : ''}: states come from the workers' own files`;
  return [
    `<p class="sup">${supLine}</p>`,
    sup.runtimeError ? `<p class="sup bad-text">Runtime unreachable: ${esc(sup.runtimeError)}</p>` : '',
    `<p class="tally">${state.instances.length} instance(s)${tally ? `: ${tally}` : ''}</p>`,
    renderDiscord(state, zone, now),
  ].join('');
}

/** The Gateway's state, one line per Discord channel being read (fine, or which permission or intent is missing), and the newest messages. */
function renderDiscord(state: DashboardState, zone: string, now: Date): string {
  return renderGateway(state, zone, now) + renderChannels(state, zone, now) + renderMessages(state, zone, now);
}

function renderGateway(state: DashboardState, zone: string, now: Date): string {
  const g = state.discordGateway;
  if (g === null) return '';
  const last = g.lastEventAt ? `, last event ${time(g.lastEventAt, zone, now)}${g.lagMs !== null ? ` (lag ${g.lagMs} ms)` : ''}` : '';
  if (g.status === 'connected') return `<p class="sup"><span class="dot ok" aria-hidden="true"></span>Discord live: connected${last}</p>`;
  if (g.status === 'stopped') {
    return `<p class="sup bad-text"><span class="dot bad" aria-hidden="true"></span>Discord live: stopped${g.reason ? `: ${esc(g.reason)}` : ''} (${time(g.since, zone, now)})</p>`;
  }
  return `<p class="sup"><span class="dot" aria-hidden="true"></span>Discord live: ${esc(g.status)} since ${time(g.since, zone, now)}${last}</p>`;
}

function renderChannels(state: DashboardState, zone: string, now: Date): string {
  if (state.discord.length === 0) return '';
  const failing = state.discord.filter((c) => !c.ok);
  if (failing.length === 0) return `<p class="sup"><span class="dot ok" aria-hidden="true"></span>Discord: ${state.discord.length} channel(s) read</p>`;
  return failing
    .map(
      (c) =>
        `<p class="sup bad-text"><span class="dot bad" aria-hidden="true"></span>Discord channel <code>${esc(c.channelId)}</code>: ${esc(c.problem ?? 'cannot be read')} (${time(c.at, zone, now)})</p>`,
    )
    .join('');
}

function renderMessages(state: DashboardState, zone: string, now: Date): string {
  if (state.discordMessages.length === 0) return '';
  const items = state.discordMessages.map(
    (m) => `<li>${time(m.createdAt, zone, now)} <strong>${esc(m.author)}</strong>: ${esc(m.content)}${m.edited ? ' <span class="muted">(edited)</span>' : ''}</li>`,
  );
  return `<ul class="sup small discord-messages" aria-label="Newest Discord messages">${items.join('')}</ul>`;
}

function renderClasses(i: InstanceView, now: Date): string {
  if (!i.timetable) return '';
  if (i.upcoming.length === 0) return `<section><h3>Next 7 days</h3><p class="muted">No classes in the coming week.</p></section>`;
  const shown = i.upcoming.slice(0, UPCOMING_SHOWN);
  const more = i.upcoming.length - shown.length + i.upcomingMore;
  const days: string[] = [];
  let current = '';
  let rows: string[] = [];
  const flush = (): void => {
    if (rows.length > 0) days.push(`<li><span class="day">${esc(current)}</span><ul class="day-classes">${rows.join('')}</ul></li>`);
    rows = [];
  };
  let currentKey = '';
  for (const c of shown) {
    const key = dayKey(c.start, i.timezone);
    if (key !== currentKey) {
      flush();
      currentKey = key;
      current = formatDay(c.start, i.timezone);
    }
    const inProgress = Date.parse(c.start) <= now.getTime() ? ' <span class="now">now</span>' : '';
    rows.push(
      `<li><span class="hours">${esc(formatTime(c.start, i.timezone))}–${esc(formatTime(c.end, i.timezone))}</span> <span class="title">${esc(c.title)}${inProgress}</span></li>`,
    );
  }
  flush();
  return `<section><h3>Next 7 days</h3><ul class="classes">${days.join('')}</ul>${more > 0 ? `<p class="muted">and ${more} more this week</p>` : ''}</section>`;
}

function renderWatchers(i: InstanceView, now: Date): string {
  if (i.watchers.length === 0) return '';
  const items = i.watchers.map((w) => {
    const slots =
      w.slotCount === 0
        ? '<p class="muted">No slot open now.</p>'
        : `<ul class="slots">${w.slots.map((s) => `<li>${time(s.start, w.timezone, now)}</li>`).join('')}${w.slotCount > w.slots.length ? `<li class="muted">+${w.slotCount - w.slots.length} more</li>` : ''}</ul>`;
    return (
      `<li class="watcher"><div class="watcher-head"><strong>${esc(w.name)}</strong> <span class="muted">${esc(w.provider)}</span> <span class="pill">${w.slotCount} slot(s)</span></div>` +
      slots +
      `<p class="small muted">Checked ${time(w.checkedAt, w.timezone, now)} · last alert ${w.lastAlertAt ? time(w.lastAlertAt, w.timezone, now) : 'never'}</p></li>`
    );
  });
  return `<section><h3>Slot watchers</h3><ul class="watchers">${items.join('')}</ul></section>`;
}

function renderErrors(i: InstanceView, now: Date): string {
  if (i.errors.length === 0) return '';
  const rows = i.errors.map(
    (e) => `<li>${e.at ? `${time(e.at, i.timezone, now)} ` : ''}${e.phase ? `<span class="phase">${esc(e.phase)}</span> ` : ''}<span class="msg">${esc(e.message)}</span></li>`,
  );
  return `<section><h3>Latest errors <span class="muted small">(errors.log)</span></h3><ul class="errors">${rows.join('')}</ul></section>`;
}

function renderLastRun(i: InstanceView, now: Date): string {
  const r = i.lastRun;
  if (!r) return `<div><dt>Last run</dt><dd class="muted">never</dd></div>`;
  return (
    `<div><dt>Last run</dt><dd>${time(r.finishedAt, i.timezone, now)} ${outcomeBadge(r.outcome)} <span class="muted">in ${esc(formatDuration(r.durationMs))}</span></dd></div>` +
    `<div><dt>Changes</dt><dd><span class="counts" title="created, updated, deleted">` +
    `<span class="c-created">+${r.created}</span> <span class="c-updated">~${r.updated}</span> <span class="c-deleted">−${r.deleted}</span></span>` +
    ` <span class="muted">· ${r.courses} events in the timetable</span></dd></div>`
  );
}

/** The card's changing part: everything but the buttons (so a refresh never takes the keyboard focus away). */
export function renderCardLive(i: InstanceView, now: Date): string {
  const head =
    `<div class="card-head"><h2 id="title-${esc(i.name)}">${esc(i.name)}</h2>` +
    `<span class="badge st-${i.state}">${esc(STATE_LABEL[i.state])}</span>` +
    (i.syncing ? '<span class="badge st-syncing">syncing…</span>' : '') +
    (i.restartCount > 0 && i.state !== 'invalid' ? `<span class="pill">${i.restartCount} restart(s)</span>` : '') +
    `</div>`;
  if (i.state === 'invalid') {
    return (
      head +
      `<p class="config-error"><strong>This config cannot be loaded:</strong> ${esc(i.configError ?? 'invalid')}</p>` +
      `<p class="small muted">Fix the file, then the supervisor picks it up; its running worker (if any) is left as it was.</p>` +
      (i.lastRun ? `<dl class="facts">${renderLastRun(i, now)}</dl>` : '') +
      renderErrors(i, now)
    );
  }
  const meta = [esc(i.timezone), i.schedule ? `schedule <code>${esc(i.schedule)}</code>` : 'slot watcher only'];
  if (i.node) meta.push(`on node <strong>${esc(i.node)}</strong>`);
  if (i.stateSource === 'worker') meta.push('state from the worker file');
  const facts = i.timetable ? renderLastRun(i, now) + `<div><dt>Next run</dt><dd>${time(i.nextRun, i.timezone, now)}</dd></div>` : '';
  // A refused run is the card's reason when there is one; otherwise the last run's own error.
  const runError = i.stateReason?.startsWith('runs refused')
    ? `<p class="run-error"><strong>Failing:</strong> ${esc(i.stateReason)}</p>`
    : i.lastRun?.error
      ? `<p class="run-error"><strong>${esc(i.lastRun.phase ?? 'run')}:</strong> ${esc(i.lastRun.error)}</p>`
      : '';
  const plot = i.timetable && i.runs.length > 0 ? `<section><h3>Runs</h3>${renderRunPlot(i.runs, { zone: i.timezone, now })}</section>` : '';
  return (
    head +
    `<p class="meta small muted">${meta.join(' · ')}</p>` +
    (facts ? `<dl class="facts">${facts}</dl>` : '') +
    runError +
    renderClasses(i, now) +
    renderWatchers(i, now) +
    renderErrors(i, now) +
    plot
  );
}

/** Which buttons an instance gets: a sync for a timetable, a restart for any valid config, a test where channels exist. */
export function actionsFor(i: InstanceView): ActionName[] {
  if (i.state === 'invalid') return [];
  const out: ActionName[] = [];
  if (i.timetable) out.push('run');
  out.push('restart');
  if (i.channels.length > 0) out.push('test-notification');
  return out;
}

export function renderCardActions(i: InstanceView): string {
  const buttons = actionsFor(i).map(
    (a) =>
      `<button type="button" class="btn${a === 'run' ? ' btn-primary' : ''}" data-action="${a}" data-pending="${esc(ACTIONS[a].pending)}" aria-label="${esc(`${ACTIONS[a].label}: ${i.name}`)}">${esc(ACTIONS[a].label)}</button>`,
  );
  return buttons.join('');
}

export function renderFragments(state: DashboardState): Fragments {
  const now = new Date(state.generatedAt);
  return {
    summary: fragment(renderSummary(state)),
    updated: renderUpdated(state),
    cards: state.instances.map((i) => ({ name: i.name, live: fragment(renderCardLive(i, now)), actions: fragment(renderCardActions(i)) })),
  };
}

function page(title: string, body: string, opts: { script: boolean }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<meta name="referrer" content="same-origin">',
    `<title>${esc(title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${assetPath('dashboard/app.css')}">`,
    opts.script ? `<script src="${assetPath('dashboard/app.js')}" defer></script>` : '',
    '</head>',
    body,
    '</html>',
  ].join('\n');
}

export function renderDashboardPage(state: DashboardState): string {
  const f = renderFragments(state);
  const cards = f.cards.map(
    (c) =>
      `<article class="card" id="card-${esc(c.name)}" data-name="${esc(c.name)}" aria-labelledby="title-${esc(c.name)}">` +
      `<div class="live" data-v="${c.live.v}">${c.live.html}</div>` +
      `<div class="actions" data-v="${c.actions.v}">${c.actions.html}</div>` +
      `<output class="result" aria-live="polite"></output></article>`,
  );
  const body = [
    `<body data-poll-ms="${pollMsOf(state)}">`,
    '<header class="top">',
    '<div class="brand"><h1>campus-sync</h1><span class="muted small">dashboard</span></div>',
    `<div id="summary" class="summary" data-v="${f.summary.v}">${f.summary.html}</div>`,
    '<form method="post" action="/logout" class="logout"><button type="submit" class="btn btn-quiet">Log out</button></form>',
    '</header>',
    `<main id="cards" class="cards">${cards.join('') || '<p class="muted">No config in the configs folder yet: <code>campus-sync add-config</code> makes one.</p>'}</main>`,
    `<footer class="foot small muted"><span id="live-status">Live: refreshed every ${pollMsOf(state) / 1000} s</span> · updated <time id="updated" datetime="${esc(state.generatedAt)}">${esc(f.updated)}</time></footer>`,
    '</body>',
  ].join('\n');
  return page('campus-sync dashboard', body, { script: true });
}

export function renderLoginPage(opts: { error?: string } = {}): string {
  const body = [
    '<body class="login-body">',
    '<main class="login">',
    '<h1>campus-sync</h1>',
    '<p class="muted">Enter an API key of this server to see the dashboard.</p>',
    // Where the key is, for the first visit: the supervisor made one at its first start (cli/api-key.ts).
    '<p class="small muted">Your key was printed once in the supervisor’s log at its first start (<code>docker logs campus-sync-supervisor</code>), and <code>./campus-sync api-key</code> shows it at any time on the machine that runs campus-sync (file <code>data/.supervisor/api-key</code>).</p>',
    opts.error ? `<p class="login-error" role="alert">${esc(opts.error)}</p>` : '',
    '<form method="post" action="/login">',
    '<label for="key">API key</label>',
    '<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>',
    '<button type="submit" class="btn btn-primary">Log in</button>',
    '</form>',
    '<p class="small muted">The key is checked by the server and never stored in the browser: a login cookie that only this server recognises is set instead.</p>',
    '</main>',
    '</body>',
  ].join('\n');
  return page('campus-sync: log in', body, { script: false });
}
