/**
 * The one outbound HTTP layer: every client of ours (ECAL, MonCampus, ClicRDV/Cal.com, Discord, the
 * notification channels, the booking tunnel) gets its axios instance here, classifies failures here and
 * reads "wait before trying again" headers here. axios stays the engine; this is the only file that
 * calls `axios.create`.
 *
 * How to adopt it:
 * - **A client**: `createHttpClient({ timeoutMs })` (add `baseURL`, or `rawBody: true` when the bytes
 *   sent are signed). It never throws on a status (you read `res.status`), never follows a redirect
 *   (a 3xx is an answer: say "check the URL"), returns the body as text (parse and validate it
 *   yourself) and aborts the whole exchange after `timeoutMs`, not only an idle socket.
 * - **A failed request** (the promise rejected): `throw networkError(err, { what, timeoutMs, redact })`.
 *   It is a TransientError (timeout, reset, refused: try again) or a RemoteError (the request could not
 *   even be built: trying again cannot help). Never attach the axios error as `cause`: its config holds
 *   the URL, the headers and the body, so tokens and passwords.
 * - **An answer**: `classifyStatus(status)` says whether it failed, whether a retry can help, and why
 *   (`reason`). Modules with a documented exception (ECAL has no 408, Discord's 404 means "gone") decide
 *   those first, then fall back on it.
 * - **How long the remote asked us to wait**: `retryAfterMs(res.headers, { body, unit, maxMs })`, put on
 *   the TransientError as `retryAfterMs`. It reads Retry-After (seconds or an HTTP date), its suffixed
 *   forms, the X-RateLimit-Reset family (Cal.com v2 sends `X-RateLimit-Reset-Default` and often no
 *   Retry-After) and the wait fields of error bodies (Discord's `retry_after`, Telegram's
 *   `parameters.retry_after`, Matrix's `retry_after_ms`); `unit: discordRateLimitUnit(url)` for Discord
 *   URLs (unversioned paths answer in milliseconds).
 * - **A retry decision** for anything thrown: `isRetryable(err)` (lib/errors.ts); the loop itself:
 *   `retryRequest(what, fn, { retry, logger })` (lib/retry.ts), bounded, honouring `retryAfterMs`.
 * - **A delay** in a loop of your own (a queue, a restart): `backoff(attempt, { baseMs, maxMs })`
 *   (lib/backoff.ts), the one formula; `random: null` only where the time is announced to the second.
 */
import { createRequire } from 'node:module';
import type { AxiosInstance, AxiosStatic } from 'axios';
import { RemoteError, TransientError } from './errors.js';

/**
 * Node's lazy web globals that axios reads while it loads (its fetch adapter probes them at import), each of
 * which makes Node load undici and web streams: ~1 MB private per process, for an adapter we never use.
 */
const FETCH_GLOBALS = ['Request', 'Response', 'FormData'] as const;

/**
 * axios, from its one-file CommonJS build, with Node's fetch classes hidden while it loads. Measured (issue 20,
 * private memory after a full GC, --optimize-for-size, 2026-12-06): `import 'axios'` (the ESM sources, 66
 * modules, undici loaded by the probe) +11.4 MB; the CommonJS build +6.9 MB; the same with the probe finding
 * no fetch +6.0 MB. The require is synchronous, so nothing else can see the globals hidden; they are put back
 * as they were (Node's lazy getters) before it returns. Every request goes through the `http` adapter anyway
 * (createHttpClient sets it), and web FormData bodies are still recognised by their tag.
 */
function loadAxios(): AxiosStatic {
  const saved = FETCH_GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const);
  for (const [name, d] of saved) if (d?.configurable) Object.defineProperty(globalThis, name, { value: undefined, configurable: true, writable: true });
  try {
    return createRequire(import.meta.url)('axios') as AxiosStatic;
  } finally {
    for (const [name, d] of saved) if (d?.configurable) Object.defineProperty(globalThis, name, d);
  }
}

