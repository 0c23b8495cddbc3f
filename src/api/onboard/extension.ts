import { DEFAULT_TIMEZONE } from '../../config/index.js';
import {
  checkInvitation,
  createInvitation,
  DEFAULT_INVITATION_EXPIRY,
  invitationLink,
  isTokenShaped,
  listInvitations,
  parseExpiry,
  revokeInvitation,
} from '../../invite/index.js';
import { formatWhen, type Locale, translator } from '../../lib/index.js';
import { retryAfterHeaders } from '../budget.js';
import { langCookieHeaders, pageLocale } from '../lang.js';
import { registerAssetRoutes } from '../openapi.js';
import type { ApiRequest, ApiResponse, Router } from '../router.js';
import type { ApiExtension } from '../server.js';
import { checkEcalRoute, checkMoncampusRoute, checkNotifyRoute } from './check-routes.js';
import { json, makeContext, type OnboardContext, type OnboardOptions } from './context.js';
import { ONBOARD_DOCS } from './docs.js';
import { EDIT_PAGE_PATTERN, EDIT_SAVE_PATTERN, editPage, saveEdit } from './edit.js';
import { stateText } from './invitations-page.js';
import { PAGE_HEADERS, renderFormPage, renderRefusedPage } from './page.js';
import { progressOf } from './progress.js';
import { qrDataUrl } from './qr.js';
import { saveForm } from './save.js';

export { ONBOARD_LIMITS, type OnboardLimits, type OnboardOptions } from './context.js';

/** The owner's page and the invitee's: one form, two entries. */
export const NEW_CONFIG_PATH = '/dashboard/configs/new';
export const INVITE_PAGE_PATTERN = '/invite/:token';

function registerPages(router: Router, c: OnboardContext): void {
  router.get(
    NEW_CONFIG_PATH,
    async (req) => {
      const chosen = pageLocale(req.headers, req.query);
      if (!c.guard.owner(req.headers, c.ctx.clock.now())) return { status: 303, headers: { location: '/', 'cache-control': 'no-store' }, body: '' };
      const csrf = c.guard.csrfFor(c.guard.ownerSubject(req.headers));
      const invitations = await listInvitations({ dataDir: c.ctx.dataDir, clock: c.ctx.clock });
      return {
        status: 200,
        headers: { ...PAGE_HEADERS, ...langCookieHeaders(chosen) },
        body: renderFormPage({ role: 'owner', locale: chosen.locale, path: NEW_CONFIG_PATH, csrf, invitations }),
      };
    },
    ONBOARD_DOCS.ownerPage,
  );

  router.get(
    INVITE_PAGE_PATTERN,
    async (req) => {
      const chosen = pageLocale(req.headers, req.query);
      const token = req.params.token ?? '';
      const path = `/invite/${encodeURIComponent(token)}`;
      const headers = { ...PAGE_HEADERS, ...langCookieHeaders(chosen) };
      const check = isTokenShaped(token)
        ? await checkInvitation({ dataDir: c.ctx.dataDir, clock: c.ctx.clock }, token)
        : ({ ok: false, reason: 'unknown' } as const);
      if (!check.ok) {
        // Unknown tokens are counted (guessing); an expired or used one is a classmate with an old link.
        if (check.reason === 'unknown') {
          const spend = c.budgets.badTokens.take(req.client);
          if (!spend.ok)
            return {
              status: 429,
              headers: { ...headers, ...retryAfterHeaders(spend) },
              body: renderRefusedPage('tooMany', chosen.locale, path, spend.retryAfterS),
            };
        }
        return { status: check.reason === 'unknown' ? 404 : 410, headers, body: renderRefusedPage(check.reason, chosen.locale, path) };
      }
      const csrf = c.guard.csrfFor(`invite:${token}`);
      return { status: 200, headers, body: renderFormPage({ role: 'invitee', locale: chosen.locale, path, csrf, invite: token }) };
    },
    ONBOARD_DOCS.inviteePage,
  );
}

