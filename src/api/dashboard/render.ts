import { createHash } from 'node:crypto';
import { assetPath } from '../assets.js';
import { describeChange, translator, type Locale } from '../../lib/index.js';
import { languageSwitch } from '../lang.js';
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

/** Button → the POST path segment and the catalogue keys of its label and of what the card says while it runs. */
export const ACTIONS = {
  run: { label: 'dashboard.action.run', pending: 'dashboard.action.runPending' },
  restart: { label: 'dashboard.action.restart', pending: 'dashboard.action.restartPending' },
  'test-notification': { label: 'dashboard.action.test', pending: 'dashboard.action.testPending' },
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

/** The words of one page language: the catalogue, and dates formatted for it (in the instance's zone). */
interface Words {
  locale: Locale;
  t: ReturnType<typeof translator>;
}
const words = (locale: Locale): Words => ({ locale, t: translator(locale) });
/** French puts a space before a colon. */
const colon = (locale: Locale): string => (locale === 'fr' ? ' : ' : ': ');
const stateLabel = (w: Words, state: InstanceState): string => w.t(`dashboard.state.${state}`);

const timeIn =
  (w: Words) =>
  (iso: string | null, zone: string, now: Date): string =>
    iso ? `<time datetime="${esc(iso)}">${esc(formatWhen(iso, zone, now, w.locale))}</time>` : '<span class="muted">—</span>';

function outcomeBadge(w: Words, outcome: string): string {
  const cls = outcome === 'success' || outcome === 'dry-run' ? 'ok' : outcome === 'partial' ? 'warn' : 'bad';
  return `<span class="badge outcome-${cls}">${esc(w.t(`dashboard.outcome.${outcome}`, { defaultValue: outcome }))}</span>`;
}

/** The zone for times that belong to no instance (the heartbeat, "updated"): the first instance's, else Paris. */
export function pageZone(state: DashboardState): string {
  return state.instances.find((i) => i.state !== 'invalid')?.timezone ?? 'Europe/Paris';
}

/** "updated 14:05:09": when the state was read, in the page's zone. */
export function renderUpdated(state: DashboardState): string {
  return formatClock(state.generatedAt, pageZone(state));
}

export function renderSummary(state: DashboardState, locale: Locale): string {
  const w = words(locale);
  const { t } = w;
  const time = timeIn(w);
  const now = new Date(state.generatedAt);
  const counts = new Map<string, number>();
  for (const i of state.instances) counts.set(stateLabel(w, i.state), (counts.get(stateLabel(w, i.state)) ?? 0) + 1);
  const tally = [...counts].map(([label, n]) => `${n} ${esc(label)}`).join(' · ');
  const sup = state.supervisor;
  const zone = pageZone(state);
  const supLine = sup.running
    ? `<span class="dot ok" aria-hidden="true"></span>${t('dashboard.supUp', { runtime: esc(sup.runtime ?? '?'), at: time(sup.heartbeatAt, zone, now) })}`
    : `<span class="dot warn" aria-hidden="true"></span>${sup.heartbeatAt ? t('dashboard.supDownSince', { at: time(sup.heartbeatAt, zone, now) }) : esc(t('dashboard.supDown'))}${esc(t('dashboard.supDownWhy'))}`;
  return [
    `<p class="sup">${supLine}</p>`,
    sup.runtimeError ? `<p class="sup bad-text">${esc(t('dashboard.runtimeError', { error: sup.runtimeError }))}</p>` : '',
    `<p class="tally">${esc(t('dashboard.instances', { count: state.instances.length }))}${tally ? `${colon(locale)}${tally}` : ''}</p>`,
    renderDiscord(w, state, zone, now),
  ].join('');
}

/** The Gateway's state, one line per Discord channel being read (fine, or which permission or intent is missing), and the newest messages. */
function renderDiscord(w: Words, state: DashboardState, zone: string, now: Date): string {
  return renderGateway(w, state, zone, now) + renderChannels(w, state, zone, now) + renderMessages(w, state, zone, now);
}

function renderGateway(w: Words, state: DashboardState, zone: string, now: Date): string {
  const g = state.discordGateway;
  if (g === null) return '';
  const at = timeIn(w);
  const last = g.lastEventAt
    ? w.t('dashboard.gatewayLast', { at: at(g.lastEventAt, zone, now), lag: g.lagMs !== null ? w.t('dashboard.gatewayLag', { ms: g.lagMs }) : '' })
    : '';
  if (g.status === 'connected') return `<p class="sup"><span class="dot ok" aria-hidden="true"></span>${w.t('dashboard.gatewayConnected')}${last}</p>`;
  if (g.status === 'stopped') {
    return `<p class="sup bad-text"><span class="dot bad" aria-hidden="true"></span>${w.t('dashboard.gatewayStopped')}${g.reason ? `: ${esc(g.reason)}` : ''} (${at(g.since, zone, now)})</p>`;
  }
  return `<p class="sup"><span class="dot" aria-hidden="true"></span>${w.t('dashboard.gatewayState', { status: esc(g.status), since: at(g.since, zone, now) })}${last}</p>`;
}

/** One line per Discord channel being read: fine, or which permission or intent is missing (silent in Discord's answers). */
function renderChannels(w: Words, state: DashboardState, zone: string, now: Date): string {
  if (state.discord.length === 0) return '';
  const failing = state.discord.filter((c) => !c.ok);
  if (failing.length === 0)
    return `<p class="sup"><span class="dot ok" aria-hidden="true"></span>${esc(w.t('dashboard.discordOk', { count: state.discord.length }))}</p>`;
  return failing
    .map(
      (c) =>
        `<p class="sup bad-text"><span class="dot bad" aria-hidden="true"></span>${w.t('dashboard.discordBad', { channel: esc(c.channelId), problem: esc(c.problem ?? w.t('dashboard.discordUnreadable')), at: timeIn(w)(c.at, zone, now) })}</p>`,
    )
    .join('');
}

function renderMessages(w: Words, state: DashboardState, zone: string, now: Date): string {
  if (state.discordMessages.length === 0) return '';
  const at = timeIn(w);
  const items = state.discordMessages.map(
    (m) =>
      `<li>${at(m.createdAt, zone, now)} <strong>${esc(m.author)}</strong>: ${esc(m.content)}${m.edited ? ` <span class="muted">(${esc(w.t('dashboard.edited'))})</span>` : ''}</li>`,
  );
  return `<ul class="sup small discord-messages" aria-label="${esc(w.t('dashboard.newestMessages'))}">${items.join('')}</ul>`;
}

function renderClasses(w: Words, i: InstanceView, now: Date): string {
  const { t } = w;
  if (!i.timetable) return '';
  if (i.upcoming.length === 0) return `<section><h3>${esc(t('dashboard.next7'))}</h3><p class="muted">${esc(t('dashboard.noClasses'))}</p></section>`;
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
      current = formatDay(c.start, i.timezone, w.locale);
    }
    const inProgress = Date.parse(c.start) <= now.getTime() ? ` <span class="now">${esc(t('dashboard.now'))}</span>` : '';
    rows.push(
      `<li><span class="hours">${esc(formatTime(c.start, i.timezone))}–${esc(formatTime(c.end, i.timezone))}</span> <span class="title">${esc(c.title)}${inProgress}</span></li>`,
    );
  }
  flush();
  return `<section><h3>${esc(t('dashboard.next7'))}</h3><ul class="classes">${days.join('')}</ul>${more > 0 ? `<p class="muted">${esc(t('dashboard.moreClasses', { count: more }))}</p>` : ''}</section>`;
}

