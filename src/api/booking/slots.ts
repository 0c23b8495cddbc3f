import { DateTime } from 'luxon';
import { BOOKING_TYPE_PATTERN, MAX_CALCOM_RANGE_DAYS } from '../../config/index.js';
import { translator, type Locale } from '../../lib/index.js';
import { ParamError } from '../params.js';

/** The seed's answer: one entry per date that has a free time, `HH:MM` in the booking type's zone. */
export interface SlotDay {
  date: string;
  hours: string[];
}

/** The seed's default `range`. */
export const DEFAULT_RANGE_DAYS = 14;
/**
 * How far ahead the tunnel looks at all (`from` + `range`): Cal.com's own booking window rarely passes
 * three months, and past that "next week" has become "propose your own availability".
 */
export const MAX_HORIZON_DAYS = MAX_CALCOM_RANGE_DAYS;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface SlotsParams {
  type: string;
  /** First day, `YYYY-MM-DD` in the type's zone. */
  from: string;
  /** Days from `from`, inclusive of it. */
  range: number;
}

/**
 * `type`, `range` (1 to 90, default the type's or 14) and `from` (today to the horizon, default today). The
 * messages in `locale`: the page shows them (a page left open past midnight asks for a `from` now past).
 */
export function parseSlotsParams(query: URLSearchParams, today: string, defaultRange = DEFAULT_RANGE_DAYS, locale: Locale = 'en'): SlotsParams {
  const t = translator(locale);
  const bad = (name: string, key: string, vars?: Record<string, unknown>): ParamError => new ParamError(name, t(`booking.errors.param.${key}`, vars));
  /** One value of a query parameter; a repeated one is refused rather than guessed. */
  const single = (name: string): string | undefined => {
    const all = query.getAll(name);
    if (all.length > 1) throw bad(name, 'once');
    return all[0];
  };
  const type = single('type');
  if (type === undefined || type === '') throw bad('type', 'typeRequired');
  if (!BOOKING_TYPE_PATTERN.test(type)) throw bad('type', 'typeSlug');
  const rawRange = single('range');
  let range = defaultRange;
  if (rawRange !== undefined) {
    if (!/^\d{1,3}$/.test(rawRange) || Number(rawRange) < 1 || Number(rawRange) > MAX_HORIZON_DAYS) {
      throw bad('range', 'range', { max: MAX_HORIZON_DAYS });
    }
    range = Number(rawRange);
  }
  const rawFrom = single('from');
  let from = today;
  if (rawFrom !== undefined) {
    const dt = DATE.test(rawFrom) ? DateTime.fromISO(rawFrom, { zone: 'UTC' }) : null;
    if (!dt?.isValid) throw bad('from', 'fromDate');
    if (rawFrom < today) throw bad('from', 'fromPast', { today });
    const horizon = DateTime.fromISO(today, { zone: 'UTC' }).plus({ days: MAX_HORIZON_DAYS }).toISODate() ?? today;
    if (rawFrom >= horizon) throw bad('from', 'fromHorizon', { max: MAX_HORIZON_DAYS });
    from = rawFrom;
  }
  return { type, from, range };
}

/**
 * Slot starts (ISO instants) → the seed's `[{date, hours}]` in `zone`, limited to `[from, from + range)` and
 * to what has not started yet; dates and hours in order, duplicates once.
 */
export function toSlotDays(starts: readonly string[], zone: string, window: { from: string; range: number }, now: Date): SlotDay[] {
  const last =
    DateTime.fromISO(window.from, { zone: 'UTC' })
      .plus({ days: window.range - 1 })
      .toISODate() ?? window.from;
  const byDate = new Map<string, Set<string>>();
  for (const start of starts) {
    const dt = DateTime.fromISO(start, { setZone: true });
    if (!dt.isValid || dt.toMillis() < now.getTime()) continue;
    const local = dt.setZone(zone);
    const date = local.toISODate() ?? '';
    if (date < window.from || date > last) continue;
    const hours = byDate.get(date) ?? new Set<string>();
    hours.add(local.toFormat('HH:mm'));
    byDate.set(date, hours);
  }
  return [...byDate.keys()].sort().map((date) => ({ date, hours: [...(byDate.get(date) as Set<string>)].sort() }));
}

/** Today's date in `zone`. */
export function todayIn(zone: string, now: Date): string {
  return DateTime.fromJSDate(now, { zone }).toISODate() ?? now.toISOString().slice(0, 10);
}

/**
 * The instant of `date` at `time` on the wall clock of `zone`; null when that wall-clock time does not exist
 * there (the hour skipped when clocks go forward).
 */
export function instantOf(date: string, time: string, zone: string): DateTime | null {
  const dt = DateTime.fromISO(`${date}T${time}`, { zone });
  if (!dt.isValid || dt.toFormat('yyyy-MM-dd HH:mm') !== `${date} ${time}`) return null;
  return dt;
}
