import { configFileFor, readConfigState, writeConfig } from '../../config/index.js';
import { instanceForToken } from '../../invite/index.js';
import { describeError, makeRedactor, translator, type Locale } from '../../lib/index.js';
import { createBudget, type Budget, type Spend } from '../budget.js';
import { requestOrigin } from '../dashboard/auth.js';
import { createConfigSource } from '../dashboard/configs.js';
import { buildDashboardState, type InstanceView } from '../dashboard/state.js';
import { langCookieHeaders, pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import type { ApiExtension, ApiExtensionContext } from '../server.js';
import { SELF_ACTIONS, SELF_DOCS } from './docs.js';
import { createFormTokens, formFields, isReadOnlyError } from './form.js';
import type { InstanceManager } from './manager.js';
import { renderDeletedPage, renderStatusPage, renderUnknownLinkPage, SELF_HTML_HEADERS, type FieldErrors, type Flash } from './page.js';

/**
 * The classmate's status page, `/me/<token>` (issue 23): their instance only. The token is looked up among the
 * status-page tokens (invite/instance-tokens.ts: hashes, constant time) and never logged: a failure is logged
 * with the instance's name, never with the path. Budgets as for the booking page; CSRF on every form.
 */

export const SELF_PATH = '/me/';

/**
 * What a visitor may cost: a page and its reloads per minute; actions (each may log in to MonCampus, send
 * messages, or reach the supervisor) per hour; and unknown tokens, the sign of someone guessing (256 bits: this
 * only keeps them from wasting the Pi's time), per client and in all, as the dashboard's login does.
 */
export interface SelfLimits {
  pagesPerClientPerMinute: number;
  pagesPerMinute: number;
  actionsPerClientPerHour: number;
  actionsPerHour: number;
  unknownTokensPerClient: number;
  unknownTokensTotal: number;
}

export const SELF_LIMITS: SelfLimits = {
  pagesPerClientPerMinute: 60,
  pagesPerMinute: 600,
  actionsPerClientPerHour: 30,
  actionsPerHour: 300,
  unknownTokensPerClient: 10,
  unknownTokensTotal: 100,
};
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** The unknown-token window: as the dashboard's login failures (LOGIN_FAILURES). */
const UNKNOWN_WINDOW_MS = 15 * MINUTE_MS;

export interface SelfPageOptions {
  manager: InstanceManager;
  /** For `${VAR}` in configs (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The CSRF fields' HMAC secret; random per process by default. */
  formSecret?: Buffer;
  limits?: Partial<SelfLimits>;
}

type SelfAction = (typeof SELF_ACTIONS)[number];

const page = (status: number, body: string, extra: Record<string, string> = {}): ApiResponse => ({ status, headers: { ...SELF_HTML_HEADERS, ...extra }, body });

const tooMany = (spend: Spend & { ok: false }, locale: Locale): ApiResponse =>
  page(429, renderDeletedPage(locale, { ok: false, message: translator(locale)('self.tooMany', { seconds: spend.retryAfterS }) }), {
    'retry-after': String(spend.retryAfterS),
  });

interface Budgets {
  pages: Budget;
  actions: Budget;
  unknown: Budget;
}

export function selfPageExtension(opts: SelfPageOptions): ApiExtension {
  return (ctx: ApiExtensionContext) => {
    const limits = { ...SELF_LIMITS, ...opts.limits };
    const { clock } = ctx;
    const budgets: Budgets = {
      pages: createBudget({ perClient: limits.pagesPerClientPerMinute, total: limits.pagesPerMinute, windowMs: MINUTE_MS, clock }),
      actions: createBudget({ perClient: limits.actionsPerClientPerHour, total: limits.actionsPerHour, windowMs: HOUR_MS, clock }),
      unknown: createBudget({ perClient: limits.unknownTokensPerClient, total: limits.unknownTokensTotal, windowMs: UNKNOWN_WINDOW_MS, clock }),
    };
    const forms = createFormTokens(opts.formSecret);
    const configs = createConfigSource(ctx.configDir, opts.env ? { env: opts.env } : {});
    const view = async (name: string): Promise<InstanceView | undefined> =>
      (await buildDashboardState({ store: ctx.store, dataDir: ctx.dataDir, clock, configs })).instances.find((i) => i.name === name);

    /** The instance of the path's token, or the answer to give instead (unknown: 404, too many unknown: 429). */
    const resolve = async (req: ApiRequest, locale: Locale): Promise<{ name: string; token: string } | { answer: ApiResponse }> => {
      const token = req.params.token ?? '';
      // Spent before the lookup and given back when it opens something: guesses in parallel cannot pass a count.
      const spend = budgets.unknown.take(req.client);
      if (!spend.ok) return { answer: tooMany(spend, locale) };
      const name = await instanceForToken({ dataDir: ctx.dataDir }, token);
      if (!name) return { answer: page(404, renderUnknownLinkPage(locale)) };
      budgets.unknown.refund(req.client);
      return { name, token };
    };

    const statusPage = async (status: number, name: string, token: string, locale: Locale, extra: Partial<Parameters<typeof renderStatusPage>[0]> = {}) => {
      const instance = await view(name);
      if (!instance) return page(404, renderUnknownLinkPage(locale));
      const entry = (await configs()).entries.find((e) => e.name === name);
      const ecal = entry !== undefined && 'config' in entry && entry.config.ecal !== undefined;
      return page(status, renderStatusPage({ locale, base: `${SELF_PATH}${token}`, csrf: forms.issue(token), instance, ecal, ...extra }));
    };

    ctx.router.get(
      `${SELF_PATH}:token`,
      async (req) => {
        const chosen = pageLocale(req.headers, req.query);
        const spend = budgets.pages.take(req.client);
        if (!spend.ok) return tooMany(spend, chosen.locale);
        const found = await resolve(req, chosen.locale);
        if ('answer' in found) return found.answer;
        try {
          const answer = await statusPage(200, found.name, found.token, chosen.locale);
          return { ...answer, headers: { ...answer.headers, ...langCookieHeaders(chosen) } };
        } catch (err) {
          ctx.logger.error(`status page of ${found.name} failed: ${describeError(err)}`);
          return page(500, renderDeletedPage(chosen.locale, { ok: false, message: translator(chosen.locale)('self.failed', { error: describeError(err) }) }));
        }
      },
      SELF_DOCS.page,
    );

    ctx.router.post(
      `${SELF_PATH}:token/:action`,
      async (req) => {
        const { locale } = pageLocale(req.headers);
        const t = translator(locale);
        const action = req.params.action as SelfAction;
        if (!(SELF_ACTIONS as readonly string[]).includes(action)) return page(404, renderUnknownLinkPage(locale));
        const spend = budgets.actions.take(req.client);
        if (!spend.ok) return tooMany(spend, locale);
        const found = await resolve(req, locale);
        if ('answer' in found) return found.answer;
        const fields = formFields(req.body, req.headers['content-type']);
        if (requestOrigin(req.headers) === 'cross' || !forms.verify(found.token, fields.get('csrf'))) {
          return statusPage(403, found.name, found.token, locale, { flash: { ok: false, message: t('self.crossSite') } });
        }
        try {
          return await act({ action, name: found.name, token: found.token, fields, locale });
        } catch (err) {
          // The instance's name, never the path: the token is in it.
          ctx.logger.error(`status page ${action} of ${found.name} failed: ${describeError(err)}`);
          const { redact } = await configs();
          return statusPage(500, found.name, found.token, locale, {
            flash: { ok: false, message: redact(isReadOnlyError(err) ? t('self.readOnly') : t('self.failed', { error: describeError(err) })) },
          });
        }
      },
      SELF_DOCS.action,
    );

    async function act(a: { action: SelfAction; name: string; token: string; fields: URLSearchParams; locale: Locale }): Promise<ApiResponse> {
      const { name, token, fields, locale } = a;
      const t = translator(locale);
      const { redact } = await configs();
      const clean = (f: Flash): Flash => ({ ok: f.ok, message: redact(f.message), ...(f.details ? { details: f.details.map(redact) } : {}) });
      if (a.action === 'pause' || a.action === 'resume') {
        const r = await opts.manager[a.action](name, locale);
        return statusPage(r.ok ? 200 : 409, name, token, locale, { flash: clean(r) });
      }
      if (a.action === 'test-notifications') {
        const r = await opts.manager.testNotifications(name, locale);
        return statusPage(200, name, token, locale, { flash: clean(r) });
      }
      if (a.action === 'password') {
        const outcome = await changePassword(name, fields.get('password') ?? '', locale);
        if ('field' in outcome) return statusPage(400, name, token, locale, { errors: { password: outcome.field } });
        return statusPage(outcome.ok ? 200 : 409, name, token, locale, { flash: outcome });
      }
      const ecal = fields.get('ecal') === '1';
      if (fields.get('confirm') !== '1') {
        const errors: FieldErrors = { confirm: t('self.deleteNeedConfirm') };
        return statusPage(400, name, token, locale, { errors, ecalChecked: ecal });
      }
      const r = await opts.manager.deleteInstance(name, { alsoData: true, ecalEvents: ecal }, locale);
      if (!r.configRemoved) return statusPage(409, name, token, locale, { flash: clean(r), ecalChecked: ecal });
      ctx.logger.info(`${name} was deleted from its status page (data removed${ecal ? `, ${r.ecalDeleted} ECAL event(s) removed` : ''})`);
      return page(200, renderDeletedPage(locale, clean(r)));
    }

    /** Checked with MonCampus first; then written where the file keeps it (config/edit-file.ts: comments survive). */
    async function changePassword(name: string, password: string, locale: Locale): Promise<Flash | { field: string }> {
      const t = translator(locale);
      if (password === '') return { field: t('self.passwordEmpty') };
      const file = await configFileFor(ctx.configDir, name);
      const before = await readConfigState(file);
      const check = await opts.manager.checkPassword(name, password, locale);
      if (!check.ok) return { field: check.message };
      const written = await writeConfig({
        file,
        expectedHash: before.hash,
        changes: [{ op: 'secret', path: ['moncampus', 'password'], value: password }],
        ...(opts.env ? { env: opts.env } : {}),
      });
      if (written.kind === 'written') {
        // Same config text: the password went into its `passwordFile`, which the supervisor does not watch.
        if (written.hash === before.hash) await opts.manager.restart(name, locale);
        return { ok: true, message: t('self.passwordSaved', { check: check.message }) };
      }
      // The loader's message names keys, not values; the new password is taken out all the same.
      if (written.kind === 'invalid') return { field: makeRedactor([password])(t('self.passwordNotSaved', { why: written.message })) };
      return { ok: false, message: t('self.passwordConflict') };
    }
  };
}
