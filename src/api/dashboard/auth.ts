import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The login cookie's name (`__Host-` would demand Secure, which plain http on a LAN cannot give). */
export const SESSION_COOKIE = 'campus_sync_session';
/**
 * A week: someone checking from a phone is not asked for the key every day. The secret is per process, so a
 * restart of the API logs everyone out anyway.
 */
export const SESSION_MAX_AGE_S = 7 * 24 * 3600;

const b64url = (buf: Buffer): string => buf.toString('base64url');

export interface Sessions {
  /**
   * The cookie value for a key the server's `keyMatches` accepted: `<expiry>.<id>.<mac>`, the MAC binding the
   * expiry and a random session id to an HMAC of the key under this process's random secret. The key itself is
   * never in it. The session is remembered here until it expires or is revoked.
   */
  issue(acceptedKey: string, now: Date): string;
  /** True for an unexpired, unrevoked cookie value issued by this process for one of the accepted keys. */
  verify(value: string | undefined, now: Date): boolean;
  /** Ends the session of this cookie value (logout): the value is refused from now on, even if someone kept it. */
  revoke(value: string | undefined): void;
}

/** Sessions remembered at once: a household's phones and laptops, many times over; past it the oldest go first. */
export const MAX_SESSIONS = 1_000;

const COOKIE_VALUE = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * Sessions over a per-process secret, remembered on the server so a logout revokes them. The server only hands
 * the dashboard a `keyMatches` check, not the keys: the HMAC tag of each key that passed it at a login is
 * remembered (at most one per configured key), and a cookie is checked against those tags. Everything lives in
 * this process: a restart (which is also how a changed API key takes effect) ends every session.
 */
export function createSessions(opts: { secret?: Buffer; maxAgeS?: number } = {}): Sessions {
  const secret = opts.secret ?? randomBytes(32);
  const maxAgeS = opts.maxAgeS ?? SESSION_MAX_AGE_S;
  const tags = new Set<string>();
  /** Session id → its expiry (ms); insertion order is issue order. */
  const live = new Map<string, number>();
  const mac = (expiry: string, id: string, tag: string): Buffer => createHmac('sha256', secret).update(`session|${expiry}|${id}|${tag}`).digest();
  const parse = (value: string | undefined): { expiry: string; id: string; given: string } | null => {
    if (typeof value !== 'string') return null;
    const m = COOKIE_VALUE.exec(value);
    return m ? { expiry: m[1] as string, id: m[2] as string, given: m[3] as string } : null;
  };
  const forgetExpired = (nowMs: number): void => {
    for (const [id, expiresAt] of live) if (expiresAt <= nowMs) live.delete(id);
  };
  return {
    issue(acceptedKey, now) {
      const tag = b64url(createHmac('sha256', secret).update(`key|${acceptedKey}`).digest());
      tags.add(tag);
      const expiresAt = Math.floor(now.getTime() / 1000) + maxAgeS;
      const id = b64url(randomBytes(16));
      if (live.size >= MAX_SESSIONS) forgetExpired(now.getTime());
      if (live.size >= MAX_SESSIONS) live.delete(live.keys().next().value as string);
      live.set(id, expiresAt * 1000);
      const expiry = String(expiresAt);
      return `${expiry}.${id}.${b64url(mac(expiry, id, tag))}`;
    },
    verify(value, now) {
      const p = parse(value);
      if (!p) return false;
      if (Number(p.expiry) * 1000 <= now.getTime()) return false;
      const presented = Buffer.from(p.given, 'base64url');
      if (presented.length !== 32) return false;
      let ok = false;
      for (const tag of tags) ok = timingSafeEqual(mac(p.expiry, p.id, tag), presented) || ok;
      return ok && live.has(p.id);
    },
    revoke(value) {
      const p = parse(value);
      if (p) live.delete(p.id);
    },
  };
}

/** `a=1; b=2` → {a: '1', b: '2'}; the first of a repeated name wins, as browsers send the most specific first. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || name in out) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/**
 * The Set-Cookie header: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), the whole
 * site's path; Secure when the request came over https (directly or through a proxy that says so).
 */
export function sessionCookie(value: string, opts: { secure: boolean; maxAgeS?: number }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${opts.maxAgeS ?? SESSION_MAX_AGE_S}`,
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(opts: { secure: boolean }): string {
  return sessionCookie('', { secure: opts.secure, maxAgeS: 0 });
}

/** https as the browser sees it: a TLS-terminating proxy says so in X-Forwarded-Proto. */
export function cameOverHttps(headers: IncomingHttpHeaders): boolean {
  const proto = headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Where a request comes from, as far as the browser tells: `same` (Sec-Fetch-Site: same-origin, or an Origin
 * whose host is this Host), `cross` (any other site, a sandboxed `null` origin), or `unknown` (neither header:
 * not a browser, e.g. curl). Sec-Fetch-Site wins: browsers set it and pages cannot forge it.
 */
export function requestOrigin(headers: IncomingHttpHeaders): 'same' | 'cross' | 'unknown' {
  const site = one(headers['sec-fetch-site'])?.trim().toLowerCase();
  if (site !== undefined && site !== '') return site === 'same-origin' ? 'same' : 'cross';
  const origin = one(headers.origin)?.trim();
  if (origin === undefined || origin === '') return 'unknown';
  const host = one(headers.host)?.trim().toLowerCase();
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return 'cross';
  }
  return host !== undefined && originHost === host ? 'same' : 'cross';
}

export type Caller = { by: 'cookie' } | { by: 'key' } | null;

/** Who is asking: a valid x-api-key header, or a valid login cookie, or nobody. */
export function identify(
  headers: IncomingHttpHeaders,
  opts: { keyMatches: (k: string | string[] | undefined) => boolean; sessions: Sessions; now: Date },
): Caller {
  if (headers['x-api-key'] !== undefined && opts.keyMatches(headers['x-api-key'])) return { by: 'key' };
  const cookie = parseCookies(one(headers.cookie))[SESSION_COOKIE];
  if (cookie !== undefined && opts.sessions.verify(cookie, opts.now)) return { by: 'cookie' };
  return null;
}

/**
 * A state-changing request is let through only from this site's own pages. A request with no origin
 * information at all is a script or curl, not a browser: it passes only with the x-api-key header, which no
 * other site can make a browser send. A cookie alone with no origin information is refused.
 */
export function csrfAllows(caller: Caller, headers: IncomingHttpHeaders): boolean {
  if (caller === null) return false;
  const origin = requestOrigin(headers);
  if (origin === 'same') return true;
  if (origin === 'cross') return false;
  return caller.by === 'key';
}
