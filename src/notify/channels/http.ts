import axios, { type AxiosInstance } from 'axios';
import { RemoteError, TransientError } from '../../lib/index.js';

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
