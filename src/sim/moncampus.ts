/**
 * A local MonCampus: an Apereo-CAS-like login server and a Wigor-Services-like timetable host, on two
 * ports, behaving as /work/shared/reference/moncampus.md describes (login flow, `/Home/Get`, session
 * expiry, the time-zone quirk). It follows that document, not our client: where the document is
 * silent, the choice made here is the stricter plausible one and is said in a comment.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DateTime } from 'luxon';
import { escapeHtml, parseCookies, queryRecord, readBody, redirect, sendJson, sendText, startServer, type SimIntercept, type SimServer } from './http-util.js';

export interface SimCourseSpec {
  /** NoCours. */
  id: number;
  /** Title, e.g. 'G1 Administration des BDD'. */
  title: string;
  /** 'YYYY-MM-DDTHH:mm' wall clock in Europe/Paris (the sim applies the quirk itself). */
  start: string;
  end: string;
  comment?: string | null;
  subject?: string | null;
  room?: string | null;
  teacher?: string | null;
  group?: string | null;
  /** A plain URL; rendered as the HTML fragment of the real TeamsUrl field. */
  teamsUrl?: string | null;
  /** 'aspnet' renders Start/End as '/Date(ms)/'. */
  dateFormat?: 'iso' | 'aspnet';
}

export interface MonCampusSimOptions {
  /** username → password. */
  users?: Record<string, string>;
  courses?: SimCourseSpec[];
  /** Added before every response of both hosts. */
  latencyMs?: number;
  /** Lifetime of a timetable-host session (from login, not sliding). */
  sessionTtlMs?: number;
  now?: () => Date;
  /** How `/Home/Get` answers without a valid session: the reference lists both forms. */
  expiredAnswer?: 'redirect' | 'html';
  /**
   * Real CAS skips the form when the browser sends a valid TGC (single sign-on). Off by default because
   * the reference describes the login page as always being a form; turn on to test clients that keep
   * their CAS cookies between logins.
   */
  casSso?: boolean;
  /** Chaos tests: injected 429/5xx, dropped connections and kill points during login and fetch (http-util's SimIntercept). */
  intercept?: SimIntercept;
}

export interface SimRequest {
  host: 'cas' | 'edt';
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface MonCampusSim {
  /** 'http://127.0.0.1:<casPort>/cas/login' */
  casUrl: string;
  /** Timetable host base, 'http://127.0.0.1:<edtPort>' (no trailing slash). */
  url: string;
  setCourses(courses: SimCourseSpec[]): void;
  setPassword(user: string, password: string): void;
  /** Every existing timetable session becomes invalid (CAS tickets and TGCs are kept). */
  expireSessions(): void;
  setExpiredAnswer(answer: 'redirect' | 'html'): void;
  setLatency(ms: number): void;
  requests: SimRequest[];
  resetLog(): void;
  /** logins = successful CAS credential POSTs; failedLogins = refused credentials; homeGets = `/Home/Get` answered with JSON. */
  stats(): { logins: number; failedLogins: number; homeGets: number };
  close(): Promise<void>;
}

/** Kendo `DataSourceResult` course, field names and types as in the reference. */
export interface MonCampusCourse {
  NoCours: number;
  NoGroupe: number;
  Commentaire: string | null;
  LibelleGroupe: string | null;
  LibelleSemaine: string | null;
  Matiere: string | null;
  Salles: string | null;
  NomEcole: string | null;
  LogoEcole: string | null;
  CoursMixtePicto: string | null;
  CoursMixteInfoBulle: string | null;
  FondCour: string | null;
  NomProf: string | null;
  RecurrenceRule: string | null;
  RecurrenceID: string | null;
  RecurrenceException: string | null;
  Title: string | null;
  Description: string | null;
  StartTimezone: string | null;
  EndTimezone: string | null;
  TeamsURL: string | null;
  TeamsUrl: string | null;
  LienTrack: string | null;
  Duree: number | null;
  IsAllDay: boolean;
  Start: string;
  End: string;
  ColorRed: number;
  ColorGreen: number;
  ColorBlue: number;
  Origine: number;
}

const DEFAULT_USERS: Record<string, string> = { student: 'secret' };
/** The reference gives no number; an hour is a common ASP.NET forms-auth timeout and keeps tests short. */
const DEFAULT_SESSION_TTL_MS = 60 * 60 * 1000;
/** Apereo CAS's default service-ticket lifetime: a ticket must be redeemed within 10 s. */
const SERVICE_TICKET_TTL_MS = 10_000;
const PARIS = 'Europe/Paris';
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/**
 * The instant MonCampus sends for a Paris wall-clock time: the one whose UTC hours:minutes ARE the wall
 * clock ("local time disguised as UTC", reference "Time zone quirk").
 */
export function quirkInstantMs(wallClock: string): number {
  const m = WALL_CLOCK.exec(wallClock);
  if (!m) throw new Error(`bad wall-clock time '${wallClock}', want YYYY-MM-DDTHH:mm`);
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) {
    throw new Error(`bad wall-clock time '${wallClock}'`);
  }
  return ms;
}

