/**
 * A local ECAL API v2 behaving as /work/shared/reference/ecal.md describes: md5 request signing,
 * paged event listing that ends in 204, event CRUD, the `{data,status,statusLong}` envelope, and
 * injectable 429/5xx failures. Where the reference is silent the stricter plausible answer is chosen
 * and said in a comment, so a client tested here does not rely on leniency the real API may not have.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DateTime, IANAZone } from 'luxon';
import type { Clock } from '../lib/clock.js';
import { queryRecord, readBody, sendJson, startServer, type SimIntercept, type SimServer } from './http-util.js';
import { createPrng } from './prng.js';

export interface EcalSimOptions {
  /** apiKey → secret. */
  keys?: Record<string, string>;
  /** 24-hex calendar ids. */
  calendars?: string[];
  latencyMs?: number;
  /** Whose timer `latencyMs` waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
  /** Decides which events are "past" for `showPastEvents`. */
  now?: () => Date;
  /** Seed of the PRNG behind `injectFailures({ rate })`, so a flaky run replays. */
  seed?: number;
  /**
   * The reference lists 409 "already exists" without saying when ("Errors"; "Facts found in 2026": its
   * trigger is not documented). When true, creating an event whose `reference` is already used in the same
   * calendar (drafts included, which a listing without showDraft does not show) answers 409. Off by default.
   */
  uniqueReferences?: boolean;
  /**
   * Refuse, with 403, a POST/PUT body that is not pure ASCII (reference/ecal.md, "Facts found in 2026",
   * "Bodies are ASCII": every known working client sends `\u00e9` escapes and signs those bytes, and no
   * public client proves raw UTF-8 verifies; a 403 is what such a mismatch answers). Default true: the
   * stricter plausible server.
   */
  asciiBodies?: boolean;
  /** Chaos tests: dropped connections and exact kill points before/after a write takes effect (http-util's SimIntercept). */
  intercept?: SimIntercept;
}

export interface EcalSimEvent {
  id: string;
  calendarId: string;
  name: string;
  location: string;
  startDate: string;
  endDate: string;
  startTime?: string;
  endTime?: string;
  allDay?: string;
  timezone?: string;
  reference?: string;
  details?: string;
  alert?: string;
  draft?: number | string;
}

export interface EcalFailureSpec {
  /**
   * 403 stands for a signature the server refused on that one request (reference/ecal.md, "Facts found in
   * 2026": 403 means a bad signature or a bad key), e.g. a body encoded otherwise than signed.
   */
  status: 403 | 429 | 500 | 502 | 503;
  /** The next `count` matching requests fail (default 1 when `rate` is not given). */
  count?: number;
  /** Each matching request fails with this probability (bounded by `count` when both are given). */
  rate?: number;
  /** Upper-case HTTP methods to hit; all methods when absent. */
  methods?: string[];
  /**
   * The request takes effect and only its answer is replaced by the error, as when a gateway times out
   * after the backend did the work: a retried POST then creates a duplicate unless the client is idempotent.
   */
  processed?: boolean;
}

export interface EcalSimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  body?: unknown;
}

export interface EcalSim {
  /** 'http://127.0.0.1:<port>' (API under /apiv2/). */
  url: string;
  /** All stored events (copies), in list order. */
  events(): EcalSimEvent[];
  addEvent(e: Omit<EcalSimEvent, 'id'> & { id?: string }): EcalSimEvent;
  /** An event deleted by hand in ECAL's own pages (drift the next full check repairs). */
  removeEvent(id: string): boolean;
  injectFailures(f: EcalFailureSpec): void;
  clearFailures(): void;
  setLatency(ms: number): void;
  requests: EcalSimRequest[];
  resetLog(): void;
  close(): Promise<void>;
}

