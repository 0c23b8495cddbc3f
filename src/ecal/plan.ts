/**
 * The sync planner: desired events (from MonCampus) + what ECAL lists → the smallest set of writes.
 * PURE: no I/O, no clock, no randomness; the same input always gives the same plan, in the same order.
 *
 * What it guarantees (each rule has a test in plan.test.ts):
 * - identity is the stable `reference` (instance + course): a moved or renamed class is ONE update in place;
 * - only events carrying THIS instance's reference, in THIS calendar, are ever updated or deleted, and a
 *   deletion only happens to an event whose start is inside the sync window;
 * - events of the Python tool (numeric reference) are adopted when they match a course exactly, never deleted;
 * - duplicates of one reference are reduced to one;
 * - a suspicious source (empty, or too many courses gone at once) deletes nothing.
 */
import { DateTime } from 'luxon';
import type { CalendarEvent, SyncWindow } from '../lib/index.js';
import type { EcalEventBody, EcalRemoteEvent } from './types.js';
import { eventReference, isLegacyReference, isOwnedReference } from './reference.js';

export interface SyncOptions {
  instance: string;
  calendarId: string;
  /** The instance's zone: used to read a listed event whose own `timezone` is missing. */
  timezone: string;
  /** ECAL alert code, e.g. "15M". */
  alert: string;
  window: SyncWindow;
  /** 0..1: above this share of our events in the window leaving the source at once, deletions are held. */
  maxDeleteShare: number;
}

export type PlanAction =
  | { kind: 'create'; reference: string; body: EcalEventBody; event: CalendarEvent }
  | { kind: 'update'; id: string; reference: string; body: EcalEventBody; changes: string[]; event: CalendarEvent }
  | { kind: 'adopt'; id: string; reference: string; body: EcalEventBody; previousReference: string; event: CalendarEvent }
  | { kind: 'delete'; id: string; reference: string; reason: 'left-source' | 'duplicate'; summary: string };

export interface SyncPlan {
  actions: PlanAction[];
  unchanged: number;
  skipped: { reference?: string; id?: string; reason: string }[];
  guard: { held: boolean; reason?: string; withheldDeletes: number };
  counts: { create: number; update: number; adopt: number; delete: number; unchanged: number };
}

/** The fields campus-sync owns on an ECAL event, in the order `changes` lists them. */
export const OWNED_FIELDS = [
  'name',
  'location',
  'startDate',
  'startTime',
  'endDate',
  'endTime',
  'allDay',
  'timezone',
  'details',
  'alert',
  'calendarId',
] as const;
export type OwnedField = (typeof OWNED_FIELDS)[number];

// ---------------------------------------------------------------------------------------------------------
// Desired event → ECAL body

function wallClock(iso: string, zone: string, what: string): DateTime {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`invalid ${what} "${iso}" in ${zone}: ${dt.invalidExplanation ?? dt.invalidReason ?? ''}`);
  return dt;
}

/**
 * The body we POST/PUT for a course. Dates and times are the wall clock in `event.timezone` (ECAL reads
 * them in the body's `timezone`), whatever offset the ISO string carries.
 * All-day events: `end` is taken as exclusive (iCalendar style, next midnight), ECAL's `endDate` as the
 * last day, so an end at exactly midnight counts for the day before.
 */
/**
 * ECAL requires a non-empty `location`; MonCampus says "Aucune" for a class without a room, and the
 * original tool sent exactly that, so its users' calendars already read it.
 */
export const NO_LOCATION = 'Aucune';

