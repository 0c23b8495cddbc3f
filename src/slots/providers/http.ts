import axios, { type AxiosResponse } from 'axios';
import {
  AuthError,
  RemoteError,
  TransientError,
  makeRedactor,
  silentLogger,
  retryRequest,
  type Logger,
  type RetryOptions,
} from '../../lib/index.js';

/** Both APIs answer in well under a second; 20 s tolerates a slow link without stalling a 35-day scan. */
export const DEFAULT_SLOT_TIMEOUT_MS = 20_000;
/** A longer wait would hold a check past its next schedule; wait this much at most and let the attempt budget decide. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** Without a header a rate limit is backed off from a second, not the usual 250 ms. */
export { RATE_LIMIT_BASE_DELAY_MS } from '../../lib/index.js';
/** Enough of an unexpected body to diagnose, not enough to flood a log or an alert. */
const SNIPPET_CHARS = 200;
/** Above this a reset header is a Unix time in seconds, below it a number of seconds to wait (1e9 s is 2001). */
const EPOCH_SECONDS_THRESHOLD = 1e9;
/** Above this it is a Unix time in milliseconds. */
const EPOCH_MS_THRESHOLD = 1e12;

/** axios codes that mean our request could not be built: trying again cannot help. */
const NOT_TRANSIENT_CODES = new Set(['ERR_INVALID_URL', 'ERR_BAD_OPTION', 'ERR_BAD_OPTION_VALUE', 'ERR_NOT_SUPPORT']);

export interface JsonGetterOptions {
  /** 'ClicRDV' or 'Cal.com', for messages. */
  service: string;
  /** Statuses that mean the credentials were refused, and the message then. */
  authStatuses: readonly number[];
  authMessage: string;
  timeoutMs?: number;
  /** Bounded attempts with backoff; `sleep` and `random` are injectable for tests. */
  retry?: RetryOptions;
  logger?: Logger;
  /** Values to hide from any message built from an answer. */
  secrets?: Iterable<string>;
}

export interface GetRequest {
  url: string;
  headers?: Record<string, string>;
  /** How messages name this request: path and harmless parameters only, never the query (it may hold a key). */
  what: string;
}

/** Counts the attempts of one check. */
export interface RequestCounter {
  requests: number;
}

export type JsonGetter = (req: GetRequest, counter: RequestCounter) => Promise<unknown>;

/** A reset value: seconds to wait, or a Unix time in seconds or milliseconds; undefined when unreadable. */
function resetMs(value: string, nowMs: number): number | undefined {
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  if (n > EPOCH_MS_THRESHOLD) return n - nowMs;
  if (n > EPOCH_SECONDS_THRESHOLD) return n * 1_000 - nowMs;
  return n * 1_000;
}

