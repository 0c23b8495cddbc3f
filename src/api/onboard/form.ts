import { z } from '@hono/zod-openapi';
import {
  type ConfigChange,
  DEFAULT_MONCAMPUS_URL,
  INSTANCE_NAME_PATTERN,
  isSchoolGroup,
  isValidInstanceName,
  MAX_INSTANCE_NAME_LENGTH,
  SCHOOL_GROUPS,
  type SchoolGroup,
} from '../../config/index.js';
import { LOCALES, translator, type Locale } from '../../lib/index.js';

/**
 * The guided form's input (issue 23), pure: the JSON body the page posts to its Check buttons and to Save, the
 * field errors a person reads beside each field, and the config changes Save writes through config/edit-file.ts.
 * Nothing here contacts anything or touches a file.
 */

/** School choices: the two MonCampus groups of config/schools.ts, and `other` (a URL: the owner only). */
export const SCHOOL_CHOICES = [...(Object.keys(SCHOOL_GROUPS) as SchoolGroup[]), 'other'] as const;
export type SchoolChoice = (typeof SCHOOL_CHOICES)[number];

/** Change alerts look at most this far ahead (config/schema.ts MAX_CHANGE_HORIZON_DAYS). */
const MAX_HORIZON = 60;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const CALENDAR_ID = /^[0-9a-f]{24}$/i;
/** A typed field is at most this long: a URL with a long token, never a document. */
const MAX_FIELD = 2_000;

const text = (max = MAX_FIELD) => z.string().max(max).optional();

