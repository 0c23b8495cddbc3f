/**
 * A minimal cookie jar keyed by origin (scheme + host + port), enough for the CAS dance:
 * the CAS server and the timetable host each keep their own cookies, and tests run both on
 * 127.0.0.1 with different ports, so the port has to be part of the key (a browser would share
 * cookies across ports, which would mix the two servers' cookies here).
 * Domain and Path are ignored on purpose: MonCampus sets host-only cookies on `/`.
 */

/** Saved between runs in the instance state; values are secrets (session cookies). */
export type CookieJarState = Record<string, Record<string, string>>;

export interface CookieJar {
  /** Records every Set-Cookie header of a response from `url`. */
  store(url: string | URL, setCookie: string | string[] | undefined): void;
  /** The `Cookie` request header for `url`, or undefined when the jar has nothing for its origin. */
  header(url: string | URL): string | undefined;
  /** True when the jar holds at least one cookie for the origin of `url`. */
  has(url: string | URL): boolean;
  /** Forgets the cookies of one origin (or all). */
  clear(url?: string | URL): void;
  /** A deep copy, safe to serialise. */
  state(): CookieJarState;
}

/** `https://host` (default port omitted, as URL.origin does) or `http://127.0.0.1:4567`. */
export function originOf(url: string | URL): string {
  return (typeof url === 'string' ? new URL(url) : url).origin;
}

export interface ParsedSetCookie {
  name: string;
  value: string;
  /** The server asked to forget the cookie (Max-Age <= 0, or Expires in the past). */
  deleted: boolean;
}

/** Parses one Set-Cookie header value; null when it has no `name=`. */
export function parseSetCookie(header: string, now: number = Date.now()): ParsedSetCookie | null {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  const name = pair.slice(0, eq).trim();
  if (!name) return null;
  let value = pair.slice(eq + 1).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attribute of attributes) {
    const aeq = attribute.indexOf('=');
    const key = (aeq < 0 ? attribute : attribute.slice(0, aeq)).trim().toLowerCase();
    const raw = aeq < 0 ? '' : attribute.slice(aeq + 1).trim();
    if (key === 'max-age' && /^-?\d+$/.test(raw)) maxAge = Number(raw);
    else if (key === 'expires') {
      const t = Date.parse(raw);
      if (!Number.isNaN(t)) expires = t;
    }
  }
  // RFC 6265 §5.3: Max-Age wins over Expires when both are present.
  const deleted = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= now;
  return { name, value, deleted };
}

export function createCookieJar(initial: CookieJarState = {}, now: () => number = Date.now): CookieJar {
  const jars = new Map<string, Map<string, string>>();
  for (const [origin, cookies] of Object.entries(initial)) {
    const jar = new Map<string, string>();
    for (const [name, value] of Object.entries(cookies ?? {})) {
      if (typeof value === 'string') jar.set(name, value);
    }
    if (jar.size > 0) jars.set(origin, jar);
  }

  return {
    store(url, setCookie) {
      if (setCookie === undefined) return;
      const origin = originOf(url);
      const headers = Array.isArray(setCookie) ? setCookie : [setCookie];
      for (const header of headers) {
        const parsed = parseSetCookie(header, now());
        if (!parsed) continue;
        let jar = jars.get(origin);
        if (parsed.deleted) {
          jar?.delete(parsed.name);
          if (jar && jar.size === 0) jars.delete(origin);
          continue;
        }
        if (!jar) {
          jar = new Map();
          jars.set(origin, jar);
        }
        jar.set(parsed.name, parsed.value);
      }
    },
    header(url) {
      const jar = jars.get(originOf(url));
      if (!jar || jar.size === 0) return undefined;
      return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    },
    has(url) {
      return (jars.get(originOf(url))?.size ?? 0) > 0;
    },
    clear(url) {
      if (url === undefined) jars.clear();
      else jars.delete(originOf(url));
    },
    state() {
      const out: CookieJarState = {};
      for (const [origin, jar] of jars) out[origin] = Object.fromEntries(jar);
      return out;
    },
  };
}
