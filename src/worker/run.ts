import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { resolveWindow, type InstanceConfig } from '../config/index.js';
import { createMonCampusClient, normaliseCourses, type MonCampusClient } from '../agenda/index.js';
import {
  createEcalClient,
  eventReference,
  executePlan,
  isOwnedReference,
  nextIcsRevisions,
  planSync,
  renderIcs,
  type EcalClient,
  type SyncPlan,
} from '../ecal/index.js';
import {
  AuthError,
  CampusSyncError,
  ConfigError,
  describeError,
  makeRedactor,
  systemClock,
  writeFileAtomic,
  type CalendarEvent,
  type Clock,
  type Logger,
  type Phase,
} from '../lib/index.js';
import {
  createErrorFile,
  ERRORS_FILE,
  reportOrLog,
  ICS_FILE,
  loadState,
  saveState,
  STATE_FILE,
  writeRunRecord,
  zeroCounts,
  type InstanceState,
  type RunRecord,
} from '../instance/index.js';
import { recoverInstanceFiles } from './instance-files.js';
import { acquireRunLock } from './lock.js';
import { configHash, decideEcalCheck, describeEcalCheck, eventsHash, unmatchedMarker, verifiedMarker } from './ecal-check.js';
import { readSyncedEvents, syncedEventsSnapshot, writeSyncedEvents } from './synced-events.js';

export { ICS_FILE };

/** A config that syncs a timetable (a slot-watcher-only config has no moncampus section). */
export function hasTimetable(config: InstanceConfig): config is InstanceConfig & { moncampus: NonNullable<InstanceConfig['moncampus']> } {
  return config.moncampus !== undefined;
}

export interface RunOptions {
  config: InstanceConfig;
  /** `data/<name>/`: state, errors.log, calendar.ics, run records. */
  dir: string;
  logger: Logger;
  /** Plan only: nothing is written anywhere (ECAL, the ICS file, state, errors.log, the run history). */
  dryRun?: boolean;
  clock?: Clock;
  /** Aborting stops new ECAL writes; writes in flight finish (two-stage shutdown, first stage). */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** List ECAL even when the timetable is unchanged since the last check (`run-once --verify`). */
  verify?: boolean;
}

export interface RunResult {
  record: RunRecord;
  /** The plan, when ECAL was reached (printed by `run-once`). */
  plan?: SyncPlan;
  events: CalendarEvent[];
}

/**
 * One sync of one instance: MonCampus → events → ICS file → ECAL plan → execute → run record.
 * Never throws for a failure of the work itself: the record says what failed and where, and the
 * error file gets one line per problem. Throws only when the run cannot even start (lock held).
 */