function renderWatchers(w: Words, i: InstanceView, now: Date): string {
  const { t } = w;
  const time = timeIn(w);
  if (i.watchers.length === 0) return '';
  const items = i.watchers.map((x) => {
    const slots =
      x.slotCount === 0
        ? `<p class="muted">${esc(t('dashboard.noSlot'))}</p>`
        : `<ul class="slots">${x.slots.map((s) => `<li>${time(s.start, x.timezone, now)}</li>`).join('')}${x.slotCount > x.slots.length ? `<li class="muted">${esc(t('dashboard.moreSlots', { count: x.slotCount - x.slots.length }))}</li>` : ''}</ul>`;
    return (
      `<li class="watcher"><div class="watcher-head"><strong>${esc(x.name)}</strong> <span class="muted">${esc(x.provider)}</span> <span class="pill">${esc(t('dashboard.slotCount', { count: x.slotCount }))}</span></div>` +
      slots +
      `<p class="small muted">${t('dashboard.checked', { at: time(x.checkedAt, x.timezone, now), last: x.lastAlertAt ? time(x.lastAlertAt, x.timezone, now) : esc(t('dashboard.never')) })}</p></li>`
    );
  });
  return `<section><h3>${esc(t('dashboard.watchers'))}</h3><ul class="watchers">${items.join('')}</ul></section>`;
}

