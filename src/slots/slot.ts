import type { DateTime } from 'luxon';

/** One bookable appointment slot, as alerts and `slots check` show it. */
export interface Slot {
  /** Stable across checks: provider + start instant (+ the provider's slot id). */
  id: string;
  /** ISO 8601 with the offset of the watcher's zone, e.g. 2026-03-03T09:30:00+01:00. */
  start: string;
  /** French-friendly, in the watcher's zone: `lun. 3 mars 09:30`. */
  label: string;
  bookingUrl?: string;
}

export interface SlotProvider {
  /** All slots bookable now; `requests` counts HTTP attempts (retries included). */
  check(now: Date): Promise<{ slots: Slot[]; requests: number }>;
}

/** The users of the seed watcher read French. */
const LABEL_LOCALE = 'fr';
const LABEL_FORMAT = 'ccc d LLL HH:mm';

/** Builds a slot from an instant; the id uses UTC so the zone's formatting never changes it. */
export function makeSlot(provider: string, start: DateTime, zone: string, opts: { slotId?: string; bookingUrl?: string } = {}): Slot {
  const local = start.setZone(zone);
  const utc = start.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
  const slot: Slot = {
    id: `${provider}:${utc}${opts.slotId === undefined ? '' : `:${opts.slotId}`}`,
    start: local.toISO({ suppressMilliseconds: true }) ?? '',
    label: local.setLocale(LABEL_LOCALE).toFormat(LABEL_FORMAT),
  };
  if (opts.bookingUrl !== undefined) slot.bookingUrl = opts.bookingUrl;
  return slot;
}

/** Chronological, ties by id, so output and alerts read in order and tests are deterministic. */
export function sortSlots(slots: Slot[]): Slot[] {
  return [...slots].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** First of each id wins: overlapping answers (ClicRDV day scans) repeat slots. */
export function uniqueSlots(slots: Iterable<Slot>): Slot[] {
  const byId = new Map<string, Slot>();
  for (const s of slots) if (!byId.has(s.id)) byId.set(s.id, s);
  return [...byId.values()];
}
