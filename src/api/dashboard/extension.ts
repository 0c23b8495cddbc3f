import type { IncomingHttpHeaders } from 'node:http';
import { isValidInstanceName } from '../../config/index.js';
import { describeError, translator, type Locale } from '../../lib/index.js';
import { createBudget, retryAfterHeaders } from '../budget.js';
import { registerAssetRoutes } from '../openapi.js';
import { pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import type { ApiExtension, ApiExtensionContext } from '../server.js';
import {
  cameOverHttps,
  clearedSessionCookie,
  createSessions,
  csrfAllows,
  identify,
  parseCookies,
  requestOrigin,
  SESSION_COOKIE,
  sessionCookie,
  type Caller,
  type Sessions,
} from './auth.js';
import { registerOwnerDelete, type InstanceManager } from '../self/index.js';
import { createConfigSource } from './configs.js';
import { DASHBOARD_DOCS } from './docs.js';
import { ACTIONS, actionsFor, renderDashboardPage, renderFragments, renderLoginPage, type ActionName } from './render.js';
import { buildDashboardState, type InstanceView } from './state.js';

/** What a button did, as the card shows it: one line, and a few more (one per channel, say). */
export interface ActionResult {
  ok: boolean;
  message: string;
  details?: string[];
}

/**
 * The three buttons. The CLI layer implements them (src/cli/dashboard-actions.ts); api/ only calls them. `locale`
 * is the page's language (api/lang.ts): the result is shown there.
 */
export interface DashboardActions {
  /** One sync now, alongside the worker (the run lock keeps them from overlapping). */
  runNow(name: string, locale: Locale): Promise<ActionResult>;
  /** The worker restarted by the running supervisor. */
  restart(name: string, locale: Locale): Promise<ActionResult>;
  /** One test message per notification channel. */
  testNotification(name: string, locale: Locale): Promise<ActionResult>;
}

export interface DashboardOptions {
  actions: DashboardActions;
  /** Delete (issue 23): the confirmation page and its form at /dashboard/delete/{name} (api/self/owner-delete.ts). */
  manager?: InstanceManager;
  /** For `${VAR}` in configs while reading them (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The login cookies' HMAC secret; random per process by default (tests pin it). */
  sessionSecret?: Buffer;
  sessionMaxAgeS?: number;
  /** The login's sessions, when another page shares the login (the guided form, api/onboard); made here otherwise. */
  sessions?: Sessions;
}

export const STATE_PATH = '/dashboard/state.json';
/**
 * Wrong keys at the login form: a few typos per client, then 429 until the oldest leaves the window (the wait grows
 * with each further try); and a total for all clients, so guessing from many addresses stops too. A key is 256 bits:
 * these only stop an attacker from wasting the Pi's time and filling the log. The API's x-api-key header is not
 * throttled by them, so the owner keeps a way in while the form is locked.
 */
export const LOGIN_FAILURES = { perClient: 5, total: 50, windowMs: 15 * 60_000 } as const;

/**
 * Only this site's own script and styles, no inline script, no framing; the SVG plot is inline markup styled by
 * classes, so nothing needs 'unsafe-inline'. Form posts go back here (login, logout).
 */
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

const html = (status: number, body: string, extra: Record<string, string> = {}): ApiResponse => ({ status, headers: { ...HTML_HEADERS, ...extra }, body });
const json = (status: number, value: unknown): ApiResponse => ({ status, headers: { 'cache-control': 'no-store' }, json: value });

const ACTION_CALL: Record<ActionName, (a: DashboardActions, name: string, locale: Locale) => Promise<ActionResult>> = {
  run: (a, n, l) => a.runNow(n, l),
  restart: (a, n, l) => a.restart(n, l),
  'test-notification': (a, n, l) => a.testNotification(n, l),
};

/** The key from a login form (urlencoded, as the page posts it) or a JSON body. */
function presentedKey(req: ApiRequest): string | undefined {
  const text = req.body?.toString('utf8') ?? '';
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(text) as { key?: unknown };
      return typeof parsed.key === 'string' ? parsed.key.trim() : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(text).get('key')?.trim();
}

const secureCookie = (headers: IncomingHttpHeaders): boolean => cameOverHttps(headers);

/** Why an instance has no such button, or null when it has it. */
/** Why a button cannot act on this instance (`dashboard.refusals.*`, in the page's language), or null. */
function unavailable(i: InstanceView, action: ActionName, t: ReturnType<typeof translator>): string | null {
  if (actionsFor(i).includes(action)) return null;
  if (i.state === 'invalid') return t('dashboard.refusals.invalid', { name: i.name });
  if (action === 'run') return t('dashboard.refusals.noTimetable', { name: i.name });
  if (action === 'test-notification') return t('dashboard.refusals.noChannel', { name: i.name });
  return t('dashboard.refusals.notAvailable', { name: i.name });
}

/**
 * The dashboard at `/`: behind an API key (x-api-key) or the login cookie set from one. Registers
 * GET / (the page, or the login form), POST /login, POST /logout, GET /dashboard/state.json (polled by the
 * page), its two static files, and POST /dashboard/instances/{name}/{run|restart|test-notification}.
 */
export function dashboardExtension(opts: DashboardOptions): ApiExtension {
  return (ctx: ApiExtensionContext) => {
    const { router, clock } = ctx;
    const sessions =
      opts.sessions ??
      createSessions({
        ...(opts.sessionSecret ? { secret: opts.sessionSecret } : {}),
        ...(opts.sessionMaxAgeS !== undefined ? { maxAgeS: opts.sessionMaxAgeS } : {}),
      });
    const configs = createConfigSource(ctx.configDir, opts.env ? { env: opts.env } : {});
    const who = (req: ApiRequest): Caller => identify(req.headers, { keyMatches: ctx.keyMatches, sessions, now: clock.now() });
    const state = () => buildDashboardState({ store: ctx.store, dataDir: ctx.dataDir, clock, configs });
    /** An action per instance and button at a time: a second click while one runs is told so, not queued. */
    const running = new Set<string>();
    const loginFailures = createBudget({ ...LOGIN_FAILURES, clock });

    router.get(
      '/',
      async (req) => {
        // The page's language: the switch (?lang=, kept in a cookie), else the browser's, else French.
        const { locale, setCookie } = pageLocale(req.headers, req.query);
        const keep: Record<string, string> = setCookie ? { 'set-cookie': setCookie } : {};
        if (!who(req)) return html(401, renderLoginPage({ locale }), keep);
        return html(200, renderDashboardPage(await state(), locale), keep);
      },
      DASHBOARD_DOCS.page,
    );

    router.post(
      '/login',
      async (req) => {
        const { locale } = pageLocale(req.headers);
        const t = translator(locale);
        if (requestOrigin(req.headers) === 'cross') return html(403, renderLoginPage({ error: t('login.crossSite'), locale }));
        // Spent before the check, given back on success: concurrent guesses cannot all pass a check of the count.
        const spend = loginFailures.take(req.client);
        if (!spend.ok) {
          return html(429, renderLoginPage({ error: t('login.tooMany', { minutes: Math.ceil(spend.retryAfterS / 60) }), locale }), retryAfterHeaders(spend));
        }
        const key = presentedKey(req);
        if (!key || !ctx.keyMatches(key)) {
          return html(401, renderLoginPage({ error: t(key ? 'login.wrongKey' : 'login.enterKey'), locale }));
        }
        loginFailures.refund(req.client);
        const cookie = sessionCookie(sessions.issue(key, clock.now()), {
          secure: secureCookie(req.headers),
          ...(opts.sessionMaxAgeS !== undefined ? { maxAgeS: opts.sessionMaxAgeS } : {}),
        });
        return { status: 303, headers: { location: '/', 'set-cookie': cookie, 'cache-control': 'no-store' }, body: '' };
      },
      DASHBOARD_DOCS.login,
    );

    router.post(
      '/logout',
      async (req) => {
        // A browser shows this answer to a person: in the page's language.
        if (requestOrigin(req.headers) === 'cross')
          return json(403, { error: translator(pageLocale(req.headers).locale)('dashboard.refusals.logoutCrossSite') });
        // Revoked on the server: the old cookie opens nothing any more, even if it was copied before the logout.
        sessions.revoke(parseCookies(typeof req.headers.cookie === 'string' ? req.headers.cookie : undefined)[SESSION_COOKIE]);
        return {
          status: 303,
          headers: { location: '/', 'set-cookie': clearedSessionCookie({ secure: secureCookie(req.headers) }), 'cache-control': 'no-store' },
          body: '',
        };
      },
      DASHBOARD_DOCS.logout,
    );

    router.get(
      STATE_PATH,
      async (req) => {
        if (!who(req)) return json(401, { error: 'log in first (or send the x-api-key header)' });
        const s = await state();
        return json(200, { ...s, html: renderFragments(s, pageLocale(req.headers).locale) });
      },
      DASHBOARD_DOCS.state,
    );

    registerAssetRoutes(router, 'dashboard');

    if (opts.manager) {
      registerOwnerDelete(router, {
        manager: opts.manager,
        logger: ctx.logger,
        loggedIn: (req) => who(req) !== null,
        sameSite: (req) => csrfAllows(who(req), req.headers),
        instances: async () => (await configs()).entries.map((e) => ({ name: e.name, ecal: 'config' in e && e.config.ecal !== undefined })),
      });
    }

    router.post(
      '/dashboard/instances/:name/:action',
      async (req) => {
        // Every answer's message is shown on the page: in its language (the status says what happened to machines).
        const { locale } = pageLocale(req.headers);
        const t = translator(locale);
        const caller = who(req);
        if (!caller) return json(401, { ok: false, message: t('dashboard.refusals.logIn') });
        if (!csrfAllows(caller, req.headers)) return json(403, { ok: false, message: t('dashboard.refusals.crossSite') });
        const name = req.params.name as string;
        const action = req.params.action as string;
        if (!Object.hasOwn(ACTIONS, action))
          return json(404, { ok: false, message: t('dashboard.refusals.unknownAction', { action: JSON.stringify(action) }) });
        const act = action as ActionName;
        if (!isValidInstanceName(name)) return json(404, { ok: false, message: t('dashboard.refusals.noInstance') });
        const current = (await state()).instances.find((i) => i.name === name);
        if (!current) return json(404, { ok: false, message: t('dashboard.refusals.noInstance') });
        const why = unavailable(current, act, t);
        if (why) return json(409, { ok: false, message: why });
        const slot = `${name}/${act}`;
        const label = t(ACTIONS[act].label);
        if (running.has(slot)) return json(409, { ok: false, message: t('dashboard.actionBusy', { label, name }) });
        running.add(slot);
        const { redact } = await configs();
        try {
          const result = await ACTION_CALL[act](opts.actions, name, locale);
          // Children print redacted messages already; the secrets of today's configs go once more.
          return json(200, { ok: result.ok, message: redact(result.message), details: (result.details ?? []).map(redact) });
        } catch (err) {
          ctx.logger.error(`dashboard ${act} ${name} failed: ${describeError(err)}`);
          return json(500, { ok: false, message: redact(t('dashboard.actionFailed', { label, error: describeError(err) })) });
        } finally {
          running.delete(slot);
        }
      },
      DASHBOARD_DOCS.action,
    );
  };
}