/** The last timetable changes announced, each as the alert said it, in the page's language and the instance's zone. */
function renderLastChanges(w: Words, i: InstanceView, now: Date): string {
  if (!i.timetable) return '';
  if (i.lastChanges.length === 0)
    return `<section><h3>${esc(w.t('dashboard.lastChanges'))}</h3><p class="muted small">${esc(w.t('dashboard.noChanges'))}</p></section>`;
  const time = timeIn(w);
  const items = i.lastChanges.map(
    (e) =>
      `<li><span class="small muted">${time(e.at, i.timezone, now)}</span><ul>` +
      e.changes.map((c) => `<li${c.urgent ? ' class="urgent"' : ''}>${esc(describeChange(c, i.timezone, w.locale))}</li>`).join('') +
      (e.more > 0 ? `<li class="muted">${esc(w.t('changes.more', { count: e.more }))}</li>` : '') +
      `</ul></li>`,
  );
  return `<section><h3>${esc(w.t('dashboard.lastChanges'))}</h3><ul class="changes">${items.join('')}</ul></section>`;
}

/** The last alerts (one line each, whatever the number of channels) and whether they reached their channels. */
function renderLastAlerts(w: Words, i: InstanceView, now: Date): string {
  if (i.lastAlerts.length === 0) return '';
  const time = timeIn(w);
  const rows = i.lastAlerts.map(
    (a) =>
      `<li>${time(a.at, i.timezone, now)} <span class="pill delivery-${a.delivery}">${esc(w.t(`dashboard.delivery.${a.delivery}`))}</span> <span class="msg">${esc(a.title)}</span></li>`,
  );
  return `<section><h3>${esc(w.t('dashboard.lastAlerts'))}</h3><ul class="alerts">${rows.join('')}</ul></section>`;
}

function renderErrors(w: Words, i: InstanceView, now: Date): string {
  if (i.errors.length === 0) return '';
  const time = timeIn(w);
  const rows = i.errors.map(
    (e) =>
      `<li>${e.at ? `${time(e.at, i.timezone, now)} ` : ''}${e.phase ? `<span class="phase">${esc(e.phase)}</span> ` : ''}<span class="msg"${e.code ? ` data-code="${esc(e.code)}"` : ''}>${esc(e.message)}</span></li>`,
  );
  return `<section><h3>${esc(w.t('dashboard.errors'))} <span class="muted small">(errors.log)</span></h3><ul class="errors">${rows.join('')}</ul></section>`;
}

function renderLastRun(w: Words, i: InstanceView, now: Date): string {
  const { t } = w;
  const r = i.lastRun;
  if (!r) return `<div><dt>${esc(t('dashboard.lastRun'))}</dt><dd class="muted">${esc(t('dashboard.never'))}</dd></div>`;
  return (
    `<div><dt>${esc(t('dashboard.lastRun'))}</dt><dd>${timeIn(w)(r.finishedAt, i.timezone, now)} ${outcomeBadge(w, r.outcome)} <span class="muted">${esc(t('dashboard.inDuration', { duration: formatDuration(r.durationMs, w.locale) }))}</span></dd></div>` +
    `<div><dt>${esc(t('dashboard.changes'))}</dt><dd><span class="counts" title="${esc(t('dashboard.countsHint'))}">` +
    `<span class="c-created">+${r.created}</span> <span class="c-updated">~${r.updated}</span> <span class="c-deleted">−${r.deleted}</span></span>` +
    ` <span class="muted">· ${esc(t('dashboard.events', { count: r.courses }))}</span></dd></div>`
  );
}

