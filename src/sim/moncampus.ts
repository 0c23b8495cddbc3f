/**
 * A local MonCampus: an Apereo-CAS-like login server and a Wigor-Services-like timetable host, on two
 * ports, behaving as /work/shared/reference/moncampus.md describes (login flow, `/Home/Get`, session
 * expiry, the time-zone quirk). It follows that document, not our client: where the document is
 * silent, the choice made here is the stricter plausible one and is said in a comment.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DateTime } from 'luxon';
import type { Clock } from '../lib/clock.js';
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
  /**
   * 'aspnet' renders Start/End as '/Date(ms)/'; 'space' as the wall clock `YYYY-MM-DD HH:MM:SS`
   * (reference/moncampus.md, "Facts found in 2026", Dates: a space instead of `T`).
   */
  dateFormat?: 'iso' | 'aspnet' | 'space';
}

export interface MonCampusSimOptions {
  /** username → password. */
  users?: Record<string, string>;
  courses?: SimCourseSpec[];
  /** Added before every response of both hosts. */
  latencyMs?: number;
  /** Whose timer `latencyMs` waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
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
  /**
   * Course Teams links as per-student Wigor redirects: `{edt}/Home/LienTeams?IdCours=<id>&Tel=<login>&Hash=<hash>`,
   * answering 302 to the real Teams link (reference/moncampus.md, "Facts found in 2026", Privacy: links "have
   * been per-student Wigor redirects carrying `Tel=<login>` and a per-user hash"). The path and the other
   * parameter names are not given there; these are the simulator's.
   */
  personalTeamsLinks?: boolean;
  /** username → the notice CAS shows after that user's correct password (see setNotice). */
  notices?: Record<string, CasNotice>;
  /** Chaos tests: injected 429/5xx, dropped connections and kill points during login and fetch (http-util's SimIntercept). */
  intercept?: SimIntercept;
  /**
   * The CAS login URL the timetable host sends a visitor without a session to (`…/login?service=…`). By default
   * this simulator's own CAS: the real timetable host redirects an anonymous visitor to its school's CAS, and that
   * "first redirect to a `…/login` URL gives the CAS base and path" (reference/moncampus.md, "Facts found in 2026",
   * Which CAS). Tests point it at another server to see that a client under a host policy refuses to follow.
   */
  casRedirect?: string;
}

/**
 * What CAS 6+ may show after a correct password instead of redirecting back (reference/moncampus.md, "Facts
 * found in 2026"): an interrupt view with "continue" (`interrupt`), a "password expires soon" warning with
 * "continue" (`expiring`), a blocking interrupt without one (`blocked`), a "you must change your password"
 * form (`mustChange`). Shapes after Apereo CAS's views; the webflow event to go on is `proceed`.
 */
export type CasNotice = 'interrupt' | 'expiring' | 'blocked' | 'mustChange';

