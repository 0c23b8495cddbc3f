import { IANAZone } from 'luxon';
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { LOCALES, localText, parseDurationNs } from '../lib/index.js';
import { customIssue, schemaMessage } from './messages.js';
import { channelsSchema, HHMM } from './notify-schema.js';
import { bookingSchema } from './booking-schema.js';
import { slotsSchema } from './slots-schema.js';

// Defaults of a config file; every other module reads the normalised InstanceConfig, never these.
export const DEFAULT_TIMEZONE = 'Europe/Paris';
/** Minute 46 of hours 6–18, as the Python original did, but evaluated in the config's time zone. */
export const DEFAULT_SCHEDULE = '46 6-18 * * *';
export const DEFAULT_RUN_ON_START = true;
export const DEFAULT_MONCAMPUS_URL = 'https://ws-edt-igs.wigorservices.net';
/** A week back keeps last week's corrections; four months ahead covers a school term. */
export const DEFAULT_PAST_DAYS = 7;
export const DEFAULT_FUTURE_DAYS = 120;
export const DEFAULT_ECAL_URL = 'https://api.ecal.com';
/** The original project's reminder, which its users are used to. */
export const DEFAULT_ALERT = '15M';
/** Refuse a run that would delete more than half the events: a half-empty source is suspicious. */
export const DEFAULT_MAX_DELETE_SHARE = 0.5;
/** Enough to push a term in seconds while staying clear of ECAL's (undocumented) 429 threshold. */
export const DEFAULT_CONCURRENCY = 8;
export const MAX_CONCURRENCY = 16;
/**
 * A run whose timetable equals the last verified one skips the ECAL listing (one MonCampus request); a full
 * listing still runs this often, to repair drift such as an event deleted by hand in ECAL. Six hours is about
 * two verifications per school day on the default schedule.
 */
export const DEFAULT_VERIFY_EVERY = '6h';
/** A week: past that, drift (an event deleted by hand) would outlive the week it matters in. */
export const MAX_VERIFY_EVERY_MS = 7 * 24 * 3600_000;
/** Two school years: more is a heavy MonCampus fetch for a Pi and holds nothing useful. */
export const MAX_WINDOW_DAYS = 731;

export const CALENDAR_ID_PATTERN = /^[0-9a-f]{24}$/i;
/** ECAL reminders look like `15M`, `2H`, `1D`. */
export const ALERT_PATTERN = /^[0-9]{1,4}[MHDW]$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Keys whose values are secrets: their values never go into a message. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['password', 'apiKey', 'apiSecret', 'moncampus_password', 'ecal_api_key', 'ecal_api_secret', 'token']);

/**
 * Keys whose values are text even when they look like numbers (`password: 0123`, an all-digit
 * calendar id): the loader keeps their source text instead of YAML's number.
 */
/** Keys whose values name a file holding a secret (read relative to the config file's directory). */
export const SECRET_FILE_KEYS: ReadonlySet<string> = new Set(['passwordFile', 'apiKeyFile', 'apiSecretFile', 'tokenFile']);

export const STRING_KEYS: ReadonlySet<string> = new Set([
  ...SECRET_KEYS,
  ...SECRET_FILE_KEYS,
  'username',
  'calendarId',
  // A booking slug such as `2024` is still a slug.
  'type',
  'moncampus_username',
  'ecal_calendar_id',
  'instance_name',
  'channelId',
]);

/** The Python original's flat keys (MonCampus_Ecal_Docker `config.yml`). */
export const LEGACY_KEYS = [
  'moncampus_username',
  'moncampus_password',
  'moncampus_start_date',
  'moncampus_end_date',
  'ecal_api_key',
  'ecal_api_secret',
  'ecal_calendar_id',
  'error_file_path',
  'instance_name',
] as const;

