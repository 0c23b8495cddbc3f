import { DateTime } from 'luxon';
import type { HostPolicy } from '../config/index.js';
import { RemoteError, TransientError, silentLogger, withRetry, type Logger, type RetryOptions } from '../lib/index.js';
import { casLogin, discoverCas } from './cas-login.js';
import { createCookieJar, originOf, type CookieJarState } from './cookie-jar.js';
import { parseCourseList, type MonCampusCourse } from './course.js';
import { createHttp, type HttpResponse } from './http.js';
import { assertTimezone, extractTeamsUrls, isTeamsLink, monCampusInstant, privateLink } from './normalise.js';

export interface MonCampusClientOptions {
  /** Timetable host base, e.g. `https://ws-edt-igs.wigorservices.net` or `http://127.0.0.1:4567`. */
  url: string;
  /**
   * Full CAS login URL, e.g. `https://cas-p.wigorservices.net/cas/login`: an override. Without it the CAS is
   * the one the timetable host sends an anonymous visitor to (discovered once per client).
   */
  casUrl?: string | undefined;
  username: string;
  password: string;
  /** Session cookies saved from a previous run: reused, no login while they are valid. */
  cookies?: CookieJarState;
  /** Per request; default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  logger?: Logger;
  /**
   * Zone of the school's wall clock, used only to keep courses whose start is inside the window
   * (the quirk makes the raw strings' offsets meaningless). Default Europe/Paris: every MonCampus school is French.
   */
  timezone?: string;
  /** Retries of one login or one fetch on transient failures; default CLIENT_RETRY. Tests shorten the waits. */
  retry?: RetryOptions;
  /**
   * Records the previous fetch received (kept in the instance state). When it had some, an empty `Data`
   * from a reused session is not believed before one fresh login: a half-expired session answers 200
   * with nothing (reference/moncampus.md, "Facts found in 2026").
   */
  previousCourses?: number;
  /** An invitee's check: every request, each redirect included, must be one the policy allows (http.ts). */
  policy?: HostPolicy;
}

export interface MonCampusClient {
  /** Courses whose start is in [from, to). Logs in only if needed; re-logs in ONCE when /Home/Get answers a redirect or HTML. */
  fetchCourses(window: { from: string; to: string }): Promise<MonCampusCourse[]>;
  /** Records the last `/Home/Get` answered (before the window filter), to keep as the next run's `previousCourses`. */
  lastReceived(): number | undefined;
  /** Current cookies, to save in the instance state (they are secrets: the caller stores them 0600). */
  cookies(): CookieJarState;
  stats(): { logins: number; requests: number };
}

/** MonCampus can take several seconds for a term's timetable on a busy morning; 30 s still fails a dead host in reasonable time. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_SCHOOL_TIMEZONE = 'Europe/Paris';
/** 3 attempts, 1 s then 2 s: rides out a restart of the timetable server without hammering it (the worker retries on its next run). */
export const CLIENT_RETRY = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 } as const;
/**
 * Days added on each side of the requested range. The server compares its "UTC-disguised" wall clocks
 * with dateDebut/dateFin in a way no scraper documents; a wider request plus exact filtering on our side
 * is right whichever way it compares.
 */
export const REQUEST_MARGIN_DAYS = 1;

/** The window's bounds as `/Home/Get` wants them: whole days, `2025-01-01T00:00:00.000Z` style, widened by the margin. */
export function requestRange(window: { from: string; to: string }, timezone: string): { dateDebut: string; dateFin: string } {
  const from = DateTime.fromISO(window.from, { zone: timezone });
  const to = DateTime.fromISO(window.to, { zone: timezone });
  if (!from.isValid || !to.isValid) throw new RangeError(`Invalid window ${window.from} .. ${window.to}`);
  // Local wall clock disguised as UTC, the way MonCampus stores its times.
  const fromWall = from.setZone(timezone).setZone('utc', { keepLocalTime: true });
  const toWall = to.setZone(timezone).setZone('utc', { keepLocalTime: true });
  const debut = fromWall.minus({ days: REQUEST_MARGIN_DAYS }).startOf('day');
  const finRaw = toWall.plus({ days: REQUEST_MARGIN_DAYS });
  const fin = finRaw.startOf('day').equals(finRaw) ? finRaw : finRaw.startOf('day').plus({ days: 1 });
  return { dateDebut: debut.toISO() ?? '', dateFin: fin.toISO() ?? '' };
}

/** `{url}/Home/Get?sort=&group=&filter=&dateDebut=…&dateFin=…`, the service URL of the CAS login too. */
export function homeGetUrl(base: string, range: { dateDebut: string; dateFin: string }): string {
  // ISO strings only hold [0-9TZ:.-], all legal in a query: sent raw, as the browser page does.
  return `${base.replace(/\/+$/, '')}/Home/Get?sort=&group=&filter=&dateDebut=${range.dateDebut}&dateFin=${range.dateFin}`;
}