/** The card's changing part: everything but the buttons (so a refresh never takes the keyboard focus away). */
export function renderCardLive(i: InstanceView, now: Date, locale: Locale): string {
  const w = words(locale);
  const { t } = w;
  const head =
    `<div class="card-head"><h2 id="title-${esc(i.name)}">${esc(i.name)}</h2>` +
    `<span class="badge st-${i.state}">${esc(stateLabel(w, i.state))}</span>` +
    (i.syncing ? `<span class="badge st-syncing">${esc(t('dashboard.syncing'))}</span>` : '') +
    (i.restartCount > 0 && i.state !== 'invalid'
      ? `<span class="pill" title="${esc(t('dashboard.restartsHint'))}">${esc(t('dashboard.restarts', { count: i.restartCount }))}</span>`
      : '') +
    `</div>`;
  if (i.state === 'invalid') {
    return (
      head +
      `<p class="config-error"><strong>${esc(t('dashboard.cannotLoad'))}</strong> ${esc(i.configErrorIn?.[w.locale] ?? i.configError ?? 'invalid')}</p>` +
      `<p class="small muted">${esc(t('dashboard.fixFile'))}</p>` +
      (i.lastRun ? `<dl class="facts">${renderLastRun(w, i, now)}</dl>` : '') +
      renderErrors(w, i, now)
    );
  }
  const meta = [esc(i.timezone), i.schedule ? t('dashboard.schedule', { schedule: esc(i.schedule) }) : esc(t('dashboard.slotsOnly'))];
  if (i.node) meta.push(t('dashboard.onNode', { node: esc(i.node) }));
  if (i.stateSource === 'worker') meta.push(esc(t('dashboard.fromWorker')));
  const facts = i.timetable
    ? `${renderLastRun(w, i, now)}<div><dt>${esc(t('dashboard.nextRun'))}</dt><dd>${timeIn(w)(i.nextRun, i.timezone, now)}</dd></div>`
    : '';
  // A refused run is the card's reason when there is one; otherwise the last run's own error.
  const runError = i.stateReason?.startsWith('runs refused')
    ? `<p class="run-error"><strong>${esc(t('dashboard.failing'))}</strong> ${esc(i.stateReason)}</p>`
    : i.lastRun?.error
      ? `<p class="run-error"><strong>${esc(i.lastRun.phase ?? 'run')}:</strong> ${esc(i.lastRun.error)}</p>`
      : '';
  const plot =
    i.timetable && i.runs.length > 0
      ? `<section><h3>${esc(t('dashboard.runs'))}</h3>${renderRunPlot(i.runs, { zone: i.timezone, now, locale })}</section>`
      : '';
  return (
    head +
    `<p class="meta small muted">${meta.join(' · ')}</p>` +
    (facts ? `<dl class="facts">${facts}</dl>` : '') +
    runError +
    renderClasses(w, i, now) +
    renderLastChanges(w, i, now) +
    renderWatchers(w, i, now) +
    renderLastAlerts(w, i, now) +
    renderErrors(w, i, now) +
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

export function renderCardActions(i: InstanceView, locale: Locale): string {
  const t = translator(locale);
  const buttons = actionsFor(i).map((a) => {
    const label = t(ACTIONS[a].label);
    return `<button type="button" class="btn${a === 'run' ? ' btn-primary' : ''}" data-action="${a}" data-pending="${esc(t(ACTIONS[a].pending))}" aria-label="${esc(`${label}: ${i.name}`)}">${esc(label)}</button>`;
  });
  // Delete opens its own confirmation page (api/self/owner-delete.ts), an invalid config's too.
  const remove = `<a class="btn btn-quiet" href="/dashboard/delete/${encodeURIComponent(i.name)}" aria-label="${esc(`${t('self.deleteLink')} ${i.name}`)}">${esc(t('self.deleteLink'))}</a>`;
  // Edit opens the guided form filled in from the file (api/onboard/edit.ts), secrets only as "set".
  const edit = `<a class="btn btn-quiet" href="/dashboard/configs/${encodeURIComponent(i.name)}/edit" aria-label="${esc(`${t('onboardEdit.editLink')} ${i.name}`)}">${esc(t('onboardEdit.editLink'))}</a>`;
  return buttons.join('') + edit + remove;
}

export function renderFragments(state: DashboardState, locale: Locale): Fragments {
  const now = new Date(state.generatedAt);
  return {
    summary: fragment(renderSummary(state, locale)),
    updated: renderUpdated(state),
    cards: state.instances.map((i) => ({ name: i.name, live: fragment(renderCardLive(i, now, locale)), actions: fragment(renderCardActions(i, locale)) })),
  };
}

/**
 * The page's switch to the other language(s): a plain link (`?lang=`, kept in a cookie by the server), so it works
 * without the script and on the login page too.
 */
function page(title: string, body: string, opts: { script: boolean; locale: Locale }): string {
  return [
    '<!doctype html>',
    `<html lang="${opts.locale}">`,
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

/**
 * The few words the page's script says itself (not re-rendered by the server), handed over in a data attribute.
 * `pollMs` is the interval the page really polls at (data-poll-ms), so "every N s" never says 5 when it is 1.
 */
function scriptWords(locale: Locale, pollMs: number): string {
  const t = translator(locale);
  return JSON.stringify({
    live: t('dashboard.live', { seconds: pollMs / 1000 }),
    stale: t('dashboard.stale', { why: '{why}' }),
    noAnswer: t('dashboard.noAnswer'),
    working: t('dashboard.working'),
    loggedOut: t('dashboard.loggedOut'),
    serverAnswered: t('dashboard.serverAnswered', { status: '{status}' }),
    requestFailed: t('dashboard.requestFailed', { why: '{why}' }),
  });
}

export function renderDashboardPage(state: DashboardState, locale: Locale): string {
  const t = translator(locale);
  const f = renderFragments(state, locale);
  const cards = f.cards.map(
    (c) =>
      `<article class="card" id="card-${esc(c.name)}" data-name="${esc(c.name)}" aria-labelledby="title-${esc(c.name)}">` +
      `<div class="live" data-v="${c.live.v}">${c.live.html}</div>` +
      `<div class="actions" data-v="${c.actions.v}">${c.actions.html}</div>` +
      `<output class="result" aria-live="polite"></output></article>`,
  );
  const pollMs = pollMsOf(state);
  const body = [
    `<body data-poll-ms="${pollMs}" data-words="${esc(scriptWords(locale, pollMs))}">`,
    '<header class="top">',
    `<div class="brand"><h1>campus-sync</h1><span class="muted small">${esc(t('dashboard.subtitle'))}</span></div>`,
    `<div id="summary" class="summary" data-v="${f.summary.v}">${f.summary.html}</div>`,
    // The guided form for a new config and its invitations (api/onboard, issue 23).
    `<a class="btn" href="/dashboard/configs/new">${esc(t('onboard.titleOwner'))}</a>`,
    languageSwitch(locale, '/'),
    `<form method="post" action="/logout" class="logout"><button type="submit" class="btn btn-quiet">${esc(t('dashboard.logout'))}</button></form>`,
    '</header>',
    `<main id="cards" class="cards">${cards.join('') || `<p class="muted">${t('dashboard.noConfig')}</p>`}</main>`,
    `<footer class="foot small muted"><span id="live-status">${esc(t('dashboard.live', { seconds: pollMs / 1000 }))}</span> · ${esc(t('dashboard.updated'))} <time id="updated" datetime="${esc(state.generatedAt)}">${esc(f.updated)}</time></footer>`,
    '</body>',
  ].join('\n');
  return page(t('dashboard.title'), body, { script: true, locale });
}

export function renderLoginPage(opts: { error?: string; locale: Locale }): string {
  const t = translator(opts.locale);
  const body = [
    '<body class="login-body">',
    '<main class="login">',
    languageSwitch(opts.locale, '/'),
    '<h1>campus-sync</h1>',
    `<p class="muted">${esc(t('login.intro'))}</p>`,
    // Where the key is, for the first visit: the supervisor made one at its first start (cli/api-key.ts).
    `<p class="small muted">${t('login.keyHint')}</p>`,
    opts.error ? `<p class="login-error" role="alert">${esc(opts.error)}</p>` : '',
    '<form method="post" action="/login">',
    `<label for="key">${esc(t('login.key'))}</label>`,
    '<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>',
    `<button type="submit" class="btn btn-primary">${esc(t('login.submit'))}</button>`,
    '</form>',
    `<p class="small muted">${esc(t('login.cookieNote'))}</p>`,
    '</main>',
    '</body>',
  ].join('\n');
  return page(t('login.title'), body, { script: false, locale: opts.locale });
}
