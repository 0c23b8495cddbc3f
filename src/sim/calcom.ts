/**
 * A local Cal.com API as /work/shared/reference/slots-and-alerts.md ("Cal.com") describes it in 2026:
 * API v1 shut down (410 on every /v1 request since 2026-04-08); v2 (2024-09-04) slot listings grouped by
 * date in the requested zone, bare `start`/`end` dates read as UTC days whatever `timeZone` says, the
 * suffixed rate-limit headers (`X-RateLimit-*-Default`, no Retry-After), an API key accepted as a bearer
 * token, the v2 error shape, injectable 429s, and a minimal v2 booking endpoint so a booking client can
 * be tested (a booked slot stops being listed).
 */
import { randomUUID } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import type { Clock } from '../lib/clock.js';
import { startLoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

export interface CalcomSlotSpec {
  eventTypeId: number;
  /** ISO 8601 with an offset (or Z). */
  start: string;
  /** Length of the booked meeting; only used for a booking's `end`. Default 30. */
  lengthMinutes?: number;
}

export interface CalcomBooking {
  id: number;
  uid: string;
  eventTypeId: number;
  /** UTC ISO with milliseconds. */
  start: string;
  end: string;
  attendee: { name: string; email: string; timeZone: string };
  createdAt: string;
}

export interface CalcomSimOptions {
  slots?: CalcomSlotSpec[];
  /** An API key (`cal_live_…`), accepted as a v2 bearer token; default 'cal_test_key'. */
  apiKey?: string;
  /** A v2 bearer token; when set, v2 needs Authorization (this token or the API key); when absent, none (the reference calls it optional). */
  token?: string;
  latencyMs?: number;
  /** Whose timer `latencyMs` waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
}

export interface CalcomSim {
  url: string;
  setSlots(s: CalcomSlotSpec[]): void;
  /** The next n requests (any route) answer 429; X-RateLimit-Reset-Default is now + resetSeconds (default 60), in epoch seconds; no Retry-After. */
  rateLimitNext(n: number, resetSeconds?: number): void;
  bookings(): CalcomBooking[];
  requests: SimLoggedRequest[];
  resetLog(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const DEFAULT_API_KEY = 'cal_test_key';
/** The v2 slots shape the reference describes only exists under this version header. */
const SLOTS_API_VERSION = '2024-09-04';
/** Cal.com's current version of the v2 bookings endpoints (not in the reference, which omits bookings). */
const BOOKINGS_API_VERSION = '2024-08-13';
/** Reference: v2 allows 120 requests per 60 s per key. Advertised in the headers; 429s come from rateLimitNext. */
const RATE_LIMIT = 120;
const RATE_WINDOW_SECONDS = 60;
const DEFAULT_RESET_SECONDS = 60;
/** Reference: v1 answers 410 since this day. The body is not in the reference; this one names what to do. */
const V1_GONE_MESSAGE = 'API v1 was shut down on 2026-04-08: use API v2 (https://api.cal.com/v2)';
const DEFAULT_LENGTH_MINUTES = 30;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

interface StoredSlot {
  eventTypeId: number;
  ms: number;
  lengthMinutes: number;
}

const V2_CODES: Record<number, string> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  404: 'NotFoundException',
  410: 'GoneException',
  429: 'ThrottlerException',
};
const v2Error = (status: number, message: string, c: SimCall): SimAnswer => ({
  status,
  json: {
    status: 'error',
    timestamp: new Date().toISOString(),
    path: `${c.path}${queryString(c)}`,
    error: { code: V2_CODES[status] ?? 'InternalServerErrorException', message },
  },
});

function queryString(c: SimCall): string {
  const s = c.params.toString();
  return s ? `?${s}` : '';
}

/** Parses an ISO instant that carries its zone (offset or Z); a zone-less string is ambiguous and refused. */
function parseInstant(s: string): number | null {
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(s)) return null;
  const dt = DateTime.fromISO(s, { setZone: true });
  return dt.isValid ? dt.toMillis() : null;
}

function groupByDate(slots: StoredSlot[], zone: string, format: (dt: DateTime) => Record<string, string>): Record<string, Record<string, string>[]> {
  const out: Record<string, Record<string, string>[]> = {};
  for (const s of [...slots].sort((a, b) => a.ms - b.ms)) {
    const dt = DateTime.fromMillis(s.ms, { zone });
    const day = dt.toISODate() ?? '';
    (out[day] ??= []).push(format(dt));
  }
  return out;
}

export async function startCalcomSim(opts: CalcomSimOptions = {}): Promise<CalcomSim> {
  const apiKey = opts.apiKey ?? DEFAULT_API_KEY;
  let slots: StoredSlot[] = [];
  const bookings: CalcomBooking[] = [];
  let rateLimited: { remaining: number; resetSeconds: number } = { remaining: 0, resetSeconds: DEFAULT_RESET_SECONDS };

  const setSlots = (list: CalcomSlotSpec[]): void => {
    slots = list.map((s) => {
      const ms = parseInstant(s.start);
      if (ms === null) throw new Error(`slot start '${s.start}' is not an ISO instant with an offset`);
      return { eventTypeId: s.eventTypeId, ms, lengthMinutes: s.lengthMinutes ?? DEFAULT_LENGTH_MINUTES };
    });
  };
  setSlots(opts.slots ?? []);

  /** Requests counted in the current 60 s window, for the Remaining header. */
  let rateWindow = { start: Date.now(), count: 0 };
  /** The suffixed headers Cal.com v2 sends (reference: `X-RateLimit-*-Default`, reset in Unix seconds). */
  const rateHeaders = (remaining: number, resetAtSeconds: number): Record<string, string> => ({
    'X-RateLimit-Limit-Default': String(RATE_LIMIT),
    'X-RateLimit-Remaining-Default': String(remaining),
    'X-RateLimit-Reset-Default': String(resetAtSeconds),
  });
  const countRequest = (): Record<string, string> => {
    const now = Date.now();
    if (now - rateWindow.start >= RATE_WINDOW_SECONDS * 1000) rateWindow = { start: now, count: 0 };
    rateWindow.count += 1;
    return rateHeaders(Math.max(0, RATE_LIMIT - rateWindow.count), Math.ceil((rateWindow.start + RATE_WINDOW_SECONDS * 1000) / 1000));
  };

  /** Reference: "often no Retry-After": only the suffixed headers say when to come back. */
  const rateLimitAnswer = (c: SimCall, resetSeconds: number): SimAnswer => ({
    ...v2Error(429, 'ThrottlerException: Too Many Requests', c),
    headers: rateHeaders(0, Math.ceil(Date.now() / 1000) + resetSeconds),
  });

  /** Reference: v2 takes an API key as `Authorization: Bearer` too; a credential sent must be a known one. */
  const checkV2Auth = (c: SimCall): SimAnswer | null => {
    const auth = c.headers.authorization;
    if (!auth) return opts.token === undefined ? null : v2Error(401, 'Authorization header is missing', c);
    const known = [apiKey, opts.token].filter((k): k is string => k !== undefined).map((k) => `Bearer ${k}`);
    return known.includes(auth) ? null : v2Error(401, 'Invalid access token', c);
  };

  const v2Slots = (c: SimCall): SimAnswer => {
    const version = c.headers['cal-api-version'];
    // Without the header Cal.com serves an older, differently shaped endpoint; refusing makes a client that forgets it fail loudly.
    if (version !== SLOTS_API_VERSION) return v2Error(400, `cal-api-version header must be '${SLOTS_API_VERSION}' (got '${version ?? ''}')`, c);
    const authProblem = checkV2Auth(c);
    if (authProblem) return authProblem;
    const eventTypeId = c.query.eventTypeId;
    if (!eventTypeId || !/^\d+$/.test(eventTypeId)) return v2Error(400, 'eventTypeId is required (integer)', c);
    const zone = c.query.timeZone ?? 'UTC';
    if (!IANAZone.isValidZone(zone)) return v2Error(400, `invalid timeZone '${zone}'`, c);
    const startRaw = c.query.start;
    const endRaw = c.query.end;
    if (!startRaw || !endRaw) return v2Error(400, 'start and end are required', c);
    // Reference: v2 reads `start`/`end` in UTC whatever `timeZone` says (`DateTime.fromISO(start, {zone: "utc"})`),
    // a bare end date through 23:59:59 UTC; `timeZone` only shapes the answer (date keys, offsets).
    const from = parseIso(startRaw, 'UTC');
    const to = DATE.test(endRaw) ? endOfDay(endRaw, 'UTC') : parseIso(endRaw, 'UTC');
    if (from === null || to === null) return v2Error(400, 'start and end must be YYYY-MM-DD or ISO 8601', c);
    if (to < from) return v2Error(400, 'end is before start', c);
    const found = slots.filter((s) => s.eventTypeId === Number(eventTypeId) && s.ms >= from && s.ms <= to);
    return { status: 200, json: { status: 'success', data: groupByDate(found, zone, (dt) => ({ start: dt.toISO() ?? '' })) } };
  };

  const createBooking = (c: SimCall): SimAnswer => {
    const version = c.headers['cal-api-version'];
    if (version !== BOOKINGS_API_VERSION) return v2Error(400, `cal-api-version header must be '${BOOKINGS_API_VERSION}' (got '${version ?? ''}')`, c);
    const authProblem = checkV2Auth(c);
    if (authProblem) return authProblem;
    const b = c.body;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return v2Error(400, 'body must be a JSON object', c);
    const body = b as Record<string, unknown>;
    if (typeof body.eventTypeId !== 'number' || !Number.isInteger(body.eventTypeId)) return v2Error(400, 'eventTypeId must be an integer', c);
    const ms = typeof body.start === 'string' ? parseInstant(body.start) : null;
    if (ms === null) return v2Error(400, 'start must be an ISO 8601 instant with an offset', c);
    const att = body.attendee;
    if (att === null || typeof att !== 'object') return v2Error(400, 'attendee is required', c);
    const a = att as Record<string, unknown>;
    if (typeof a.name !== 'string' || a.name === '') return v2Error(400, 'attendee.name is required', c);
    if (typeof a.email !== 'string' || !EMAIL.test(a.email)) return v2Error(400, 'attendee.email must be an email address', c);
    if (typeof a.timeZone !== 'string' || !IANAZone.isValidZone(a.timeZone)) return v2Error(400, 'attendee.timeZone must be an IANA zone', c);
    const eventTypeId = body.eventTypeId;
    const index = slots.findIndex((s) => s.eventTypeId === eventTypeId && s.ms === ms);
    if (index < 0) return v2Error(400, 'User either already has booking at this time or is not available', c);
    const [slot] = slots.splice(index, 1);
    const booking: CalcomBooking = {
      id: bookings.length + 1,
      uid: randomUUID(),
      eventTypeId,
      start: new Date(ms).toISOString(),
      end: new Date(ms + (slot?.lengthMinutes ?? DEFAULT_LENGTH_MINUTES) * 60_000).toISOString(),
      attendee: { name: a.name, email: a.email, timeZone: a.timeZone },
      createdAt: new Date().toISOString(),
    };
    bookings.push(booking);
    return {
      status: 201,
      json: {
        status: 'success',
        data: {
          id: booking.id,
          uid: booking.uid,
          title: `Meeting between ${booking.attendee.name}`,
          status: 'accepted',
          start: booking.start,
          end: booking.end,
          duration: (new Date(booking.end).getTime() - ms) / 60_000,
          eventTypeId,
          attendees: [booking.attendee],
          createdAt: booking.createdAt,
        },
      },
    };
  };

  const route = (c: SimCall): SimAnswer => {
    // Reference: "API v1 is gone: it answers HTTP 410 on every request since 2026-04-08".
    if (c.path === '/v1' || c.path.startsWith('/v1/')) return v2Error(410, V1_GONE_MESSAGE, c);
    if (rateLimited.remaining > 0) {
      rateLimited.remaining -= 1;
      return rateLimitAnswer(c, rateLimited.resetSeconds);
    }
    const headers = countRequest();
    const routed =
      c.path === '/v2/slots' && c.method === 'GET'
        ? v2Slots(c)
        : c.path === '/v2/bookings' && c.method === 'POST'
          ? createBooking(c)
          : v2Error(404, `Cannot ${c.method} ${c.path}`, c);
    return { ...routed, headers: { ...routed.headers, ...headers } } as SimAnswer;
  };

  const server = await startLoggedServer(route, { latencyMs: opts.latencyMs ?? 0, ...(opts.clock ? { clock: opts.clock } : {}) });
  return {
    url: server.url,
    setSlots,
    rateLimitNext: (n, resetSeconds = DEFAULT_RESET_SECONDS) => {
      rateLimited = { remaining: n, resetSeconds };
    },
    bookings: () => bookings.map((b) => ({ ...b, attendee: { ...b.attendee } })),
    requests: server.requests,
    resetLog: server.resetLog,
    setLatency: server.setLatency,
    close: server.close,
  };
}

/** An ISO date-time; without an offset it is read in `zone` (a bare date is that day's midnight there). */
function parseIso(s: string, zone: string): number | null {
  const dt = DateTime.fromISO(s, { zone, setZone: false });
  return dt.isValid ? dt.toMillis() : null;
}

function endOfDay(date: string, zone: string): number | null {
  const dt = DateTime.fromISO(date, { zone });
  return dt.isValid ? dt.endOf('day').toMillis() : null;
}
