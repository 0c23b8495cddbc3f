import { DateTime } from 'luxon';
import { InvalidParameterError } from './errors.js';

/**
 * Times are kept as fixed-width UTC strings (`YYYY-MM-DDTHH:mm:ss.sssZ`): in SQLite, TEXT in that form sorts
 * in time order, so the same comparisons work on both databases; PostgreSQL stores TIMESTAMPTZ and gives
 * back Dates that print the same way.
 */
const STORE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Normalises an ISO-8601 time to the store's UTC form; a time without an offset is read as UTC.
 * Throws InvalidParameterError naming `parameter` when it is not an ISO-8601 time (or outside years 0-9999,
 * which would not sort as text).
 */
export function toStoreTime(value: string, parameter: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidParameterError(parameter, 'expected an ISO-8601 time, got nothing');
  }
  const fast = withOffsetFast(value.trim());
  if (fast !== null) return fast;
  const parsed = DateTime.fromISO(value.trim(), { zone: 'utc' });
  const out = parsed.isValid ? parsed.toUTC().toISO() : null;
  if (out === null || !STORE_TIME.test(out)) {
    throw new InvalidParameterError(parameter, `expected an ISO-8601 time such as 2025-01-31T08:00:00+01:00, got ${JSON.stringify(value)}`);
  }
  return out;
}

/** A date-time with seconds at most to the millisecond and an explicit offset: the form the API takes and the store writes. */
const WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * The common case without luxon (a third of a listing request's time went to parsing its from/to/cursor
 * times): JavaScript's Date reads this form exactly, once the fields are known to be in range (Date would
 * roll 30 February over into March, and take 24:00). Anything else, or out of range, is null: luxon decides.
 */
function withOffsetFast(value: string): string | null {
  const m = WITH_OFFSET.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour! > 23 || minute! > 59 || second! > 59 || offH! > 23 || offM! > 59) return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  const out = new Date(ms).toISOString();
  return STORE_TIME.test(out) ? out : null;
}

export function toStoreTimeOrNull(value: string | null | undefined, parameter: string): string | null {
  return value === null || value === undefined ? null : toStoreTime(value, parameter);
}

/** A time as a driver returns it (a Date from pg, our TEXT from SQLite) in the store's UTC form. */
export function timeFromDb(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return STORE_TIME.test(value) ? value : toStoreTime(value, 'stored time');
  throw new TypeError(`expected a time from the database, got ${typeof value}`);
}

export function timeFromDbOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : timeFromDb(value);
}
