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

/**
 * The CAS login form of a page, or null when the page has none: it needs a user-name field, a password
 * field and an `execution` (reference "Login": `#username`, `#password`, hidden `execution`). A page with a
 * password field but no user name is something else, such as CAS's "change your password" form.
 */
export function parseLoginForm(html: string): LoginForm | null {
  const hidden: Record<string, string> = {};
  let hasPassword = false;
  let hasUsername = false;
  for (const m of html.matchAll(INPUT_TAG)) {
    const a = attributes(m[0]);
    const type = (a.type ?? 'text').toLowerCase();
    if (type === 'password') hasPassword = true;
    if (type !== 'hidden' && type !== 'password' && (a.name === 'username' || a.id === 'username')) hasUsername = true;
    if (type === 'hidden' && a.name) hidden[a.name] = a.value ?? '';
  }
  if (!hasPassword || !hasUsername || !('execution' in hidden)) return null;
  return { hidden };
}

const FORM_TAG = /<form\b[^>]*>/i;
const SUBMIT_TAG = /<(?:input|button)\b[^>]*>/gi;
/** The webflow events of CAS views that let a user go on ("continue") after a notice. */
const CONTINUE_EVENTS = new Set(['proceed', 'continue']);

export interface ContinueForm {
  /** Absolute URL to POST to. */
  action: string;
  /** Hidden fields plus the `_eventId` of the continue button. */
  fields: Record<string, string>;
}

/**
 * The "continue" form of a CAS notice page shown after a correct password (CAS 6 interrupt view, "your
 * password expires soon" warning), or null when the page offers none (a blocking notice, "you must change
 * your password"). The continue event is a hidden `_eventId` or a submit button `_eventId=proceed` /
 * `_eventId_proceed` (Spring Web Flow's two ways of naming it).
 */
export function parseContinueForm(html: string, pageUrl: string): ContinueForm | null {
  if (parseLoginForm(html) !== null) return null;
  const hidden: Record<string, string> = {};
  let event: string | null = null;
  for (const m of html.matchAll(INPUT_TAG)) {
    const a = attributes(m[0]);
    if ((a.type ?? 'text').toLowerCase() === 'password') return null;
    if ((a.type ?? '').toLowerCase() === 'hidden' && a.name) hidden[a.name] = a.value ?? '';
  }
  if (hidden._eventId !== undefined && CONTINUE_EVENTS.has(hidden._eventId)) event = hidden._eventId;
  for (const m of html.matchAll(SUBMIT_TAG)) {
    const a = attributes(m[0].replace(/^<button\b/i, '<input'));
    const name = a.name ?? '';
    if (name === '_eventId' && CONTINUE_EVENTS.has(a.value ?? '')) event = a.value ?? null;
    const flowName = /^_eventId_(\w+)$/.exec(name);
    if (flowName && CONTINUE_EVENTS.has(flowName[1] ?? '')) event = flowName[1] ?? null;
  }
  if (event === null || !('execution' in hidden)) return null;
  const formTag = FORM_TAG.exec(html)?.[0];
  const actionAttr = formTag ? attributes(formTag.replace(/^<form\b/i, '<input')).action : undefined;
  const action = new URL(actionAttr || pageUrl, pageUrl).toString();
  return { action, fields: { ...hidden, _eventId: event } };
}

/** What a page says it is, for an error message: its <title>, or its host. */
function pageTitle(res: HttpResponse): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(res.body)?.[1]?.trim();
  return title ? `"${decodeEntities(title).replace(/\s+/g, ' ').slice(0, 80)}"` : new URL(res.url).host;
}

/**
 * The CAS login URL of a timetable host, found the way a browser finds it (reference "Facts found in 2026",
 * Which CAS): an anonymous request to the timetable answers with a redirect to `…/login?service=…`; the
 * URL without its query is the CAS. An HTML page pointing at such a URL (the expired-session answer) counts too.
 */
export async function discoverCas(http: Http, serviceUrl: string): Promise<string> {
  let res = await http.request({ method: 'GET', url: serviceUrl, headers: { Accept: HTML_ACCEPT }, phase: 'login' });
  for (let hop = 0; hop <= MAX_REDIRECT_HOPS; hop++) {
    const target = res.status >= 300 && res.status < 400 && res.location ? new URL(res.location, res.url) : null;
    if (target && isLoginUrl(target)) return `${target.origin}${target.pathname}`;
    if (!target) {
      const inPage = /(https?:\/\/[^\s"'<>]+?\/login)\?service=/i.exec(res.body)?.[1];
      if (inPage) return inPage;
      if (res.status >= 500 || res.status === 429) {
        throw new TransientError(`MonCampus timetable ${new URL(res.url).host} answered ${res.status}`, { status: res.status, phase: 'login' });
      }
      throw new RemoteError(
        `MonCampus timetable ${new URL(serviceUrl).host} did not send an anonymous visitor to a CAS login page (it answered ${res.status}); set moncampus.casUrl`,
        { status: res.status, phase: 'login' },
      );
    }
    res = await http.request({ method: 'GET', url: target.toString(), headers: { Accept: HTML_ACCEPT }, phase: 'login' });
  }
  throw new RemoteError(`MonCampus timetable redirected more than ${MAX_REDIRECT_HOPS} times without reaching a CAS login page`, { phase: 'login' });
}

/** `…/login` with a `service` parameter: what a CAS client redirects to. */
function isLoginUrl(u: URL): boolean {
  return /\/login\/?$/.test(u.pathname) && u.searchParams.has('service');
}

/** Landing back on the CAS form after posting credentials means they were refused. */
function isCasLoginPage(res: HttpResponse): boolean {
  if (res.status >= 300 && res.status < 400) return false;
  return parseLoginForm(res.body) !== null;
}

/** CAS notices followed at most: an interrupt and a password warning in one login, plus room for one more. */
export const MAX_NOTICES = 3;

/** The password was accepted, then the CAS wants the person in a browser: not a wrong password (checks tell them apart). */
export class ActionNeededError extends RemoteError {}

function actionNeeded(res: HttpResponse): RemoteError {
  return new ActionNeededError(
    `MonCampus asks for an action: log in once in a browser (the password was accepted, then the CAS showed ${pageTitle(res)} with no way to continue)`,
    { phase: 'login' },
  );
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
    if (isCasLoginPage(landing)) throw refused(username);
    landing = await passNotices(http, landing, opts);
  }
  if (isCasLoginPage(landing)) throw refused(username);
  return landing;
}

/**
 * After a correct password, CAS 6+ may show a notice instead of sending us back (reference "Facts found in
 * 2026": interrupt view, password expiring, must change password). Follow its "continue" form; a page on the
 * CAS that offers none needs the person, in a browser.
 */
async function passNotices(http: Http, first: HttpResponse, opts: CasLoginOptions): Promise<HttpResponse> {
  const casOrigin = new URL(opts.casUrl).origin;
  let landing = first;
  for (let notice = 0; new URL(landing.url).origin === casOrigin && landing.status === 200; notice++) {
    const form = parseContinueForm(landing.body, landing.url);
    if (!form || notice >= MAX_NOTICES) throw actionNeeded(landing);
    opts.logger.info('MonCampus CAS showed a notice after the login; continuing past it', { page: pageTitle(landing) });
    const posted = await http.request({
      method: 'POST',
      url: form.action,
      headers: { Accept: HTML_ACCEPT, Origin: casOrigin, Referer: landing.url },
      form: form.fields,
      phase: 'login',
    });
    checkStatus(posted, opts.username, 'login');
    landing = await followRedirects(http, posted, opts.username);
  }
  return landing;
}