/** `Start`/`End` as the server renders them: the quirk instant written with Paris's offset at that instant. */
export function renderQuirkDate(wallClock: string, format: 'iso' | 'aspnet' = 'iso'): string {
  const ms = quirkInstantMs(wallClock);
  if (format === 'aspnet') return `/Date(${ms})/`;
  const iso = DateTime.fromMillis(ms, { zone: PARIS }).toISO({ suppressMilliseconds: true });
  if (!iso) throw new Error(`cannot render '${wallClock}'`);
  return iso;
}

export function teamsFragment(url: string): string {
  return `<a href="${url}" target="_blank"><img src="/Content/img/MTeams_Rejoindre.png"></a>`;
}

/** A stable small number from a string, so NoGroupe and colours do not change between calls. */
function stableHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function renderCourse(spec: SimCourseSpec): MonCampusCourse {
  const format = spec.dateFormat ?? 'iso';
  const duree = Math.round((quirkInstantMs(spec.end) - quirkInstantMs(spec.start)) / 60_000);
  const colour = stableHash(spec.subject ?? spec.title);
  return {
    NoCours: spec.id,
    NoGroupe: spec.group ? stableHash(spec.group) % 100_000 : 0,
    Commentaire: spec.comment ?? null,
    LibelleGroupe: spec.group ?? null,
    LibelleSemaine: null,
    Matiere: spec.subject ?? null,
    Salles: spec.room ?? null,
    NomEcole: 'IPI',
    LogoEcole: null,
    CoursMixtePicto: null,
    CoursMixteInfoBulle: null,
    FondCour: null,
    NomProf: spec.teacher ?? null,
    RecurrenceRule: null,
    RecurrenceID: null,
    RecurrenceException: null,
    Title: spec.title,
    Description: null,
    StartTimezone: null,
    EndTimezone: null,
    TeamsURL: null,
    TeamsUrl: spec.teamsUrl ? teamsFragment(spec.teamsUrl) : null,
    LienTrack: null,
    Duree: duree,
    IsAllDay: false,
    Start: renderQuirkDate(spec.start, format),
    End: renderQuirkDate(spec.end, format),
    ColorRed: colour & 0xff,
    ColorGreen: (colour >>> 8) & 0xff,
    ColorBlue: (colour >>> 16) & 0xff,
    Origine: 1,
  };
}

/** `dateDebut`/`dateFin` as the server reads them; a value without a zone is read as UTC (the page runs in Etc/UTC). */
function parseClientDate(value: string | null): number | null {
  if (!value) return null;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value) || /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : ms;
}

const token = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Compares a service URL with the URL the timetable host received, ignoring `ticket` and encoding. */
function sameService(a: string, b: string): boolean {
  try {
    const ua = new URL(a);
    const ub = new URL(b);
    if (ua.origin !== ub.origin || ua.pathname !== ub.pathname) return false;
    const pa = [...ua.searchParams].filter(([k]) => k !== 'ticket');
    const pb = [...ub.searchParams].filter(([k]) => k !== 'ticket');
    return JSON.stringify(pa) === JSON.stringify(pb);
  } catch {
    return false;
  }
}

/** The raw request target without its `ticket` parameter, other parameters byte-for-byte as received. */
function withoutTicket(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q < 0) return rawUrl;
  const kept = rawUrl
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '' && !part.startsWith('ticket='));
  return kept.length ? `${rawUrl.slice(0, q)}?${kept.join('&')}` : rawUrl.slice(0, q);
}

