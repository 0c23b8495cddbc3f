import path from 'node:path';
import { configFileFor, isValidInstanceName, readConfigState, SCHOOL_GROUPS, writeConfig } from '../../config/index.js';
import { translator } from '../../lib/index.js';
import { ensureIcsToken } from '../ics.js';
import { langCookieHeaders, pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import { json, parseBody, schoolOf, tooMany, type OnboardContext } from './context.js';
import { saveErrors } from './form.js';
import { PAGE_HEADERS, renderFormPage, renderNoticePage } from './page.js';
import { bodyForChecks, editChanges, prefillFrom } from './prefill.js';

/**
 * The owner's edit of an existing config (issue 23, item 2): `GET /dashboard/configs/<name>/edit` fills the guided
 * form from `configs/<name>.yml` (secrets only as "set"), `POST /onboard/edit/<name>` saves it through the config
 * writer (config/edit-file.ts), which validates with the loader `validate` uses and keeps comments and key order.
 * The form carries the hash of the text it was filled from: a file changed on disk since is a conflict (409), never
 * overwritten. Owner only: an invitee's form never reaches here (their own page is api/self).
 */

export const EDIT_PAGE_PATTERN = '/dashboard/configs/:name/edit';
export const EDIT_SAVE_PATTERN = '/onboard/edit/:name';

export const editPagePath = (name: string): string => `/dashboard/configs/${encodeURIComponent(name)}/edit`;

export async function editPage(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const chosen = pageLocale(req.headers, req.query);
  const t = translator(chosen.locale);
  if (!c.guard.owner(req.headers, c.ctx.clock.now())) return { status: 303, headers: { location: '/', 'cache-control': 'no-store' }, body: '' };
  const name = req.params.name ?? '';
  const pagePath = editPagePath(name);
  const headers = { ...PAGE_HEADERS, ...langCookieHeaders(chosen) };
  const state = isValidInstanceName(name) ? await readConfigState(await configFileFor(c.ctx.configDir, name)) : null;
  if (state === null || state.text === null || state.hash === null) {
    const text = t('onboardEdit.notFound', { name });
    return {
      status: 404,
      headers,
      body: renderNoticePage({ title: t('onboardEdit.notFoundTitle'), text, locale: chosen.locale, path: pagePath, status: 'not-found' }),
    };
  }
  const file = path.basename(state.file);
  const filled = prefillFrom(state.text);
  if (!filled.ok) {
    const text = t('onboardEdit.cannotEdit', { file, reason: t(`onboardEdit.reason.${filled.reason}`) });
    return {
      status: 422,
      headers,
      body: renderNoticePage({ title: t('onboardEdit.cannotEditTitle'), text, locale: chosen.locale, path: pagePath, status: 'cannot-edit' }),
    };
  }
  const csrf = c.guard.csrfFor(c.guard.ownerSubject(req.headers));
  const edit = { name, file, hash: state.hash, prefill: filled.prefill };
  return { status: 200, headers, body: renderFormPage({ role: 'owner', locale: chosen.locale, path: pagePath, csrf, edit }) };
}

export async function saveEdit(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const { locale } = pageLocale(req.headers);
  const t = translator(locale);
  const parsed = parseBody(req, locale);
  if ('response' in parsed) return parsed.response;
  const { body } = parsed;
  // Owner only: an invitation's token opens its own new config, never an edit.
  if (body.invite !== undefined) return json(403, { error: t('onboard.errors.login') });
  const visitor = await c.visitor(req, body, locale);
  if ('response' in visitor) return visitor.response;
  const name = req.params.name ?? '';
  if (!isValidInstanceName(name)) return json(404, { error: t('onboardEdit.notFound', { name }) });
  const spend = c.budgets.saves.take(req.client);
  if (!spend.ok) return tooMany(spend.retryAfterS, locale);
  const before = await readConfigState(await configFileFor(c.ctx.configDir, name));
  const file = path.basename(before.file);
  if (before.text === null) return json(404, { error: t('onboardEdit.notFound', { name }) });
  // Checked here for a clear answer; the writer checks it again just before replacing the file.
  if (body.hash !== before.hash) return json(409, { error: t('onboardEdit.conflict', { file }) });
  const filled = prefillFrom(before.text);
  if (!filled.ok) return json(422, { error: t('onboardEdit.cannotEdit', { file, reason: t(`onboardEdit.reason.${filled.reason}`) }) });
  const errors = saveErrors(bodyForChecks(body, name, filled.prefill), 'owner', locale);
  if (Object.keys(errors).length > 0) {
    c.budgets.saves.refund(req.client);
    return json(400, { error: t('onboard.errors.checkFields'), fields: errors });
  }
  const timetable = body.school === 'other' ? body.moncampusUrl?.trim() : SCHOOL_GROUPS[schoolOf(body)].url;
  const changes = editChanges(filled.prefill, body, timetable);
  const progress = `/onboard/progress/${encodeURIComponent(name)}`;
  // Nothing changed: the file is not rewritten and the worker keeps running; the page shows where it is.
  if (changes.length === 0) return json(201, { name, hash: before.hash, progress });
  const written = await writeConfig({ file: before.file, expectedHash: before.hash, changes, env: c.env });
  if (written.kind === 'conflict' || written.kind === 'not-found') return json(409, { error: t('onboardEdit.conflict', { file }) });
  if (written.kind !== 'written') {
    c.budgets.saves.refund(req.client);
    const detail = written.kind === 'invalid' ? written.messageIn[locale] : written.kind;
    return json(400, { error: t('onboard.errors.invalidConfig', { detail }) });
  }
  if (body.ics !== false) await ensureIcsToken(c.ctx.dataDir, name);
  c.ctx.logger.info(`onboard: ${name} edited by the owner (${changes.length} change(s))`);
  // The worker restarts with the new file (its spec carries the file's hash); the page follows runs from now on.
  const since = c.ctx.clock.now().toISOString();
  return json(201, { name, hash: written.hash, progress: `${progress}?since=${encodeURIComponent(since)}` });
}