/**
 * A post only the owner makes (their page's CSRF token, or the key): the refusal in the page's language, or
 * that language's translator to go on with.
 */
function asOwner(c: OnboardContext, req: ApiRequest): { refused: ApiResponse } | { refused: null; locale: Locale; t: ReturnType<typeof translator> } {
  const { locale } = pageLocale(req.headers);
  const t = translator(locale);
  const caller = c.guard.owner(req.headers, c.ctx.clock.now());
  if (!caller) return { refused: json(401, { error: t('onboard.errors.login') }) };
  if (!c.guard.allows(req.headers, c.guard.ownerSubject(req.headers), caller)) return { refused: json(403, { error: t('onboard.errors.crossSite') }) };
  return { refused: null, locale, t };
}

function registerOwnerInvite(router: Router, c: OnboardContext): void {
  router.post(
    '/dashboard/invitations',
    async (req) => {
      const owner = asOwner(c, req);
      if (owner.refused) return owner.refused;
      const { locale, t } = owner;
      const expiry = parseExpiry(DEFAULT_INVITATION_EXPIRY) as { ms: number };
      const inv = await createInvitation({ dataDir: c.ctx.dataDir, clock: c.ctx.clock, expiresInMs: expiry.ms });
      const link = invitationLink(c.baseUrl(req), inv.token);
      const message = t('onboard.invite.made', { expires: formatWhen(inv.expiresAt, DEFAULT_TIMEZONE, locale) });
      return json(201, { id: inv.id, link, expiresAt: inv.expiresAt, message, qr: await qrDataUrl(link) });
    },
    ONBOARD_DOCS.invite,
  );
  router.post(
    '/dashboard/invitations/:id/revoke',
    async (req) => {
      const owner = asOwner(c, req);
      if (owner.refused) return owner.refused;
      const { locale, t } = owner;
      const store = { dataDir: c.ctx.dataDir, clock: c.ctx.clock };
      const id = req.params.id ?? '';
      const done = await revokeInvitation(store, id);
      if (done.kind === 'not-found') return json(404, { error: t('onboardEdit.invites.notFound') });
      const view = (await listInvitations(store)).find((v) => v.id === id);
      const state = view ? stateText(view, locale) : t('invite.state.revoked');
      if (done.kind === 'ended')
        return json(409, { error: t('onboardEdit.invites.ended', { state: t(`invite.state.${done.state}`) }), state: done.state, stateText: state });
      return json(200, { state: 'revoked', stateText: state, message: t('onboardEdit.invites.revoked') });
    },
    ONBOARD_DOCS.revoke,
  );
}

/**
 * The guided form (issue 23) on the API's server: the owner's page behind the dashboard login, the invitee's
 * behind the invitation's token, their Check buttons, Save, the live progress after it, and the owner's button
 * that makes an invitation.
 */
export function onboardExtension(opts: OnboardOptions): ApiExtension {
  return (ctx) => {
    const c = makeContext(ctx, opts);
    const { router } = ctx;
    registerPages(router, c);
    registerAssetRoutes(router, 'onboard');
    registerOwnerInvite(router, c);
    router.post('/onboard/check/moncampus', (req) => checkMoncampusRoute(c, req), ONBOARD_DOCS.checkMoncampus);
    router.post('/onboard/check/ecal', (req) => checkEcalRoute(c, req), ONBOARD_DOCS.checkEcal);
    router.post('/onboard/check/notify', (req) => checkNotifyRoute(c, req), ONBOARD_DOCS.checkNotify);
    router.post('/onboard/save', (req) => saveForm(c, req), ONBOARD_DOCS.save);
    router.get('/onboard/progress/:name', (req) => progressOf(c, req), ONBOARD_DOCS.progress);
    router.get(EDIT_PAGE_PATTERN, (req) => editPage(c, req), ONBOARD_DOCS.editPage);
    router.post(EDIT_SAVE_PATTERN, (req) => saveEdit(c, req), ONBOARD_DOCS.editSave);
  };
}
