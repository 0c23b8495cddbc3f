import { DateTime, IANAZone } from 'luxon';
import { ConfigError } from '../lib/index.js';
import type { SyncWindowConfig } from './load.js';

/**
 * The sync window as instants: `from` inclusive, `to` exclusive, both at local midnight in
 * `timezone` (ISO-8601 with that zone's offset on that day, so a DST change in between is right).
 * Rolling windows count calendar days from today in `timezone`, not 24-hour blocks.
 */
export function resolveWindow(window: SyncWindowConfig, timezone: string, now: Date): { from: string; to: string } {
  if (!IANAZone.isValidZone(timezone)) throw new ConfigError(`invalid time zone ${JSON.stringify(timezone)}`);
  if ('from' in window) {
    return { from: iso(localDay(window.from, timezone)), to: iso(localDay(window.to, timezone).plus({ days: 1 })) };
  }
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  return {
    from: iso(today.minus({ days: window.pastDays }).startOf('day')),
    to: iso(today.plus({ days: window.futureDays + 1 }).startOf('day')),
  };
}

function localDay(date: string, timezone: string): DateTime {
  const dt = DateTime.fromISO(date, { zone: timezone });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new ConfigError(`invalid window date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  }
  return dt.startOf('day');
}

function iso(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) as string;
}