export interface SimRequest {
  host: 'cas' | 'edt';
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface MonCampusSim {
  /**
   * 'http://127.0.0.1:<casPort>/sso/cas/login': another host than the timetable's, and not the `/cas/login`
   * path of cas-p, so a client must discover it (reference/moncampus.md, "Facts found in 2026", Which CAS:
   * the groups have split their CAS servers). The timetable host sends anonymous visitors there.
   */
  casUrl: string;
  /** Timetable host base, 'http://127.0.0.1:<edtPort>' (no trailing slash). */
  url: string;
  setCourses(courses: SimCourseSpec[]): void;
  setPassword(user: string, password: string): void;
  /** The notice shown after `user`'s next correct passwords; null for none. */
  setNotice(user: string, notice: CasNotice | null): void;
  /** Every existing timetable session becomes invalid (CAS tickets and TGCs are kept). */
  expireSessions(): void;
  /**
   * Every session half-expires: the forms cookie stays valid but the ASP.NET session is gone, and
   * `/Home/Get` answers 200 with an empty `Data` until the next login (reference/moncampus.md, "Facts found
   * in 2026", "A session that half-expires").
   */
  halfExpireSessions(): void;
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
/** Where the simulated CAS lives on its host: deliberately not cas-p's `/cas` (see MonCampusSim.casUrl). */
const CAS_BASE = '/sso/cas';
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
export function renderQuirkDate(wallClock: string, format: 'iso' | 'aspnet' | 'space' = 'iso'): string {
  const ms = quirkInstantMs(wallClock);
  if (format === 'aspnet') return `/Date(${ms})/`;
  // No offset at all: the wall clock as written (the page runs in Etc/UTC, so it is the quirk's UTC clock too).
  if (format === 'space') return `${wallClock.replace('T', ' ')}:00`;
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
  const errorBlock = error ? `<div id="loginErrorsPanel" class="alert alert-danger banner banner-danger"><p>${escapeHtml(error)}</p></div>` : '';
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

function noticePage(notice: CasNotice, action: string, execution: string): string {
  const head = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="UTF-8"/><title>${notice === 'mustChange' ? 'Changement de mot de passe' : 'CAS – Information'}</title></head>
<body id="cas"><main class="container">`;
  const tail = '</main></body></html>';
  const exec = `<input type="hidden" name="execution" value="${escapeHtml(execution)}"/>`;
  switch (notice) {
    case 'interrupt':
      // casInterruptView: the message, links, and a "continue" button carrying the event.
      return `${head}<h2>Information</h2><p>Nouvelle charte informatique : merci d'en prendre connaissance.</p>
<a href="https://moncampus.example/charte">Lire la charte</a>
<form method="post" id="fm1" action="${escapeHtml(action)}">${exec}
<button class="btn btn-primary" type="submit" name="_eventId" value="proceed">Continuer</button></form>${tail}`;
    case 'expiring':
      // casWarnPasswordExpiringView-like: the event is a hidden field, the button plain.
      return `${head}<h2>Votre mot de passe expire dans 5 jours</h2>
<form method="post" id="fm1" action="${escapeHtml(action)}">${exec}<input type="hidden" name="_eventId" value="proceed"/>
<input class="btn" type="submit" value="Continuer"/></form>
<a href="https://moncampus.example/password">Changer mon mot de passe</a>${tail}`;
    case 'blocked':
      return `${head}<h2>Accès suspendu</h2><p>Merci de valider vos informations personnelles sur MonCampus.</p>
<a href="https://moncampus.example/profil">Mettre à jour</a>${tail}`;
    case 'mustChange':
      // casMustChangePassView: a password form, but not a login form (no user name).
      return `${head}<h2>Vous devez changer votre mot de passe</h2>
<form method="post" id="fm1" action="${escapeHtml(action)}">
<input type="password" id="password" name="password"/><input type="password" id="confirmedPassword" name="confirmedPassword"/>
${exec}<input type="hidden" name="_eventId" value="submit"/><input type="submit" value="Changer"/></form>${tail}`;
  }
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
type RenderedCourse = { startMs: number; json: MonCampusCourse; teamsUrl: string | null };

/** Both hosts' state: accounts and courses, CAS flows and tickets, timetable-host sessions, the request log. */
interface MonCampusState {
  opts: MonCampusSimOptions;
  users: Record<string, string>;
  /** Rendered once per setCourses: luxon's zone maths is slow enough to skew a benchmark if done per request. */
  courses: RenderedCourse[];
  linkHash(user: string, id: number): string;
  now(): Date;
  sessionTtlMs: number;
  expiredAnswer: 'redirect' | 'html';
  latencyMs: number;
  requests: SimRequest[];
  counters: { logins: number; failedLogins: number; homeGets: number };
  /** JSESSIONID values. */
  casSessions: Set<string>;
  executions: Map<string, { jsession: string; lt: string }>;
  /** TGC → user. */
  tgts: Map<string, string>;
  tickets: Map<string, { service: string; user: string; expiresAt: number }>;
  notices: Map<string, CasNotice>;
  /** Notice pages waiting for "continue": execution → who logged in, for which service, in which CAS session. */
  pendingNotices: Map<string, { jsession: string; user: string; service: string | null }>;
  ticketSeq: number;
  /** _DotNetCasClientAuth → session, with the ASP.NET session it was opened in (the one holding the timetable). */
  authSessions: Map<string, { user: string; expiresAt: number; aspSession: string }>;
  aspSessions: Set<string>;
  /** The edt listener starts first: CAS needs its URL to decide which services it serves. */
  edtUrl: string;
  casLoginUrl: string;
}

function newMonCampusState(opts: MonCampusSimOptions): MonCampusState {
  // Per simulator run: a hash an outsider cannot forge without it, like the real per-user hash.
  const linkSalt = token(16);
  return {
    opts,
    users: { ...(opts.users ?? DEFAULT_USERS) },
    courses: [],
    linkHash: (user, id) => createHash('sha256').update(`${linkSalt}:${user}:${id}`).digest('hex').slice(0, 32),
    now: opts.now ?? (() => new Date()),
    sessionTtlMs: opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    expiredAnswer: opts.expiredAnswer ?? 'redirect',
    latencyMs: opts.latencyMs ?? 0,
    requests: [],
    counters: { logins: 0, failedLogins: 0, homeGets: 0 },
    casSessions: new Set(),
    executions: new Map(),
    tgts: new Map(),
    tickets: new Map(),
    notices: new Map(Object.entries(opts.notices ?? {})),
    pendingNotices: new Map(),
    ticketSeq: 0,
    authSessions: new Map(),
    aspSessions: new Set(),
    edtUrl: '',
    casLoginUrl: '',
  };
}

function setCourses(s: MonCampusState, list: SimCourseSpec[]): void {
  // Rendering now also validates every spec here, where a bad test fixture is easy to trace.
  s.courses = list.map((c) => ({ startMs: quirkInstantMs(c.start), json: renderCourse(c), teamsUrl: c.teamsUrl ?? null }));
}

interface CasFlow {
  isAuthorizedService(service: string): boolean;
  ticketRedirect(res: ServerResponse, service: string, user: string, headers?: Record<string, string | string[]>): void;
  loginAction(service: string | null): string;
  loggedIn(res: ServerResponse, username: string, service: string | null): void;
  renderForm(res: ServerResponse, status: number, cookies: Record<string, string>, service: string | null, error?: string): void;
}

/** The CAS pieces the login handler composes: service check, tickets, the TGC, the login form. */
function casFlow(s: MonCampusState): CasFlow {
  const { now, casSessions, executions, tgts, tickets } = s;

  const isAuthorizedService = (service: string): boolean => service.startsWith(`${s.edtUrl}/`);

  const issueTicket = (service: string, user: string): string => {
    s.ticketSeq += 1;
    const st = `ST-${s.ticketSeq}-${token(15)}-cas-p`;
    tickets.set(st, { service, user, expiresAt: now().getTime() + SERVICE_TICKET_TTL_MS });
    return st;
  };

  const ticketRedirect = (res: ServerResponse, service: string, user: string, headers: Record<string, string | string[]> = {}): void => {
    const st = issueTicket(service, user);
    redirect(res, `${service}${service.includes('?') ? '&' : '?'}ticket=${st}`, headers);
  };

  const loginAction = (service: string | null): string => (service === null ? `${CAS_BASE}/login` : `${CAS_BASE}/login?service=${encodeURIComponent(service)}`);

  /** A correct password: the TGC, then straight back to the service (or a "logged in" page without one). */
  const loggedIn = (res: ServerResponse, username: string, service: string | null): void => {
    const tgc = `TGT-${s.ticketSeq + 1}-${token(30)}-cas-p`;
    tgts.set(tgc, username);
    const setTgc = { 'Set-Cookie': `TGC=${tgc}; Path=${CAS_BASE}/; HttpOnly` };
    if (service === null) {
      sendText(res, 200, 'text/html;charset=UTF-8', '<html><body><h2>Connexion réussie</h2></body></html>', setTgc);
      return;
    }
    ticketRedirect(res, service, username, setTgc);
  };

  const renderForm = (res: ServerResponse, status: number, cookies: Record<string, string>, service: string | null, error?: string): void => {
    const headers: Record<string, string | string[]> = { 'Cache-Control': 'no-store' };
    let jsession = cookies.JSESSIONID;
    if (!jsession || !casSessions.has(jsession)) {
      jsession = token(24);
      casSessions.add(jsession);
      headers['Set-Cookie'] = `JSESSIONID=${jsession}; Path=${CAS_BASE}; HttpOnly`;
    }
    // Real CAS executions are long base64 strings with '+', '/' and '=': clients must form-encode them.
    const execution = `${randomBytes(16).toString('hex')}_${randomBytes(96).toString('base64')}`;
    const lt = `LT-${s.ticketSeq + 1}-${token(18)}`;
    executions.set(execution, { jsession, lt });
    const action = loginAction(service);
    sendText(res, status, 'text/html;charset=UTF-8', loginPage(action, execution, lt, error), headers);
  };

  return { isAuthorizedService, ticketRedirect, loginAction, loggedIn, renderForm };
}

/** The CAS host: `/cas/login` (form, SSO, notices, tickets) and `/cas/logout`. */
function casHandler(s: MonCampusState, flow: CasFlow): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { opts, users, counters, executions, tgts, notices, pendingNotices } = s;
  const { isAuthorizedService, ticketRedirect, loginAction, loggedIn, renderForm } = flow;

  const casHandler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const cookies = parseCookies(req.headers.cookie);
    if (url.pathname === `${CAS_BASE}/logout`) {
      if (cookies.TGC) tgts.delete(cookies.TGC);
      sendText(res, 200, 'text/html;charset=UTF-8', '<html><body><h2>Déconnexion réussie</h2></body></html>', {
        'Set-Cookie': `TGC=; Path=${CAS_BASE}/; Max-Age=0; HttpOnly`,
      });
      return;
    }
    if (url.pathname !== `${CAS_BASE}/login`) {
      sendText(res, 404, 'text/html;charset=UTF-8', '<html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    if (req.method === 'GET') {
      const service = url.searchParams.get('service');
      if (service !== null && !isAuthorizedService(service)) {
        sendText(res, 403, 'text/html;charset=UTF-8', '<html><body><h2>Application Not Authorized to Use CAS</h2></body></html>');
        return;
      }
      const tgtUser = cookies.TGC ? tgts.get(cookies.TGC) : undefined;
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
    const pending = pendingNotices.get(execution);
    if (pending) {
      pendingNotices.delete(execution);
      if (pending.jsession === cookies.JSESSIONID && form.get('_eventId') === 'proceed') {
        loggedIn(res, pending.user, pending.service);
        return;
      }
      renderForm(res, 200, cookies, service);
      return;
    }
    const flow = executions.get(execution);
    // Single use whatever happens next: a replayed form must never log anyone in.
    executions.delete(execution);
    if (!flow || flow.jsession !== cookies.JSESSIONID) {
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
    const notice = notices.get(username);
    if (notice) {
      // CAS 6 shows the notice in the same webflow (200, same URL); only `interrupt`/`expiring` offer "continue".
      const next = `${randomBytes(16).toString('hex')}_${randomBytes(48).toString('base64')}`;
      if (notice === 'interrupt' || notice === 'expiring') pendingNotices.set(next, { jsession: flow.jsession, user: username, service });
      sendText(res, 200, 'text/html;charset=UTF-8', noticePage(notice, loginAction(service), next), { 'Cache-Control': 'no-store' });
      return;
    }
    loggedIn(res, username, service);
  };

  return casHandler;
}

/** The timetable host: ticket validation, sessions (forms cookie and ASP.NET), `/Home/Index`, `/Home/Get`, Teams links. */
function edtHandler(s: MonCampusState): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { opts, linkHash, now, sessionTtlMs, counters, tickets, authSessions, aspSessions } = s;

  const edtHandler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const cookies = parseCookies(req.headers.cookie);
    const rawTarget = req.url ?? '/';
    const fullUrl = `${s.edtUrl}${rawTarget}`;
    const headers: Record<string, string | string[]> = {};
    const setCookies: string[] = [];
    let aspSession = cookies['ASP.NET_SessionId'];
    if (!aspSession || !aspSessions.has(aspSession)) {
      // ASP.NET hands out a session cookie to whoever comes without one.
      const fresh = randomBytes(12).toString('hex').slice(0, 24);
      aspSessions.add(fresh);
      setCookies.push(`ASP.NET_SessionId=${fresh}; path=/; HttpOnly; SameSite=Lax`);
      aspSession = fresh;
    }
    const withCookies = (): Record<string, string | string[]> => (setCookies.length ? { ...headers, 'Set-Cookie': setCookies } : headers);
    const loginRedirectUrl = (serviceUrl: string): string => `${opts.casRedirect ?? s.casLoginUrl}?service=${encodeURIComponent(serviceUrl)}`;

    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) {
      const issued = tickets.get(ticket);
      tickets.delete(ticket);
      const serviceUrl = `${s.edtUrl}${withoutTicket(rawTarget)}`;
      if (!issued || issued.expiresAt < now().getTime() || !sameService(issued.service, fullUrl)) {
        // DotNetCasClient: validation failed, the request stays anonymous and goes back to CAS.
        redirect(res, loginRedirectUrl(serviceUrl), withCookies());
        return;
      }
      const auth = randomBytes(64).toString('hex').toUpperCase();
      authSessions.set(auth, { user: issued.user, expiresAt: now().getTime() + sessionTtlMs, aspSession });
      setCookies.push(`_DotNetCasClientAuth=${auth}; path=/; HttpOnly`);
      // Relative Location, as IIS sends it: clients must resolve it against the timetable host.
      redirect(res, withoutTicket(rawTarget), withCookies());
      return;
    }

    const authCookie = cookies._DotNetCasClientAuth;
    const session = authCookie ? authSessions.get(authCookie) : undefined;
    const authenticated = session !== undefined && session.expiresAt > now().getTime();
    if (authCookie && session && !authenticated) authSessions.delete(authCookie);

    if (url.pathname === '/Home/LienTeams' && opts.personalTeamsLinks) {
      // The link itself is the credential (Tel + hash): it works from a calendar, without a session.
      const id = Number(url.searchParams.get('IdCours'));
      const user = url.searchParams.get('Tel') ?? '';
      const target = s.courses.find((c) => c.json.NoCours === id)?.teamsUrl;
      if (target && url.searchParams.get('Hash') === linkHash(user, id)) redirect(res, target, withCookies());
      else sendText(res, 404, 'text/html; charset=utf-8', '<html><body><h1>Lien invalide</h1></body></html>', withCookies());
      return;
    }
    const known = url.pathname === '/' || url.pathname === '/Home/Index' || url.pathname === '/Home/Get';
    if (!known) {
      sendText(
        res,
        404,
        'text/html; charset=utf-8',
        "<html><body><h1>Server Error in '/' Application.</h1><h2>The resource cannot be found.</h2></body></html>",
        withCookies(),
      );
      return;
    }
    if (!authenticated) {
      const loginUrl = loginRedirectUrl(fullUrl);
      if (s.expiredAnswer === 'redirect') redirect(res, loginUrl, withCookies());
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
      sendText(
        res,
        500,
        'text/html; charset=utf-8',
        "<html><body><h1>Server Error in '/' Application.</h1><p>Object reference not set to an instance of an object.</p></body></html>",
        withCookies(),
      );
      return;
    }
    // Forms cookie valid, ASP.NET session lost: the server knows who it is but not their timetable.
    const halfExpired = session.aspSession !== aspSession;
    const personal = (c: (typeof s.courses)[number]): MonCampusCourse => {
      const json = structuredClone(c.json);
      if (opts.personalTeamsLinks && c.teamsUrl) {
        const link = `${s.edtUrl}/Home/LienTeams?IdCours=${json.NoCours}&Tel=${encodeURIComponent(session.user)}&Hash=${linkHash(session.user, json.NoCours)}`;
        json.TeamsUrl = teamsFragment(link.replace(/&/g, '&amp;'));
      }
      return json;
    };
    const data = halfExpired ? [] : s.courses.filter((c) => c.startMs >= from && c.startMs <= to).map(personal);
    counters.homeGets += 1;
    sendJson(res, 200, { Data: data, Total: data.length, AggregateResults: null, Errors: null }, withCookies());
  };

  return edtHandler;
}

function monCampusHandle(s: MonCampusState, cas: SimServer, edt: SimServer): MonCampusSim {
  const { users, requests, notices, authSessions, aspSessions, counters } = s;
  return {
    casUrl: s.casLoginUrl,
    url: s.edtUrl,
    setCourses: (list) => setCourses(s, list),
    setPassword: (user, password) => {
      users[user] = password;
    },
    setNotice: (user, notice) => {
      if (notice) notices.set(user, notice);
      else notices.delete(user);
    },
    expireSessions: () => authSessions.clear(),
    halfExpireSessions: () => aspSessions.clear(),
    setExpiredAnswer: (answer) => {
      s.expiredAnswer = answer;
    },
    setLatency: (ms) => {
      s.latencyMs = ms;
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

export async function startMonCampusSim(opts: MonCampusSimOptions = {}): Promise<MonCampusSim> {
  const s = newMonCampusState(opts);
  setCourses(s, opts.courses ?? []);
  const log = (host: 'cas' | 'edt') => (req: IncomingMessage, url: URL, status: number) => {
    s.requests.push({ host, method: req.method ?? 'GET', path: url.pathname, query: queryRecord(url.searchParams), status });
  };
  const latency = (): number => s.latencyMs;
  // Both hosts share the chaos interceptor and the latency's clock.
  const shared = { ...(opts.intercept ? { intercept: opts.intercept } : {}), ...(opts.clock ? { clock: opts.clock } : {}) };
  const edt: SimServer = await startServer(edtHandler(s), { onFinish: log('edt'), latencyMs: latency, ...shared });
  let cas: SimServer;
  try {
    cas = await startServer(casHandler(s, casFlow(s)), { onFinish: log('cas'), latencyMs: latency, ...shared });
  } catch (err) {
    await edt.close();
    throw err;
  }
  s.edtUrl = edt.url;
  s.casLoginUrl = `${cas.url}${CAS_BASE}/login`;
  return monCampusHandle(s, cas, edt);
}
