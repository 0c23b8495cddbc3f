/**
 * What every notification channel posts through: lib/http.ts's client, failure classification and
 * Retry-After reader, with the channels' own timeout and cap. A channel calls `createHttp()`, `postJson()`,
 * then maps the answer's status itself; for a 429 or 5xx, `answerRetryAfterMs(answer)` (Discord:
 * `answerRetryAfterMs(answer, { unit: discordRateLimitUnit(url) })`) is the wait to put on its error.
 */
import type { AxiosInstance } from 'axios';
import { DEFAULT_HTTP_TIMEOUT_MS as LIB_DEFAULT_TIMEOUT_MS, RemoteError, createHttpClient, networkError, retryAfterMs } from '../../lib/index.js';

/** Chat services answer in well under a second; a stuck request must not hold the outbox for long. */
export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;
/** A Retry-After longer than this is treated as this: the outbox re-checks, it does not sleep on it. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Enough of an error body to diagnose. */
const SNIPPET_CHARS = 300;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: unknown;
}

/** lib/http.ts's client: a redirect would re-post the alert elsewhere, so it is reported, not followed. */
export function createHttp(timeoutMs = DEFAULT_HTTP_TIMEOUT_MS): AxiosInstance {
  return createHttpClient({ timeoutMs });
}

/** POSTs JSON; network failures and timeouts become TransientError with nothing secret in the message. */
export async function postJson(
  http: AxiosInstance,
  url: string,
  body: unknown,
  what: string,
  redact: (s: string) => string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  let res;
  try {
    res = await http.post<string>(url, JSON.stringify(body), { headers: { 'Content-Type': 'application/json', ...headers } });
  } catch (err) {
    // No `cause` (networkError attaches none): axios errors carry the URL (with its token) in their config.
    if ((err as { code?: unknown }).code === 'ERR_INVALID_URL') throw new RemoteError(`${what}: invalid URL`);
    const timeoutMs = typeof http.defaults.timeout === 'number' && http.defaults.timeout > 0 ? http.defaults.timeout : LIB_DEFAULT_TIMEOUT_MS;
    throw networkError(err, { what, timeoutMs, redact });
  }
  const text = typeof res.data === 'string' ? res.data : '';
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const headersOut: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {})) if (typeof v === 'string') headersOut[k.toLowerCase()] = v;
  return { status: res.status, headers: headersOut, text, json };
}

export function snippet(text: string, redact: (s: string) => string): string {
  return redact(text.trim().slice(0, SNIPPET_CHARS));
}

/** One Retry-After value (seconds, fractions allowed, or an HTTP date), capped; undefined when absent or unreadable. */
export function parseRetryAfterHeader(value: string | undefined, now = Date.now()): number | undefined {
  return retryAfterMs({ 'retry-after': value }, { nowMs: now, maxMs: MAX_RETRY_AFTER_MS });
}

/**
 * The wait an answer asks for, capped at MAX_RETRY_AFTER_MS: a JSON body's `retry_after` (Discord), then
 * Retry-After, then the X-RateLimit-Reset headers. `unit: 'ms'` where the service counts milliseconds
 * (Discord below API v8: `discordRateLimitUnit(url)` from lib/http.ts says).
 */
export function answerRetryAfterMs(answer: HttpAnswer, opts: { unit?: 's' | 'ms'; nowMs?: number } = {}): number | undefined {
  return retryAfterMs(answer.headers, { body: answer.json, maxMs: MAX_RETRY_AFTER_MS, ...opts });
}