/** `YYYY-MM-DD` naming a real day (2025-02-30 is not one). */
export function isCalendarDate(value: string): boolean {
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * A YAML date as `YYYY-MM-DD`. Unquoted dates stay strings with the `yaml` package's default
 * (YAML 1.2 core) schema, but a YAML 1.1 parse, or a caller building the object, gives a Date at
 * UTC midnight: both are the same day.
 */
export function toDateString(value: string | Date): string {
  if (typeof value === 'string') return value;
  return value.toISOString().slice(0, 10);
}

const dateValue = z.custom<string | Date>((v) => (typeof v === 'string' && isCalendarDate(v)) || (v instanceof Date && !Number.isNaN(v.getTime())), {
  error: schemaMessage('schema.date'),
});

/** `what` names a `configErrors.what.*` word: "a user name", "a file path"… */
const nonEmpty = (what: string) => z.string().min(1, { error: schemaMessage('schema.empty', { what: localText(`configErrors.what.${what}`) }) });
const httpUrl = z.url({ protocol: /^https?$/, error: schemaMessage('schema.httpUrl') });

const timezone = z.string().refine((tz) => IANAZone.isValidZone(tz), {
  error: schemaMessage('schema.timezone'),
});
const schedule = z.string().refine((expr) => isValidCron(expr), {
  error: schemaMessage('schema.schedule'),
});
const verifyEvery = z.string().refine(
  (text) => {
    const ns = parseDurationNs(text);
    return ns !== undefined && ns / 1e6 <= MAX_VERIFY_EVERY_MS;
  },
  { error: schemaMessage('schema.verifyEvery') },
);
const calendarId = z.string().regex(CALENDAR_ID_PATTERN, { error: schemaMessage('schema.calendarId') });
const days = z
  .number()
  .int({ error: schemaMessage('schema.wholeDays') })
  .min(0, { error: schemaMessage('schema.daysMin') })
  .max(MAX_WINDOW_DAYS, { error: schemaMessage('schema.daysMax', { max: MAX_WINDOW_DAYS }) });

/** Adds an issue unless exactly one of `key` and `${key}File` is given (a secret inline or in a file). */
function requireOneSecret(value: Record<string, unknown>, key: string, ctx: z.RefinementCtx): void {
  const fileKey = `${key}File`;
  const inline = value[key] !== undefined;
  const fromFile = value[fileKey] !== undefined;
  if (inline && fromFile) {
    ctx.addIssue(customIssue([fileKey], 'schema.secretBoth', { key, fileKey }));
  } else if (!inline && !fromFile) {
    ctx.addIssue(customIssue([key], 'schema.secretRequired', { fileKey }));
  }
}

const windowSchema = z
  .strictObject({
    from: dateValue.optional(),
    to: dateValue.optional(),
    pastDays: days.optional(),
    futureDays: days.optional(),
  })
  .superRefine((w, ctx) => {
    const fixed = w.from !== undefined || w.to !== undefined;
    const rolling = w.pastDays !== undefined || w.futureDays !== undefined;
    if (fixed && rolling) {
      ctx.addIssue(customIssue([], 'schema.windowBoth'));
      return;
    }
    if (fixed) {
      if (w.from === undefined) ctx.addIssue(customIssue(['from'], 'schema.requiredWith', { other: 'to' }));
      if (w.to === undefined) ctx.addIssue(customIssue(['to'], 'schema.requiredWith', { other: 'from' }));
      if (w.from !== undefined && w.to !== undefined && toDateString(w.to) < toDateString(w.from)) {
        ctx.addIssue(customIssue(['to'], 'schema.notBefore', { other: 'from', date: toDateString(w.from) }));
      }
    }
  });

const moncampusSchema = z
  .strictObject({
    url: httpUrl.optional(),
    casUrl: httpUrl.optional(),
    username: nonEmpty('userName'),
    password: nonEmpty('password').optional(),
    passwordFile: nonEmpty('filePath').optional(),
    window: windowSchema.optional(),
  })
  .superRefine((m, ctx) => requireOneSecret(m, 'password', ctx));

const ecalSchema = z
  .strictObject({
    url: httpUrl.optional(),
    apiKey: nonEmpty('apiKey').optional(),
    apiKeyFile: nonEmpty('filePath').optional(),
    apiSecret: nonEmpty('apiSecret').optional(),
    apiSecretFile: nonEmpty('filePath').optional(),
    calendarId,
    alert: z
      .string()
      .regex(ALERT_PATTERN, { error: schemaMessage('schema.alert') })
      .optional(),
    maxDeleteShare: z
      .number()
      .min(0, { error: schemaMessage('schema.share') })
      .max(1, { error: schemaMessage('schema.share') })
      .optional(),
    concurrency: z
      .number()
      .int({ error: schemaMessage('schema.whole') })
      .min(1, { error: schemaMessage('schema.oneTo', { max: MAX_CONCURRENCY }) })
      .max(MAX_CONCURRENCY, { error: schemaMessage('schema.oneTo', { max: MAX_CONCURRENCY }) })
      .optional(),
    /** How often a steady run still lists ECAL to repair drift: a duration such as "6h" or "30m"; "0" lists every run. */
    verifyEvery: verifyEvery.optional(),
  })
  .superRefine((e, ctx) => {
    requireOneSecret(e, 'apiKey', ctx);
    requireOneSecret(e, 'apiSecret', ctx);
  });

/** Change alerts look this far ahead at most: past two months a "moved class" is planning, not news. */
export const MAX_CHANGE_HORIZON_DAYS = 60;
export const DEFAULT_CHANGE_HORIZON_DAYS = 7;

/** A config file in the nested form (the one to write). Defaults are applied by the loader. */
export const configFileSchema = z.strictObject({
  timezone: timezone.optional(),
  schedule: schedule.optional(),
  runOnStart: z.boolean().optional(),
  /** Absent in a config that only watches slots. */
  moncampus: moncampusSchema.optional(),
  ecal: ecalSchema.optional(),
  ics: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  /** Language of this config's alerts and of text written into calendars (French first). */
  locale: z.enum(LOCALES).optional(),
  /** Timetable-change alerts: classes within `horizonDays` (default 7) that move, are cancelled or added, change room or teacher. */
  changes: z
    .strictObject({
      horizonDays: z.number().int().min(1).max(MAX_CHANGE_HORIZON_DAYS).optional(),
      /** "HH:MM" in the config's time zone: once a day at that time, one message with tomorrow's classes. */
      digest: z.string().regex(HHMM, schemaMessage('schema.digest')).optional(),
    })
    .optional(),
  /** Availability-slot watchers (ClicRDV, Cal.com). */
  slots: slotsSchema.optional(),
  /** Booking tunnel types (`/book/{type}`), served by the API process. */
  booking: bookingSchema.optional(),
  /** Notification channels: objects, or Apprise-style URL strings. */
  notify: channelsSchema.optional(),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** A config file in the Python original's flat form, accepted so its users can copy files over. */
export const legacyConfigFileSchema = z
  .strictObject({
    moncampus_username: nonEmpty('userName'),
    moncampus_password: nonEmpty('password'),
    moncampus_start_date: dateValue.optional(),
    moncampus_end_date: dateValue.optional(),
    ecal_api_key: nonEmpty('apiKey').optional(),
    ecal_api_secret: nonEmpty('apiSecret').optional(),
    ecal_calendar_id: calendarId.optional(),
    error_file_path: z.string().optional(),
    instance_name: z.string().optional(),
  })
  .superRefine((l, ctx) => {
    const ecalKeys = ['ecal_api_key', 'ecal_api_secret', 'ecal_calendar_id'] as const;
    const given = ecalKeys.filter((k) => l[k] !== undefined);
    if (given.length > 0) {
      for (const k of ecalKeys) {
        if (l[k] === undefined) ctx.addIssue(customIssue([k], 'schema.requiredWith', { other: given.join(', ') }));
      }
    }
    const start = l.moncampus_start_date;
    const end = l.moncampus_end_date;
    if (start === undefined && end !== undefined) {
      ctx.addIssue(customIssue(['moncampus_start_date'], 'schema.requiredWith', { other: 'moncampus_end_date' }));
    }
    if (end === undefined && start !== undefined) {
      ctx.addIssue(customIssue(['moncampus_end_date'], 'schema.requiredWith', { other: 'moncampus_start_date' }));
    }
    if (start !== undefined && end !== undefined && toDateString(end) < toDateString(start)) {
      ctx.addIssue(customIssue(['moncampus_end_date'], 'schema.notBefore', { other: 'moncampus_start_date', date: toDateString(start) }));
    }
  });
export type LegacyConfigFile = z.infer<typeof legacyConfigFileSchema>;

/** The keys an object of `schema` accepts at `path`, for "did you mean" hints on typos. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType = schema;
  for (const seg of [...path, null]) {
    while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    if (!(current instanceof z.ZodObject)) return [];
    if (seg === null) return Object.keys(current.shape);
    const next: unknown = (current.shape as Record<string, unknown>)[String(seg)];
    if (!(next instanceof z.ZodType)) return [];
    current = next;
  }
  return [];
}