/**
 * The engine, loaded by the first client made (see loadAxios): importing src/lib does not load axios, so a
 * process that never makes a request (the supervisor with the process runtime, `validate`) does not pay for it.
 */
let engine: AxiosStatic | undefined;

/** A remote that has said nothing for 30 s is not coming back within one run's patience; modules pass their own. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/**
 * The longest wait we take on the remote's word: longer would stall a run or a poll past its next turn,
 * so wait this much and let the attempt budget decide. A caller with a durable queue (the outbox) passes more.
 */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Above this a reset header is a Unix time in seconds, below it a number of seconds to wait (1e9 s is 2001). */
const EPOCH_SECONDS_THRESHOLD = 1e9;
/** Above this it is a Unix time in milliseconds. */
const EPOCH_MS_THRESHOLD = 1e12;
/** A Discord path without `/v{n}/` is served by API v6 (slots-and-alerts.md, Discord, first point). */
const DISCORD_UNVERSIONED_API_VERSION = 6;
/** From API v8 on, Discord's `retry_after` and `Retry-After` are seconds; before, milliseconds (same section). */
const DISCORD_FIRST_VERSION_IN_SECONDS = 8;

/** axios codes that mean our request could not be built: trying again cannot help. */
const NOT_TRANSIENT_CODES: ReadonlySet<string> = new Set(['ERR_INVALID_URL', 'ERR_BAD_OPTION', 'ERR_BAD_OPTION_VALUE', 'ERR_NOT_SUPPORT']);
/**
 * axios codes of a request that ran out of time: its own socket timeout (ECONNABORTED, or ETIMEDOUT with
 * transitional.clarifyTimeoutError) and the whole-exchange deadline's abort (ERR_CANCELED).
 */
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

export interface HttpClientOptions {
  /** The whole exchange, connection to last byte. */
  timeoutMs?: number;
  /** Prefix of relative URLs, e.g. 'https://api.ecal.com'. */
  baseURL?: string;
  /** Send `data` exactly as given (a Buffer or string): for bodies that are signed byte for byte. */
  rawBody?: boolean;
}

/** An axios instance with our defaults (see the module comment). */
export function createHttpClient(opts: HttpClientOptions = {}): AxiosInstance {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  engine ??= loadAxios();
  const instance = engine.create({
    ...(opts.baseURL !== undefined ? { baseURL: opts.baseURL } : {}),
    timeout: timeoutMs,
    // Node's http module, never fetch: the fetch adapter would load undici (see loadAxios).
    adapter: 'http',
    validateStatus: () => true,
    responseType: 'text',
    ...(opts.rawBody ? { transformRequest: [(data: unknown) => data] } : {}),
    // The body stays text even when it is JSON: callers parse and validate it themselves.
    transformResponse: [(data: unknown) => data],
    // A redirect would re-send the request (its credentials, a signed or POSTed body) somewhere else, and
    // turn a POST into a GET: the 3xx is returned for the caller to report.
    maxRedirects: 0,
  });
  // axios's `timeout` only watches an idle socket: a server that trickles bytes would hold a run forever.
  instance.interceptors.request.use((config) => {
    config.signal ??= AbortSignal.timeout(typeof config.timeout === 'number' && config.timeout > 0 ? config.timeout : timeoutMs);
    return config;
  });
  return instance;
}

/** Why a request failed, in words a log line and a retry decision share. */
export type HttpFailureReason = 'timeout' | 'network' | 'unsendable' | 'redirect' | 'auth' | 'request-timeout' | 'rate-limited' | 'server' | 'refused';

export interface HttpFailure {
  /** True when the same request may succeed later. */
  retryable: boolean;
  reason: HttpFailureReason;
  /** The axios or Node code (ECONNREFUSED…), for a network failure that has one. */
  code?: string;
}

/** A request that got no answer: timed out, could not connect or was reset (retryable), or could not be built (not). */
export function classifyNetworkError(err: unknown): HttpFailure {
  const raw = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : undefined;
  const withCode = code !== undefined ? { code } : {};
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { retryable: true, reason: 'timeout', ...withCode };
  if (code !== undefined && NOT_TRANSIENT_CODES.has(code)) return { retryable: false, reason: 'unsendable', ...withCode };
  return { retryable: true, reason: 'network', ...withCode };
}

