import type { AxiosResponse } from 'axios';
import { z } from 'zod';
import {
  AuthError,
  RemoteError,
  TransientError,
  createHttpClient,
  makeRedactor,
  networkError,
  retryAfterMs,
  silentLogger,
  retryRequest,
  type Logger,
  type RetryOptions,
} from '../lib/index.js';
import { asciiJson, ecalSign, signedQuery } from './sign.js';
import type { EcalClient, EcalClientStats, EcalEventBody, EcalRemoteEvent } from './types.js';

export interface EcalClientOptions {
  /** Base, e.g. 'https://api.ecal.com' or 'http://127.0.0.1:1234'; paths go under /apiv2/. */
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Per request, the whole exchange included. */
  timeoutMs?: number;
  /** Bounded attempts with backoff and jitter; `sleep` and `random` are injectable for tests. */
  retry?: RetryOptions;
  logger?: Logger;
}

/** ECAL answers in well under a second; 30 s leaves room for a slow link without hanging a run. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** ECAL's maximum page size: the fewest requests per listing. */
export const PAGE_LIMIT = 100;
/** 100 000 events in one window is far beyond any timetable: more pages means the server is looping. */
export const MAX_PAGES = 1_000;
/** ECAL documents neither its limits nor a Retry-After, so back off from a second, not the usual 250 ms. */
export { RATE_LIMIT_BASE_DELAY_MS } from '../lib/index.js';
/** A longer Retry-After would stall a whole sync run; wait this much at most and let the attempt budget decide. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Enough of an unexpected body to diagnose, not enough to flood a log or an alert. */
const SNIPPET_CHARS = 200;

const EVENT_PATH = '/apiv2/event/';
const CALENDAR_PATH = '/apiv2/calendar/';

const STATUS_MEANING: Record<number, string> = {
  400: 'invalid input',
  404: 'not found',
  409: 'already exists',
};

/** `{"data": …, "status": "200", "statusLong": "OK"}`; loose because create/update answers are undocumented. */
const envelopeSchema = z.looseObject({
  data: z.unknown().optional(),
  status: z.union([z.string(), z.number()]).optional(),
  statusLong: z.string().optional(),
});
type Envelope = z.infer<typeof envelopeSchema>;

const idSchema = z.union([z.string().min(1), z.number()]).transform(String);

/** A listed calendar: an id, and a name when ECAL gives one (the id stands in otherwise). */
const calendarSchema = z
  .looseObject({ id: idSchema, name: z.string().optional().catch(undefined), draft: z.unknown().optional() })
  .transform((c) => ({ id: c.id, name: c.name?.trim() || c.id, draft: c.draft === 1 || c.draft === '1' || c.draft === true }));

/** Numbers become strings and anything else odd is dropped, so the declared types hold for the planner. */
const optionalText = z.preprocess((v) => (typeof v === 'number' ? String(v) : v === null ? undefined : v), z.string().optional()).catch(undefined);

