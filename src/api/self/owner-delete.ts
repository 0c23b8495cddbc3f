import { isValidInstanceName } from '../../config/index.js';
import { describeError, translator } from '../../lib/index.js';
import { pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse, Router } from '../router.js';
import type { Logger } from '../../lib/index.js';
import { SELF_DOCS } from './docs.js';
import { formFields, isReadOnlyError } from './form.js';
import type { InstanceManager } from './manager.js';
import { renderDeletedPage, renderOwnerDeletePage, renderUnknownLinkPage, SELF_HTML_HEADERS } from './page.js';

/**
 * The dashboard's Delete (issue 23, item 2), for the owner: a confirmation page and its form. The dashboard passes
 * its own login and CSRF checks (api/dashboard/auth.ts); the work is the same delete core as the status page's.
 */

export const OWNER_DELETE_PATH = '/dashboard/delete/';

export interface OwnerDeleteDeps {
  manager: InstanceManager;
  logger: Logger;
  /** The dashboard's login: the key header or the session cookie. */
  loggedIn(req: ApiRequest): boolean;
  /** The dashboard's CSRF rule for a logged-in caller. */
  sameSite(req: ApiRequest): boolean;
  /** Instance names the dashboard shows (valid or not), and whether each syncs into ECAL. */
  instances(): Promise<{ name: string; ecal: boolean }[]>;
}

const page = (status: number, body: string): ApiResponse => ({ status, headers: { ...SELF_HTML_HEADERS }, body });
const toLogin = (): ApiResponse => ({ status: 303, headers: { location: '/', 'cache-control': 'no-store' }, body: '' });

export function registerOwnerDelete(router: Router, deps: OwnerDeleteDeps): void {
  const find = async (req: ApiRequest) => {
    const name = req.params.name ?? '';
    if (!isValidInstanceName(name)) return undefined;
    return (await deps.instances()).find((i) => i.name === name);
  };

  router.get(
    `${OWNER_DELETE_PATH}:name`,
    async (req) => {
      const { locale } = pageLocale(req.headers, req.query);
      if (!deps.loggedIn(req)) return toLogin();
      const found = await find(req);
      if (!found) return page(404, renderUnknownLinkPage(locale));
      return page(200, renderOwnerDeletePage({ locale, name: found.name, action: `${OWNER_DELETE_PATH}${found.name}`, ecal: found.ecal }));
    },
    SELF_DOCS.ownerPage,
  );

  router.post(
    `${OWNER_DELETE_PATH}:name`,
    async (req) => {
      const { locale } = pageLocale(req.headers);
      const t = translator(locale);
      if (!deps.loggedIn(req)) return toLogin();
      const found = await find(req);
      if (!found) return page(404, renderUnknownLinkPage(locale));
      const form = { locale, name: found.name, action: `${OWNER_DELETE_PATH}${found.name}`, ecal: found.ecal };
      if (!deps.sameSite(req)) return page(403, renderOwnerDeletePage({ ...form, flash: { ok: false, message: t('self.crossSite') } }));
      const fields = formFields(req.body, req.headers['content-type']);
      if (fields.get('confirm') !== '1') return page(400, renderOwnerDeletePage({ ...form, errors: { confirm: t('self.deleteNeedConfirm') } }));
      const choices = { alsoData: fields.get('data') === '1', ecalEvents: fields.get('ecal') === '1' };
      try {
        const r = await deps.manager.deleteInstance(found.name, choices, locale);
        if (!r.configRemoved) return page(400, renderOwnerDeletePage({ ...form, flash: r }));
        deps.logger.info(`${found.name} was deleted from the dashboard (data ${r.dataRemoved ? 'removed' : 'kept'}, ${r.ecalDeleted} ECAL event(s) removed)`);
        return page(200, renderDeletedPage(locale, r, '/'));
      } catch (err) {
        deps.logger.error(`dashboard delete of ${found.name} failed: ${describeError(err)}`);
        return page(
          500,
          renderOwnerDeletePage({
            ...form,
            flash: { ok: false, message: isReadOnlyError(err) ? t('self.readOnly') : t('self.failed', { error: describeError(err) }) },
          }),
        );
      }
    },
    SELF_DOCS.ownerDelete,
  );
}