function loginPage(action: string, execution: string, lt: string, error?: string): string {
  const errorBlock = error
    ? `<div id="loginErrorsPanel" class="alert alert-danger banner banner-danger"><p>${escapeHtml(error)}</p></div>`
    : '';
  // Shaped like Apereo CAS's default login view. `_eventId` is deliberately NOT in the form: the
  // reference tells clients to add it when missing, and the webflow ignores a POST without it.
  return `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="UTF-8"/><title>CAS – Central Authentication Service</title></head>
<body id="cas">
<main class="container">
<div id="login">
<form method="post" id="fm1" action="${escapeHtml(action)}">
${errorBlock}
<h3>Entrez votre identifiant et votre mot de passe.</h3>
<section class="cas-field">
<label for="username">Identifiant :</label>
<input id="username" name="username" type="text" tabindex="1" autocomplete="off" value=""/>
</section>
<section class="cas-field">
<label for="password">Mot de passe :</label>
<input id="password" name="password" type="password" tabindex="2" autocomplete="off" value=""/>
</section>
<input type="hidden" name="lt" value="${escapeHtml(lt)}"/>
<input type="hidden" name="execution" value="${escapeHtml(execution)}"/>
<input type="hidden" name="geolocation"/>
<input class="btn-submit" name="submit" accesskey="l" value="SE CONNECTER" tabindex="4" type="submit"/>
</form>
</div>
</main>
</body>
</html>`;
}

function kendoPage(): string {
  return `<!DOCTYPE html><html><head><title>Emploi du temps</title></head><body>
<div id="scheduler"></div>
<script>kendo.timezone = "Etc/UTC"; $("#scheduler").kendoScheduler({ timezone: "Etc/UTC", dataSource: { transport: { read: { url: "/Home/Get" } } } });</script>
</body></html>`;
}

function casRedirectPage(loginUrl: string): string {
  return `<!DOCTYPE html><html><head><title>Redirection</title></head><body>
<p>Votre session a expiré. <a href="${escapeHtml(loginUrl)}">Se connecter</a></p>
<script>window.location.href = ${JSON.stringify(loginUrl)};</script>
</body></html>`;
}

