import { DateTime } from 'luxon';
import { INTL_LOCALE, type Locale } from '../../lib/index.js';

/**
 * Times on the dashboard read the way the people using it read them (24 h, French by default): `lun. 3 mars 09:30`
 * or `Mon 3 Mar 09:30` on an English page, always in the instance's own time zone, whatever the server's zone is.
 */
export const DISPLAY_LOCALE: Locale = 'fr';

const parse = (iso: string, zone: string, locale: Locale = DISPLAY_LOCALE): DateTime | null => {
  const dt = DateTime.fromISO(iso, { zone }).setLocale(INTL_LOCALE[locale]);
  return dt.isValid ? dt : null;
};

/** `lun. 3 mars 09:30`; the year is added when it is not `now`'s (a last run from last year says so). */
export function formatWhen(iso: string | null | undefined, zone: string, now: Date = new Date(), locale: Locale = DISPLAY_LOCALE): string {
  if (!iso) return '—';
  const dt = parse(iso, zone, locale);
  if (!dt) return iso;
  const sameYear = dt.year === DateTime.fromJSDate(now, { zone }).year;
  return dt.toFormat(sameYear ? 'ccc d LLL HH:mm' : 'ccc d LLL yyyy HH:mm');
}

/** `lun. 3 mars`: the heading of a day of classes. */
export function formatDay(iso: string, zone: string, locale: Locale = DISPLAY_LOCALE): string {
  return parse(iso, zone, locale)?.toFormat('ccc d LLL') ?? iso;
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

/** `850 ms`, `12,3 s` (`12.3 s` in English), `2 min 05 s`: the locale's decimal mark, no needless precision. */
export function formatDuration(ms: number, locale: Locale = DISPLAY_LOCALE): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1).replace('.', locale === 'fr' ? ',' : '.')} s`;
  const total = Math.round(ms / 1_000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
}
