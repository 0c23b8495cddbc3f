import { DateTime } from 'luxon';
import { z } from 'zod';
import { RemoteError, silentLogger } from '../../lib/index.js';
import type { CalcomWatcherConfig } from '../../config/index.js';
import { makeSlot, sortSlots, uniqueSlots, type Slot, type SlotProvider } from '../slot.js';
import { createJsonGetter, type RequestCounter } from './http.js';
import type { ProviderOptions } from './options.js';

/** The v2 slots answer shape `{data: {date: [{start}]}}` exists only from this API version on. */
export const CALCOM_V2_API_VERSION = '2024-09-04';

const v2AnswerSchema = z.looseObject({
  status: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
});
const v2SlotSchema = z.looseObject({ start: z.unknown() });

/** What v2 reads unambiguously: an instant in UTC (a bare date would be read as a UTC day, not the watcher's). */
const utcInstant = (dt: DateTime): string => dt.toUTC().toISO() ?? '';

function parseInstant(value: unknown): DateTime | undefined {
  if (typeof value !== 'string') return undefined;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt : undefined;
}

/**
 * Cal.com's public slots endpoint, API v2 (v1 answers 410 since 2026-04-08: slots-and-alerts.md, Cal.com):
 * one request per check covering `rangeDays` days from today in the watcher's zone, sent as UTC instants
 * (v2 reads bare dates as UTC days, which would cut the last evening of a zone west of UTC). A token, or
 * else an API key (v1 configs), goes as `Authorization: Bearer`; `cal-api-version` picks the answer shape.
 */
export function createCalcomProvider(config: CalcomWatcherConfig, opts: ProviderOptions): SlotProvider {
  const zone = config.timezone ?? opts.timezone;
  const logger = opts.logger ?? silentLogger;
  const base = config.url.replace(/\/+$/, '');
  const get = createJsonGetter({
    service: 'Cal.com',
    authStatuses: [401],
    authMessage: 'Cal.com refused the API key',
    secrets: [config.apiKey, config.token].filter((s): s is string => s !== undefined),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.retry === undefined ? {} : { retry: opts.retry }),
    logger,
  });
  const slotOpts = config.bookingUrl === undefined ? {} : { bookingUrl: config.bookingUrl };

  function toSlots(starts: unknown[], what: string): Slot[] {
    const slots: Slot[] = [];
    let unreadable = 0;
    for (const value of starts) {
      const start = parseInstant(value);
      if (start === undefined) unreadable++;
      else slots.push(makeSlot(`calcom:${config.eventTypeId}`, start, zone, slotOpts));
    }
    if (unreadable > 0) logger.warn(`Cal.com GET ${what}: ${unreadable} slot(s) with an unreadable start were skipped`);
    return slots;
  }

  async function fetchSlots(first: DateTime, last: DateTime, counter: RequestCounter): Promise<Slot[]> {
    const what = '/v2/slots';
    const query = new URLSearchParams({
      eventTypeId: String(config.eventTypeId),
      start: utcInstant(first),
      end: utcInstant(last.endOf('day')),
      // Groups the answer by the watcher's days and writes starts with its offset; the window is the instants above.
      timeZone: zone,
    });
    const headers: Record<string, string> = { 'cal-api-version': CALCOM_V2_API_VERSION };
    // v2 takes API keys as bearer tokens too: a config written for v1 (apiKey) authenticates unchanged.
    const bearer = config.token ?? config.apiKey;
    if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
    const body = await get({ url: `${base}/v2/slots?${query.toString()}`, headers, what }, counter);
    const parsed = v2AnswerSchema.safeParse(body ?? {});
    if (!parsed.success || (parsed.data.status !== undefined && parsed.data.status !== 'success')) {
      throw new RemoteError(`Cal.com GET ${what} answered something other than {"status": "success", "data": {date: [...]}}`);
    }
    const starts: unknown[] = [];
    for (const list of Object.values(parsed.data.data ?? {})) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const slot = v2SlotSchema.safeParse(item);
        starts.push(slot.success ? slot.data.start : undefined);
      }
    }
    return toSlots(starts, what);
  }

  return {
    async check(now) {
      const counter: RequestCounter = { requests: 0 };
      const first = DateTime.fromJSDate(now, { zone }).startOf('day');
      const last = first.plus({ days: config.rangeDays - 1 });
      const found = await fetchSlots(first, last, counter);
      const nowMs = now.getTime();
      const slots = uniqueSlots(found).filter((s) => Date.parse(s.start) >= nowMs);
      return { slots: sortSlots(slots), requests: counter.requests };
    },
  };
}