/** The body of every post of the form (checks and Save); each button reads the part it needs. */
export const formBodySchema = z
  .object({
    /** The invitation's token, on the invitee's page (the owner's page is behind the dashboard login). */
    invite: text(64),
    name: text(MAX_INSTANCE_NAME_LENGTH),
    school: z.enum(SCHOOL_CHOICES).optional(),
    /** `other`'s timetable URL (owner). An invitee sending one is refused unless it is the school's own host. */
    moncampusUrl: text(),
    username: text(200),
    password: text(500),
    ecalApiKey: text(500),
    ecalApiSecret: text(500),
    ecalCalendarId: text(64),
    /** An ECAL address other than the configured one (owner; refused for an invitee like moncampusUrl). */
    ecalUrl: text(),
    ics: z.boolean().optional(),
    /** An Apprise-style URL (discord://…, ntfys://…, tgram://…): the channel type is its scheme. */
    notify: text(),
    changesDays: z.number().int().optional(),
    digest: text(5),
    locale: z.enum(LOCALES).optional(),
    /**
     * The owner's edit: the config being edited. A Check whose secret field is left empty uses that config's stored
     * secret (the page never has it), so the owner can check an invitee's config without knowing the password.
     */
    edit: z.string().regex(INSTANCE_NAME_PATTERN).max(MAX_INSTANCE_NAME_LENGTH).optional(),
    /** The owner's edit: the hash of the file the form was filled from (a file changed since is a conflict). */
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .meta({ description: 'The guided form: every field optional here; each action says which it needs, beside the field.' });
export type FormBody = z.infer<typeof formBodySchema>;

/** Field id → what to fix, in the reader's language. */
export type FieldErrors = Record<string, string>;

export type Role = 'owner' | 'invitee';

/** Where the timetable is, for this role: the school group's host (or the owner's env override), or `other`'s URL. */
export function timetableUrl(body: FormBody, defaultFor: (school: SchoolGroup) => string): string | undefined {
  if (body.school === 'other') return body.moncampusUrl?.trim() || undefined;
  const school = isSchoolGroup(body.school) ? body.school : 'igensia';
  return body.moncampusUrl?.trim() || defaultFor(school);
}

/** An instance name from a MonCampus login: `Alice.Martin` → `alice-martin` (empty when nothing usable is left). */
export function nameFromUsername(username: string): string {
  const base = username
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/@.*$/, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, MAX_INSTANCE_NAME_LENGTH - 3);
  return isValidInstanceName(base) ? base : '';
}

/** The first of `base`, `base-2`, `base-3`… that `taken` says is free (an invitee never overwrites a config). */
export function freeName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

const has = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** The MonCampus part: what Check MonCampus and Save need. */
export function moncampusErrors(body: FormBody, role: Role, locale: Locale): FieldErrors {
  const t = translator(locale);
  const errors: FieldErrors = {};
  if (body.school === 'other') {
    if (role === 'invitee') errors.school = t('onboard.errors.otherOwnerOnly');
    else if (!has(body.moncampusUrl)) errors.moncampusUrl = t('onboard.errors.required');
    else if (!/^https?:\/\/[^/\s]+/i.test(body.moncampusUrl.trim())) errors.moncampusUrl = t('onboard.errors.url');
  }
  if (!has(body.username)) errors.username = t('onboard.errors.required');
  if (!has(body.password)) errors.password = t('onboard.errors.required');
  return errors;
}

/** The ECAL part: both keys for Check ECAL; a schedule too for Save (when any key is given: ECAL is optional). */
export function ecalErrors(body: FormBody, forSave: boolean, locale: Locale): FieldErrors {
  const t = translator(locale);
  const errors: FieldErrors = {};
  const any = has(body.ecalApiKey) || has(body.ecalApiSecret) || has(body.ecalCalendarId);
  if (!forSave || any) {
    if (!has(body.ecalApiKey)) errors.ecalApiKey = t('onboard.errors.required');
    if (!has(body.ecalApiSecret)) errors.ecalApiSecret = t('onboard.errors.required');
  }
  if (forSave && any) {
    if (!has(body.ecalCalendarId)) errors.ecalCalendarId = t('onboard.errors.pickSchedule');
    else if (!CALENDAR_ID.test(body.ecalCalendarId.trim())) errors.ecalCalendarId = t('onboard.errors.calendarId');
  }
  return errors;
}

/** Every field Save needs, beside its field; the name only for the owner (an invitee's is derived). */
export function saveErrors(body: FormBody, role: Role, locale: Locale): FieldErrors {
  const t = translator(locale);
  const errors: FieldErrors = { ...moncampusErrors(body, role, locale), ...ecalErrors(body, true, locale) };
  if (role === 'owner') {
    if (!has(body.name)) errors.name = t('onboard.errors.required');
    else if (!isValidInstanceName(body.name.trim())) errors.name = t('onboard.errors.name', { pattern: INSTANCE_NAME_PATTERN.source });
  }
  if (body.changesDays !== undefined && (body.changesDays < 1 || body.changesDays > MAX_HORIZON)) {
    errors.changesDays = t('onboard.errors.changesDays', { max: MAX_HORIZON });
  }
  if (has(body.digest) && !HHMM.test(body.digest.trim())) errors.digest = t('onboard.errors.digest');
  return errors;
}

/**
 * The config a form makes, as changes to an empty file (config/edit.ts): secrets go where configs keep them
 * (inline, in a file readable by its owner only, as `add-config` writes them); the timetable host only when it
 * is not the default (`writtenUrl`: the caller's choice, an invitee's school group host, never a typed one); ECAL's
 * address never for an invitee (the owner's configured one applies).
 */
export function configChanges(body: FormBody, role: Role, writtenUrl: string | undefined): ConfigChange[] {
  const set = (path: (string | number)[], value: unknown): ConfigChange => ({ op: 'set', path, value });
  const secret = (path: string[], value: string): ConfigChange => ({ op: 'secret', path, value });
  const out: ConfigChange[] = [set(['timezone'], 'Europe/Paris'), set(['locale'], body.locale ?? 'fr')];
  if (writtenUrl && writtenUrl.replace(/\/+$/, '') !== DEFAULT_MONCAMPUS_URL) out.push(set(['moncampus', 'url'], writtenUrl));
  out.push(set(['moncampus', 'username'], (body.username ?? '').trim()), secret(['moncampus', 'password'], body.password ?? ''));
  if (has(body.ecalCalendarId)) {
    if (role === 'owner' && has(body.ecalUrl)) out.push(set(['ecal', 'url'], body.ecalUrl.trim()));
    out.push(
      secret(['ecal', 'apiKey'], (body.ecalApiKey ?? '').trim()),
      secret(['ecal', 'apiSecret'], (body.ecalApiSecret ?? '').trim()),
      set(['ecal', 'calendarId'], body.ecalCalendarId.trim().toLowerCase()),
    );
  }
  out.push(set(['ics', 'enabled'], body.ics !== false));
  if (body.changesDays !== undefined || has(body.digest)) {
    if (body.changesDays !== undefined) out.push(set(['changes', 'horizonDays'], body.changesDays));
    if (has(body.digest)) out.push(set(['changes', 'digest'], body.digest.trim()));
  }
  if (has(body.notify)) out.push(set(['notify'], [body.notify.trim()]));
  return out;
}