/**
 * An answer's status: undefined for a 2xx; otherwise whether trying again may help. 408, 429 and 5xx
 * may pass; 401/403 (credentials), 3xx (we never follow) and other 4xx will not until something changes.
 */
export function classifyStatus(status: number): HttpFailure | undefined {
  if (status >= 200 && status <= 299) return undefined;
  if (status === 429) return { retryable: true, reason: 'rate-limited' };
  if (status === 408) return { retryable: true, reason: 'request-timeout' };
  if (status >= 500) return { retryable: true, reason: 'server' };
  if (status === 401 || status === 403) return { retryable: false, reason: 'auth' };
  if (status >= 300 && status <= 399) return { retryable: false, reason: 'redirect' };
  return { retryable: false, reason: 'refused' };
}

export interface NetworkErrorContext {
  /** How messages name the request: method and path, never a query or a token. */
  what: string;
  timeoutMs: number;
  /** Hides secrets in the engine's message (it may quote the URL). */
  redact?: (text: string) => string;
}

/** The typed error for a request that got no answer (see classifyNetworkError); no `cause`, on purpose. */
export function networkError(err: unknown, ctx: NetworkErrorContext): TransientError | RemoteError {
  const failure = classifyNetworkError(err);
  if (failure.reason === 'timeout') return new TransientError(`${ctx.what} timed out after ${ctx.timeoutMs} ms`);
  const redact = ctx.redact ?? ((t: string): string => t);
  const message = redact(err instanceof Error ? err.message : String(err));
  const codeText = failure.code !== undefined ? ` (${failure.code})` : '';
  if (!failure.retryable) return new RemoteError(`${ctx.what} could not be sent${codeText}: ${message}`);
  return new TransientError(`${ctx.what} failed${codeText}: ${message}`);
}

/** Response headers as axios gives them (names lower case in Node), or any plain object of them. */
export type HeaderBag = Record<string, unknown>;

export interface RetryAfterOptions {
  /** Now, for HTTP dates and Unix-time resets (tests pass it). */
  nowMs?: number;
  /** The longest wait honoured; default MAX_RETRY_AFTER_MS. */
  maxMs?: number;
  /** What a bare number in Retry-After and `retry_after` counts: seconds (HTTP), or milliseconds (Discord below v8). */
  unit?: 's' | 'ms';
  /** The answer's parsed JSON: Discord's `retry_after` is there, more precise than the header. */
  body?: unknown;
}

/** Milliseconds rounded up (never wait less than asked), without float noise turning 12000.0000001 into 12001. */
const wholeMs = (ms: number): number => Math.ceil(Math.round(ms * 1_000) / 1_000);

const headerText = (value: unknown): string =>
  typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';

/** One Retry-After value: a number of `unit`s, or an HTTP date; undefined when empty or unreadable. */
function readRetryAfter(value: string, nowMs: number, unit: 's' | 'ms'): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  const ms = Number.isFinite(n) ? (unit === 'ms' ? n : n * 1_000) : Date.parse(value) - nowMs;
  return Number.isFinite(ms) ? ms : undefined;
}

/** One reset value: seconds to wait, or a Unix time in seconds or milliseconds. */
function readReset(value: string, nowMs: number): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  if (n > EPOCH_MS_THRESHOLD) return n - nowMs;
  if (n > EPOCH_SECONDS_THRESHOLD) return n * 1_000 - nowMs;
  return n * 1_000;
}

/**
 * The longest wait named by a family of headers: `prefix` itself and its suffixed forms (`prefix-default`,
 * `prefix-short`…: one per named limit, as Cal.com v2 sends them, slots-and-alerts.md, Cal.com). With
 * `remainingPrefix`, a suffixed limit that still has requests left is not waited for.
 */