export async function runSync(opts: RunOptions): Promise<RunResult> {
  const { dir, logger } = opts;
  const config = opts.config;
  if (!hasTimetable(config)) {
    throw new ConfigError(
      `${config.name} has no moncampus section: there is no timetable to sync (its slots are checked by \`campus-sync slots check ${config.name}\`)`,
    );
  }
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const redact = makeRedactor(config.secrets);
  const errors = createErrorFile({ path: join(dir, ERRORS_FILE), redact, locale: config.locale });
  const counts = zeroCounts();
  const record: RunRecord = {
    instance: config.name,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
    outcome: opts.dryRun ? 'dry-run' : 'success',
    courses: 0,
    counts,
    requests: { moncampus: 0, ecal: 0, ecalWrites: 0 },
    logins: 0,
    icsWritten: false,
  };
  const result: RunResult = { record, events: [] };
  let phase: Phase = 'state';
  let ecal: EcalClient | undefined;
  const lock = opts.dryRun ? undefined : await acquireRunLock(dir, config.name, { logger });
  let moncampus: MonCampusClient | undefined;
  try {
    // Under the lock, before any file is read: a file a power cut damaged is set aside and rebuilt below.
    if (!opts.dryRun) await recoverInstanceFiles(dir, { logger, errors, now: clock.now() });
    // Inside the try: a state file that cannot be read still ends in a failed run record and a released lock.
    const state = await loadState(dir, logger);
    const sameUser = state.moncampusUser === config.moncampus.username;
    const mc = createMonCampusClient({
      url: config.moncampus.url,
      casUrl: config.moncampus.casUrl,
      username: config.moncampus.username,
      password: config.moncampus.password,
      cookies: sameUser ? state.moncampusCookies : {},
      ...(sameUser && state.moncampusCourses !== undefined ? { previousCourses: state.moncampusCourses } : {}),
      logger: logger.child({ phase: 'login' }),
    });
    moncampus = mc;
    /** What the state keeps of MonCampus: the session, whose it is, and how many records it last gave. */
    const moncampusState = () => {
      const received = mc.lastReceived();
      return {
        moncampusCookies: mc.cookies(),
        moncampusUser: config.moncampus.username,
        ...(received !== undefined ? { moncampusCourses: received } : {}),
      };
    };
    phase = 'login';
    const window = resolveWindow(config.moncampus.window, config.timezone, started);
    let courses: Awaited<ReturnType<typeof mc.fetchCourses>>;
    try {
      courses = await mc.fetchCourses(window);
    } finally {
      // Keep the session even when the fetch failed after a good login: the next run needs no login.
      // A dry run writes nothing at all, state included.
      if (!opts.dryRun) await saveState(dir, { ...state, ...moncampusState() });
    }
    phase = 'fetch';
    const { events, skipped } = normaliseCourses(courses, { timezone: config.timezone });
    record.courses = events.length;
    counts.skipped += skipped.length;
    for (const s of skipped) logger.warn(`skipped course ${s.sourceId}: ${s.reason}`);
    result.events = events;
    logger.info(`MonCampus: ${courses.length} course records, ${events.length} events after dedupe`);

    const save = (): Promise<void> => saveState(dir, { ...state, ...moncampusState() });
    if (config.ics.enabled && !opts.dryRun) {
      phase = 'ics';
      record.icsWritten = await refreshIcs({ config, dir, events, state, clock, save });
    }

    /** For events.json: what ECAL calls each event, and what this run wrote. */
    let ecalIds = new Map<string, string>();
    const touched = new Set<string>();
    if (config.ecal) {
      phase = 'plan';
      ecal = createEcalClient({
        url: config.ecal.url,
        apiKey: config.ecal.apiKey,
        apiSecret: config.ecal.apiSecret,
        logger: logger.child({ phase: 'push' }),
      });
      const synced = await syncEcal({
        config: config as EcalConfigured,
        dir,
        ecal,
        events,
        window,
        state,
        opts,
        errors,
        clock,
        record,
        save,
        logger,
        onWriting: () => (phase = 'push'),
      });
      if (synced.plan) result.plan = synced.plan;
      ecalIds = synced.ecalIds;
      for (const ref of synced.touched) touched.add(ref);
    }
    if (!opts.dryRun) {
      const snapshot = syncedEventsSnapshot({
        events: events.map((event) => ({ reference: eventReference(config.name, event.sourceId), event })),
        ecalIds,
        touched,
        previous: await readSyncedEvents(dir),
        now: clock.now(),
      });
      await writeSyncedEvents(dir, snapshot).catch((e: unknown) => logger.error(`cannot write the synced events: ${describeError(e)}`));
    }
  } catch (err) {
    const where = err instanceof CampusSyncError && err.phase ? err.phase : phase;
    record.outcome = 'failed';
    record.phase = where;
    if (err instanceof AuthError) record.authFailed = true;
    record.error = redact(describeError(err));
    logger.error(record.error, { phase: where });
    if (!opts.dryRun) {
      await reportOrLog(errors, logger, where, err instanceof AuthError && where === 'login' ? 'login.refused' : 'sync.failed', record.error, clock.now());
      await forgetEcalMatch(dir).catch((e: unknown) => logger.error(`cannot write the state: ${describeError(e)}`));
    }
  } finally {
    closeRecord(record, started, clock.now(), moncampus, ecal);
    if (!opts.dryRun) {
      await writeRunRecord(dir, record).catch((e: unknown) => logger.error(`cannot write the run record: ${describeError(e)}`));
    }
    await lock?.release();
  }
  return result;
}

