import { DateTime } from 'luxon';
import { z } from 'zod';
import { RemoteError, silentLogger } from '../../lib/index.js';
import { clicrdvApiKey, type ClicrdvWatcherConfig } from '../../config/index.js';
import { makeSlot, sortSlots, uniqueSlots, type Slot, type SlotProvider } from '../slot.js';
import { createJsonGetter, type RequestCounter } from './http.js';
import type { ProviderOptions } from './options.js';

export const DATE_PLACEHOLDER = '{date}';
/** `time_format=datetime` answers; the others are accepted in case a user's URL asks differently. */
const START_FORMATS = ['yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd HH:mm', "yyyy-MM-dd'T'HH:mm:ss"] as const;

const answerSchema = z.looseObject({
  availabletimeslots: z
    .array(
      z.looseObject({
        start: z.unknown(),
        slot: z.unknown().optional(),
        capacity: z.unknown().optional(),
      }),
    )
    .nullish(),
});

/** `start` has no zone: it is the practice's local time, read in the watcher's zone. */
function parseStart(value: unknown, zone: string): DateTime | undefined {
  if (typeof value !== 'string') return undefined;
  for (const format of START_FORMATS) {
    const dt = DateTime.fromFormat(value, format, { zone });
    if (dt.isValid) return dt;
  }
  const iso = DateTime.fromISO(value, { zone });
  return iso.isValid ? iso : undefined;
}

/**
 * Runs `fn` on every item with at most `limit` in flight. After the first failure no new item
 * starts, and that failure is thrown once the running ones settle.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.err;
  return results;
}

/**
 * ClicRDV's booking-widget API. By default the URL as given, once: one answer covers several days
 * (slots-and-alerts.md, ClicRDV), so a day-by-day loop may cost up to 30× the requests. With `{date}` in
 * the URL, one request per day from today for `daysAhead` days (the seed's scan; no `to` parameter is
 * known), at most `concurrency` at once. Either way only slots from now to the end of the `daysAhead`
 * days are kept: an answer may reach further than the watcher looks.
 */
export function createClicrdvProvider(config: ClicrdvWatcherConfig, opts: ProviderOptions): SlotProvider {
  const zone = config.timezone ?? opts.timezone;
  const logger = opts.logger ?? silentLogger;
  const apiKey = clicrdvApiKey(config.url);
  const get = createJsonGetter({
    service: 'ClicRDV',
    authStatuses: [403],
    authMessage: 'ClicRDV refused the API key',
    secrets: apiKey === undefined ? [] : [apiKey],
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.retry === undefined ? {} : { retry: opts.retry }),
    logger,
  });

  async function fetchOne(url: string, day: string | undefined, counter: RequestCounter): Promise<Slot[]> {
    const parsedUrl = new URL(url);
    // Path only: the query holds the API key.
    const what = `${parsedUrl.pathname}${day === undefined ? '' : ` (from ${day})`}`;
    const body = await get({ url, what }, counter);
    const parsed = answerSchema.safeParse(body ?? {});
    if (!parsed.success) throw new RemoteError(`ClicRDV GET ${what} answered something other than {"availabletimeslots": [...]}`);
    const slots: Slot[] = [];
    let unreadable = 0;
    for (const item of parsed.data.availabletimeslots ?? []) {
      // Capacity 0 is a full slot the widget still lists: nothing to book.
      if (typeof item.capacity === 'number' && item.capacity <= 0) continue;
      const start = parseStart(item.start, zone);
      if (start === undefined) {
        unreadable++;
        continue;
      }
      const slotId = typeof item.slot === 'number' || (typeof item.slot === 'string' && item.slot !== '') ? String(item.slot) : undefined;
      slots.push(
        makeSlot('clicrdv', start, zone, {
          ...(slotId === undefined ? {} : { slotId }),
          ...(config.bookingUrl === undefined ? {} : { bookingUrl: config.bookingUrl }),
        }),
      );
    }
    if (unreadable > 0) logger.warn(`ClicRDV GET ${what}: ${unreadable} slot(s) with an unreadable start were skipped`);
    return slots;
  }

  return {
    async check(now) {
      const counter: RequestCounter = { requests: 0 };
      const today = DateTime.fromJSDate(now, { zone }).startOf('day');
      let found: Slot[][];
      if (config.url.includes(DATE_PLACEHOLDER)) {
        const days = Array.from({ length: config.daysAhead }, (_, i) => today.plus({ days: i }).toISODate() ?? '');
        found = await mapBounded(days, config.concurrency, (day) => fetchOne(config.url.split(DATE_PLACEHOLDER).join(day), day, counter));
      } else {
        found = [await fetchOne(config.url, undefined, counter)];
      }
      const nowMs = now.getTime();
      const endMs = today.plus({ days: config.daysAhead }).toMillis();
      const slots = uniqueSlots(found.flat()).filter((s) => {
        const ms = Date.parse(s.start);
        return ms >= nowMs && ms < endMs;
      });
      return { slots: sortSlots(slots), requests: counter.requests };
    },
  };
}
