/**
 * The instance's timetable as an iCalendar file (`data/<name>/calendar.ics`), for people who subscribe
 * to a URL rather than use ECAL.
 */
import { createHash } from 'node:crypto';
import { ICalCalendar } from 'ical-generator';
import { DateTime } from 'luxon';
import { tzlib_get_ical_block } from 'timezones-ical-library';
import type { CalendarEvent } from '../lib/index.js';

export interface RenderIcsOptions {
  instance: string;
  /** The instance's zone, declared as the calendar's default for clients that look at X-WR-TIMEZONE. */
  timezone: string;
  name?: string;
  /** One per event (by sourceId), from nextIcsRevisions: SEQUENCE, DTSTAMP and LAST-MODIFIED come from it. */
  revisions: IcsRevisions;
}

/** What the ICS file says about one course's history, kept in the instance's state between runs. */
export interface IcsRevision {
  /** Of the course's time, place and text (icsContentHash). */
  hash: string;
  /** 0 at first sight, +1 each time the hash changes (RFC 5545 SEQUENCE). */
  sequence: number;
  /** ISO-8601 UTC instant of that change: DTSTAMP and LAST-MODIFIED. */
  modified: string;
}
export type IcsRevisions = Record<string, IcsRevision>;

/**
 * How often subscribers should poll (REFRESH-INTERVAL / X-PUBLISHED-TTL): the worker syncs hourly by
 * default, so polling more often finds nothing new, and less often leaves a moved class unseen for long.
 */
export const ICS_REFRESH = 'PT1H';
/**
 * Revisions of courses that left the timetable are kept this long: a course that comes back (the window
 * moved back, a cancelled class restored) goes on from its old SEQUENCE instead of restarting at 0, which
 * some clients would ignore as older. A school year and a bit; beyond, the state would only grow.
 */
export const REVISION_RETENTION_DAYS = 400;

/** C0 controls (and DEL) have no place in iCalendar TEXT; line breaks survive as such, tabs become spaces. */
export function stripControls(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '');
}

/** The parts of a course subscribers see: a change in any of them is a new revision. */
export function icsContentHash(e: CalendarEvent): string {
  const seen = [e.start, e.end, e.allDay, e.timezone, e.title, e.location, e.details, e.teamsUrls[0] ?? null];
  return createHash('sha256').update(JSON.stringify(seen)).digest('base64url').slice(0, 22);
}

/**
 * Pure: the revisions after this run. Unchanged courses keep theirs; a changed one gets SEQUENCE + 1 and
 * `now` as its modification time; a new one starts at 0, `now`. Courses no longer listed are kept for
 * REVISION_RETENTION_DAYS after their last change.
 */
export function nextIcsRevisions(events: CalendarEvent[], previous: IcsRevisions, now: Date): IcsRevisions {
  const stamp = now.toISOString();
  const next: IcsRevisions = {};
  const cutoff = now.getTime() - REVISION_RETENTION_DAYS * 86_400_000;
  for (const [id, rev] of Object.entries(previous)) {
    if (Date.parse(rev.modified) >= cutoff) next[id] = rev;
  }
  for (const e of events) {
    const hash = icsContentHash(e);
    const old = previous[e.sourceId];
    if (old?.hash === hash) next[e.sourceId] = old;
    else next[e.sourceId] = { hash, sequence: old ? old.sequence + 1 : 0, modified: stamp };
  }
  return next;
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
 * Renders the events (reference/conventions.md, "ICS feeds"). The output depends on the input only, so the
 * worker rewrites the file (and feed clients re-download it) only on a real change: DTSTAMP and
 * LAST-MODIFIED are the time the course last changed and SEQUENCE counts its changes (both from
 * `revisions`, never the render time, never the class's start). Calendar properties come before every
 * component, the file ends with CRLF, text carries no C0 control, REFRESH-INTERVAL/X-PUBLISHED-TTL are set.
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
  // ical-generator writes X-props and the TTL after the VTIMEZONE blocks; they are put in front below.
  const calendarProperties = [
    `X-WR-TIMEZONE:${zoneOf(opts.timezone)?.tzid ?? opts.timezone}`,
    `REFRESH-INTERVAL;VALUE=DURATION:${ICS_REFRESH}`,
    `X-PUBLISHED-TTL:${ICS_REFRESH}`,
  ];

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
    const revision = opts.revisions[e.sourceId];
    if (!revision) throw new Error(`renderIcs: no revision for course ${e.sourceId} (compute them with nextIcsRevisions)`);
    const modified = DateTime.fromISO(revision.modified, { zone: 'utc' });
    const url = e.teamsUrls[0] ? stripControls(e.teamsUrls[0]).replace(/\s/g, '') : '';
    const event = calendar.createEvent({
      id: uid,
      sequence: revision.sequence,
      start: tzid ? start.setZone(tzid) : start.toUTC(),
      end: tzid ? end.setZone(tzid) : end.toUTC(),
      stamp: modified,
      lastModified: modified,
      allDay: e.allDay,
      summary: stripControls(e.title),
      location: stripControls(e.location) || null,
      description: stripControls(e.details) || null,
      url: url || null,
    });
    if (tzid) event.timezone(tzid);
  }
  return withCalendarPropertiesFirst(calendar.toString(), calendarProperties);
}

/** Inserts `properties` after the calendar's own properties, before its first component; ends with CRLF. */
function withCalendarPropertiesFirst(ics: string, properties: string[]): string {
  const header = 'BEGIN:VCALENDAR\r\n';
  const firstComponent = ics.indexOf('\r\nBEGIN:', header.length - 2);
  const at = firstComponent >= 0 ? firstComponent + 2 : ics.lastIndexOf('END:VCALENDAR');
  return `${ics.slice(0, at)}${properties.map((p) => `${p}\r\n`).join('')}${ics.slice(at)}\r\n`;
}
