import type { AxiosResponse } from 'axios';
import {
  AuthError,
  RemoteError,
  TransientError,
  classifyStatus,
  createHttpClient,
  makeRedactor,
  networkError,
  retryAfterMs,
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

/**
 * Wait asked by a 429/503: Retry-After (seconds or HTTP date; or its suffixed forms), else X-RateLimit-Reset
 * or its suffixed forms (`X-RateLimit-Reset-Default`: Cal.com v2 often sends no Retry-After), the longest
 * of the exhausted limits; capped. lib/http.ts's reader with this module's cap.
 */
export function rateLimitWaitMs(headers: Record<string, unknown>, nowMs = Date.now()): number | undefined {
  return retryAfterMs(headers, { nowMs, maxMs: MAX_RATE_LIMIT_WAIT_MS });
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
  // A redirect to a login page would parse as garbage: lib/http.ts's client reports it instead of following.
  const http = createHttpClient({ timeoutMs });

  async function attemptOnce(req: GetRequest, counter: RequestCounter): Promise<unknown> {
    const what = `${opts.service} GET ${req.what}`;
    counter.requests++;
    let res: AxiosResponse<string>;
    try {
      res = await http.get<string>(req.url, { headers: { Accept: 'application/json', ...req.headers } });
    } catch (err) {
      throw networkError(err, { what, timeoutMs, redact });
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
    if (classifyStatus(status)?.retryable) {
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