/**
 * Personal redirect links resolved per fetch at most: one request each, and a year of remote classes stays
 * well under it; beyond, links are only stripped of their personal parameters (normalise.ts privateLink).
 */
export const MAX_LINK_RESOLVES = 200;
/** A Wigor redirect goes straight to Teams; a few hops allow for a tracking hop, and bound a loop. */
const MAX_LINK_HOPS = 3;

/**
 * Only links of the timetable's own site (`*.wigorservices.net` for the real hosts) are followed: a link of
 * any other host is not ours to request from the server (it is only stripped of personal parameters).
 */
export function sameSite(link: string, timetableUrl: string): boolean {
  try {
    const a = new URL(link).hostname;
    const b = new URL(timetableUrl).hostname;
    const site = (h: string): string => (/^[\d.]+$|:/.test(h) ? h : h.split('.').slice(-2).join('.'));
    return a === b || site(a) === site(b);
  } catch {
    return false;
  }
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type Answer = { kind: 'courses'; courses: MonCampusCourse[]; invalid: number } | { kind: 'expired' };

/** Classifies a `/Home/Get` answer: data, an expired session, or an error (thrown). */
export function readHomeGet(res: HttpResponse): Answer {
  const host = new URL(res.url).host;
  if (res.status >= 300 && res.status < 400) return { kind: 'expired' };
  if (res.status >= 500 || res.status === 429) {
    throw new TransientError(`MonCampus timetable ${host} answered ${res.status}`, { status: res.status, phase: 'fetch' });
  }
  // ASP.NET answers AJAX requests of an unauthenticated session with 401 rather than a redirect.
  if (res.status === 401 || res.status === 403) return { kind: 'expired' };
  if (res.status >= 400) {
    throw new RemoteError(`MonCampus timetable ${host} answered ${res.status}`, { status: res.status, phase: 'fetch' });
  }
  let json: unknown;
  let isJson = false;
  try {
    json = JSON.parse(res.body);
    isJson = true;
  } catch {
    // Not JSON: either the login page (expired) or something broken, decided below.
  }
  const list = isJson ? parseCourseList(json) : null;
  if (list) {
    const errors = list.serverErrors;
    if (errors && (Array.isArray(errors) ? errors.length > 0 : typeof errors !== 'object' || Object.keys(errors).length > 0)) {
      throw new RemoteError(`MonCampus timetable ${host} reported errors`, { phase: 'fetch' });
    }
    return { kind: 'courses', courses: list.courses, invalid: list.invalid.length };
  }
  if (!/json/i.test(res.contentType) || res.body.includes('cas/login')) return { kind: 'expired' };
  throw new RemoteError(`MonCampus timetable ${host} answered JSON that is not a timetable`, { phase: 'fetch' });
}

/** The login's last hop is normally the `/Home/Get` answer itself; use it rather than asking again. */
function answerOfLanding(landing: HttpResponse, timetableOrigin: string): Answer | null {
  if (originOf(landing.url) !== timetableOrigin || landing.status !== 200) return null;
  try {
    const answer = readHomeGet(landing);
    return answer.kind === 'courses' ? answer : null;
  } catch {
    return null;
  }
}

/**
 * What replaces the per-student redirects of Teams fields by the Teams link they lead to (see inside); one per
 * client, so a link is resolved once however many fetches carry it.
 */
function personalLinkResolver(http: ReturnType<typeof createHttp>, siteUrl: string, logger: Logger): (courses: MonCampusCourse[]) => Promise<void> {
  /** Personal redirect → final Teams link, or null when it did not lead to Teams; shared by every fetch of this client. */
  const resolved = new Map<string, string | null>();

  const resolveLink = async (link: string): Promise<string | null> => {
    let current = link;
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
      const res = await http.request({ method: 'GET', url: current, phase: 'fetch' });
      if (res.status < 300 || res.status >= 400 || !res.location) return null;
      current = new URL(res.location, res.url).toString();
      if (isTeamsLink(current)) return current;
    }
    return null;
  };

  /**
   * Replaces the per-student redirects of Teams fields (`Tel=<login>`, a per-user hash: reference/moncampus.md,
   * "Facts found in 2026", Privacy) by the Teams link they lead to, so no calendar ever carries them.
   * A link that cannot be resolved is left to normalise, which strips its personal parameters.
   */
  const resolvePersonalLinks = async (courses: MonCampusCourse[]): Promise<void> => {
    for (const course of courses) {
      for (const field of ['TeamsUrl', 'TeamsURL'] as const) {
        const links = extractTeamsUrls(course[field]);
        const personal = links.filter((l) => privateLink(l) !== l && sameSite(l, siteUrl));
        if (personal.length === 0) continue;
        for (const link of personal) {
          if (resolved.has(link) || resolved.size >= MAX_LINK_RESOLVES) continue;
          resolved.set(link, await resolveLink(link).catch(() => null));
        }
        const finals = links.map((l) => resolved.get(l) ?? l);
        course[field] = finals.map((l) => `<a href="${escapeAttribute(l)}"></a>`).join('');
      }
    }
    const failed = [...resolved.values()].filter((v) => v === null).length;
    if (failed > 0) logger.warn('MonCampus personal Teams links that did not lead to Teams: their personal parameters are dropped', { count: failed });
  };

  return resolvePersonalLinks;
}

