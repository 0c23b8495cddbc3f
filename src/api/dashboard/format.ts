import { DateTime } from 'luxon';

/**
 * Times on the dashboard read the way the people using it read them (French, 24 h): `lun. 3 mars 09:30`,
 * always in the instance's own time zone, whatever the server's zone is.
 */
export const DISPLAY_LOCALE = 'fr';

const parse = (iso: string, zone: string): DateTime | null => {
  const dt = DateTime.fromISO(iso, { zone }).setLocale(DISPLAY_LOCALE);
  return dt.isValid ? dt : null;
};

/** `lun. 3 mars 09:30`; the year is added when it is not `now`'s (a last run from last year says so). */
export function formatWhen(iso: string | null | undefined, zone: string, now: Date = new Date()): string {
  if (!iso) return '—';
  const dt = parse(iso, zone);
  if (!dt) return iso;
  const sameYear = dt.year === DateTime.fromJSDate(now, { zone }).year;
  return dt.toFormat(sameYear ? 'ccc d LLL HH:mm' : 'ccc d LLL yyyy HH:mm');
}

/** `lun. 3 mars`: the heading of a day of classes. */
export function formatDay(iso: string, zone: string): string {
  return parse(iso, zone)?.toFormat('ccc d LLL') ?? iso;
}

/** `09:30`. */
export function formatTime(iso: string, zone: string): string {
  return parse(iso, zone)?.toFormat('HH:mm') ?? iso;
}

/** `09:30:05`: the page's "updated" clock. */
export function formatClock(iso: string, zone: string): string {
  return parse(iso, zone)?.toFormat('HH:mm:ss') ?? iso;
}

/** The calendar day (`2025-03-03`) of an instant in a zone: classes are grouped by it. */
export function dayKey(iso: string, zone: string): string {
  return parse(iso, zone)?.toISODate() ?? iso.slice(0, 10);
}

/** `850 ms`, `12,3 s`, `2 min 05 s`: French decimal comma, no needless precision. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1).replace('.', ',')} s`;
  const total = Math.round(ms / 1_000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
}
