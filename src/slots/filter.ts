import { DateTime } from 'luxon';
import { WEEKDAYS, minutesOf, type SlotFilter } from '../config/index.js';
import type { Slot } from './slot.js';

/**
 * The slots the user wants to hear about, judged by their start in `zone` (the watcher's): weekday,
 * hours (`to` exclusive; `from` after `to` wraps past midnight), and a date range (both ends inclusive).
 * Slots whose start cannot be read are kept: hiding an appointment is worse than showing one.
 */
export function applyFilter(slots: readonly Slot[], filter: SlotFilter | undefined, zone: string): Slot[] {
  if (filter === undefined) return [...slots];
  const days = filter.weekdays === undefined ? undefined : new Set(filter.weekdays);
  const from = filter.hours === undefined ? undefined : minutesOf(filter.hours.from);
  const to = filter.hours === undefined ? undefined : minutesOf(filter.hours.to);
  return slots.filter((slot) => {
    const start = DateTime.fromISO(slot.start, { setZone: true });
    if (!start.isValid) return true;
    const local = start.setZone(zone);
    if (days !== undefined && !days.has(WEEKDAYS[local.weekday - 1]!)) return false;
    if (from !== undefined && to !== undefined) {
      const minute = local.hour * 60 + local.minute;
      const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
      if (!inside) return false;
    }
    const day = local.toISODate() ?? '';
    if (filter.notBefore !== undefined && day < filter.notBefore) return false;
    if (filter.notAfter !== undefined && day > filter.notAfter) return false;
    return true;
  });
}
