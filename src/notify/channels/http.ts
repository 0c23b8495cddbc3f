import axios, { type AxiosInstance } from 'axios';
import { RemoteError, TransientError } from '../../lib/index.js';
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

export function createHttp(timeoutMs = DEFAULT_HTTP_TIMEOUT_MS): AxiosInstance {
  return axios.create({
    timeout: timeoutMs,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    // A redirect would re-post the alert elsewhere: report it instead.
    maxRedirects: 0,
  });
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
    // No `cause`: axios errors carry the URL (with its token) in their config.
    const code = (err as { code?: unknown }).code;
    const codeText = typeof code === 'string' ? ` (${code})` : '';
    if (code === 'ERR_INVALID_URL') throw new RemoteError(`${what}: invalid URL`);
    throw new TransientError(`${what} failed${codeText}: ${redact(err instanceof Error ? err.message : String(err))}`);
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

/** Retry-After as seconds (fractions allowed) or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterHeader(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  const ms = Number.isFinite(seconds) ? seconds * 1_000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(ms)));
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
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_INVALID_URL') throw new RemoteError(`${what}: invalid URL`);
    throw new TransientError(`${what} failed${typeof code === 'string' ? ` (${code})` : ''}: ${redact(err instanceof Error ? err.message : String(err))}`);
  }
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

export interface CheckAnswerOptions {
  /** The wait a service says in its body (Telegram's parameters.retry_after), in ms; wins over Retry-After. */
  bodyRetryAfterMs?: number;
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
 * 5xx are retried after the wait the service asked for (body, then Retry-After); a refused credential or a
 * target that is gone disables the channel; any other 4xx refuses this alert.
 */
export function checkAnswer(answer: HttpAnswer, what: string, redact: (s: string) => string, opts: CheckAnswerOptions = {}): void {
  const { status } = answer;
  if (status >= 200 && status <= 299) return;
  const detail = redact(opts.detail ?? snippet(answer.text, redact));
  const text = `${what} answered ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    const fromHeader = parseRetryAfterHeader(answer.headers['retry-after']);
    const wait = opts.bodyRetryAfterMs !== undefined ? Math.min(MAX_RETRY_AFTER_MS, opts.bodyRetryAfterMs) : fromHeader;
    throw new ChannelTransientError(text, { status, retryAfterMs: wait ?? (status === 429 ? opts.defaultRetryAfterMs : undefined) });
  }
  if ((opts.permanent ?? PERMANENT_STATUSES).includes(status)) throw new PermanentChannelError(text, { status });
  if (status >= 300 && status <= 399) throw new RemoteError(`${what} answered a redirect (${status}); check the URL`, { status });
  throw new RemoteError(text, { status });
}
