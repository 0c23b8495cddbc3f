import { AuthError, RemoteError, TransientError, type Logger, type Phase } from '../lib/index.js';
import type { Http, HttpResponse } from './http.js';

/** Enough for CAS → timetable (ticket) → timetable (clean URL), with room for a load balancer hop or two; bounds a loop. */
export const MAX_REDIRECT_HOPS = 15;

const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export interface LoginForm {
  /** Every hidden input (name → value), `execution` among them. */
  hidden: Record<string, string>;
}

const INPUT_TAG = /<input\b[^>]*>/gi;
const ATTRIBUTE = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = tag.replace(/^<input\b/i, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(ATTRIBUTE)) {
    const name = (m[1] ?? '').toLowerCase();
    if (name && !(name in out)) out[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The CAS login form of a page, or null when the page has none (no password field or no `execution`). */
export function parseLoginForm(html: string): LoginForm | null {
  const hidden: Record<string, string> = {};
  let hasPassword = false;
  for (const m of html.matchAll(INPUT_TAG)) {
    const a = attributes(m[0]);
    const type = (a.type ?? 'text').toLowerCase();
    if (type === 'password') hasPassword = true;
    if (type === 'hidden' && a.name) hidden[a.name] = a.value ?? '';
  }
  if (!hasPassword || !('execution' in hidden)) return null;
  return { hidden };
}

function sameEndpoint(a: string, b: string): boolean {
  const ua = new URL(a);
  const ub = new URL(b);
  return ua.origin === ub.origin && ua.pathname.replace(/\/+$/, '') === ub.pathname.replace(/\/+$/, '');
}

/** Landing back on the CAS form after posting credentials means they were refused. */
function isCasLoginPage(res: HttpResponse, casUrl: string): boolean {
  if (res.status >= 300 && res.status < 400) return false;
  return sameEndpoint(res.url, casUrl) || parseLoginForm(res.body) !== null;
}

export interface CasLoginOptions {
  http: Http;
  /** Full CAS login URL, e.g. `https://cas-p.wigorservices.net/cas/login`. */
  casUrl: string;
  /** The full `/Home/Get` URL the timetable host should send us back to. */
  serviceUrl: string;
  username: string;
  password: string;
  logger: Logger;
}

function refused(username: string): AuthError {
  return new AuthError(`MonCampus refused the login for ${username}`, { phase: 'login', retryable: false });
}

/** 5xx and 429 may pass; other statuses >= 400 during login are a refusal. */
function checkStatus(res: HttpResponse, username: string, phase: Phase): void {
  if (res.status >= 500 || res.status === 429) {
    throw new TransientError(`MonCampus server ${new URL(res.url).host} answered ${res.status}`, {
      status: res.status,
      phase,
    });
  }
  if (res.status >= 400) throw refused(username);
}

/** Follows 3xx Locations by hand so every hop's Set-Cookie lands in its own origin's jar. */
async function followRedirects(http: Http, first: HttpResponse, username: string): Promise<HttpResponse> {
  let res = first;
  for (let hop = 0; res.status >= 300 && res.status < 400; hop++) {
    if (hop >= MAX_REDIRECT_HOPS) {
      throw new RemoteError(`MonCampus login redirected more than ${MAX_REDIRECT_HOPS} times`, { phase: 'login' });
    }
    if (!res.location) {
      throw new RemoteError(`MonCampus server ${new URL(res.url).host} answered ${res.status} without a Location`, {
        status: res.status,
        phase: 'login',
      });
    }
    const next = new URL(res.location, res.url).toString();
    res = await http.request({ method: 'GET', url: next, headers: { Accept: HTML_ACCEPT }, phase: 'login' });
    checkStatus(res, username, 'login');
  }
  return res;
}

/**
 * Apereo CAS login by plain HTTP (reference/moncampus.md, "Login"): GET the form for `serviceUrl`,
 * POST the credentials with every hidden field, then follow the redirects (ticket → timetable host →
 * clean URL) by hand. Returns the last response (normally the `/Home/Get` answer of the new session).
 * If the CAS still holds a valid ticket-granting cookie, the GET already redirects and no password is sent.
 * Throws AuthError (refused), TransientError (network, 5xx) or RemoteError (a page we cannot use).
 */
export async function casLogin(opts: CasLoginOptions): Promise<HttpResponse> {
  const { http, username } = opts;
  const loginUrl = new URL(opts.casUrl);
  loginUrl.searchParams.set('service', opts.serviceUrl);
  const page = await http.request({ method: 'GET', url: loginUrl.toString(), headers: { Accept: HTML_ACCEPT }, phase: 'login' });
  checkStatus(page, username, 'login');

  let landing: HttpResponse;
  if (page.status >= 300 && page.status < 400) {
    opts.logger.debug('MonCampus CAS session still valid, no password needed');
    landing = await followRedirects(http, page, username);
  } else {
    const form = parseLoginForm(page.body);
    if (!form) {
      throw new RemoteError(`MonCampus CAS page at ${loginUrl.host} has no login form`, { status: page.status, phase: 'login' });
    }
    const fields: Record<string, string> = { ...form.hidden, username, password: opts.password };
    fields._eventId ||= 'submit';
    fields.geolocation ??= '';
    const posted = await http.request({
      method: 'POST',
      url: page.url,
      headers: { Accept: HTML_ACCEPT, Origin: loginUrl.origin, Referer: page.url },
      form: fields,
      phase: 'login',
    });
    checkStatus(posted, username, 'login');
    landing = await followRedirects(http, posted, username);
  }
  if (isCasLoginPage(landing, opts.casUrl)) throw refused(username);
  return landing;
}