function longestWait(headers: HeaderBag, prefix: string, read: (value: string) => number | undefined, remainingPrefix?: string): number | undefined {
  const lower = new Map<string, unknown>();
  for (const [name, value] of Object.entries(headers)) lower.set(name.toLowerCase(), value);
  let longest: number | undefined;
  for (const [name, raw] of lower) {
    if (name !== prefix && !name.startsWith(`${prefix}-`)) continue;
    if (remainingPrefix !== undefined) {
      const remaining = lower.get(`${remainingPrefix}${name.slice(prefix.length)}`);
      if (remaining !== undefined && Number(remaining) > 0) continue;
    }
    const ms = read(headerText(raw));
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The wait a JSON error body names, in ms. The reference (/work/shared/reference/slots-and-alerts.md, Discord)
 * covers Discord's `retry_after` (in `unit`s); it is silent on the other two, so their own documentation,
 * as the simulators cite it: Telegram's `parameters.retry_after`, always seconds
 * (core.telegram.org/bots/api#responseparameters, src/sim/telegram.ts), and Matrix's `retry_after_ms`,
 * always milliseconds (spec.matrix.org/v1.11/client-server-api/#rate-limiting, src/sim/matrix.ts).
 */
function bodyWaitMs(body: unknown, unit: 's' | 'ms'): number | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as { retry_after?: unknown; retry_after_ms?: unknown; parameters?: { retry_after?: unknown } | null };
  if (finite(b.retry_after)) return unit === 'ms' ? b.retry_after : b.retry_after * 1_000;
  if (finite(b.retry_after_ms)) return b.retry_after_ms;
  const telegram = b.parameters !== null && typeof b.parameters === 'object' ? b.parameters.retry_after : undefined;
  return finite(telegram) ? telegram * 1_000 : undefined;
}

/**
 * How long the remote asked us to wait, capped at `maxMs`; undefined when it did not say. In order:
 * the body's `retry_after` (Discord), Retry-After and its suffixed forms, then the X-RateLimit-Reset
 * family of the exhausted limits (or of all, when every limit claims requests left on a 429).
 */
export function retryAfterMs(headers: HeaderBag, opts: RetryAfterOptions = {}): number | undefined {
  const nowMs = opts.nowMs ?? Date.now();
  const unit = opts.unit ?? 's';
  const maxMs = opts.maxMs ?? MAX_RETRY_AFTER_MS;
  const asked =
    bodyWaitMs(opts.body, unit) ??
    longestWait(headers, 'retry-after', (v) => readRetryAfter(v, nowMs, unit)) ??
    longestWait(headers, 'x-ratelimit-reset', (v) => readReset(v, nowMs), 'x-ratelimit-remaining') ??
    longestWait(headers, 'x-ratelimit-reset', (v) => readReset(v, nowMs));
  return asked === undefined ? undefined : Math.min(maxMs, Math.max(0, wholeMs(asked)));
}

/** One Retry-After header value on its own (seconds, fractions allowed, or an HTTP date), capped like retryAfterMs. */
export function retryAfterValueMs(value: string | undefined, opts: Omit<RetryAfterOptions, 'body'> = {}): number | undefined {
  return retryAfterMs({ 'retry-after': value }, opts);
}

/**
 * The unit of a Discord URL's rate-limit waits: `/api/v{n}/…` runs API v{n}, a path with `/api/` and no
 * version (what "Copy Webhook URL" gives) runs v6; below v8 the waits are milliseconds (slots-and-alerts.md,
 * Discord). A URL without `/api/` (a proxy of the user's own) is taken to speak seconds.
 */
export function discordRateLimitUnit(url: string): 's' | 'ms' {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return 's';
  }
  const api = /\/api(?:\/v(\d+))?\//.exec(path);
  if (!api) return 's';
  const version = api[1] === undefined ? DISCORD_UNVERSIONED_API_VERSION : Number(api[1]);
  return version < DISCORD_FIRST_VERSION_IN_SECONDS ? 'ms' : 's';
}
