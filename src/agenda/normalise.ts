import { DateTime, IANAZone } from 'luxon';
import type { CalendarEvent } from '../lib/index.js';
import type { MonCampusCourse } from './course.js';
import { dedupeEvents } from './dedupe.js';

/**
 * THE TIME-ZONE QUIRK (reference/moncampus.md): MonCampus's Kendo page runs in Etc/UTC, so `Start`/`End`
 * carry an offset but the *UTC* hours and minutes of that instant are the real local wall clock.
 * `2025-06-10T10:30:00+02:00` (= 08:30Z) and `2025-01-10T09:30:00+01:00` (= 08:30Z) are both 08:30 in
 * Paris. ASP.NET `/Date(ms)/` follows the same rule (the UTC clock of that instant). A string without any
 * offset is read as written. Reading the offset literally would shift every class by one or two hours,
 * and by a different amount on each side of a DST change.
 */

/**
 * `2025-03-28 08:30:00`: a space instead of the ISO `T` (reference/moncampus.md, "Facts found in 2026",
 * Dates; Papillon replaces it). Only the separator differs; the rest is read like any ISO string.
 */
const SPACE_SEPARATED = /^(\d{4}-\d{2}-\d{2}) +(?=\d{2}:\d{2})/;

/** `/Date(1727676000000)/`, optionally with the `+0200` suffix ASP.NET adds (ignored: the ms are the instant). */
const ASPNET_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/**
 * The output format of `start`/`end`: seconds always present, no milliseconds, numeric offset (also
 * `+00:00` for UTC, never `Z`), e.g. `2025-06-10T08:30:00+02:00`. One fixed format so identical
 * courses compare equal as strings and ECAL plans stay stable.
 */
export const EVENT_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ssZZ";

/** The wall clock a MonCampus time string means, as a UTC DateTime whose fields ARE that wall clock; null if unreadable. */
export function parseMonCampusWallClock(raw: string | null | undefined): DateTime | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (!s) return null;
  const aspnet = ASPNET_DATE.exec(s);
  const dt = aspnet ? DateTime.fromMillis(Number(aspnet[1]), { zone: 'utc' }) : DateTime.fromISO(s.replace(SPACE_SEPARATED, '$1T'), { zone: 'utc' });
  return dt.isValid ? dt : null;
}

/**
 * Places a wall clock (the fields of `wall`) in `timezone`. In the spring-forward gap (02:00–03:00 on
 * the last Sunday of March in Paris) luxon moves forward by the gap; no class is held then.
 */
export function wallClockIn(wall: DateTime, timezone: string): DateTime {
  return DateTime.fromObject(
    {
      year: wall.year,
      month: wall.month,
      day: wall.day,
      hour: wall.hour,
      minute: wall.minute,
      second: wall.second,
    },
    { zone: timezone },
  );
}

/** The real instant a MonCampus time string means in `timezone`; null if unreadable. */
export function monCampusInstant(raw: string | null | undefined, timezone: string): DateTime | null {
  const wall = parseMonCampusWallClock(raw);
  return wall ? wallClockIn(wall, timezone) : null;
}

export function formatEventTime(dt: DateTime): string {
  return dt.toFormat(EVENT_TIME_FORMAT);
}

/** Zones already checked: the check builds an Intl.DateTimeFormat, too costly to repeat per course. */
const checkedZones = new Set<string>();

export function assertTimezone(timezone: string): void {
  if (checkedZones.has(timezone)) return;
  if (!IANAZone.isValidZone(timezone)) throw new RangeError(`Unknown time zone: ${timezone}`);
  checkedZones.add(timezone);
}

/** MonCampus's placeholder when a teacher left no comment. */
const PLACEHOLDER_COMMENT = 'commentaire';
/** "Aucune" is MonCampus's word for "no room". */
const NO_ROOM = 'aucune';
const REMOTE_MARKER = 'distanciel';
/** Title carries the group as a `G1 ` prefix ("G1 Administration des BDD"). */
const GROUP_PREFIX = /^G\d+\s+/;
/** Used only when a course has none of Commentaire, Matiere, Title, LibelleGroupe. */
const UNTITLED = 'Cours';

function clean(s: string | null | undefined): string {
  return typeof s === 'string' ? s.replace(/\s+/g, ' ').trim() : '';
}

export function courseTitle(course: MonCampusCourse): string {
  const comment = clean(course.Commentaire);
  if (comment && comment.toLowerCase() !== PLACEHOLDER_COMMENT) return comment;
  const subject = clean(course.Matiere);
  if (subject) return subject;
  const title = clean(course.Title).replace(GROUP_PREFIX, '').trim();
  if (title) return title;
  return clean(course.LibelleGroupe) || UNTITLED;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
    }
    return NAMED_ENTITIES[code.toLowerCase()] ?? whole;
  });
}

const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;
const BARE_URL = /^https?:\/\/\S+$/i;