export async function startMonCampusSim(opts: MonCampusSimOptions = {}): Promise<MonCampusSim> {
  const users: Record<string, string> = { ...(opts.users ?? DEFAULT_USERS) };
  // Rendered once per setCourses: luxon's zone maths is slow enough to skew a benchmark if done per request.
  let courses: { startMs: number; json: MonCampusCourse }[] = [];
  const now = opts.now ?? (() => new Date());
  const sessionTtlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  let expiredAnswer = opts.expiredAnswer ?? 'redirect';
  let latencyMs = opts.latencyMs ?? 0;
  const requests: SimRequest[] = [];
  const counters = { logins: 0, failedLogins: 0, homeGets: 0 };

  // CAS state.
  const casSessions = new Set<string>(); // JSESSIONID values
  const executions = new Map<string, { jsession: string; lt: string }>();
  const tgts = new Map<string, string>(); // TGC → user
  const tickets = new Map<string, { service: string; user: string; expiresAt: number }>();
  let ticketSeq = 0;
  // Timetable-host state.
  const authSessions = new Map<string, { user: string; expiresAt: number }>(); // _DotNetCasClientAuth → session
  const aspSessions = new Set<string>();

  const setCourses = (list: SimCourseSpec[]): void => {
    // Rendering now also validates every spec here, where a bad test fixture is easy to trace.
    courses = list.map((c) => ({ startMs: quirkInstantMs(c.start), json: renderCourse(c) }));
  };
  setCourses(opts.courses ?? []);

  const log = (host: 'cas' | 'edt') => (req: IncomingMessage, url: URL, status: number) => {
    requests.push({ host, method: req.method ?? 'GET', path: url.pathname, query: queryRecord(url.searchParams), status });
  };

  // The edt listener starts first: CAS needs its URL to decide which services it serves.
  let edtUrl = '';
  let casLoginUrl = '';

  const isAuthorizedService = (service: string): boolean => service.startsWith(`${edtUrl}/`);

  const issueTicket = (service: string, user: string): string => {
    ticketSeq += 1;
    const st = `ST-${ticketSeq}-${token(15)}-cas-p`;
    tickets.set(st, { service, user, expiresAt: now().getTime() + SERVICE_TICKET_TTL_MS });
    return st;
  };

  const ticketRedirect = (res: ServerResponse, service: string, user: string, headers: Record<string, string | string[]> = {}): void => {
    const st = issueTicket(service, user);
    redirect(res, `${service}${service.includes('?') ? '&' : '?'}ticket=${st}`, headers);
  };

  const renderForm = (res: ServerResponse, status: number, cookies: Record<string, string>, service: string | null, error?: string): void => {
    const headers: Record<string, string | string[]> = { 'Cache-Control': 'no-store' };
    let jsession = cookies['JSESSIONID'];
    if (!jsession || !casSessions.has(jsession)) {
      jsession = token(24);
      casSessions.add(jsession);
      headers['Set-Cookie'] = `JSESSIONID=${jsession}; Path=/cas; HttpOnly`;
    }
    // Real CAS executions are long base64 strings with '+', '/' and '=': clients must form-encode them.
    const execution = `${randomBytes(16).toString('hex')}_${randomBytes(96).toString('base64')}`;
    const lt = `LT-${ticketSeq + 1}-${token(18)}`;
    executions.set(execution, { jsession, lt });
    const action = service === null ? '/cas/login' : `/cas/login?service=${encodeURIComponent(service)}`;
    sendText(res, status, 'text/html;charset=UTF-8', loginPage(action, execution, lt, error), headers);
  };

  const casHandler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const cookies = parseCookies(req.headers.cookie);
    if (url.pathname === '/cas/logout') {
      if (cookies['TGC']) tgts.delete(cookies['TGC']);
      sendText(res, 200, 'text/html;charset=UTF-8', '<html><body><h2>Déconnexion réussie</h2></body></html>', {
        'Set-Cookie': 'TGC=; Path=/cas/; Max-Age=0; HttpOnly',
      });
      return;
    }
    if (url.pathname !== '/cas/login') {
      sendText(res, 404, 'text/html;charset=UTF-8', '<html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    if (req.method === 'GET') {
      const service = url.searchParams.get('service');
      if (service !== null && !isAuthorizedService(service)) {
        sendText(res, 403, 'text/html;charset=UTF-8', '<html><body><h2>Application Not Authorized to Use CAS</h2></body></html>');
        return;
      }
      const tgtUser = cookies['TGC'] ? tgts.get(cookies['TGC']) : undefined;
      if (opts.casSso && service !== null && tgtUser !== undefined) {
        ticketRedirect(res, service, tgtUser);
        return;
      }
      renderForm(res, 200, cookies, service);
      return;
    }
    if (req.method !== 'POST') {
      sendText(res, 405, 'text/plain', 'Method Not Allowed', { Allow: 'GET, POST' });
      return;
    }
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const service = url.searchParams.get('service') ?? form.get('service');
    if (service !== null && !isAuthorizedService(service)) {
      sendText(res, 403, 'text/html;charset=UTF-8', '<html><body><h2>Application Not Authorized to Use CAS</h2></body></html>');
      return;
    }
    const execution = form.get('execution') ?? '';
    const flow = executions.get(execution);
    // Single use whatever happens next: a replayed form must never log anyone in.
    executions.delete(execution);
    if (!flow || flow.jsession !== cookies['JSESSIONID']) {
      // The webflow cannot resume: it starts a fresh one, i.e. shows the form again (200).
      renderForm(res, 200, cookies, service);
      return;
    }
    if (form.get('lt') !== flow.lt || form.get('_eventId') !== 'submit') {
      // Without `_eventId=submit` (or the form's hidden fields) the flow has no transition: same page again.
      renderForm(res, 200, cookies, service);
      return;
    }
    const username = form.get('username') ?? '';
    const password = form.get('password');
    if (!username || password === null || users[username] !== password) {
      counters.failedLogins += 1;
      // Apereo CAS 5+ re-renders the form with HTTP 401 on an authentication failure.
      renderForm(res, 401, cookies, service, 'Mauvais identifiant / mot de passe.');
      return;
    }
    counters.logins += 1;
    const tgc = `TGT-${ticketSeq + 1}-${token(30)}-cas-p`;
    tgts.set(tgc, username);
    const setTgc = { 'Set-Cookie': `TGC=${tgc}; Path=/cas/; HttpOnly` };
    if (service === null) {
      sendText(res, 200, 'text/html;charset=UTF-8', '<html><body><h2>Connexion réussie</h2></body></html>', setTgc);
      return;
    }
    ticketRedirect(res, service, username, setTgc);
  };

  const edtHandler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const cookies = parseCookies(req.headers.cookie);
    const rawTarget = req.url ?? '/';
    const fullUrl = `${edtUrl}${rawTarget}`;
    const headers: Record<string, string | string[]> = {};
    const setCookies: string[] = [];
    const aspSession = cookies['ASP.NET_SessionId'];
    if (!aspSession || !aspSessions.has(aspSession)) {
      // ASP.NET hands out a session cookie to whoever comes without one.
      const fresh = randomBytes(12).toString('hex').slice(0, 24);
      aspSessions.add(fresh);
      setCookies.push(`ASP.NET_SessionId=${fresh}; path=/; HttpOnly; SameSite=Lax`);
    }
    const withCookies = (): Record<string, string | string[]> => (setCookies.length ? { ...headers, 'Set-Cookie': setCookies } : headers);
    const loginRedirectUrl = (serviceUrl: string): string => `${casLoginUrl}?service=${encodeURIComponent(serviceUrl)}`;

    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) {
      const issued = tickets.get(ticket);
      tickets.delete(ticket);
      const serviceUrl = `${edtUrl}${withoutTicket(rawTarget)}`;
      if (!issued || issued.expiresAt < now().getTime() || !sameService(issued.service, fullUrl)) {
        // DotNetCasClient: validation failed, the request stays anonymous and goes back to CAS.
        redirect(res, loginRedirectUrl(serviceUrl), withCookies());
        return;
      }
      const auth = randomBytes(64).toString('hex').toUpperCase();
      authSessions.set(auth, { user: issued.user, expiresAt: now().getTime() + sessionTtlMs });
      setCookies.push(`_DotNetCasClientAuth=${auth}; path=/; HttpOnly`);
      // Relative Location, as IIS sends it: clients must resolve it against the timetable host.
      redirect(res, withoutTicket(rawTarget), withCookies());
      return;
    }

    const authCookie = cookies['_DotNetCasClientAuth'];
    const session = authCookie ? authSessions.get(authCookie) : undefined;
    const authenticated = session !== undefined && session.expiresAt > now().getTime();
    if (authCookie && session && !authenticated) authSessions.delete(authCookie);

    const known = url.pathname === '/' || url.pathname === '/Home/Index' || url.pathname === '/Home/Get';
    if (!known) {
      sendText(res, 404, 'text/html; charset=utf-8', '<html><body><h1>Server Error in \'/\' Application.</h1><h2>The resource cannot be found.</h2></body></html>', withCookies());
      return;
    }
    if (!authenticated) {
      const loginUrl = loginRedirectUrl(fullUrl);
      if (expiredAnswer === 'redirect') redirect(res, loginUrl, withCookies());
      else sendText(res, 200, 'text/html; charset=utf-8', casRedirectPage(loginUrl), withCookies());
      return;
    }
    if (url.pathname === '/') {
      redirect(res, '/Home/Index', withCookies());
      return;
    }
    if (url.pathname === '/Home/Index') {
      sendText(res, 200, 'text/html; charset=utf-8', kendoPage(), withCookies());
      return;
    }
    const from = parseClientDate(url.searchParams.get('dateDebut'));
    const to = parseClientDate(url.searchParams.get('dateFin'));
    if (from === null || to === null) {
      // The reference: a request without its query makes the timetable server fail with a 500.
      sendText(res, 500, 'text/html; charset=utf-8', '<html><body><h1>Server Error in \'/\' Application.</h1><p>Object reference not set to an instance of an object.</p></body></html>', withCookies());
      return;
    }
    const data = courses.filter((c) => c.startMs >= from && c.startMs <= to).map((c) => structuredClone(c.json));
    counters.homeGets += 1;
    sendJson(res, 200, { Data: data, Total: data.length, AggregateResults: null, Errors: null }, withCookies());
  };

  const latency = (): number => latencyMs;
  const intercept = opts.intercept ? { intercept: opts.intercept } : {};
  const edt: SimServer = await startServer(edtHandler, { onFinish: log('edt'), latencyMs: latency, ...intercept });
  let cas: SimServer;
  try {
    cas = await startServer(casHandler, { onFinish: log('cas'), latencyMs: latency, ...intercept });
  } catch (err) {
    await edt.close();
    throw err;
  }
  edtUrl = edt.url;
  casLoginUrl = `${cas.url}/cas/login`;

  return {
    casUrl: casLoginUrl,
    url: edtUrl,
    setCourses,
    setPassword: (user, password) => {
      users[user] = password;
    },
    expireSessions: () => authSessions.clear(),
    setExpiredAnswer: (answer) => {
      expiredAnswer = answer;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    requests,
    resetLog: () => {
      requests.length = 0;
    },
    stats: () => ({ ...counters }),
    close: async () => {
      await Promise.all([cas.close(), edt.close()]);
    },
  };
}