const remoteEventSchema = z.looseObject({
  id: idSchema,
  calendarId: optionalText,
  name: optionalText,
  location: optionalText,
  startDate: optionalText,
  endDate: optionalText,
  startTime: optionalText,
  endTime: optionalText,
  timezone: optionalText,
  reference: optionalText,
  details: optionalText,
  alert: optionalText,
  allDay: z.preprocess((v) => (v === true ? 'yes' : v === false ? 'no' : v), z.enum(['yes', 'no']).optional()).catch(undefined),
  draft: z
    .preprocess((v) => (v === true || v === '1' ? 1 : v === false || v === '0' ? 0 : v), z.union([z.literal(0), z.literal(1)]).optional())
    .catch(undefined),
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Internal listing query: dates optional (the search by reference looks at the whole calendar), drafts on demand. */
interface ListQuery {
  calendarId: string;
  startDate?: string;
  endDate?: string;
  showDraft?: boolean;
}

interface EcalRequest {
  method: Method;
  path: string;
  query?: Record<string, string>;
  body?: EcalEventBody;
}

/** An answer that is not an auth failure, a rate limit or a server error: the caller decides what it means. */
interface EcalAnswer {
  status: number;
  envelope: Envelope | undefined;
  /** ECAL's statusLong, or the start of a body that is not JSON; already redacted. */
  detail: string;
}

const describeRequest = (req: EcalRequest): string => `ECAL ${req.method} ${req.path}`;

function parseBody(text: string): Envelope | undefined {
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Defensive: a bare array is read as the data of an envelope.
  if (Array.isArray(json)) return { data: json };
  const parsed = envelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The JSON status wins over a 2xx HTTP status: the reference says both carry the code, trust the worse one. */
function effectiveStatus(httpStatus: number, envelope: Envelope | undefined): number {
  if (httpStatus < 200 || httpStatus > 299 || envelope?.status === undefined) return httpStatus;
  const inner = Number(envelope.status);
  return Number.isInteger(inner) && inner >= 400 && inner <= 599 ? inner : httpStatus;
}

function parseEvent(value: unknown, req: EcalRequest): EcalRemoteEvent {
  const parsed = remoteEventSchema.safeParse(value);
  if (!parsed.success) throw new RemoteError(`${describeRequest(req)} answered an event without an id`);
  const event: Record<string, unknown> = {};
  // Drop keys the schema emptied so `'name' in event` means ECAL really sent a usable name.
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) event[k] = v;
  return event as EcalRemoteEvent;
}

/** The new id: at `data.id`, `id` or `data[0].id`, since ECAL does not document the create answer. */
function createdId(envelope: Envelope | undefined): string | undefined {
  if (envelope === undefined) return undefined;
  const data = envelope.data;
  const candidates: unknown[] = [];
  if (data !== null && typeof data === 'object') {
    if (Array.isArray(data)) {
      const first: unknown = data[0];
      if (first !== null && typeof first === 'object') candidates.push((first as Record<string, unknown>).id);
    } else {
      candidates.push((data as Record<string, unknown>).id);
    }
  }
  candidates.push(envelope.id);
  for (const c of candidates) {
    const parsed = idSchema.safeParse(c);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/**
 * One signed HTTP exchange with ECAL, for one client's key and secret. Throws typed errors for 403, 429, 5xx
 * and network failures; returns anything else for the caller to read.
 */
function ecalExchange(opts: EcalClientOptions, counters: EcalClientStats, logger: Logger): (req: EcalRequest) => Promise<EcalAnswer> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redactCredentials = makeRedactor([opts.apiKey, opts.apiSecret]);
  /** Some request with this key and secret was accepted: a later 403 cannot mean the credentials are wrong. */
  let accepted = false;
  // Bytes out exactly as we made them (the body is signed); a redirect is reported, never followed.
  const http = createHttpClient({ baseURL: opts.url.replace(/\/+$/, ''), timeoutMs, rawBody: true });

  async function attemptOnce(req: EcalRequest): Promise<EcalAnswer> {
    // Serialised once, in ASCII (\u00e9 escapes): these exact bytes are both signed and sent.
    const raw = req.body === undefined ? undefined : asciiJson(req.body);
    const params = { ...req.query, apiKey: opts.apiKey };
    const sign = ecalSign(opts.apiSecret, params, raw ?? '');
    const redactRequest = makeRedactor([sign]);
    const redact = (text: string): string => redactRequest(redactCredentials(text));
    const what = describeRequest(req);
    counters.requests++;
    if (req.method !== 'GET') counters.writes++;
    const started = Date.now();
    let res: AxiosResponse<string>;
    try {
      res = await http.request<string>({
        method: req.method,
        url: `${req.path}?${signedQuery(opts.apiSecret, params, raw ?? '')}`,
        data: raw === undefined ? undefined : Buffer.from(raw, 'utf8'),
        headers: raw === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      });
    } catch (err) {
      // No `cause` (networkError attaches none): axios errors carry the signed URL in their config.
      throw networkError(err, { what, timeoutMs, redact });
    }
    const text = typeof res.data === 'string' ? res.data : '';
    const envelope = parseBody(text);
    const status = effectiveStatus(res.status, envelope);
    const detail = redact(envelope?.statusLong ?? text.trim().slice(0, SNIPPET_CHARS));
    logger.debug(`${what} answered ${status}`, { ms: Date.now() - started });
    const suffix = detail ? `: ${detail}` : '';

    if (status === 403) {
      // 403 is both "bad key" and "bad signature" (reference/ecal.md, Errors). Once this key has been
      // accepted, the key is fine: the signature of this one request (its body's bytes) was refused.
      if (accepted) {
        throw new RemoteError(
          `ECAL refused the signature of ${req.method} ${req.path} (403${suffix}) although other requests with the same key were accepted: ` +
            'a signature or body-encoding problem of this request, not wrong credentials',
          { status },
        );
      }
      throw new AuthError(`ECAL rejected the API key or signature (403 on ${req.method} ${req.path}${suffix})`, { retryable: false });
    }
    // Not classifyStatus: ECAL's table has no 408 (reference/ecal.md, Errors), so one is an unexpected answer.
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(res.headers, { maxMs: MAX_RETRY_AFTER_MS });
      throw new TransientError(`${what} answered ${status}${status === 429 ? ' (rate limited)' : ''}${suffix}`, {
        status,
        ...(after !== undefined ? { retryAfterMs: after } : {}),
      });
    }
    if (status < 400) accepted = true;
    return { status, envelope, detail };
  }
  return attemptOnce;
}

/** A 2xx passes; anything else is a RemoteError naming what the status means to ECAL. */
function expectOk(answer: EcalAnswer, req: EcalRequest): void {
  if (answer.status >= 200 && answer.status <= 299) return;
  const meaning = STATUS_MEANING[answer.status] ?? (answer.status >= 300 && answer.status <= 399 ? 'redirect; check the configured ECAL url' : 'unexpected');
  throw new RemoteError(`${describeRequest(req)} answered ${answer.status} (${meaning})${answer.detail ? `: ${answer.detail}` : ''}`, {
    status: answer.status,
  });
}

/** Pages from 1 until 204 (or an empty page), through `exchange` (retried, or single attempts). */
async function listPages(q: ListQuery, exchange: (req: EcalRequest) => Promise<EcalAnswer>): Promise<EcalRemoteEvent[]> {
  // Keyed by id: an event created while we page can shift another onto the next page twice.
  const byId = new Map<string, EcalRemoteEvent>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const req: EcalRequest = {
      method: 'GET',
      path: EVENT_PATH,
      query: {
        calendarIds: q.calendarId,
        ...(q.startDate !== undefined ? { startDate: q.startDate } : {}),
        ...(q.endDate !== undefined ? { endDate: q.endDate } : {}),
        ...(q.showDraft ? { showDraft: 'true' } : {}),
        showPastEvents: 'true',
        limit: String(PAGE_LIMIT),
        page: String(page),
      },
    };
    const answer = await exchange(req);
    if (answer.status === 204) return [...byId.values()];
    expectOk(answer, req);
    const data = answer.envelope?.data;
    if (!Array.isArray(data)) {
      throw new RemoteError(`${describeRequest(req)} page ${page} answered ${answer.status} without a list of events`, {
        status: answer.status,
      });
    }
    if (data.length === 0) return [...byId.values()];
    for (const item of data) {
      const event = parseEvent(item, req);
      if (!byId.has(event.id)) byId.set(event.id, event);
    }
  }
  throw new RemoteError(`ECAL GET ${EVENT_PATH} still had events after ${MAX_PAGES} pages; giving up`);
}

/** The event of `body`'s calendar that holds its reference. */
const holdsReference =
  (body: EcalEventBody) =>
  (e: EcalRemoteEvent): boolean =>
    e.reference === body.reference && (e.calendarId === undefined || e.calendarId === body.calendarId);

const eventPath = (id: string): string => `${EVENT_PATH}${encodeURIComponent(id)}`;

export function createEcalClient(opts: EcalClientOptions): EcalClient {
  const logger = opts.logger ?? silentLogger;
  const retry = opts.retry ?? {};
  const counters: EcalClientStats = { requests: 0, writes: 0, retries: 0 };
  const attemptOnce = ecalExchange(opts, counters, logger);

  /** Runs `fn` under the bounded retry policy shared by every client (lib/retry.ts). */
  const retrying = <T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> =>
    retryRequest(what, fn, { retry, logger, onRetry: () => void counters.retries++ });

  const send = (req: EcalRequest): Promise<EcalAnswer> => retrying(describeRequest(req), () => attemptOnce(req));

  /** Our event with this reference, if a create that seemed to fail reached ECAL after all. */
  async function findCreated(body: EcalEventBody): Promise<EcalRemoteEvent | undefined> {
    const events = await listPages({ calendarId: body.calendarId, startDate: body.startDate, endDate: body.startDate }, attemptOnce);
    return events.find(holdsReference(body));
  }

  /**
   * The event holding `body.reference`, wherever it is in the calendar: on its day first (cheap), then
   * anywhere, drafts included (a 409 may come from an event our windowed, draft-less listing never saw).
   */
  async function findByReference(body: EcalEventBody): Promise<EcalRemoteEvent | undefined> {
    const ours = holdsReference(body);
    const sameDay = await listPages({ calendarId: body.calendarId, startDate: body.startDate, endDate: body.startDate, showDraft: true }, send);
    return sameDay.find(ours) ?? (await listPages({ calendarId: body.calendarId, showDraft: true }, send)).find(ours);
  }

  /** 409 "already exists" to a create (reference/ecal.md, "Facts found in 2026"): take that event over and bring it up to date. */
  async function adoptExisting(req: EcalRequest, body: EcalEventBody, answer: EcalAnswer): Promise<{ id: string; adopted: true }> {
    const existing = body.reference === '' ? undefined : await findByReference(body);
    if (!existing) {
      throw new RemoteError(
        `${describeRequest(req)} answered 409 (already exists)${answer.detail ? `: ${answer.detail}` : ''}, and no event with reference ${body.reference || '(none)'} was found in calendar ${body.calendarId}`,
        { status: 409 },
      );
    }
    logger.info(`${describeRequest(req)}: ECAL already has ${body.reference}; updating that event instead`, { id: existing.id });
    const put: EcalRequest = { method: 'PUT', path: eventPath(existing.id), body };
    expectOk(await send(put), put);
    return { id: existing.id, adopted: true };
  }

  return {
    listEvents: (q) => listPages(q, send),

    async createEvent(body) {
      const req: EcalRequest = { method: 'POST', path: EVENT_PATH, body };
      // A timeout, reset or 5xx may come after ECAL stored the event: look before posting it twice.
      let maybeStored = false;
      return retrying(describeRequest(req), async (attempt) => {
        if (attempt > 1 && maybeStored && body.reference !== '') {
          const existing = await findCreated(body);
          if (existing) {
            logger.info(`${describeRequest(req)}: an earlier attempt had created the event`, { id: existing.id });
            return { id: existing.id };
          }
        }
        let answer: EcalAnswer;
        try {
          answer = await attemptOnce(req);
        } catch (err) {
          if (err instanceof TransientError && err.status !== 429) maybeStored = true;
          throw err;
        }
        if (answer.status === 409) return adoptExisting(req, body, answer);
        expectOk(answer, req);
        const id = createdId(answer.envelope);
        if (id === undefined) {
          throw new RemoteError(`${describeRequest(req)} answered ${answer.status} without the new event's id`, {
            status: answer.status,
          });
        }
        return { id };
      });
    },

    async updateEvent(id, body) {
      const req: EcalRequest = { method: 'PUT', path: eventPath(id), body };
      expectOk(await send(req), req);
    },

    async deleteEvent(id) {
      const req: EcalRequest = { method: 'DELETE', path: eventPath(id) };
      const answer = await send(req);
      // Already gone, possibly by our own earlier attempt that timed out: the goal is met.
      if (answer.status === 404) return;
      expectOk(answer, req);
    },

    async getEvent(id) {
      const req: EcalRequest = { method: 'GET', path: eventPath(id) };
      const answer = await send(req);
      if (answer.status === 404 || answer.status === 204) return null;
      expectOk(answer, req);
      const data = answer.envelope?.data;
      const item: unknown = Array.isArray(data) ? data[0] : data;
      if (item === undefined || item === null) return null;
      return parseEvent(item, req);
    },

    async listCalendars() {
      const req: EcalRequest = { method: 'GET', path: CALENDAR_PATH, query: { showDraft: 'true' } };
      const answer = await send(req);
      if (answer.status === 204) return [];
      expectOk(answer, req);
      const data = answer.envelope?.data;
      if (!Array.isArray(data))
        throw new RemoteError(`${describeRequest(req)} answered ${answer.status} without a list of calendars`, { status: answer.status });
      const calendars = [];
      for (const item of data) {
        const parsed = calendarSchema.safeParse(item);
        if (parsed.success) calendars.push(parsed.data);
      }
      return calendars;
    },

    stats: () => ({ ...counters }),
  };
}
