import { join } from 'node:path';
import { DateTime } from 'luxon';
import { isValidInstanceName, type InstanceConfig } from '../../config/index.js';
import type { Clock, Locale } from '../../lib/index.js';
import { readIngestHealth } from '../../ingest/index.js';
import type { AlertRow, RunRow, Store } from '../../store/index.js';
import type { LoadedConfigs } from './configs.js';
import { readRecentChanges, type RecentChanges } from '../../instance/index.js';
import {
  isHeartbeatFresh,
  readNewestErrors,
  readSeenState,
  readSupervisorStatusFile,
  readWorkerFile,
  type ErrorLine,
  type SupervisorStatusFile,
  type WorkerFile,
} from './files.js';

/** Runs drawn in the plot: about a day of hourly runs, enough to see a trend or when failures began. */
export const PLOT_RUNS = 30;
/** Newest errors.log lines on a card: the latest problem and whether it repeats. */
export const ERROR_LINES = 5;
/** Classes shown ahead: the coming week, as the issue asks. */
export const UPCOMING_DAYS = 7;
/** At most this many classes are listed (a week is ~20–30); the rest is counted. */
export const UPCOMING_MAX = 40;
/** Slots listed per watcher; the count says how many there are in all. */
export const SLOTS_SHOWN = 8;
/** Recent alerts looked through for each watcher's last one (one alert is one row per channel). */
const ALERTS_SCANNED = 200;
/**
 * Without a supervisor, an idle worker whose next run is this far past is not running any more: a live one
 * would have started that run and rewritten its file.
 */
const OVERDUE_GRACE_MS = 2 * 60_000;

/**
 * What a card says, honestly: `running` only when its worker runs AND its runs work; `failing` when the worker runs
 * but its last run failed or its runs are refused; `never-synced` when a timetable was never fetched yet.
 */
export type InstanceState = 'running' | 'failing' | 'never-synced' | 'starting' | 'stopped' | 'crash-looping' | 'invalid' | 'missing' | 'unknown';

export interface RunPoint {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: string;
  courses: number;
  created: number;
  updated: number;
  deleted: number;
}

export interface LastRunView extends RunPoint {
  phase: string | null;
  error: string | null;
  adopted: number;
  failed: number;
}

export interface WatcherView {
  name: string;
  provider: string;
  timezone: string;
  /** Upcoming slots the last check listed, soonest first (at most SLOTS_SHOWN). */
  slots: { start: string }[];
  slotCount: number;
  /** The latest check the state file records, null before the first one. */
  checkedAt: string | null;
  lastAlertAt: string | null;
}

export interface InstanceView {
  name: string;
  state: InstanceState;
  /** Where the state comes from: the supervisor's heartbeat, the worker's own file, or nothing. */
  stateSource: 'supervisor' | 'worker' | 'config' | 'none';
  configError?: string;
  /** The same in each language the page may speak. */
  configErrorIn?: Record<Locale, string>;
  /** Why the card is `failing` (a refused run, the last run's error), secrets removed. */
  stateReason?: string;
  timezone: string;
  schedule: string | null;
  timetable: boolean;
  /** Notification channel names (never their URLs or tokens). */
  channels: string[];
  /** A sync is in progress now (the worker says so). */
  syncing: boolean;
  restartCount: number;
  /** The Swarm node the worker runs on (swarm runtime), from the supervisor. */
  node?: string;
  lastRun: LastRunView | null;
  nextRun: string | null;
  errors: ErrorLine[];
  upcoming: { title: string; start: string; end: string }[];
  upcomingMore: number;
  watchers: WatcherView[];
  /** Oldest first, for the plot. */
  runs: RunPoint[];
  /** The last timetable changes the worker announced (data/<name>/changes.json), newest first. */
  lastChanges: RecentChanges;
  /** The last alerts sent or queued (one per alert, whatever the number of channels), newest first. */
  lastAlerts: AlertView[];
}

export interface AlertView {
  at: string;
  kind: string;
  severity: string;
  title: string;
  /** delivered: every channel took it; pending: waiting for its first try; failing: a channel answered an error. */
  delivery: 'delivered' | 'pending' | 'failing';
}

/** Alerts listed on a card: enough to see what was said lately. */
export const LAST_ALERTS = 5;

