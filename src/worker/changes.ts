import type { CalendarEvent } from '../lib/index.js';

/**
 * The timetable-change detector (pure): what changed in the classes coming soon between the baseline (the classes
 * of the last successful run, kept in the instance's state) and this run's timetable. Students feel a class moved,
 * cancelled or put in another room at short notice; nothing else is worth a message.
 */

/** A class as the baseline keeps it: only what a change alert names (small: it lives in state.json). */
export interface ClassSnapshot {
  /** MonCampus `NoCours`: the identity of the class across runs. */
  id: string;
  title: string;
  /** ISO-8601 with offset, in the instance's zone. */
  start: string;
  end: string;
  room: string;
  teacher: string | null;
}

export type ChangeKind = 'moved' | 'cancelled' | 'added' | 'room' | 'teacher';

export interface TimetableChange {
  kind: ChangeKind;
  /** Absent for an addition. */
  before?: ClassSnapshot;
  /** Absent for a cancellation. */
  after?: ClassSnapshot;
  /** A cancellation, or a move, of a class within the next 24 hours: the message is a warning. */
  urgent: boolean;
}

/** Default `changes.horizonDays`: a week ahead is what a student plans with. */
export const DEFAULT_HORIZON_DAYS = 7;
/** A change this close to the class is a warning (cancellations and moves only). */
export const URGENT_WITHIN_MS = 24 * 3_600_000;
const DAY_MS = 86_400_000;

export const snapshotOf = (e: CalendarEvent): ClassSnapshot => ({
  id: e.sourceId,
  title: e.title,
  start: e.start,
  end: e.end,
  room: e.location,
  teacher: e.teacher,
});

/** One change per class, in this order when a class has several (a move matters more than its room). */
const ORDER: ChangeKind[] = ['cancelled', 'moved', 'room', 'teacher', 'added'];

export interface DetectOptions {
  now: Date;
  horizonDays?: number;
}

/**
 * The changes worth announcing, soonest class first. `baseline` null is the first successful sync: no change (it
 * becomes the baseline). A class counts when its old or new start is in [now, now + horizon): a class moved from
 * next month into tomorrow is announced, one moved within next month is not, nor anything in the past.
 */
export function detectChanges(baseline: readonly ClassSnapshot[] | null, current: readonly ClassSnapshot[], opts: DetectOptions): TimetableChange[] {
  if (baseline === null) return [];
  const now = opts.now.getTime();
  const until = now + (opts.horizonDays ?? DEFAULT_HORIZON_DAYS) * DAY_MS;
  const soon = (c: ClassSnapshot | undefined): boolean => {
    if (!c) return false;
    const t = Date.parse(c.start);
    return t >= now && t < until;
  };
  const urgentAt = (c: ClassSnapshot | undefined): boolean => c !== undefined && Date.parse(c.start) - now < URGENT_WITHIN_MS && Date.parse(c.start) >= now;
  const before = new Map(baseline.map((c) => [c.id, c]));
  const after = new Map(current.map((c) => [c.id, c]));
  const changes: TimetableChange[] = [];

  for (const [id, old] of before) {
    const now_ = after.get(id);
    if (!soon(old) && !soon(now_)) continue;
    if (!now_) {
      changes.push({ kind: 'cancelled', before: old, urgent: urgentAt(old) });
      continue;
    }
    const kind = kindOf(old, now_);
    if (kind) changes.push({ kind, before: old, after: now_, urgent: kind === 'moved' && (urgentAt(old) || urgentAt(now_)) });
  }
  for (const [id, added] of after) {
    if (!before.has(id) && soon(added)) changes.push({ kind: 'added', after: added, urgent: false });
  }
  return changes.sort((a, b) => startOf(a) - startOf(b) || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}

function kindOf(old: ClassSnapshot, now: ClassSnapshot): ChangeKind | null {
  if (Date.parse(old.start) !== Date.parse(now.start) || Date.parse(old.end) !== Date.parse(now.end)) return 'moved';
  if (old.room !== now.room) return 'room';
  if ((old.teacher ?? '') !== (now.teacher ?? '')) return 'teacher';
  return null;
}

const startOf = (c: TimetableChange): number =>
  Math.min(...[c.before, c.after].filter((x): x is ClassSnapshot => x !== undefined).map((x) => Date.parse(x.start)));

/**
 * The baseline to keep after a successful run: this run's classes from a little before now (a class that just
 * started may still move) to the horizon and a week past it (a class moved in from beyond the horizon must be
 * known to have been there). Bounded, so state.json stays small on a year-long window.
 */
export function nextBaseline(current: readonly ClassSnapshot[], opts: DetectOptions): ClassSnapshot[] {
  const now = opts.now.getTime();
  const from = now - DAY_MS;
  const until = now + ((opts.horizonDays ?? DEFAULT_HORIZON_DAYS) + 31) * DAY_MS;
  return current.filter((c) => {
    const t = Date.parse(c.start);
    return t >= from && t < until;
  });
}

/** Whether any change is urgent: the message's severity (warning) comes from it. */
export const anyUrgent = (changes: readonly TimetableChange[]): boolean => changes.some((c) => c.urgent);
