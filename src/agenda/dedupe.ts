import { DateTime } from 'luxon';
import type { CalendarEvent } from '../lib/index.js';

/**
 * Orders source ids numerically when both are NoCours numbers ("9" before "10"), as strings otherwise,
 * so "the lowest NoCours" and the output order do not depend on the order MonCampus answered in.
 */
export function compareSourceIds(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function instant(iso: string): number {
  const ms = DateTime.fromISO(iso, { setZone: true }).toMillis();
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * MonCampus repeats records (the same NoCours in overlapping weeks) and sometimes lists one class twice
 * under two NoCours (one per group). Either would become two calendar entries:
 * - the same sourceId → the first one seen is kept;
 * - same title + start + end + location under different ids → the lowest NoCours is kept.
 * Output is sorted by start instant, then sourceId, so the result is the same whatever the input order.
 */
export function dedupeEvents(events: CalendarEvent[]): CalendarEvent[] {
  const byId = new Map<string, CalendarEvent>();
  for (const e of events) if (!byId.has(e.sourceId)) byId.set(e.sourceId, e);

  const byContent = new Map<string, CalendarEvent>();
  for (const e of byId.values()) {
    // Instants, not strings, so the same class written with two offsets still matches.
    const key = JSON.stringify([e.title, instant(e.start), instant(e.end), e.location]);
    const kept = byContent.get(key);
    if (!kept || compareSourceIds(e.sourceId, kept.sourceId) < 0) byContent.set(key, e);
  }

  return [...byContent.values()].sort((a, b) => instant(a.start) - instant(b.start) || compareSourceIds(a.sourceId, b.sourceId));
}