/** Retry-After as seconds or an HTTP date. */
function retryAfterMs(value: string, nowMs: number): number | undefined {
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1_000 : Date.parse(value) - nowMs;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The longest wait named by a family of headers: `prefix` itself and its suffixed forms (`prefix-default`,
 * `prefix-short`…: one per named limit, as Cal.com v2 sends them, slots-and-alerts.md, Cal.com). With
 * `remainingPrefix`, a suffixed limit that still has requests left is not waited for.
 */
function longestWait(
  headers: Record<string, unknown>,
  prefix: string,
  read: (value: string, nowMs: number) => number | undefined,
  nowMs: number,
  remainingPrefix?: string,
): number | undefined {
  let longest: number | undefined;
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (name !== prefix && !name.startsWith(`${prefix}-`)) continue;
    const value = typeof rawValue === 'string' ? rawValue.trim() : typeof rawValue === 'number' ? String(rawValue) : '';
    if (value === '') continue;
    if (remainingPrefix !== undefined) {
      const remaining = headers[`${remainingPrefix}${name.slice(prefix.length)}`];
      if (remaining !== undefined && Number(remaining) > 0) continue;
    }
    const ms = read(value, nowMs);
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

/**
 * Wait asked by a 429/503: Retry-After (seconds or HTTP date; or its suffixed forms), else X-RateLimit-Reset
 * or its suffixed forms (`X-RateLimit-Reset-Default`: Cal.com v2 often sends no Retry-After), the longest
 * of the exhausted limits; capped.
 */
export function rateLimitWaitMs(headers: Record<string, unknown>, nowMs = Date.now()): number | undefined {
  const clamp = (ms: number): number => Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(0, Math.round(ms)));
  const asked =
    longestWait(headers, 'retry-after', retryAfterMs, nowMs) ??
    longestWait(headers, 'x-ratelimit-reset', resetMs, nowMs, 'x-ratelimit-remaining') ??
    // A 429 whose every limit claims requests left: its resets are still the best guess.
    longestWait(headers, 'x-ratelimit-reset', resetMs, nowMs);
  return asked === undefined ? undefined : clamp(asked);
}

/** The `message` of a JSON error body (Cal.com v1 `{message}`, v2 `{error:{message}}`), else the start of the text. */
function errorDetail(text: string): string {
  try {
    const json = JSON.parse(text) as unknown;
    if (json !== null && typeof json === 'object') {
      const o = json as Record<string, unknown>;
      const inner = o.error !== null && typeof o.error === 'object' ? (o.error as Record<string, unknown>).message : undefined;
      for (const candidate of [inner, o.message, o.error, o.errors]) {
        if (typeof candidate === 'string' && candidate !== '') return candidate.slice(0, SNIPPET_CHARS);
      }
    }
  } catch {
    // Not JSON: show the text itself.
  }
  return text.trim().replace(/\s+/g, ' ').slice(0, SNIPPET_CHARS);
}

/**
 * A GET-JSON function over one axios instance with bounded retries: 5xx, 408, 429 and network
 * failures are TransientError (retried, a 429's own wait honoured), auth statuses AuthError, other
 * answers RemoteError. axios errors are never attached as `cause`: their config holds the full URL.
 */
export function createJsonGetter(opts: JsonGetterOptions): JsonGetter {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SLOT_TIMEOUT_MS;
  const logger = opts.logger ?? silentLogger;
  const retry = opts.retry ?? {};
  const redact = makeRedactor(opts.secrets ?? []);
  const http = axios.create({
    timeout: timeoutMs,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    // A redirect to a login page would parse as garbage: report it instead.
    maxRedirects: 0,
  });

  async function attemptOnce(req: GetRequest, counter: RequestCounter): Promise<unknown> {
    const what = `${opts.service} GET ${req.what}`;
    const signal = AbortSignal.timeout(timeoutMs);
    counter.requests++;
    let res: AxiosResponse<string>;
    try {
      res = await http.get<string>(req.url, { headers: { Accept: 'application/json', ...req.headers }, signal });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (signal.aborted || code === 'ECONNABORTED' || code === 'ETIMEDOUT') throw new TransientError(`${what} timed out after ${timeoutMs} ms`);
      const codeText = typeof code === 'string' ? ` (${code})` : '';
      const message = redact(err instanceof Error ? err.message : String(err));
      if (typeof code === 'string' && NOT_TRANSIENT_CODES.has(code)) throw new RemoteError(`${what} could not be sent${codeText}: ${message}`);
      throw new TransientError(`${what} failed${codeText}: ${message}`);
    }
    const text = typeof res.data === 'string' ? res.data : '';
    const status = res.status;
    logger.debug(`${what} answered ${status}`);
    if (status >= 200 && status <= 299) {
      try {
        return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        throw new RemoteError(`${what} answered ${status} with a body that is not JSON: ${redact(errorDetail(text))}`, { status });
      }
    }
    const detail = redact(errorDetail(text));
    const suffix = detail ? `: ${detail}` : '';
    if (opts.authStatuses.includes(status)) throw new AuthError(`${opts.authMessage} (${status} on ${what}${suffix})`);
    if (status === 429 || status === 408 || status >= 500) {
      const wait = rateLimitWaitMs(res.headers as Record<string, unknown>);
      throw new TransientError(`${what} answered ${status}${status === 429 ? ' (rate limited)' : ''}${suffix}`, {
        status,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    if (status >= 300 && status <= 399) throw new RemoteError(`${what} answered ${status} (redirect; check the configured URL)`, { status });
    throw new RemoteError(`${what} answered ${status}${suffix}`, { status });
  }

  return (req, counter) => retryRequest(`${opts.service} GET ${req.what}`, () => attemptOnce(req, counter), { retry, logger });
}