export function toEcalBody(event: CalendarEvent, opts: { instance: string; calendarId: string; alert: string }): EcalEventBody {
  const start = wallClock(event.start, event.timezone, 'start');
  const end = wallClock(event.end, event.timezone, 'end');
  if (end < start) throw new Error(`end ${event.end} is before start ${event.start}`);
  const base = {
    calendarId: opts.calendarId,
    name: event.title,
    location: event.location || NO_LOCATION,
    timezone: event.timezone,
    reference: eventReference(opts.instance, event.sourceId),
    details: event.details,
    alert: opts.alert,
    draft: 0 as const,
  };
  if (event.allDay) {
    const atMidnight = end.hour === 0 && end.minute === 0 && end.second === 0 && end > start;
    const lastDay = atMidnight ? end.minus({ days: 1 }) : end;
    return { ...base, startDate: start.toISODate()!, endDate: lastDay.toISODate()!, allDay: 'yes' };
  }
  return {
    ...base,
    startDate: start.toISODate()!,
    startTime: start.toFormat('HH:mm'),
    endDate: end.toISODate()!,
    endTime: end.toFormat('HH:mm'),
    allDay: 'no',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation of what ECAL echoes back.
//
// We do not know every way ECAL may render a listed event, so a field compares equal when:
// - text (name, location, details, alert): missing/null equals '', CRLF equals LF, surrounding spaces ignored
//   (alert also case-insensitive: "15m" = "15M");
// - dates: only the YYYY-MM-DD part counts ("2025-03-31 08:30:00" and "2025-03-31T08:30" are 2025-03-31);
// - times: HH:MM ("08:30:00" and "8:30" are 08:30); a missing time is read from a date-time `startDate`;
// - allDay: 'yes' / true / 1 / "true" mean all-day, anything else (missing included) means not;
// - timezone and calendarId: a MISSING value is "not reported", not a difference — we always send both
//   non-empty, so an echo without them says nothing, and comparing it would PUT the event on every run
//   (the listing itself is filtered on our calendarId).

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v).replace(/\r\n?/g, '\n').trim();
}

function datePart(v: unknown): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(text(v));
  return m?.[1] ?? '';
}

function timePart(v: unknown): string {
  const m = /^(\d{1,2}):(\d{2})/.exec(text(v));
  return m ? `${m[1]!.padStart(2, '0')}:${m[2]!}` : '';
}

function timeFromDateTime(v: unknown): string {
  const m = /^\d{4}-\d{2}-\d{2}[T ](\d{1,2}:\d{2})/.exec(text(v));
  return m ? timePart(m[1]) : '';
}

function yes(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && ['yes', 'true', '1'].includes(v.trim().toLowerCase()));
}

interface Normalised {
  name: string;
  location: string;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  allDay: boolean;
  timezone: string;
  details: string;
  alert: string;
  calendarId: string;
}

function normalise(e: Partial<EcalEventBody>): Normalised {
  const allDay = yes(e.allDay);
  return {
    name: text(e.name),
    location: text(e.location),
    startDate: datePart(e.startDate),
    startTime: allDay ? '' : timePart(e.startTime) || timeFromDateTime(e.startDate),
    endDate: datePart(e.endDate),
    endTime: allDay ? '' : timePart(e.endTime) || timeFromDateTime(e.endDate),
    allDay,
    timezone: text(e.timezone),
    details: text(e.details),
    alert: text(e.alert).toUpperCase(),
    calendarId: text(e.calendarId),
  };
}

/** The owned fields where `remote` differs from what we want, in OWNED_FIELDS order. */
export function diffFields(want: EcalEventBody, remote: EcalRemoteEvent): OwnedField[] {
  const a = normalise(want);
  const b = normalise(remote);
  return OWNED_FIELDS.filter((f) => {
    if ((f === 'timezone' || f === 'calendarId') && b[f] === '') return false;
    return a[f] !== b[f];
  });
}

/** A legacy event is adopted only on an exact match of what a person sees: name, room, start, end. */
function sameCourse(want: EcalEventBody, remote: EcalRemoteEvent): boolean {
  const a = normalise(want);
  const b = normalise(remote);
  return (
    a.name === b.name &&
    a.location === b.location &&
    a.allDay === b.allDay &&
    a.startDate === b.startDate &&
    a.startTime === b.startTime &&
    a.endDate === b.endDate &&
    a.endTime === b.endTime
  );
}