/** Every http(s) link of a `TeamsUrl` HTML fragment (`<a href="…"><img …></a>`, possibly several), decoded and deduped, in order. */
export function extractTeamsUrls(fragment: string | null | undefined): string[] {
  if (typeof fragment !== 'string' || !fragment.trim()) return [];
  const found: string[] = [];
  for (const m of fragment.matchAll(HREF)) found.push(decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim()));
  // Some records carry the link itself rather than HTML.
  if (found.length === 0 && BARE_URL.test(fragment.trim())) found.push(decodeEntities(fragment.trim()));
  return [...new Set(found.filter((u) => /^https?:\/\//i.test(u)))];
}

/** Hosts of real Teams meeting links: a link there is the final one and carries nothing about the student. */
const TEAMS_HOST = /(^|\.)teams\.(microsoft|live)\.com$/i;
/** `Tel=<login>` in a Wigor redirect names the student (reference/moncampus.md, "Facts found in 2026", Privacy). */
const PERSONAL_PARAM = /^(tel|login|user(name)?|hash|h|token|sig(nature)?|key|cle)$/i;
/** A value this long in hex or base64url is a per-user hash or token, whatever its parameter is called. */
const HASH_LIKE = /^[0-9a-f]{16,}$|^[A-Za-z0-9_-]{24,}={0,2}$/i;

export function isTeamsLink(url: string): boolean {
  try {
    const u = new URL(url);
    return /^https?:$/.test(u.protocol) && TEAMS_HOST.test(u.hostname);
  } catch {
    return false;
  }
}

/**
 * A course link safe to put in a calendar others may see: a Teams link as it is; a redirect (Wigor's
 * per-student `…?Tel=<login>&<hash>`) replaced by the Teams link it carries in a parameter, or else
 * stripped of its personal parameters. The client resolves such redirects to their target first
 * (client.ts); this is the pure last line, for links it could not resolve.
 */
export function privateLink(url: string): string {
  if (isTeamsLink(url)) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  for (const value of u.searchParams.values()) if (isTeamsLink(value)) return value;
  for (const [name, value] of [...u.searchParams]) {
    if (PERSONAL_PARAM.test(name) || HASH_LIKE.test(value)) u.searchParams.delete(name);
  }
  return u.toString();
}

/** The original tool's `details` text; lines with no value are left out rather than printed empty. */
export function buildDetails(e: { teacher: string | null; groupLabel: string | null; teamsUrls: string[] }): string {
  const lines: string[] = [];
  if (e.teacher) lines.push(`Intervenant : ${e.teacher}`);
  if (e.groupLabel) lines.push(`Nom complet du cours : ${e.groupLabel}`);
  for (const url of e.teamsUrls) lines.push(`Lien Teams : ${url}`);
  return lines.join('\n');
}

/** Thrown by normaliseCourse for a record that cannot become an event; `reason` is for the skipped list. */
export class UnusableCourseError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnusableCourseError';
  }
}

/** One MonCampus course as a calendar event in `opts.timezone`. Throws UnusableCourseError for unusable records. */
export function normaliseCourse(course: MonCampusCourse, opts: { timezone: string }): CalendarEvent {
  assertTimezone(opts.timezone);
  if (!clean(course.Start)) throw new UnusableCourseError('no start');
  const start = monCampusInstant(course.Start, opts.timezone);
  if (!start) throw new UnusableCourseError(`unreadable start "${course.Start}"`);
  let end: DateTime | null;
  if (clean(course.End)) {
    end = monCampusInstant(course.End, opts.timezone);
    if (!end) throw new UnusableCourseError(`unreadable end "${course.End}"`);
  } else if (course.Duree !== null && course.Duree > 0) {
    // No End but a duration: the end follows from it.
    end = start.plus({ minutes: course.Duree });
  } else {
    throw new UnusableCourseError('no end');
  }
  if (end.toMillis() <= start.toMillis()) throw new UnusableCourseError('end is not after start');

  const rooms = clean(course.Salles);
  const location = rooms.toLowerCase() === NO_ROOM ? '' : rooms;
  const teamsUrls = [...new Set([...extractTeamsUrls(course.TeamsUrl), ...extractTeamsUrls(course.TeamsURL)].map(privateLink))];
  const teacher = clean(course.NomProf) || null;
  const groupLabel = clean(course.LibelleGroupe) || null;
  return {
    sourceId: String(course.NoCours),
    title: courseTitle(course),
    location,
    start: formatEventTime(start),
    end: formatEventTime(end),
    timezone: opts.timezone,
    allDay: course.IsAllDay === true,
    teacher,
    groupLabel,
    teamsUrls,
    remote: rooms.toLowerCase().includes(REMOTE_MARKER) || teamsUrls.length > 0,
    details: buildDetails({ teacher, groupLabel, teamsUrls }),
  };
}

/** Normalises a whole fetch: unusable records are reported in `skipped` (never thrown), then duplicates are merged. */
export function normaliseCourses(
  courses: MonCampusCourse[],
  opts: { timezone: string },
): { events: CalendarEvent[]; skipped: { sourceId: string; reason: string }[] } {
  // A wrong zone is a configuration mistake, not a bad record: fail loudly instead of skipping everything.
  assertTimezone(opts.timezone);
  const events: CalendarEvent[] = [];
  const skipped: { sourceId: string; reason: string }[] = [];
  for (const course of courses) {
    try {
      events.push(normaliseCourse(course, opts));
    } catch (err) {
      if (!(err instanceof UnusableCourseError)) throw err;
      skipped.push({ sourceId: String(course.NoCours), reason: err.reason });
    }
  }
  return { events: dedupeEvents(events), skipped };
}
