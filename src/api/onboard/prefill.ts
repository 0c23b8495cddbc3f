import { isMap, parseDocument, type Document } from 'yaml';
import { type ConfigChange, DEFAULT_MONCAMPUS_URL, SCHOOL_GROUPS, type SchoolGroup } from '../../config/index.js';
import { isLocale, type Locale } from '../../lib/index.js';
import type { FormBody, SchoolChoice } from './form.js';

/**
 * The owner's edit of an existing config (issue 23, "the same form, filled in"), pure: what the form is filled
 * from, read from the file's YAML as written (not the loaded config: a `${VAR}` stays a reference), and the few
 * changes a Save makes to it. Secrets are write-only: only whether each one is set leaves this module, never a
 * value (not even masked). A field the owner left as it was makes no change, so the file's comments, key order and
 * each secret's form (inline, `${VAR}` or `*File`) stay as they are.
 */

/** The secrets the form has a field for; each is shown "set" or empty, never with its value. */
export interface SecretsSet {
  password: boolean;
  ecalApiKey: boolean;
  ecalApiSecret: boolean;
  /** Notification URLs carry their tokens (a webhook's secret): write-only too. */
  notify: boolean;
}

/** The form's visible values for a config (everything but secrets). */
export interface PrefillValues {
  school: SchoolChoice;
  /** `other`'s URL (the file's `moncampus.url` when it is not a school group's). */
  moncampusUrl?: string;
  username: string;
  ecalCalendarId?: string;
  ics: boolean;
  changesDays?: number;
  digest?: string;
  locale: Locale;
}

export interface Prefill {
  values: PrefillValues;
  set: SecretsSet;
  /** The file has an `ecal` section (its keys then need not be typed again). */
  hasEcal: boolean;
  /** The file's `moncampus.url` as written (undefined: the default host). */
  url?: string;
}

export type PrefillResult = { ok: true; prefill: Prefill } | { ok: false; reason: 'legacy' | 'yaml' | 'notMapping' };

/** The old flat form's marker key (config/schema.ts legacyConfigFileSchema): the form writes the nested one only. */
const LEGACY_MARKER = 'moncampus_username';

const trimSlash = (url: string): string => url.trim().replace(/\/+$/, '');

function isSet(doc: Document, path: string[]): boolean {
  const filePath = [...path.slice(0, -1), `${path[path.length - 1]}File`];
  return [path, filePath].some((p) => {
    const v = doc.getIn(p);
    return v !== undefined && v !== null && String(v) !== '';
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

function schoolOfUrl(url: string | undefined): { school: SchoolChoice; moncampusUrl?: string } {
  if (url === undefined) return { school: 'igensia' };
  const group = (Object.keys(SCHOOL_GROUPS) as SchoolGroup[]).find((g) => trimSlash(SCHOOL_GROUPS[g].url) === trimSlash(url));
  return group ? { school: group } : { school: 'other', moncampusUrl: url };
}

/** What the edit form shows for a config's text. */
export function prefillFrom(text: string): PrefillResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { ok: false, reason: 'yaml' };
  if (!isMap(doc.contents)) return { ok: false, reason: 'notMapping' };
  if (doc.has(LEGACY_MARKER)) return { ok: false, reason: 'legacy' };
  const url = str(doc.getIn(['moncampus', 'url']));
  const locale = str(doc.get('locale'));
  const days = doc.getIn(['changes', 'horizonDays']);
  const values: PrefillValues = {
    ...schoolOfUrl(url),
    username: str(doc.getIn(['moncampus', 'username'])) ?? '',
    ics: doc.getIn(['ics', 'enabled']) !== false,
    locale: locale !== undefined && isLocale(locale) ? locale : 'fr',
  };
  const calendarId = str(doc.getIn(['ecal', 'calendarId']));
  if (calendarId !== undefined) values.ecalCalendarId = calendarId;
  if (typeof days === 'number') values.changesDays = days;
  const digest = str(doc.getIn(['changes', 'digest']));
  if (digest !== undefined) values.digest = digest;
  const notify = doc.get('notify');
  const set: SecretsSet = {
    password: isSet(doc, ['moncampus', 'password']),
    ecalApiKey: isSet(doc, ['ecal', 'apiKey']),
    ecalApiSecret: isSet(doc, ['ecal', 'apiSecret']),
    notify: notify !== undefined && notify !== null,
  };
  return { ok: true, prefill: { values, set, hasEcal: doc.has('ecal'), ...(url !== undefined ? { url } : {}) } };
}

const typed = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/**
 * The body as Save's checks see it: a secret already set counts as given, so only a missing one is asked for. The
 * values put in are never written (editChanges writes a secret only when typed).
 */
export function bodyForChecks(body: FormBody, name: string, p: Prefill): FormBody {
  const kept = (given: string | undefined, isSetNow: boolean): string | undefined => (typed(given) ? given : isSetNow ? 'kept' : given);
  return {
    ...body,
    name,
    password: kept(body.password, p.set.password),
    ecalApiKey: kept(body.ecalApiKey, p.set.ecalApiKey),
    ecalApiSecret: kept(body.ecalApiSecret, p.set.ecalApiSecret),
  };
}

/**
 * The changes a Save of the edit form makes: only what differs from the file (`p`), a secret only when typed (it
 * then goes where the file keeps it: config/edit.ts `secret`). `timetable` is the URL the body's school means.
 */
export function editChanges(p: Prefill, body: FormBody, timetable: string | undefined): ConfigChange[] {
  const v = p.values;
  const out: ConfigChange[] = [];
  const set = (path: (string | number)[], value: unknown): void => void out.push({ op: 'set', path, value });
  const remove = (path: string[]): void => void out.push({ op: 'remove', path });
  const secret = (path: string[], value: string | undefined): void => {
    if (typed(value)) out.push({ op: 'secret', path, value: path[0] === 'ecal' ? value.trim() : value });
  };
  if (body.locale !== undefined && body.locale !== v.locale) set(['locale'], body.locale);
  const now = trimSlash(p.url ?? DEFAULT_MONCAMPUS_URL);
  if (timetable !== undefined && trimSlash(timetable) !== now) {
    if (trimSlash(timetable) === DEFAULT_MONCAMPUS_URL) remove(['moncampus', 'url']);
    else set(['moncampus', 'url'], timetable.trim());
  }
  const username = (body.username ?? '').trim();
  if (username !== '' && username !== v.username) set(['moncampus', 'username'], username);
  secret(['moncampus', 'password'], body.password);
  secret(['ecal', 'apiKey'], body.ecalApiKey);
  secret(['ecal', 'apiSecret'], body.ecalApiSecret);
  const calendarId = body.ecalCalendarId?.trim().toLowerCase();
  if (typed(calendarId) && calendarId !== v.ecalCalendarId?.toLowerCase()) set(['ecal', 'calendarId'], calendarId);
  const ics = body.ics !== false;
  if (ics !== v.ics) set(['ics', 'enabled'], ics);
  if (body.changesDays !== v.changesDays) {
    if (body.changesDays === undefined) remove(['changes', 'horizonDays']);
    else set(['changes', 'horizonDays'], body.changesDays);
  }
  const digest = typed(body.digest) ? body.digest.trim() : undefined;
  if (digest !== v.digest) {
    if (digest === undefined) remove(['changes', 'digest']);
    else set(['changes', 'digest'], digest);
  }
  if (typed(body.notify)) set(['notify'], [body.notify.trim()]);
  return out;
}
