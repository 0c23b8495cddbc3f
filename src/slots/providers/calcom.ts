import { DateTime } from 'luxon';
import { z } from 'zod';
import { RemoteError, silentLogger } from '../../lib/index.js';
import { calcomApiVersion, type CalcomWatcherConfig } from '../../config/index.js';
import { makeSlot, sortSlots, uniqueSlots, type Slot, type SlotProvider } from '../slot.js';
import { createJsonGetter, type RequestCounter } from './http.js';
import type { ProviderOptions } from './options.js';

/** The v2 slots answer shape `{data: {date: [{start}]}}` exists only from this API version on. */
export const CALCOM_V2_API_VERSION = '2024-09-04';

const v1AnswerSchema = z.looseObject({
  slots: z.record(z.string(), z.array(z.looseObject({ time: z.unknown() })).nullish()).nullish(),
});
const v2AnswerSchema = z.looseObject({
  status: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
});
const v2SlotSchema = z.looseObject({ start: z.unknown() });

function parseInstant(value: unknown): DateTime | undefined {
  if (typeof value !== 'string') return undefined;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt : undefined;
}

/**
 * Cal.com's public slots endpoint: one request per check covering `rangeDays` days from today (in
 * the watcher's zone). v1 authenticates with `apiKey` in the query, v2 with an optional bearer
 * token and needs the `cal-api-version` header for its answer shape.
 */
export function createCalcomProvider(config: CalcomWatcherConfig, opts: ProviderOptions): SlotProvider {
  const zone = config.timezone ?? opts.timezone;
  const logger = opts.logger ?? silentLogger;
  const version = calcomApiVersion(config);
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

  async function checkV1(last: DateTime, now: Date, counter: RequestCounter): Promise<Slot[]> {
    const what = '/v1/slots';
    const query = new URLSearchParams({
      apiKey: config.apiKey ?? '',
      eventTypeId: String(config.eventTypeId),
      // From now, not midnight: slots earlier today are gone.
      startTime: DateTime.fromJSDate(now).toUTC().toISO() ?? '',
      endTime: last.endOf('day').toISO() ?? '',
      timeZone: zone,
    });
    const body = await get({ url: `${base}/v1/slots?${query.toString()}`, what }, counter);
    const parsed = v1AnswerSchema.safeParse(body ?? {});
    if (!parsed.success) throw new RemoteError(`Cal.com GET ${what} answered something other than {"slots": {date: [...]}}`);
    const starts = Object.values(parsed.data.slots ?? {}).flatMap((list) => (list ?? []).map((s) => s.time));
    return toSlots(starts, what);
  }

  async function checkV2(first: DateTime, last: DateTime, counter: RequestCounter): Promise<Slot[]> {
    const what = '/v2/slots';
    const query = new URLSearchParams({
      eventTypeId: String(config.eventTypeId),
      start: first.toISODate() ?? '',
      // An end date means "until the end of that day" for Cal.com.
      end: last.toISODate() ?? '',
      timeZone: zone,
    });
    const headers: Record<string, string> = { 'cal-api-version': CALCOM_V2_API_VERSION };
    // v2 takes API keys as bearer tokens too, so an explicit v2 with only an apiKey still authenticates.
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
      const found = version === 'v1' ? await checkV1(last, now, counter) : await checkV2(first, last, counter);
      const nowMs = now.getTime();
      const slots = uniqueSlots(found).filter((s) => Date.parse(s.start) >= nowMs);
      return { slots: sortSlots(slots), requests: counter.requests };
    },
  };
}
