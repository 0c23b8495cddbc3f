/**
 * A local Cal.com API as /work/shared/reference/slots-and-alerts.md describes it: v1 and v2 (2024-09-04)
 * slot listings grouped by date in the requested zone, the two error shapes, injectable 429s, and a
 * minimal v2 booking endpoint so a booking client can be tested (a booked slot stops being listed).
 */
import { randomUUID } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
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
  /** v1 `apiKey` query parameter; default 'cal_test_key'. */
  apiKey?: string;
  /** v2 bearer token; when absent v2 needs no Authorization (the reference calls it optional). */
  token?: string;
  latencyMs?: number;
}

export interface CalcomSim {
  url: string;
  setSlots(s: CalcomSlotSpec[]): void;
  /** The next n requests (any route) answer 429; X-RateLimit-Reset is now + resetSeconds (default 60), in epoch seconds. */
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
/** Value advertised in X-RateLimit-Limit; the reference gives none, this is Cal.com's published per-minute API key quota. */
const RATE_LIMIT = 120;
const DEFAULT_RESET_SECONDS = 60;
const DEFAULT_LENGTH_MINUTES = 30;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

interface StoredSlot {
  eventTypeId: number;
  ms: number;
  lengthMinutes: number;
}

const v1Error = (status: number, message: string, c: SimCall, data: unknown = null): SimAnswer => ({
  status,
  json: status === 401 || status === 429 ? { message } : { message, url: `${c.path}${queryString(c)}`, method: c.method, data },
});

const V2_CODES: Record<number, string> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  404: 'NotFoundException',
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

  const rateLimitAnswer = (c: SimCall, resetSeconds: number): SimAnswer => {
    const headers = {
      'X-RateLimit-Limit': String(RATE_LIMIT),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + resetSeconds),
    };
    const answer = c.path.startsWith('/v2/') ? v2Error(429, 'Too Many Requests', c) : v1Error(429, 'Rate limit exceeded', c);
    return { ...answer, headers } as SimAnswer;
  };

  const v1Slots = (c: SimCall): SimAnswer => {
    const key = c.query['apiKey'];
    if (!key) return v1Error(401, 'No apiKey provided', c);
    // The reference only documents the missing-key text; Cal.com answers a wrong key with 401 too.
    if (key !== apiKey) return v1Error(401, 'Your apiKey is not valid', c);
    const eventTypeId = c.query['eventTypeId'];
    if (!eventTypeId || !/^\d+$/.test(eventTypeId)) return v1Error(400, 'eventTypeId is required (integer)', c);
    const startRaw = c.query['startTime'];
    const endRaw = c.query['endTime'];
    if (!startRaw || !endRaw) return v1Error(400, 'startTime and endTime are required', c);
    const zone = c.query['timeZone'] ?? 'UTC';
    if (!IANAZone.isValidZone(zone)) return v1Error(400, `invalid timeZone '${zone}'`, c);
    const from = parseIso(startRaw, zone);
    const to = parseIso(endRaw, zone);
    if (from === null || to === null) return v1Error(400, 'startTime and endTime must be ISO 8601', c);
    if (to < from) return v1Error(400, 'endTime is before startTime', c);
    const found = slots.filter((s) => s.eventTypeId === Number(eventTypeId) && s.ms >= from && s.ms <= to);
    return { status: 200, json: { slots: groupByDate(found, zone, (dt) => ({ time: dt.toISO({ suppressMilliseconds: true }) ?? '' })) } };
  };

  const checkV2Auth = (c: SimCall): SimAnswer | null => {
    if (opts.token === undefined) return null;
    const auth = c.headers['authorization'];
    if (!auth) return v2Error(401, 'Authorization header is missing', c);
    if (auth !== `Bearer ${opts.token}`) return v2Error(401, 'Invalid access token', c);
    return null;
  };

  const v2Slots = (c: SimCall): SimAnswer => {
    const version = c.headers['cal-api-version'];
    // Without the header Cal.com serves an older, differently shaped endpoint; refusing makes a client that forgets it fail loudly.
    if (version !== SLOTS_API_VERSION) return v2Error(400, `cal-api-version header must be '${SLOTS_API_VERSION}' (got '${version ?? ''}')`, c);
    const authProblem = checkV2Auth(c);
    if (authProblem) return authProblem;
    const eventTypeId = c.query['eventTypeId'];
    if (!eventTypeId || !/^\d+$/.test(eventTypeId)) return v2Error(400, 'eventTypeId is required (integer)', c);
    const zone = c.query['timeZone'] ?? 'UTC';
    if (!IANAZone.isValidZone(zone)) return v2Error(400, `invalid timeZone '${zone}'`, c);
    const startRaw = c.query['start'];
    const endRaw = c.query['end'];
    if (!startRaw || !endRaw) return v2Error(400, 'start and end are required', c);
    const from = parseIso(startRaw, zone);
    // A bare end date means through the end of that day.
    const to = DATE.test(endRaw) ? endOfDay(endRaw, zone) : parseIso(endRaw, zone);
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
    if (typeof body['eventTypeId'] !== 'number' || !Number.isInteger(body['eventTypeId'])) return v2Error(400, 'eventTypeId must be an integer', c);
    const ms = typeof body['start'] === 'string' ? parseInstant(body['start']) : null;
    if (ms === null) return v2Error(400, 'start must be an ISO 8601 instant with an offset', c);
    const att = body['attendee'];
    if (att === null || typeof att !== 'object') return v2Error(400, 'attendee is required', c);
    const a = att as Record<string, unknown>;
    if (typeof a['name'] !== 'string' || a['name'] === '') return v2Error(400, 'attendee.name is required', c);
    if (typeof a['email'] !== 'string' || !EMAIL.test(a['email'])) return v2Error(400, 'attendee.email must be an email address', c);
    if (typeof a['timeZone'] !== 'string' || !IANAZone.isValidZone(a['timeZone'])) return v2Error(400, 'attendee.timeZone must be an IANA zone', c);
    const eventTypeId = body['eventTypeId'];
    const index = slots.findIndex((s) => s.eventTypeId === eventTypeId && s.ms === ms);
    if (index < 0) return v2Error(400, 'User either already has booking at this time or is not available', c);
    const [slot] = slots.splice(index, 1);
    const booking: CalcomBooking = {
      id: bookings.length + 1,
      uid: randomUUID(),
      eventTypeId,
      start: new Date(ms).toISOString(),
      end: new Date(ms + (slot?.lengthMinutes ?? DEFAULT_LENGTH_MINUTES) * 60_000).toISOString(),
      attendee: { name: a['name'], email: a['email'], timeZone: a['timeZone'] },
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
    if (rateLimited.remaining > 0) {
      rateLimited.remaining -= 1;
      return rateLimitAnswer(c, rateLimited.resetSeconds);
    }
    if (c.path === '/v1/slots' && c.method === 'GET') return v1Slots(c);
    if (c.path === '/v2/slots' && c.method === 'GET') return v2Slots(c);
    if (c.path === '/v2/bookings' && c.method === 'POST') return createBooking(c);
    return c.path.startsWith('/v2/') ? v2Error(404, `Cannot ${c.method} ${c.path}`, c) : v1Error(404, `Cannot ${c.method} ${c.path}`, c);
  };

  const server = await startLoggedServer(route, { latencyMs: opts.latencyMs ?? 0 });
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