/** calendar.ics, rewritten only when its input changed; true when the file was written. */
async function refreshIcs(input: {
  config: InstanceConfig;
  dir: string;
  events: CalendarEvent[];
  state: InstanceState;
  clock: Clock;
  save: () => Promise<void>;
}): Promise<boolean> {
  const { config, events, state } = input;
  const icsPath = join(input.dir, ICS_FILE);
  // Unchanged courses keep their revision, so an unchanged timetable hashes (and renders) the same.
  const revisions = nextIcsRevisions(events, state.icsRevisions ?? {}, input.clock.now());
  const inputHash = createHash('sha256')
    .update(JSON.stringify([config.name, config.timezone, events, revisions]))
    .digest('hex');
  if (inputHash === state.icsInputHash && existsSync(icsPath)) return false;
  const written = await writeIcsIfChanged(icsPath, renderIcs(events, { instance: config.name, timezone: config.timezone, revisions }));
  state.icsInputHash = inputHash;
  state.icsRevisions = revisions;
  await input.save();
  return written;
}

/** The run's end time, duration and the clients' request counts, in its record. */
function closeRecord(record: RunRecord, started: Date, finished: Date, moncampus: MonCampusClient | undefined, ecal: EcalClient | undefined): void {
  record.finishedAt = finished.toISOString();
  record.durationMs = finished.getTime() - started.getTime();
  if (moncampus) {
    const st = moncampus.stats();
    record.logins = st.logins;
    record.requests.moncampus = st.requests;
  }
  if (ecal) {
    const st = ecal.stats();
    record.requests.ecal = st.requests;
    record.requests.ecalWrites = st.writes;
  }
}

interface EcalStepInput extends Omit<PushInput, 'onWriting'> {
  dir: string;
  logger: Logger;
  state: InstanceState;
  save: () => Promise<void>;
  /** Called just before the first ECAL write of a real run (the run's phase becomes `push`). */
  onWriting: () => void;
}

/**
 * The ECAL step: decide whether ECAL must be listed (ecal-check.ts), then list, plan and push, or trust the
 * last check; the state's ECAL marker says what ECAL is known to hold afterwards.
 */
async function syncEcal(input: EcalStepInput): Promise<{ ecalIds: Map<string, string>; touched: Set<string>; plan?: SyncPlan }> {
  const { config, dir, events, state, opts, clock, record } = input;
  const hashes = { events: eventsHash(events), config: configHash(config) };
  const known = new Map((await readSyncedEvents(dir)).flatMap((e) => (e.ecalId === null ? [] : [[e.reference, e.ecalId] as const])));
  const check = decideEcalCheck({
    idsKnown: events.every((e) => known.has(eventReference(config.name, e.sourceId))),
    marker: state.ecalSync,
    eventsHash: hashes.events,
    configHash: hashes.config,
    now: clock.now(),
    verifyEveryMs: config.ecal.verifyEveryMs,
    requested: opts.verify === true,
    dryRun: opts.dryRun === true,
  });
  record.ecalCheck = check;
  input.logger.info(describeEcalCheck(check));
  if (check.kind === 'skipped') {
    // ECAL held this timetable after the last check and nothing was written since: no listing, no writes.
    record.counts.unchanged = events.length;
    return { ecalIds: known, touched: new Set() };
  }
  const pushed = await listPlanAndPush({
    config,
    ecal: input.ecal,
    events,
    window: input.window,
    opts,
    errors: input.errors,
    clock,
    record,
    onWriting: async () => {
      input.onWriting();
      // A run cut after its first write leaves ECAL unknown: the next run lists it whatever its timetable.
      state.ecalSync = unmatchedMarker(state.ecalSync);
      await input.save();
    },
  });
  if (!opts.dryRun) {
    state.ecalSync = pushed.clean ? verifiedMarker(hashes.events, hashes.config, clock.now()) : unmatchedMarker(state.ecalSync);
    await input.save();
  }
  return { ecalIds: pushed.ecalIds, touched: pushed.touched, plan: pushed.plan };
}

type EcalConfigured = InstanceConfig & { ecal: NonNullable<InstanceConfig['ecal']> };