const DEFAULT_KEYS: Record<string, string> = { 'test-key': 'test-secret' };
const DEFAULT_CALENDAR = 'aaaaaaaaaaaaaaaaaaaaaaaa';
/** Documented default and maximum page size of `GET /apiv2/event/`. */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 100;
const ID = /^[0-9a-f]{24}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const STATUS_LONG: Record<number, string> = {
  200: 'OK',
  400: 'Invalid input',
  403: 'Forbidden: invalid API key or signature',
  404: 'Not found',
  409: 'Already exists',
  429: 'Too many requests! Try again after sometime.',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/** The signature the server expects (reference "Base URL and signing"): decoded values, keys in byte order. */
export function ecalSignature(secret: string, params: Record<string, string>, rawBody = ''): string {
  const keys = Object.keys(params)
    .filter((k) => k !== 'apiSign')
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const joined = keys.map((k) => `${k}${params[k] ?? ''}`).join('');
  return createHash('md5').update(`${secret}${joined}${rawBody}`, 'utf8').digest('hex');
}

interface Answer {
  status: number;
  body?: unknown;
}

const ok = (data: unknown): Answer => ({ status: 200, body: { data, status: '200', statusLong: 'OK' } });
const fail = (status: number, detail?: string): Answer => ({
  status,
  body: { status: String(status), statusLong: detail ? `${STATUS_LONG[status] ?? 'Error'}: ${detail}` : (STATUS_LONG[status] ?? 'Error') },
});

function isValidDate(s: string): boolean {
  return DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
}

const STRING_FIELDS = [
  'calendarId',
  'name',
  'location',
  'startDate',
  'endDate',
  'startTime',
  'endTime',
  'allDay',
  'timezone',
  'reference',
  'details',
  'alert',
] as const;

/** Validates an event body; returns the problem, or null. */
function validateEvent(e: Partial<EcalSimEvent>): string | null {
  for (const f of STRING_FIELDS) {
    if (e[f] !== undefined && typeof e[f] !== 'string') return `${f} must be a string`;
  }
  // "Required" read as PHP's empty(): an empty name or location is refused like a missing one.
  if (!e.name) return 'name is required';
  if (!e.location) return 'location is required';
  if (!e.calendarId) return 'calendarId is required';
  if (!e.startDate || !isValidDate(e.startDate)) return 'startDate is required (YYYY-MM-DD)';
  if (!e.endDate || !isValidDate(e.endDate)) return 'endDate is required (YYYY-MM-DD)';
  const allDay = e.allDay === 'yes';
  if (!allDay) {
    if (!e.startTime || !TIME.test(e.startTime)) return 'startTime is required (HH:MM) unless allDay is "yes"';
    if (!e.endTime || !TIME.test(e.endTime)) return 'endTime is required (HH:MM) unless allDay is "yes"';
  }
  if (e.timezone !== undefined && !IANAZone.isValidZone(e.timezone)) return `unknown timezone '${e.timezone}'`;
  const start = `${e.startDate}T${allDay ? '00:00' : e.startTime}`;
  const end = `${e.endDate}T${allDay ? '00:00' : e.endTime}`;
  if (end < start) return 'event ends before it starts';
  if (e.draft !== undefined && ![0, 1, '0', '1'].includes(e.draft)) return 'draft must be 0 or 1';
  return null;
}

/** Keeps the known event fields of a request body, dropping anything else. */
function pickEventFields(body: Record<string, unknown>): Partial<EcalSimEvent> {
  const out: Record<string, unknown> = {};
  for (const f of [...STRING_FIELDS, 'draft'] as const) if (body[f] !== undefined && body[f] !== null) out[f] = body[f];
  return out as Partial<EcalSimEvent>;
}

/** List order: start date, start time (all-day first), then id, so paging is stable. */
function compareEvents(a: EcalSimEvent, b: EcalSimEvent): number {
  const ka = `${a.startDate}T${a.allDay === 'yes' ? '' : (a.startTime ?? '')}`;
  const kb = `${b.startDate}T${b.allDay === 'yes' ? '' : (b.startTime ?? '')}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function todayIn(zone: string | undefined, now: Date): string {
  const z = zone && IANAZone.isValidZone(zone) ? zone : 'UTC';
  return DateTime.fromJSDate(now, { zone: z }).toISODate() ?? now.toISOString().slice(0, 10);
}
/** The simulator's state: keys, calendars, events, the request log, injected failures. */
interface EcalSimState {
  opts: EcalSimOptions;
  keys: Record<string, string>;
  now(): Date;
  random(): number;
  latencyMs: number;
  calendars: { id: string; name: string; draft: number }[];
  store: Map<string, EcalSimEvent>;
  requests: EcalSimRequest[];
  failures: (EcalFailureSpec & { remaining: number | undefined })[];
  idCounter: number;
  processId: string;
}

function newEcalState(opts: EcalSimOptions): EcalSimState {
  const calendarIds = opts.calendars ?? [DEFAULT_CALENDAR];
  for (const id of calendarIds) if (!ID.test(id)) throw new Error(`calendar id '${id}' is not 24 lowercase hex characters`);
  return {
    opts,
    keys: { ...(opts.keys ?? DEFAULT_KEYS) },
    now: opts.now ?? (() => new Date()),
    random: createPrng(opts.seed ?? 1),
    latencyMs: opts.latencyMs ?? 0,
    calendars: calendarIds.map((id, i) => ({ id, name: `Calendar ${i + 1}`, draft: 0 })),
    store: new Map(),
    requests: [],
    failures: [],
    idCounter: randomBytes(3).readUIntBE(0, 3),
    processId: randomBytes(5).toString('hex'),
  };
}

/** Mongo-ObjectId-like ids: 24 hex, roughly increasing with creation time. */
function newEventId(s: EcalSimState): string {
  s.idCounter = (s.idCounter + 1) & 0xffffff;
  const seconds = Math.floor(s.now().getTime() / 1000) >>> 0;
  return `${seconds.toString(16).padStart(8, '0')}${s.processId}${s.idCounter.toString(16).padStart(6, '0')}`;
}

/** The events in list order (copies). */
function sortedEvents(s: EcalSimState): EcalSimEvent[] {
  return [...s.store.values()].sort(compareEvents).map((e) => ({ ...e }));
}

/** The first injected failure that applies to this method, counted down. */
function takeFailure(s: EcalSimState, method: string): EcalFailureSpec | undefined {
  const { random } = s;
  for (const f of s.failures) {
    if (f.methods && !f.methods.map((m) => m.toUpperCase()).includes(method)) continue;
    if (f.remaining !== undefined && f.remaining <= 0) continue;
    if (f.rate !== undefined && random() >= f.rate) continue;
    if (f.remaining !== undefined) f.remaining -= 1;
    return f;
  }
  return undefined;
}

/** `GET /apiv2/event`: filters, drafts and past events hidden unless asked for, pages of `limit`. */
function listEvents(events: EcalSimEvent[], q: Record<string, string>, at: Date): Answer {
  const page = q.page ?? '1';
  const limit = q.limit ?? String(DEFAULT_LIMIT);
  if (!/^\d+$/.test(page) || Number(page) < 1) return fail(400, 'page must be an integer from 1');
  if (!/^\d+$/.test(limit) || Number(limit) < 1) return fail(400, 'limit must be a positive integer');
  if (Number(limit) > MAX_LIMIT) return fail(400, `limit must be at most ${MAX_LIMIT}`);
  const startDate = q.startDate;
  const endDate = q.endDate;
  if (startDate !== undefined && startDate !== '' && !isValidDate(startDate)) return fail(400, 'startDate must be YYYY-MM-DD');
  if (endDate !== undefined && endDate !== '' && !isValidDate(endDate)) return fail(400, 'endDate must be YYYY-MM-DD');
  const wanted = (q.calendarIds ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const showPast = q.showPastEvents === 'true';
  // The reference names `showDraft` without saying its default; by analogy with showPastEvents drafts stay hidden unless asked for.
  const showDraft = q.showDraft === 'true';
  const matching = events.filter((e) => {
    if (wanted.length && !wanted.includes(e.calendarId)) return false;
    if (startDate && e.startDate < startDate) return false;
    if (endDate && e.startDate > endDate) return false;
    if (!showPast && e.startDate < todayIn(e.timezone, at)) return false;
    if (!showDraft && String(e.draft ?? '0') === '1') return false;
    return true;
  });
  const size = Number(limit);
  const slice = matching.slice((Number(page) - 1) * size, Number(page) * size);
  // No total in the API: past the last page (or with nothing at all) the answer is 204 with no body.
  return slice.length ? ok(slice) : { status: 204 };
}

function parseJsonBody(raw: string): { value: Record<string, unknown> } | { error: Answer } {
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: fail(400, 'body must be a JSON object') };
    return { value: value as Record<string, unknown> };
  } catch {
    return { error: fail(400, 'body is not valid JSON') };
  }
}

/** The API's routes, after the signature check. */
function ecalRoutes(s: EcalSimState): (method: string, path: string, q: Record<string, string>, raw: string) => Answer {
  const { opts, calendars, store } = s;
  const newId = (): string => newEventId(s);

  const createEvent = (raw: string): Answer => {
    const body = parseJsonBody(raw);
    if ('error' in body) return body.error;
    const fields = pickEventFields(body.value);
    const problem = validateEvent(fields);
    if (problem) return fail(400, problem);
    if (!calendars.some((c) => c.id === fields.calendarId)) return fail(404, `calendar ${fields.calendarId} not found`);
    if (opts.uniqueReferences && fields.reference) {
      const taken = [...store.values()].some((e) => e.calendarId === fields.calendarId && e.reference === fields.reference);
      if (taken) return fail(409, `an event with reference '${fields.reference}' already exists`);
    }
    const event = { ...(fields as Omit<EcalSimEvent, 'id'>), id: newId() };
    store.set(event.id, event);
    return ok({ ...event });
  };

  const updateEvent = (id: string, raw: string): Answer => {
    const existing = store.get(id);
    if (!existing) return fail(404, `event ${id} not found`);
    const body = parseJsonBody(raw);
    if ('error' in body) return body.error;
    // Clients send the full event; fields they leave out keep their value (calendarId above all).
    const merged = { ...existing, ...pickEventFields(body.value), id };
    const problem = validateEvent(merged);
    if (problem) return fail(400, problem);
    if (!calendars.some((c) => c.id === merged.calendarId)) return fail(404, `calendar ${merged.calendarId} not found`);
    store.set(id, merged);
    return ok({ ...merged });
  };

  const route = (method: string, path: string, q: Record<string, string>, raw: string): Answer => {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== 'apiv2') return fail(404);
    const [, resource, id, extra] = parts;
    if (extra !== undefined) return fail(404);
    if (resource === 'calendar') {
      if (id === undefined) return method === 'GET' ? ok(calendars.map((c) => ({ ...c }))) : fail(404, 'not supported by the simulator');
      const cal = calendars.find((c) => c.id === id);
      if (method !== 'GET') return fail(404, 'not supported by the simulator');
      return cal ? ok({ ...cal }) : fail(404, `calendar ${id} not found`);
    }
    if (resource !== 'event') return fail(404);
    if (id === undefined) {
      if (method === 'GET') return listEvents(sortedEvents(s), q, s.now());
      if (method === 'POST') return createEvent(raw);
      return fail(404);
    }
    if (method === 'GET') {
      const e = store.get(id);
      return e ? ok({ ...e }) : fail(404, `event ${id} not found`);
    }
    if (method === 'PUT') return updateEvent(id, raw);
    if (method === 'DELETE') {
      if (!store.delete(id)) return fail(404, `event ${id} not found`);
      return ok({ id });
    }
    return fail(404);
  };

  return route;
}

/** One HTTP exchange: logged, failed when a failure is injected, refused unless signed (and ASCII), else routed. */
function ecalHandler(s: EcalSimState): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { opts, keys, requests } = s;
  const route = ecalRoutes(s);
  const takeFailureFor = (method: string): EcalFailureSpec | undefined => takeFailure(s, method);

  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const bodyBytes = await readBody(req);
    const rawBody = bodyBytes.toString('utf8');
    const nonAscii = bodyBytes.some((b) => b >= 0x80);
    const q = queryRecord(url.searchParams);
    let logged: unknown;
    if (rawBody) {
      try {
        logged = JSON.parse(rawBody);
      } catch {
        logged = rawBody;
      }
    }
    const entry: EcalSimRequest = { method, path: url.pathname, query: q, status: 0, ...(logged !== undefined ? { body: logged } : {}) };
    res.on('finish', () => {
      entry.status = res.statusCode;
      requests.push(entry);
    });

    const failure = takeFailureFor(method);
    let answer: Answer;
    if (failure && !failure.processed) {
      answer = fail(failure.status);
    } else {
      const secret = q.apiKey !== undefined ? keys[q.apiKey] : undefined;
      const sign = q.apiSign;
      if (secret === undefined || !sign || ecalSignature(secret, q, rawBody) !== sign) answer = fail(403);
      else if (nonAscii && (opts.asciiBodies ?? true)) answer = fail(403);
      else answer = route(method, url.pathname, q, rawBody);
      if (failure) answer = fail(failure.status);
    }
    if (answer.status === 204 || answer.body === undefined) {
      res.writeHead(answer.status);
      res.end();
      return;
    }
    sendJson(res, answer.status, answer.body);
  };

  return handler;
}

function ecalSimHandle(s: EcalSimState, server: SimServer): EcalSim {
  const { store, requests } = s;
  const newId = (): string => newEventId(s);
  return {
    url: server.url,
    events: () => sortedEvents(s),
    addEvent: (e) => {
      const event: EcalSimEvent = { ...e, id: e.id ?? newId() };
      if (!ID.test(event.id)) throw new Error(`event id '${event.id}' is not 24 lowercase hex characters`);
      store.set(event.id, event);
      return { ...event };
    },
    removeEvent: (id) => store.delete(id),
    injectFailures: (f) => {
      const remaining = f.count ?? (f.rate === undefined ? 1 : undefined);
      s.failures.push({ ...f, remaining });
    },
    clearFailures: () => {
      s.failures = [];
    },
    setLatency: (ms) => {
      s.latencyMs = ms;
    },
    requests,
    resetLog: () => {
      requests.length = 0;
    },
    close: server.close,
  };
}

export async function startEcalSim(opts: EcalSimOptions = {}): Promise<EcalSim> {
  const s = newEcalState(opts);
  const server = await startServer(ecalHandler(s), {
    latencyMs: () => s.latencyMs,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.intercept ? { intercept: opts.intercept } : {}),
  });
  return ecalSimHandle(s, server);
}
