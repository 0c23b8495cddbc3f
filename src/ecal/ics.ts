/**
 * The instance's timetable as an iCalendar file (`data/<name>/calendar.ics`), for people who subscribe
 * to a URL rather than use ECAL.
 */
import { ICalCalendar } from 'ical-generator';
import { DateTime } from 'luxon';
import { tzlib_get_ical_block } from 'timezones-ical-library';
import type { CalendarEvent } from '../lib/index.js';

export interface RenderIcsOptions {
  instance: string;
  /** The instance's zone, declared as the calendar's default for clients that look at X-WR-TIMEZONE. */
  timezone: string;
  name?: string;
}

/** Identifies the producer in PRODID, as RFC 5545 asks (`-//company//product//lang`). */
const PROD_ID = { company: 'campus-sync', product: 'timetable', language: 'FR' } as const;

/** Stable across runs, so calendar apps update an event in place instead of adding another. */
export function icsUid(sourceId: string, instance: string): string {
  return `${sourceId}@${instance}.campus-sync`;
}

/**
 * The VTIMEZONE block of a zone and the TZID it declares. The library answers with the canonical zone
 * of an alias (its TZID may differ from the name asked), so events must use the TZID it returns.
 */
function vtimezone(zone: string): { block: string; tzid: string } | null {
  const answer = tzlib_get_ical_block(zone);
  if (!Array.isArray(answer) || !answer[0]) return null;
  const tzid = answer[1]?.replace(/^TZID=/, '') || zone;
  return { block: answer[0], tzid };
}

/**
 * Renders the events. The output depends on the input only: the worker compares it with the file on disk
 * and rewrites (and feed clients re-download) only on a real change. That is why DTSTAMP, which
 * ical-generator would set to "now", is set to the event's start instead: DTSTAMP of a published feed is
 * not used by clients to order updates of a UID (SEQUENCE/LAST-MODIFIED are), and a moving DTSTAMP would
 * make every render a "change".
 */
export function renderIcs(events: CalendarEvent[], opts: RenderIcsOptions): string {
  const zones = new Map<string, { block: string; tzid: string } | null>();
  const zoneOf = (name: string): { block: string; tzid: string } | null => {
    if (!zones.has(name)) zones.set(name, vtimezone(name));
    return zones.get(name)!;
  };
  const calendar = new ICalCalendar({
    prodId: PROD_ID,
    name: opts.name ?? `campus-sync ${opts.instance}`,
    // name: null keeps DTSTAMP in UTC ("Z"), as RFC 5545 requires; with a calendar zone set, ical-generator
    // writes it as a zone-less local time. The generator still emits one VTIMEZONE per zone the events use.
    timezone: { name: null, generator: (tz) => zoneOf(tz)?.block ?? null },
  });
  calendar.x('X-WR-TIMEZONE', zoneOf(opts.timezone)?.tzid ?? opts.timezone);

  // Parse each start once: a comparator that parses costs n·log n luxon parses on a year of courses.
  const ordered = events
    .map((e) => ({ e, at: DateTime.fromISO(e.start).toMillis() }))
    .sort((a, b) => a.at - b.at || (a.e.sourceId < b.e.sourceId ? -1 : a.e.sourceId > b.e.sourceId ? 1 : 0))
    .map(({ e }) => e);
  const seen = new Set<string>();
  for (const e of ordered) {
    const uid = icsUid(e.sourceId, opts.instance);
    if (seen.has(uid)) continue; // two events with one UID would be one event to clients anyway
    seen.add(uid);
    // Unknown zone (no VTIMEZONE available): write UTC times rather than a TZID clients cannot resolve.
    const tzid = zoneOf(e.timezone)?.tzid ?? null;
    const start = DateTime.fromISO(e.start, { setZone: true });
    const end = DateTime.fromISO(e.end, { setZone: true });
    const event = calendar.createEvent({
      id: uid,
      start: tzid ? start.setZone(tzid) : start.toUTC(),
      end: tzid ? end.setZone(tzid) : end.toUTC(),
      stamp: start.toUTC(),
      allDay: e.allDay,
      summary: e.title,
      location: e.location || null,
      description: e.details || null,
      url: e.teamsUrls[0] ?? null,
    });
    if (tzid) event.timezone(tzid);
  }
  return calendar.toString();
}