interface PushInput {
  config: EcalConfigured;
  ecal: EcalClient;
  events: CalendarEvent[];
  window: ReturnType<typeof resolveWindow>;
  opts: RunOptions;
  errors: ReturnType<typeof createErrorFile>;
  clock: Clock;
  /** The run's record: counts, guard and a partial outcome are written into it. */
  record: RunRecord;
  /** Called once, just before the first ECAL write of a real run. */
  onWriting: () => Promise<void>;
}

/**
 * A full ECAL check: list the window, plan, and (unless dry) push. `clean` is true when ECAL ends holding exactly
 * the timetable: no failed write and no deletion held back by the guard.
 */
async function listPlanAndPush(input: PushInput): Promise<{ plan: SyncPlan; clean: boolean; ecalIds: Map<string, string>; touched: Set<string> }> {
  const { config, ecal, events, window, opts, errors, clock, record } = input;
  const { logger } = opts;
  const counts = record.counts;
  const remote = await ecal.listEvents({
    calendarId: config.ecal.calendarId,
    startDate: isoDate(window.from, config.timezone),
    endDate: isoDate(DateTime.fromISO(window.to).minus({ milliseconds: 1 }).toISO() ?? window.to, config.timezone),
  });
  const plan = planSync(events, remote, {
    instance: config.name,
    calendarId: config.ecal.calendarId,
    timezone: config.timezone,
    alert: config.ecal.alert,
    window,
    maxDeleteShare: config.ecal.maxDeleteShare,
  });
  const ecalIds = new Map<string, string>();
  const touched = new Set<string>();
  for (const r of remote) if (isOwnedReference(r.reference, config.name)) ecalIds.set(String(r.reference), r.id);
  counts.unchanged = plan.counts.unchanged;
  counts.skipped += plan.skipped.length;
  record.guard = plan.guard;
  if (plan.guard.held) {
    logger.warn(`deletions held back: ${plan.guard.reason ?? ''}`);
    if (!opts.dryRun) await errors.report('plan', 'deletions.held', plan.guard.reason ?? '', clock.now());
  }
  if (opts.dryRun) return { plan, clean: false, ecalIds, touched };
  if (plan.actions.length > 0) await input.onWriting();
  const exec = await executePlan(plan, {
    client: ecal,
    concurrency: config.ecal.concurrency,
    logger: logger.child({ phase: 'push' }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  counts.created = exec.created;
  counts.updated = exec.updated;
  counts.adopted = exec.adopted;
  counts.deleted = exec.deleted;
  counts.failed = exec.failed.length;
  for (const f of exec.failed) await errors.report('push', 'push.failed', `${f.action.kind} ${f.action.reference}: ${f.error}`, clock.now());
  const failed = new Set(exec.failed.map((f) => f.action));
  for (const a of plan.actions) {
    if (failed.has(a) || a.kind === 'delete') continue;
    touched.add(a.reference);
    if (a.kind === 'adopt') ecalIds.set(a.reference, a.id);
  }
  for (const [ref, id] of Object.entries(exec.createdIds)) ecalIds.set(ref, id);
  if (exec.failed.length > 0) {
    record.outcome = 'partial';
    record.phase = 'push';
    record.error = `${exec.failed.length} of ${plan.actions.length} ECAL changes failed; the next run retries them`;
  }
  const aborted = opts.signal?.aborted === true;
  return { plan, clean: exec.failed.length === 0 && !plan.guard.held && !aborted, ecalIds, touched };
}

/** After a failed run the next one lists ECAL whatever its timetable ("after any failed or partial run"). */
async function forgetEcalMatch(dir: string): Promise<void> {
  if (!existsSync(join(dir, STATE_FILE))) return;
  const state = await loadState(dir);
  if (state.ecalSync?.matched !== true) return;
  await saveState(dir, { ...state, ecalSync: unmatchedMarker(state.ecalSync) });
}

function isoDate(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd');
}

/** Rewrites the ICS file only when its content changed, so calendar apps and ETags see no spurious change. */
export async function writeIcsIfChanged(path: string, content: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => null);
  if (current === content) return false;
  await writeFileAtomic(path, content, 0o644);
  return true;
}
