/**
 * The Discord simulator's rate limits (slots-and-alerts.md, Discord): a route bucket advertised in the
 * X-RateLimit-* headers (enforced on request), the global limit in a sliding one-second window, and the
 * 429s and 5xx answers tests inject. An unversioned path (API v6) answers its waits in milliseconds.
 */
import { createHash } from 'node:crypto';
import type { SimAnswer } from './logged-server.js';
import type { DiscordSimState, Injected } from './discord-history.js';

export const jsonError = (status: number, code: number, message: string, extra: Record<string, unknown> = {}): SimAnswer => ({
  status,
  json: { message, code, ...extra },
});

export interface RateLimiter {
  /** Counts one request against its route bucket; returns the headers to send, or a 429 when enforced and exhausted. */
  takeBucket(key: string, millis: boolean): { headers: Record<string, string>; limited?: SimAnswer };
  /** The global 429 when the last second already had the limit's requests, else null (and the request is counted). */
  takeGlobal(millis: boolean): SimAnswer | null;
  injectedAnswer(i: Injected, millis: boolean): SimAnswer;
}

export function rateLimiter(s: DiscordSimState): RateLimiter {
  const { routeLimit, buckets, globalWindow, globalLimit } = s;

  const bucketHash = (key: string): string => createHash('sha1').update(key).digest('hex').slice(0, 32);

  /** Counts one request against its route bucket; returns the headers to send, or a 429 when enforced and exhausted. */
  const takeBucket = (key: string, millis: boolean): { headers: Record<string, string>; limited?: SimAnswer } => {
    const now = s.nowMs();
    const windowMs = routeLimit.windowSeconds * 1000;
    let b = buckets.get(key);
    if (!b || now - b.start >= windowMs) {
      b = { start: now, count: 0 };
      buckets.set(key, b);
    }
    const resetAfter = (b.start + windowMs - now) / 1000;
    const base = {
      'X-RateLimit-Limit': String(routeLimit.limit),
      'X-RateLimit-Reset': ((b.start + windowMs) / 1000).toFixed(3),
      'X-RateLimit-Reset-After': resetAfter.toFixed(3),
      'X-RateLimit-Bucket': bucketHash(key),
    };
    if (b.count >= routeLimit.limit && routeLimit.enforce) {
      return { headers: base, limited: rateLimited(resetAfter, false, millis, base) };
    }
    b.count += 1;
    return { headers: { ...base, 'X-RateLimit-Remaining': String(Math.max(0, routeLimit.limit - b.count)) } };
  };

  /**
   * A 429. `millis`: the request used an API version below 8 (an unversioned webhook URL runs v6), where
   * `retry_after` and `Retry-After` are MILLISECONDS (slots-and-alerts.md, Discord, first point); v8+ answers seconds.
   */
  const rateLimited = (retryAfter: number, global: boolean, millis: boolean, bucketHeaders?: Record<string, string>): SimAnswer => {
    const rounded = Math.round(retryAfter * 1000) / 1000;
    const headers: Record<string, string> = {
      'Retry-After': millis ? String(Math.ceil(retryAfter * 1000)) : String(Math.max(1, Math.ceil(retryAfter))),
      'X-RateLimit-Scope': global ? 'global' : 'user',
    };
    if (global) headers['X-RateLimit-Global'] = 'true';
    else
      Object.assign(
        headers,
        bucketHeaders ?? {
          'X-RateLimit-Limit': String(routeLimit.limit),
          'X-RateLimit-Reset': ((s.nowMs() + retryAfter * 1000) / 1000).toFixed(3),
          'X-RateLimit-Reset-After': rounded.toFixed(3),
          'X-RateLimit-Bucket': bucketHash('injected'),
        },
        { 'X-RateLimit-Remaining': '0' },
      );
    const body = { message: 'You are being rate limited.', retry_after: millis ? Math.ceil(retryAfter * 1000) : rounded, global };
    return { status: 429, json: body, headers };
  };

  /** Sliding one-second window over every request that got past it. */
  const takeGlobal = (millis: boolean): SimAnswer | null => {
    const now = s.nowMs();
    while (globalWindow.length && (globalWindow[0] ?? 0) <= now - 1000) globalWindow.shift();
    if (globalWindow.length >= globalLimit) return rateLimited(((globalWindow[0] ?? now) + 1000 - now) / 1000, true, millis);
    globalWindow.push(now);
    return null;
  };

  const injectedAnswer = (i: Injected, millis: boolean): SimAnswer => {
    if (i.kind === 'rate') return rateLimited(i.retryAfter, i.global, millis);
    // Discord's own 500 is JSON; 502/503 come from the proxies in front of it as plain text, so clients must not assume JSON.
    if (i.status === 500) return jsonError(500, 0, '500: Internal Server Error');
    return {
      status: i.status,
      text: i.status === 502 ? '502 Bad Gateway' : 'upstream connect error or disconnect/reset before headers',
      contentType: 'text/plain; charset=utf-8',
    };
  };

  return { takeBucket, takeGlobal, injectedAnswer };
}
