/**
 * What every notification channel posts through: lib/http.ts's client, failure classification and
 * Retry-After reader, with the channels' own timeout and cap. A channel calls `createHttp()`, `postJson()`,
 * then maps the answer's status itself; for a 429 or 5xx, `answerRetryAfterMs(answer)` (Discord:
 * `answerRetryAfterMs(answer, { unit: discordRateLimitUnit(url) })`) is the wait to put on its error.
 */
import type { AxiosInstance } from 'axios';
import { DEFAULT_HTTP_TIMEOUT_MS as LIB_DEFAULT_TIMEOUT_MS, RemoteError, createHttpClient, networkError, retryAfterMs } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError } from '../channel.js';

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
    throw requestFailure(http, err, what, redact);
  }
  return answerOf(res);
}

/** The answer as channels read it: status, lower-cased headers, the body as text and, when it is JSON, parsed. */
function answerOf(res: { status: number; data: unknown; headers?: Record<string, unknown> }): HttpAnswer {
  const text = typeof res.data === 'string' ? res.data : '';
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  return { status: res.status, headers, text, json };
}

/** A failed exchange as our errors: nothing secret (axios errors carry the URL, token included, in their config). */
function requestFailure(http: AxiosInstance, err: unknown, what: string, redact: (s: string) => string): Error {
  if ((err as { code?: unknown }).code === 'ERR_INVALID_URL') return new RemoteError(`${what}: invalid URL`);
  const timeoutMs = typeof http.defaults.timeout === 'number' && http.defaults.timeout > 0 ? http.defaults.timeout : LIB_DEFAULT_TIMEOUT_MS;
  return networkError(err, { what, timeoutMs, redact });
}

export function snippet(text: string, redact: (s: string) => string): string {
  return redact(text.trim().slice(0, SNIPPET_CHARS));
}

/**
 * The wait an answer asks for, capped at MAX_RETRY_AFTER_MS: a wait field of its JSON body (Discord, Telegram,
 * Matrix: lib/http.ts reads them), then Retry-After, then the X-RateLimit-Reset headers. `unit: 'ms'` where the service counts milliseconds
 * (Discord below API v8: `discordRateLimitUnit(url)` from lib/http.ts says).
 */
export function answerRetryAfterMs(answer: HttpAnswer, opts: { unit?: 's' | 'ms'; nowMs?: number } = {}): number | undefined {
  return retryAfterMs(answer.headers, { body: answer.json, maxMs: MAX_RETRY_AFTER_MS, ...opts });
}

export interface HttpRequest {
  method: string;
  url: string;
  /** Already serialised (JSON, form or XML); absent for a bodiless request. */
  body?: string;
  headers?: Record<string, string>;
  /** Added to the URL's query string. */
  params?: Record<string, string>;
}

/**
 * Any request of the push services and the json/form/xml webhooks (postJson is the JSON POST of the chat
 * channels): failures become TransientError with nothing secret in the message; the answer as postJson gives it.
 */
export async function sendRequest(http: AxiosInstance, req: HttpRequest, what: string, redact: (s: string) => string): Promise<HttpAnswer> {
  let res;
  try {
    res = await http.request<string>({ method: req.method, url: req.url, data: req.body, headers: req.headers ?? {}, params: req.params });
  } catch (err) {
    throw requestFailure(http, err, what, redact);
  }
  return answerOf(res);
}

export interface CheckAnswerOptions {
  /** The wait when a 429 says none (the service's documented pace). */
  defaultRetryAfterMs?: number;
  /** Statuses that mean the channel cannot work until its config changes (default 401, 403, 404, 410). */
  permanent?: readonly number[];
  /** A short reason from the body, when the service gives one (else a snippet of it). */
  detail?: string;
}

const PERMANENT_STATUSES = [401, 403, 404, 410];

/**
 * One mapping of an HTTP answer to our errors for the push services and webhooks: 2xx passes; 408, 429 and
 * 5xx are retried after the wait the service asked for (body, then headers); a refused credential or a
 * target that is gone disables the channel; any other 4xx refuses this alert.
 */
export function checkAnswer(answer: HttpAnswer, what: string, redact: (s: string) => string, opts: CheckAnswerOptions = {}): void {
  const { status } = answer;
  if (status >= 200 && status <= 299) return;
  const detail = redact(opts.detail ?? snippet(answer.text, redact));
  const text = `${what} answered ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    // The body's wait (Telegram, Matrix) wins over the headers; lib/http.ts is the one reader of both.
    const wait = answerRetryAfterMs(answer);
    throw new ChannelTransientError(text, { status, retryAfterMs: wait ?? (status === 429 ? opts.defaultRetryAfterMs : undefined) });
  }
  if ((opts.permanent ?? PERMANENT_STATUSES).includes(status)) throw new PermanentChannelError(text, { status });
  if (status >= 300 && status <= 399) throw new RemoteError(`${what} answered a redirect (${status}); check the URL`, { status });
  throw new RemoteError(text, { status });
}