/** When a listed event starts (epoch ms), read in its own zone or the instance's; null when unreadable. */
function remoteStartMs(r: EcalRemoteEvent, fallbackZone: string): number | null {
  const n = normalise(r);
  if (!n.startDate) return null;
  const local = `${n.startDate}T${n.startTime || '00:00'}`;
  for (const zone of [n.timezone, fallbackZone]) {
    if (!zone) continue;
    const dt = DateTime.fromISO(local, { zone });
    if (dt.isValid) return dt.toMillis();
  }
  return null;
}

/** Ids ordered as numbers when they are digit strings of different lengths, else as text: "lowest id" is stable. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function summaryOf(r: EcalRemoteEvent): string {
  const n = normalise(r);
  const when = [n.startDate, n.startTime].filter(Boolean).join(' ');
  return `${n.name || '(no name)'}${when ? ` — ${when}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------

interface Wanted {
  reference: string;
  event: CalendarEvent;
  body: EcalEventBody;
  startMs: number;
}

type DeleteAction = Extract<PlanAction, { kind: 'delete' }>;

type Upsert = { action: PlanAction; startMs: number };
type Delete = { action: DeleteAction; startMs: number };

/** Desired courses, one per reference (the first one listed wins), kept when they start in the window. */
function wantedInWindow(
  desired: CalendarEvent[],
  options: SyncOptions,
  inWindow: (ms: number) => boolean,
  skipped: SyncPlan['skipped'],
): { wanted: Map<string, Wanted>; inSource: Set<string> } {
  const { instance, calendarId, alert } = options;
  const wanted = new Map<string, Wanted>();
  /** Every course still in the source, in the window or not: those never count as "left the source". */
  const inSource = new Set<string>();
  const ordered = desired
    .map((event) => ({ event, ms: DateTime.fromISO(event.start).toMillis() }))
    .sort((a, b) => (a.ms || 0) - (b.ms || 0) || (a.event.sourceId < b.event.sourceId ? -1 : a.event.sourceId > b.event.sourceId ? 1 : 0));
  for (const { event, ms } of ordered) {
    const reference = eventReference(instance, event.sourceId);
    if (inSource.has(reference)) {
      skipped.push({ reference, reason: 'the source listed this course twice: the first one is kept' });
      continue;
    }
    inSource.add(reference);
    let body: EcalEventBody;
    try {
      body = toEcalBody(event, { instance, calendarId, alert });
    } catch (err) {
      skipped.push({ reference, reason: `unreadable dates: ${(err as Error).message}` });
      continue;
    }
    if (!inWindow(ms)) {
      skipped.push({ reference, reason: 'starts outside the sync window' });
      continue;
    }
    wanted.set(reference, { reference, event, body, startMs: ms });
  }

  return { wanted, inSource };
}

/** Ours (by reference, grouped) and legacy ones, in our calendar; everything else is never looked at. */
function remoteOfOurs(remote: EcalRemoteEvent[], options: SyncOptions): { owned: Map<string, EcalRemoteEvent[]>; legacy: EcalRemoteEvent[] } {
  const { instance, calendarId } = options;
  const owned = new Map<string, EcalRemoteEvent[]>();
  const legacy: EcalRemoteEvent[] = [];
  const seenIds = new Set<string>();
  for (const r of [...remote].sort((a, b) => compareIds(String(a.id), String(b.id)))) {
    // Paging over a list that changes can return an event twice: one copy is enough.
    if (seenIds.has(r.id)) continue;
    seenIds.add(r.id);
    if (text(r.calendarId) !== '' && text(r.calendarId) !== calendarId) continue;
    if (isOwnedReference(r.reference, instance)) {
      const ref = r.reference as string;
      const group = owned.get(ref);
      if (group) group.push(r);
      else owned.set(ref, [r]);
    } else if (isLegacyReference(r.reference)) {
      legacy.push(r);
    }
  }

  return { owned, legacy };
}