export function createMonCampusClient(opts: MonCampusClientOptions): MonCampusClient {
  const logger = opts.logger ?? silentLogger;
  const timezone = opts.timezone ?? DEFAULT_SCHOOL_TIMEZONE;
  assertTimezone(timezone);
  const jar = createCookieJar(opts.cookies ?? {});
  const http = createHttp({ jar, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, logger, ...(opts.policy ? { policy: opts.policy } : {}) });
  const timetableOrigin = originOf(opts.url);
  const retry: RetryOptions = { ...CLIENT_RETRY, ...opts.retry };
  let logins = 0;
  let lastReceived = opts.previousCourses;

  const retried = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    withRetry(fn, {
      ...retry,
      onRetry: (err, attempt, delayMs) => {
        logger.warn(`MonCampus ${what} failed, retrying`, { attempt, delayMs, error: (err as Error).message });
        retry.onRetry?.(err, attempt, delayMs);
      },
    });

  let casUrl = opts.casUrl;

  const login = (serviceUrl: string): Promise<HttpResponse> =>
    retried('login', async () => {
      if (casUrl === undefined) {
        casUrl = await discoverCas(http, serviceUrl);
        logger.info('MonCampus CAS discovered from the timetable host', { cas: casUrl });
        // The anonymous visit left a session cookie for nobody: the login's own cookies must not meet it.
        jar.clear(timetableOrigin);
      }
      logins++;
      logger.info('MonCampus login', { username: opts.username, cas: originOf(casUrl) });
      return casLogin({
        http,
        casUrl,
        serviceUrl,
        username: opts.username,
        password: opts.password,
        logger,
      });
    });

  const get = (serviceUrl: string): Promise<Answer> =>
    retried('fetch', async () =>
      readHomeGet(
        await http.request({
          method: 'GET',
          url: serviceUrl,
          headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
          phase: 'fetch',
        }),
      ),
    );

  const resolvePersonalLinks = personalLinkResolver(http, opts.url, logger);

  const stillRefused = (): RemoteError =>
    new RemoteError(`MonCampus timetable ${new URL(opts.url).host} still asks for a login right after logging in`, {
      phase: 'fetch',
    });

  return {
    async fetchCourses(window) {
      const range = requestRange(window, timezone);
      const serviceUrl = homeGetUrl(opts.url, range);
      let answer: Answer | null = null;
      let justLoggedIn = false;
      if (!jar.has(timetableOrigin)) {
        answer = answerOfLanding(await login(serviceUrl), timetableOrigin);
        justLoggedIn = true;
      }
      answer ??= await get(serviceUrl);
      if (answer.kind === 'expired') {
        if (justLoggedIn) throw stillRefused();
        logger.info('MonCampus session expired, logging in again');
        // Stale timetable cookies could shadow the new ones; the CAS cookies stay (they may spare the password).
        jar.clear(timetableOrigin);
        answer = answerOfLanding(await login(serviceUrl), timetableOrigin) ?? (await get(serviceUrl));
        if (answer.kind === 'expired') throw stillRefused();
        justLoggedIn = true;
      }
      if (answer.courses.length === 0 && !justLoggedIn && (lastReceived ?? 0) > 0) {
        logger.info('MonCampus answered an empty timetable after a non-empty one; logging in again before believing it');
        jar.clear(timetableOrigin);
        answer = answerOfLanding(await login(serviceUrl), timetableOrigin) ?? (await get(serviceUrl));
        if (answer.kind === 'expired') throw stillRefused();
      }
      lastReceived = answer.courses.length;
      if (answer.invalid > 0) logger.warn('MonCampus records without a usable NoCours were dropped', { count: answer.invalid });

      const from = DateTime.fromISO(window.from, { zone: timezone }).toMillis();
      const to = DateTime.fromISO(window.to, { zone: timezone }).toMillis();
      // Unreadable starts are kept so normaliseCourses reports them as skipped instead of losing them silently.
      const inWindow = answer.courses.filter((c) => {
        const start = monCampusInstant(c.Start, timezone);
        if (!start) return true;
        const t = start.toMillis();
        return t >= from && t < to;
      });
      await resolvePersonalLinks(inWindow);
      logger.debug('MonCampus courses fetched', { received: answer.courses.length, inWindow: inWindow.length, ...range });
      return inWindow;
    },
    cookies: () => jar.state(),
    lastReceived: () => lastReceived,
    stats: () => ({ logins, requests: http.count() }),
  };
}