/** One view per alert (the store has a row per channel), newest first. */
export function alertViews(rows: readonly AlertRow[], limit = LAST_ALERTS): AlertView[] {
  const byId = new Map<string, AlertRow[]>();
  for (const r of rows) byId.set(r.alertId, [...(byId.get(r.alertId) ?? []), r]);
  return [...byId.values()]
    .map((group) => {
      const first = group[0] as AlertRow;
      const delivery: AlertView['delivery'] = group.every((r) => r.deliveredAt !== null)
        ? 'delivered'
        : group.some((r) => r.deliveredAt === null && r.lastError !== null)
          ? 'failing'
          : 'pending';
      return {
        // biome-ignore lint/complexity/useMathMinMax: ISO strings, compared as text (Math.max would make NaN of them)
        at: group.reduce((a, r) => (r.createdAt > a ? r.createdAt : a), first.createdAt),
        kind: first.kind,
        severity: first.severity,
        title: first.summary,
        delivery,
      };
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
    .slice(0, limit);
}

/** How the reading of each configured Discord channel went (ingest/health.ts), when ingestion runs here. */
export interface DiscordChannelView {
  channelId: string;
  ok: boolean;
  /** Which permission or intent is missing, or the last error, for people. */
  problem: string | null;
  at: string;
}

/** Live Discord ingestion's Gateway connection, as last recorded (ingest/health.ts), when it runs. */
export interface DiscordGatewayView {
  status: 'connecting' | 'connected' | 'resuming' | 'reconnecting' | 'stopped';
  since: string;
  /** Why it stopped (a refused token or intent, for people), or null. */
  reason: string | null;
  fatal: boolean;
  lastEventAt: string | null;
  lagMs: number | null;
}

/** The newest ingested messages, so a message posted in Discord is seen arriving. */
export interface DiscordMessageView {
  channelId: string;
  author: string;
  /** Cut to MESSAGE_PREVIEW_CHARS. */
  content: string;
  createdAt: string;
  edited: boolean;
}

/** The dashboard shows this many of the newest ingested messages. */
export const MESSAGES_SHOWN = 5;
/** A preview, not the message: the API has the rest. */
const MESSAGE_PREVIEW_CHARS = 120;

export interface DashboardState {
  generatedAt: string;
  discordGateway: DiscordGatewayView | null;
  discordMessages: DiscordMessageView[];
  supervisor: { running: boolean; runtime: string | null; heartbeatAt: string | null; runtimeError: string | null };
  instances: InstanceView[];
  discord: DiscordChannelView[];
}

const DEFAULT_ZONE = 'Europe/Paris';

const point = (r: RunRow): RunPoint => ({
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  durationMs: r.durationMs,
  outcome: r.outcome,
  courses: r.courses,
  created: r.created,
  updated: r.updated,
  deleted: r.deleted,
});

/** The supervisor's word when its heartbeat is fresh; otherwise what the worker's file suggests. */
function decideState(
  name: string,
  supervisor: SupervisorStatusFile | null,
  worker: WorkerFile | null,
  now: Date,
): { state: InstanceState; source: InstanceView['stateSource']; restartCount: number; node?: string } {
  const fromSupervisor = supervisor?.instances.find((i) => i.name === name);
  if (fromSupervisor) {
    const known: InstanceState[] = ['running', 'failing', 'starting', 'stopped', 'crash-looping', 'invalid', 'missing'];
    const state = known.includes(fromSupervisor.state as InstanceState) ? (fromSupervisor.state as InstanceState) : 'unknown';
    return { state, source: 'supervisor', restartCount: fromSupervisor.restartCount, ...(fromSupervisor.node ? { node: fromSupervisor.node } : {}) };
  }
  if (!worker) return { state: 'unknown', source: 'none', restartCount: 0 };
  if (worker.state === 'stopped' || worker.state === 'stopping') return { state: 'stopped', source: 'worker', restartCount: 0 };
  if (worker.state === 'running') return { state: 'running', source: 'worker', restartCount: 0 };
  const next = worker.nextRun ? Date.parse(worker.nextRun) : NaN;
  if (Number.isFinite(next) && next >= now.getTime() - OVERDUE_GRACE_MS) return { state: 'running', source: 'worker', restartCount: 0 };
  return { state: 'unknown', source: 'worker', restartCount: 0 };
}

/**
 * A worker that runs is not yet a working instance: a refused run (a lock, say) or a failed last run makes the
 * card `failing` with the reason, and a timetable never fetched `never-synced`. Other states stay as decided.
 */
export function honestState(
  decided: InstanceState,
  facts: { runRefused?: { reason: string } | undefined; lastRun: LastRunView | null; timetable: boolean },
): { state: InstanceState; reason?: string } {
  if (decided !== 'running' && decided !== 'failing') return { state: decided };
  if (facts.runRefused) return { state: 'failing', reason: `runs refused: ${facts.runRefused.reason}` };
  if (facts.lastRun && facts.lastRun.outcome === 'failed') {
    return { state: 'failing', reason: `${facts.lastRun.phase ?? 'run'}: ${facts.lastRun.error ?? 'the last run failed'}` };
  }
  if (decided === 'failing') return { state: 'failing' };
  if (facts.timetable && facts.lastRun === null) return { state: 'never-synced' };
  return { state: 'running' };
}

const latest = (a: string | null, b: string | undefined): string | null => (b !== undefined && (a === null || Date.parse(b) > Date.parse(a)) ? b : a);

async function watcherView(dataDir: string, instance: InstanceConfig, w: InstanceConfig['slots'][number], alerts: AlertRow[], now: Date): Promise<WatcherView> {
  const zone = w.timezone ?? instance.timezone;
  const seen = await readSeenState(dataDir, instance.name, w.name);
  let checkedAt: string | null = null;
  let alertedInState: string | null = null;
  const current: { start: string }[] = [];
  for (const e of Object.values(seen?.seen ?? {})) {
    checkedAt = latest(latest(checkedAt, e.lastSeen), e.goneSince);
    alertedInState = latest(alertedInState, e.lastAlerted);
    if (e.goneSince === undefined && Date.parse(e.start) >= now.getTime()) current.push({ start: e.start });
  }
  current.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  // The worker titles a slot alert `… (<watcher>)` in the config's language (before: `<n> new slot(s): <watcher>`);
  // the journal keeps the title as the summary.
  const ofWatcher = (summary: string): boolean => summary.endsWith(` (${w.name})`) || summary.endsWith(`: ${w.name}`);
  const fromStore = alerts.filter((a) => a.kind === 'slot.new' && ofWatcher(a.summary)).reduce<string | null>((acc, a) => latest(acc, a.createdAt), null);
  return {
    name: w.name,
    provider: w.provider,
    timezone: zone,
    slots: current.slice(0, SLOTS_SHOWN),
    slotCount: current.length,
    checkedAt,
    lastAlertAt: fromStore ?? alertedInState,
  };
}

/** The coming week of classes, from the start of today in the instance's zone (a class in progress is shown). */
async function upcomingClasses(store: Store, config: InstanceConfig, now: Date): Promise<{ rows: InstanceView['upcoming']; more: number }> {
  const from = DateTime.fromJSDate(now, { zone: config.timezone }).startOf('day');
  const to = from.plus({ days: UPCOMING_DAYS + 1 });
  const page = await store.listEvents(config.name, { from: from.toUTC().toISO() as string, to: to.toUTC().toISO() as string, limit: 500 });
  const rows = page.items
    .filter((e) => Date.parse(e.end) > now.getTime() && Date.parse(e.start) < now.getTime() + UPCOMING_DAYS * 86_400_000)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.title.localeCompare(b.title))
    .map((e) => ({ title: e.title, start: e.start, end: e.end }));
  return { rows: rows.slice(0, UPCOMING_MAX), more: Math.max(0, rows.length - UPCOMING_MAX) };
}

export interface StateSources {
  store: Store;
  dataDir: string;
  clock: Clock;
  configs: () => Promise<LoadedConfigs>;
}

/**
 * Everything the page shows, from the configs, the supervisor's status file, the workers' files and the
 * store. Only facts meant to be shown go in (names, states, times, counts, class titles, redacted errors):
 * never a config, a URL of a watcher or channel, or a key.
 */
export async function buildDashboardState(src: StateSources): Promise<DashboardState> {
  const now = src.clock.now();
  const { entries, redact } = await src.configs();
  const statusFile = await readSupervisorStatusFile(src.dataDir);
  const fresh = isHeartbeatFresh(statusFile, now) ? statusFile : null;
  const ingest = await readIngestHealth(src.dataDir).catch(() => null);
  const g = ingest?.gateway;
  const discordGateway: DiscordGatewayView | null = g
    ? {
        status: g.status,
        since: g.since,
        reason: g.reason === undefined ? null : redact(g.reason),
        fatal: g.fatal === true,
        lastEventAt: g.lastEventAt,
        lagMs: g.lagMs,
      }
    : null;
  const discordMessages = await newestMessages(src.store, [...new Set((ingest?.channels ?? []).map((c) => c.guildId))]);
  const discord: DiscordChannelView[] = (ingest?.channels ?? []).map((c) => ({
    channelId: c.channelId,
    ok: c.ok,
    problem: c.problem?.message ?? (c.error === undefined ? null : redact(c.error)),
    at: c.at,
  }));

  const instances: InstanceView[] = [];
  for (const entry of entries) {
    // listConfigFiles only lists valid names; checked again because the name becomes a path segment below.
    if (!isValidInstanceName(entry.name)) continue;
    const runs = await src.store.listRuns(entry.name, { limit: PLOT_RUNS });
    const last = runs.items[0];
    const lastRun: LastRunView | null = last
      ? { ...point(last), phase: last.phase, error: last.error === null ? null : redact(last.error), adopted: last.adopted, failed: last.failed }
      : null;
    const errors = (await readNewestErrors(src.dataDir, entry.name, ERROR_LINES)).map((e) => ({ ...e, message: redact(e.message) }));
    const worker = await readWorkerFile(src.dataDir, entry.name);
    const recentAlerts = (await src.store.listAlerts({ instance: entry.name, limit: ALERTS_SCANNED })).items;
    const base = {
      name: entry.name,
      lastRun,
      errors,
      runs: runs.items.map(point).reverse(),
      syncing: worker?.state === 'running',
      lastChanges: await readRecentChanges(join(src.dataDir, entry.name)),
      lastAlerts: alertViews(recentAlerts).map((a) => ({ ...a, title: redact(a.title) })),
    };
    if ('error' in entry) {
      instances.push({
        ...base,
        state: 'invalid',
        stateSource: 'config',
        configError: entry.error,
        ...(entry.errorIn ? { configErrorIn: entry.errorIn } : {}),
        timezone: DEFAULT_ZONE,
        schedule: null,
        timetable: false,
        channels: [],
        restartCount: 0,
        nextRun: null,
        upcoming: [],
        upcomingMore: 0,
        watchers: [],
      });
      continue;
    }
    const config = entry.config;
    const decided = decideState(config.name, fresh, worker, now);
    const honest = honestState(decided.state, {
      runRefused: worker?.runRefused ? { reason: redact(worker.runRefused.reason) } : undefined,
      lastRun,
      timetable: config.moncampus !== undefined,
    });
    const alerts = recentAlerts;
    const upcoming = config.moncampus ? await upcomingClasses(src.store, config, now) : { rows: [], more: 0 };
    instances.push({
      ...base,
      state: honest.state,
      ...(honest.reason ? { stateReason: honest.reason } : {}),
      stateSource: decided.source,
      timezone: config.timezone,
      schedule: config.moncampus ? config.schedule : null,
      timetable: config.moncampus !== undefined,
      channels: config.notify.map((c) => c.name),
      restartCount: decided.restartCount,
      ...(decided.node ? { node: decided.node } : {}),
      nextRun: worker?.nextRun ?? fresh?.instances.find((i) => i.name === config.name)?.nextRun ?? null,
      upcoming: upcoming.rows,
      upcomingMore: upcoming.more,
      watchers: await Promise.all(config.slots.map((w) => watcherView(src.dataDir, config, w, alerts, now))),
    });
  }
  return {
    generatedAt: now.toISOString(),
    supervisor: {
      running: fresh !== null,
      runtime: fresh?.runtime ?? null,
      heartbeatAt: statusFile?.heartbeatAt ?? null,
      runtimeError: fresh?.runtimeError ? redact(fresh.runtimeError) : null,
    },
    instances,
    discord,
    discordGateway,
    discordMessages,
  };
}

/** The newest messages of the guilds being ingested (deleted ones left out), newest first. */
async function newestMessages(store: Store, guildIds: readonly string[]): Promise<DiscordMessageView[]> {
  const rows = [];
  for (const guildId of guildIds) rows.push(...(await store.listMessages({ guildId, limit: MESSAGES_SHOWN }).catch(() => ({ items: [] }))).items);
  return rows
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, MESSAGES_SHOWN)
    .map((m) => ({
      channelId: m.channelId,
      author: m.authorName,
      content: [...m.content].length > MESSAGE_PREVIEW_CHARS ? `${[...m.content].slice(0, MESSAGE_PREVIEW_CHARS).join('')}…` : m.content,
      createdAt: m.createdAt,
      edited: m.editedAt !== null,
    }));
}
