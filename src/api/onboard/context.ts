import { inviteePolicy, inviteeTimetableUrl, isSchoolGroup, OWNER_POLICY, serviceDefaults, type HostPolicy, type SchoolGroup } from '../../config/index.js';
import { checkInvitation } from '../../invite/index.js';
import { translator, type Locale } from '../../lib/index.js';
import { createBudget, retryAfterHeaders, type Budget } from '../budget.js';
import type { Sessions } from '../dashboard/auth.js';
import { createConfigSource, type LoadedConfigs } from '../dashboard/configs.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import type { ApiExtensionContext } from '../server.js';
import type { OnboardChecks } from './checks.js';
import { formBodySchema, type FormBody, type Role } from './form.js';
import { createGuard, type Guard } from './guard.js';

/** What the guided form's routes share (issue 23): options, budgets, the caller's identity, the service addresses. */

/**
 * What an invitation's public surface may cost, per client (peer address) and in all, like the booking page's
 * PUBLIC_LIMITS. A classmate checks a few times and saves once; past these it is a script. Each check is a real
 * login at MonCampus or ECAL on the owner's server, so they are counted tightest.
 */
export interface OnboardLimits {
  checksPerClientPerHour: number;
  checksPerHour: number;
  savesPerClientPerHour: number;
  savesPerHour: number;
  /** Invitation pages opened with a token that opens nothing: guessing, however hopeless at 256 bits, stops here. */
  badTokensPerClientPer15Min: number;
  badTokensPer15Min: number;
  pollsPerClientPerMinute: number;
}

export const ONBOARD_LIMITS: OnboardLimits = {
  checksPerClientPerHour: 30,
  checksPerHour: 300,
  savesPerClientPerHour: 5,
  savesPerHour: 30,
  badTokensPerClientPer15Min: 10,
  badTokensPer15Min: 100,
  pollsPerClientPerMinute: 120,
};

export interface OnboardOptions {
  checks: OnboardChecks;
  /** The dashboard's sessions (one login for both: serve.ts makes them once). */
  sessions: Sessions;
  /** For `${VAR}` and the service overrides (CAMPUS_SYNC_MONCAMPUS_URL, _CAS_URL, _ECAL_URL); default process.env. */
  env?: NodeJS.ProcessEnv;
  limits?: Partial<OnboardLimits>;
  /** More origins the OWNER lets an invitee's checks reach (tests: the notification simulators). Never from a form. */
  ownerOrigins?: readonly string[];
  /** The public address for links (PUBLIC_URL); else the request's own Host. */
  publicUrl?: string;
}

/** What the routes share. */
export interface OnboardContext {
  ctx: ApiExtensionContext;
  opts: OnboardOptions;
  env: NodeJS.ProcessEnv;
  guard: Guard;
  budgets: { checks: Budget; saves: Budget; badTokens: Budget; polls: Budget };
  /** Who posts: the owner or a live invitation's holder, or the answer refusing them. */
  visitor(req: ApiRequest, body: FormBody, locale: Locale): Promise<Visitor | { response: ApiResponse }>;
  /** The timetable URL a check of this school contacts (the owner's override if set, else the group's host). */
  timetableFor(school: SchoolGroup): string;
  /** The configured ECAL (CAMPUS_SYNC_ECAL_URL or ECAL's own). */
  ecalUrl: string;
  baseUrl(req: ApiRequest): string;
  /** The configs as the dashboard reads them (cached briefly), for the progress of a new one. */
  configs: () => Promise<LoadedConfigs>;
}

export interface Visitor {
  role: Role;
  /** The invitation's token (invitee). */
  invite?: string;
  policy(school: SchoolGroup): HostPolicy;
}

const MINUTE = 60_000;

export const json = (status: number, value: unknown, extra: Record<string, string> = {}): ApiResponse => ({
  status,
  json: value,
  headers: { 'cache-control': 'no-store', ...extra },
});