interface OwnedMatch {
  upserts: Upsert[];
  leftSource: Delete[];
  duplicates: Delete[];
  /** References of ours that are wanted (updated or unchanged). */
  matched: Set<string>;
  unchanged: number;
  /** Our events starting in the window, counted per event and per reference (for the guard). */
  ownedEventsInWindow: number;
  ownedRefsInWindow: number;
}

/** Each of our references against what is wanted: update the keeper, delete extra copies and what left the source. */
function matchOwned(
  owned: Map<string, EcalRemoteEvent[]>,
  wanted: Map<string, Wanted>,
  inSource: Set<string>,
  options: SyncOptions,
  inWindow: (ms: number) => boolean,
  skipped: SyncPlan['skipped'],
): OwnedMatch {
  const upserts: Upsert[] = [];
  const leftSource: Delete[] = [];
  const duplicates: Delete[] = [];
  const matched = new Set<string>();
  let unchanged = 0;
  /** Our events starting in the window, counted per event and per reference (for the guard). */
  let ownedEventsInWindow = 0;
  let ownedRefsInWindow = 0;

  for (const ref of [...owned.keys()].sort()) {
    const group = owned.get(ref)!;
    const want = wanted.get(ref);
    const starts = new Map(group.map((r) => [r.id, remoteStartMs(r, options.timezone)]));
    const inWin = group.filter((r) => {
      const ms = starts.get(r.id);
      return ms !== null && ms !== undefined && inWindow(ms);
    });
    ownedEventsInWindow += inWin.length;
    if (inWin.length > 0) ownedRefsInWindow++;

    // Keep the copy that is already right if there is one (no write needed), else the lowest id.
    const keeper = (want && group.find((r) => diffFields(want.body, r).length === 0)) ?? group[0]!;
    for (const r of group) {
      if (r === keeper) continue;
      const ms = starts.get(r.id) ?? null;
      if (ms !== null && inWindow(ms)) {
        duplicates.push({
          action: { kind: 'delete', id: r.id, reference: ref, reason: 'duplicate', summary: summaryOf(r) },
          startMs: ms,
        });
      } else {
        skipped.push({ id: r.id, reference: ref, reason: 'duplicate starting outside the sync window: left alone' });
      }
    }

    if (want) {
      matched.add(ref);
      // Updated even when the copy we had starts outside the window: it is ours, and creating a second
      // one instead would be a duplicate.
      const changes = diffFields(want.body, keeper);
      if (changes.length === 0) unchanged++;
      else upserts.push({ action: { kind: 'update', id: keeper.id, reference: ref, body: want.body, changes, event: want.event }, startMs: want.startMs });
      continue;
    }
    if (inSource.has(ref)) continue; // still in the source, just not in the window (or unreadable): keep it
    const ms = starts.get(keeper.id) ?? null;
    if (ms === null) {
      skipped.push({ id: keeper.id, reference: ref, reason: 'start date unreadable: not deleted' });
    } else if (inWindow(ms)) {
      leftSource.push({
        action: { kind: 'delete', id: keeper.id, reference: ref, reason: 'left-source', summary: summaryOf(keeper) },
        startMs: ms,
      });
    }
  }

  return { upserts, leftSource, duplicates, matched, unchanged, ownedEventsInWindow, ownedRefsInWindow };
}

