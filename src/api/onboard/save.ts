import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyConfigChanges,
  configFileFor,
  mayContact,
  parseConfig,
  SCHOOL_GROUPS,
  writeConfig,
  type ConfigChange,
  type SchoolGroup,
} from '../../config/index.js';
import { createInstanceToken, redeemInvitation } from '../../invite/index.js';
import { ConfigError, translator, type Locale } from '../../lib/index.js';
import { ensureIcsToken } from '../ics.js';
import { pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import { json, parseBody, schoolOf, tooMany, type OnboardContext, type Visitor } from './context.js';
import { configChanges, freeName, nameFromUsername, saveErrors, type FieldErrors, type FormBody } from './form.js';

/**
 * Save (issue 23): nothing was stored before it. Validates with the loader `validate` uses, then uses the
 * invitation (single use: of two saves with one link exactly one passes), writes `configs/<name>.yml` atomically
 * through config/edit-file.ts (never over an existing file), makes the feed's token and, for an invitee, their
 * status page's token. The supervisor sees the new file and starts its worker; the page follows it (progress.ts).
 */

/** An invitee whose login gives no usable name gets this one (then -2, -3…). */
const FALLBACK_NAME = 'classmate';
/** Names tried after a race lost at write time (another save took the name between the check and the write). */
const INVITEE_NAME_TRIES = 3;

const invalid = (fields: FieldErrors, locale: Locale): ApiResponse => json(400, { error: translator(locale)('onboard.errors.checkFields'), fields });

/** The timetable host written into the file: `other`'s URL (owner), a group's when it is not the default. */
function writtenUrl(body: FormBody, school: SchoolGroup): string | undefined {
  if (body.school === 'other') return body.moncampusUrl?.trim();
  return SCHOOL_GROUPS[school].url;
}

/** An invitee's typed address (a crafted post: the page has no such field) must be one the policy allows. */
function refusedHosts(body: FormBody, visitor: Visitor, locale: Locale): FieldErrors {
  const t = translator(locale);
  const policy = visitor.policy(schoolOf(body));
  const errors: FieldErrors = {};
  for (const [field, url, beside] of [
    ['moncampusUrl', body.moncampusUrl, 'school'],
    ['ecalUrl', body.ecalUrl, 'ecalApiKey'],
  ] as const) {
    if (url === undefined || url.trim() === '') continue;
    const verdict = mayContact(policy, url.trim());
    if (!verdict.ok) errors[visitor.role === 'owner' ? field : beside] = t(`checks.host.${verdict.reason}`, { host: verdict.host });
  }
  return errors;
}

/** A name nobody uses: no config by it, and no data folder left by a deleted one (its data is not the newcomer's). */
function taken(c: OnboardContext): (name: string) => boolean {
  return (name) =>
    existsSync(join(c.ctx.configDir, `${name}.yml`)) || existsSync(join(c.ctx.configDir, `${name}.yaml`)) || existsSync(join(c.ctx.dataDir, name));
}

/** The whole file the changes make, read by the loader `validate` uses: an error names the key. */
async function dryRun(c: OnboardContext, file: string, changes: readonly ConfigChange[], locale: Locale): Promise<string | null> {
  const edited = applyConfigChanges(undefined, changes);
  if (!edited.ok) return edited.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  try {
    await parseConfig(edited.text, { file, env: c.env });
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.localized(locale).split(`${c.ctx.configDir}/`).join('');
    throw err;
  }
}

export async function saveForm(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const { locale } = pageLocale(req.headers);
  const t = translator(locale);
  const parsed = parseBody(req, locale);
  if ('response' in parsed) return parsed.response;
  const { body } = parsed;
  const visitor = await c.visitor(req, body, locale);
  if ('response' in visitor) return visitor.response;
  const spend = c.budgets.saves.take(req.client);
  if (!spend.ok) return tooMany(spend.retryAfterS, locale);
  const errors = { ...saveErrors(body, visitor.role, locale), ...(visitor.role === 'invitee' ? refusedHosts(body, visitor, locale) : {}) };
  if (Object.keys(errors).length > 0) {
    c.budgets.saves.refund(req.client);
    return invalid(errors, locale);
  }
  let name = visitor.role === 'owner' ? (body.name ?? '').trim() : freeName(nameFromUsername(body.username ?? '') || FALLBACK_NAME, taken(c));
  if (visitor.role === 'owner' && taken(c)(name)) return invalid({ name: t('onboard.errors.exists', { name }) }, locale);
  const school = schoolOf(body);
  const changes = configChanges(body, visitor.role, writtenUrl(body, school));
  const file = await configFileFor(c.ctx.configDir, name);
  const problem = await dryRun(c, file, changes, locale);
  if (problem !== null) {
    c.budgets.saves.refund(req.client);
    return json(400, { error: t('onboard.errors.invalidConfig', { detail: problem }) });
  }
  // The invitation is used before the file is written: a link never opens twice, even if the write then fails.
  if (visitor.invite !== undefined) {
    const used = await redeemInvitation({ dataDir: c.ctx.dataDir, clock: c.ctx.clock }, visitor.invite, name);
    if (!used.ok) return json(410, { error: t(`onboard.refused.${used.reason}`) });
  }
  let written = await writeConfig({ file, expectedHash: null, changes, env: c.env });
  // An invitee's used link must not be lost to a config of the same name made meanwhile: the next free name.
  for (let tries = 0; written.kind === 'conflict' && visitor.role === 'invitee' && tries < INVITEE_NAME_TRIES; tries++) {
    name = freeName(name, taken(c));
    written = await writeConfig({ file: await configFileFor(c.ctx.configDir, name), expectedHash: null, changes, env: c.env });
  }
  if (written.kind === 'conflict') return json(409, { error: t('onboard.errors.exists', { name }), fields: { name: t('onboard.errors.exists', { name }) } });
  if (written.kind !== 'written')
    return json(400, {
      error: t('onboard.errors.invalidConfig', {
        detail: 'messageIn' in written ? written.messageIn[locale] : 'message' in written ? written.message : written.kind,
      }),
    });
  if (body.ics !== false) await ensureIcsToken(c.ctx.dataDir, name);
  const statusToken = visitor.role === 'invitee' ? await createInstanceToken({ dataDir: c.ctx.dataDir, clock: c.ctx.clock }, name) : undefined;
  c.ctx.logger.info(`onboard: ${name} saved by the ${visitor.role === 'owner' ? 'owner' : 'invitation’s classmate'}`);
  return json(201, { name, progress: `/onboard/progress/${encodeURIComponent(name)}`, ...(statusToken ? { statusToken } : {}) });
}