/** Parses the JSON body with the form's schema; a form post with another content type is refused (no cross-site forms). */
export function parseBody(req: ApiRequest, locale: Locale): { body: FormBody } | { response: ApiResponse } {
  const t = translator(locale);
  if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return { response: json(415, { error: t('onboard.errors.json') }) };
  let raw: unknown;
  try {
    raw = JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    return { response: json(400, { error: t('onboard.errors.json') }) };
  }
  const parsed = formBodySchema.safeParse(raw);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), t('onboard.errors.shape')]));
    return { response: json(400, { error: t('onboard.errors.checkFields'), fields }) };
  }
  return { body: parsed.data };
}

export function tooMany(retryAfterS: number, locale: Locale): ApiResponse {
  return json(429, { error: translator(locale)('onboard.errors.tooMany', { seconds: retryAfterS }) }, retryAfterHeaders({ retryAfterS }));
}

export function makeContext(ctx: ApiExtensionContext, opts: OnboardOptions): OnboardContext {
  const env = opts.env ?? process.env;
  const limits = { ...ONBOARD_LIMITS, ...opts.limits };
  const { clock } = ctx;
  const guard = createGuard({ sessions: opts.sessions, keyMatches: ctx.keyMatches });
  const budgets = {
    checks: createBudget({ perClient: limits.checksPerClientPerHour, total: limits.checksPerHour, windowMs: 60 * MINUTE, clock }),
    saves: createBudget({ perClient: limits.savesPerClientPerHour, total: limits.savesPerHour, windowMs: 60 * MINUTE, clock }),
    badTokens: createBudget({ perClient: limits.badTokensPerClientPer15Min, total: limits.badTokensPer15Min, windowMs: 15 * MINUTE, clock }),
    polls: createBudget({ perClient: limits.pollsPerClientPerMinute, total: limits.pollsPerClientPerMinute * 20, windowMs: MINUTE, clock }),
  };
  const store = { dataDir: ctx.dataDir, clock };
  const visitor: OnboardContext['visitor'] = async (req, body, locale) => {
    const t = translator(locale);
    if (body.invite !== undefined) {
      const check = await checkInvitation(store, body.invite);
      if (!check.ok) return { response: json(410, { error: t(`onboard.refused.${check.reason}`) }) };
      if (!guard.allows(req.headers, `invite:${body.invite}`)) return { response: json(403, { error: t('onboard.errors.crossSite') }) };
      return {
        role: 'invitee',
        invite: body.invite,
        policy: (school) => inviteePolicy({ school, env, ...(opts.ownerOrigins ? { ownerOrigins: opts.ownerOrigins } : {}) }),
      };
    }
    const caller = guard.owner(req.headers, clock.now());
    if (!caller) return { response: json(401, { error: t('onboard.errors.login') }) };
    if (!guard.allows(req.headers, guard.ownerSubject(req.headers), caller)) return { response: json(403, { error: t('onboard.errors.crossSite') }) };
    return { role: 'owner', policy: () => OWNER_POLICY };
  };
  return {
    ctx,
    opts,
    env,
    guard,
    budgets,
    visitor,
    timetableFor: (school) => inviteeTimetableUrl(school, env),
    ecalUrl: serviceDefaults(env).ecalUrl,
    configs: createConfigSource(ctx.configDir, { env }),
    baseUrl: (req) => {
      if (opts.publicUrl) return opts.publicUrl.replace(/\/+$/, '');
      const proto =
        String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]
          ?.trim() === 'https'
          ? 'https'
          : 'http';
      return `${proto}://${String(req.headers.host ?? '127.0.0.1')}`;
    },
  };
}

/** The school a body names, for the host policy (IGENSIA when none or `other`: an invitee cannot choose `other`). */
export const schoolOf = (body: FormBody): SchoolGroup => (isSchoolGroup(body.school) ? body.school : 'igensia');
