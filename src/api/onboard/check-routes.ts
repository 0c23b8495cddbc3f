import { channelsSchema, configFileFor, loadConfigFile, notifySecrets, type ChannelConfig } from '../../config/index.js';
import { describeError, translator, type Locale } from '../../lib/index.js';
import { pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import type { CheckAnswer } from './checks.js';
import { json, parseBody, schoolOf, tooMany, type OnboardContext, type Visitor } from './context.js';
import { ecalErrors, moncampusErrors, timetableUrl, type FieldErrors, type FormBody } from './form.js';

/**
 * The three Check buttons (issue 23). Each is a real call through the worker's clients (injected: checks.ts),
 * under the caller's host policy; nothing is stored. The answer names the field it belongs beside.
 */

interface Prelude {
  locale: Locale;
  body: FormBody;
  visitor: Visitor;
  /** The edited config's channels, for a Send test with the notification field left empty (owner's edit). */
  storedChannels: ChannelConfig[];
}

/** Body, caller, budget: what every check needs first, or the answer refusing it. */
async function prelude(c: OnboardContext, req: ApiRequest): Promise<Prelude | { response: ApiResponse }> {
  const { locale } = pageLocale(req.headers);
  const parsed = parseBody(req, locale);
  if ('response' in parsed) return parsed;
  const visitor = await c.visitor(req, parsed.body, locale);
  if ('response' in visitor) return visitor;
  const spend = c.budgets.checks.take(req.client);
  if (!spend.ok) return { response: tooMany(spend.retryAfterS, locale) };
  const stored = visitor.role === 'owner' ? await storedSecrets(c, parsed.body) : null;
  return { locale, body: stored ? withStored(parsed.body, stored) : parsed.body, visitor, storedChannels: stored?.channels ?? [] };
}

interface StoredSecrets {
  password?: string;
  ecalApiKey?: string;
  ecalApiSecret?: string;
  channels: ChannelConfig[];
}

/**
 * The secrets of the config the owner is editing, resolved as the worker resolves them (inline, `${VAR}`,
 * `*File`): the edit page shows them only as "set", so a Check with the field left empty uses these. Owner only
 * (the caller checks); null when there is no edit, or the file does not load (the check then asks for the field).
 */
async function storedSecrets(c: OnboardContext, body: FormBody): Promise<StoredSecrets | null> {
  if (body.edit === undefined) return null;
  try {
    const config = await loadConfigFile(await configFileFor(c.ctx.configDir, body.edit), { env: c.env });
    return {
      ...(config.moncampus && { password: config.moncampus.password }),
      ...(config.ecal && { ecalApiKey: config.ecal.apiKey, ecalApiSecret: config.ecal.apiSecret }),
      channels: config.notify,
    };
  } catch {
    return null;
  }
}

/** The form's secret fields a stored value can stand in for. */
const STORED_SECRET_FIELDS = ['password', 'ecalApiKey', 'ecalApiSecret'] as const;

/** The body with each secret field the owner left empty filled from the stored config. */
function withStored(body: FormBody, stored: StoredSecrets): FormBody {
  const filled: FormBody = { ...body };
  for (const field of STORED_SECRET_FIELDS) {
    const value = stored[field];
    if ((body[field] ?? '').trim() === '' && value !== undefined) filled[field] = value;
  }
  return filled;
}

const fieldErrors = (fields: FieldErrors, locale: Locale): ApiResponse => json(400, { error: translator(locale)('onboard.errors.checkFields'), fields });

/** A check that threw (a bug, not a refusal): said plainly, the detail in the owner's log only. */
async function guarded<T extends CheckAnswer>(c: OnboardContext, what: string, locale: Locale, run: () => Promise<T>): Promise<T | CheckAnswer> {
  try {
    return await run();
  } catch (err) {
    c.ctx.logger.error(`onboard ${what} check failed: ${describeError(err)}`);
    return { ok: false, reason: 'failed', message: translator(locale)('onboard.errors.checkCrashed') };
  }
}

export async function checkMoncampusRoute(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const p = await prelude(c, req);
  if ('response' in p) return p.response;
  const { body, locale, visitor } = p;
  const errors = moncampusErrors(body, visitor.role, locale);
  if (Object.keys(errors).length > 0) {
    c.budgets.checks.refund(req.client);
    return fieldErrors(errors, locale);
  }
  const url = timetableUrl(body, c.timetableFor) as string;
  const answer = await guarded(c, 'MonCampus', locale, () =>
    c.opts.checks.moncampus({ url, username: (body.username ?? '').trim(), password: body.password ?? '', locale, policy: visitor.policy(schoolOf(body)) }),
  );
  const field =
    answer.reason === 'wrong-password' ? 'password' : answer.reason === 'refused-host' ? (visitor.role === 'owner' ? 'moncampusUrl' : 'school') : undefined;
  return json(200, { ...answer, ...(field ? { field } : {}) });
}

export async function checkEcalRoute(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const p = await prelude(c, req);
  if ('response' in p) return p.response;
  const { body, locale, visitor } = p;
  const errors = ecalErrors(body, false, locale);
  if (Object.keys(errors).length > 0) {
    c.budgets.checks.refund(req.client);
    return fieldErrors(errors, locale);
  }
  const url = body.ecalUrl?.trim() || c.ecalUrl;
  const answer = await guarded(c, 'ECAL', locale, () =>
    c.opts.checks.ecal({
      url,
      apiKey: (body.ecalApiKey ?? '').trim(),
      apiSecret: (body.ecalApiSecret ?? '').trim(),
      locale,
      policy: visitor.policy(schoolOf(body)),
    }),
  );
  const calendars = 'calendars' in answer ? answer.calendars : [];
  const field = answer.ok ? undefined : answer.reason === 'refused' ? 'ecalApiSecret' : 'ecalApiKey';
  return json(200, { ...answer, calendars, ...(field ? { field } : {}) });
}

export async function checkNotifyRoute(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const p = await prelude(c, req);
  if ('response' in p) return p.response;
  const { body, locale, visitor } = p;
  const t = translator(locale);
  const typed = body.notify?.trim() ?? '';
  // Nothing typed on the edit page: the test goes to the channels the config already has.
  const useStored = typed === '' && p.storedChannels.length > 0;
  if (typed === '' && !useStored) {
    c.budgets.checks.refund(req.client);
    return fieldErrors({ notify: t('onboard.errors.required') }, locale);
  }
  let channels = p.storedChannels;
  if (!useStored) {
    // The loader's own reading of the entry: the channel Save would write, or why it is not one.
    const parsed = channelsSchema.safeParse([typed]);
    if (!parsed.success) {
      c.budgets.checks.refund(req.client);
      return fieldErrors({ notify: t('onboard.errors.notify', { detail: parsed.error.issues[0]?.message ?? '' }) }, locale);
    }
    channels = parsed.data;
  }
  const answer = await guarded(c, 'notification', locale, () =>
    c.opts.checks.notify({
      channels,
      secrets: [...(typed ? [typed] : []), ...notifySecrets(channels)],
      instance: body.name?.trim() || body.edit || (body.username ?? '').trim() || 'campus-sync',
      locale,
      policy: visitor.policy(schoolOf(body)),
    }),
  );
  return json(200, { ...answer, details: 'details' in answer ? answer.details : [], ...(answer.ok ? {} : { field: 'notify' }) });
}