/** Missing ones: adopt an exactly matching legacy event, else create; legacy events matching nothing are left alone. */
function addMissing(wanted: Map<string, Wanted>, matched: Set<string>, legacy: EcalRemoteEvent[], upserts: Upsert[], skipped: SyncPlan['skipped']): void {
  const adopted = new Set<string>();
  const wantedInOrder = [...wanted.values()].sort((a, b) => a.startMs - b.startMs || (a.reference < b.reference ? -1 : 1));
  for (const w of wantedInOrder) {
    if (matched.has(w.reference)) continue;
    const old = legacy.find((r) => !adopted.has(r.id) && sameCourse(w.body, r));
    if (old) {
      adopted.add(old.id);
      upserts.push({
        action: { kind: 'adopt', id: old.id, reference: w.reference, body: w.body, previousReference: String(old.reference), event: w.event },
        startMs: w.startMs,
      });
    } else {
      upserts.push({ action: { kind: 'create', reference: w.reference, body: w.body, event: w.event }, startMs: w.startMs });
    }
  }
  for (const r of legacy) {
    if (adopted.has(r.id)) continue;
    skipped.push({ id: r.id, reference: String(r.reference), reason: 'numeric reference of the Python tool matching no course exactly: left alone' });
  }
}

/** The mass-deletion guard: the deletes that may go, and whether (and why) the others are held. */
function guardDeletes(desiredCount: number, m: OwnedMatch, maxDeleteShare: number): { guard: SyncPlan['guard']; deletes: Delete[] } {
  const { duplicates, leftSource, ownedEventsInWindow, ownedRefsInWindow } = m;
  const guard: SyncPlan['guard'] = { held: false, withheldDeletes: 0 };
  let deletes = [...duplicates, ...leftSource];
  if (desiredCount === 0 && ownedEventsInWindow > 0) {
    // An empty source is far more often a failed fetch than a school with no class: touch nothing.
    guard.held = true;
    guard.withheldDeletes = deletes.length;
    guard.reason = `MonCampus returned no course: kept ${ownedEventsInWindow} event${ownedEventsInWindow === 1 ? '' : 's'}`;
    deletes = [];
  } else if (leftSource.length > 0 && leftSource.length > maxDeleteShare * ownedRefsInWindow) {
    // Duplicates stay deletable: removing extra copies of courses that are still there loses nothing.
    guard.held = true;
    guard.withheldDeletes = leftSource.length;
    guard.reason =
      `${leftSource.length} of ${ownedRefsInWindow} courses in the sync window disappeared from MonCampus at once ` +
      `(more than ${Math.round(maxDeleteShare * 100)}% allowed): none deleted, check the source`;
    deletes = duplicates;
  }

  return { guard, deletes };
}

export function planSync(desired: CalendarEvent[], remote: EcalRemoteEvent[], options: SyncOptions): SyncPlan {
  const from = DateTime.fromISO(options.window.from).toMillis();
  const to = DateTime.fromISO(options.window.to).toMillis();
  if (Number.isNaN(from) || Number.isNaN(to)) {
    throw new Error(`invalid sync window ${options.window.from} → ${options.window.to}`);
  }
  const inWindow = (ms: number): boolean => ms >= from && ms < to;
  const skipped: SyncPlan['skipped'] = [];

  const { wanted, inSource } = wantedInWindow(desired, options, inWindow, skipped);
  const { owned, legacy } = remoteOfOurs(remote, options);
  const match = matchOwned(owned, wanted, inSource, options, inWindow, skipped);
  const { upserts, unchanged } = match;
  addMissing(wanted, match.matched, legacy, upserts, skipped);
  const { guard, deletes } = guardDeletes(desired.length, match, options.maxDeleteShare);

  const byStart = <T extends { startMs: number }>(a: T, b: T, ka: string, kb: string): number => a.startMs - b.startMs || (ka < kb ? -1 : ka > kb ? 1 : 0);
  upserts.sort((a, b) => byStart(a, b, a.action.reference, b.action.reference));
  deletes.sort((a, b) => byStart(a, b, a.action.id, b.action.id));
  const actions: PlanAction[] = [...upserts.map((u) => u.action), ...deletes.map((d) => d.action)];

  const counts = { create: 0, update: 0, adopt: 0, delete: 0, unchanged };
  for (const a of actions) counts[a.kind]++;
  return { actions, unchanged, skipped, guard, counts };
}
