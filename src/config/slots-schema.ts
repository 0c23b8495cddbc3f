import { IANAZone } from 'luxon';
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { localText } from '../lib/index.js';
import { configWarning, customIssue, schemaMessage } from './messages.js';

/** Every five minutes, like the seed's Railway cron: new slots are taken within minutes. */
export const DEFAULT_SLOT_SCHEDULE = '*/5 * * * *';
/** A slot gone for a day and back is news again; a flicker between two checks is not. */
export const DEFAULT_REALERT_AFTER = '24h';
/** The seed's CLICRDV_DAYS_AHEAD default. */
export const DEFAULT_CLICRDV_DAYS_AHEAD = 30;
/** Four months of days is already 120 requests per check; more would hammer a public widget API. */
export const MAX_CLICRDV_DAYS_AHEAD = 120;
/** Enough to scan 35 days in a few seconds without looking like a flood to ClicRDV. */
export const DEFAULT_CLICRDV_CONCURRENCY = 5;
export const MAX_CLICRDV_CONCURRENCY = 10;
/** The seed tunnel's default range. */
export const DEFAULT_CALCOM_RANGE_DAYS = 14;
export const MAX_CALCOM_RANGE_DAYS = 90;
export const DEFAULT_CALCOM_URL = 'https://api.cal.com';

export const WATCHER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const HOUR_PATTERN = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
/** One or more parts in order, e.g. `30m`, `6h`, `2d`, `1d12h`. */
const DURATION_PATTERN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const DURATION_UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000] as const;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Milliseconds of a duration such as `6h`, `30m`, `2d` or `1d12h`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  let total = 0;
  DURATION_UNIT_MS.forEach((unit, i) => {
    const part = m[i + 1];
    if (part !== undefined) total += Number(part) * unit;
  });
  return total;
}

/** Minutes since midnight of `HH:MM` (24:00 allowed as an end). */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function isCalendarDate(value: string): boolean {
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

const httpUrl = z.url({ protocol: /^https?$/, error: schemaMessage('schema.httpUrl') });
/** `what` names a `configErrors.what.*` word: "a title", "an API key"… */
const nonEmpty = (what: string) => z.string().min(1, { error: schemaMessage('schema.empty', { what: localText(`configErrors.what.${what}`) }) });
const date = z.string().refine(isCalendarDate, { error: schemaMessage('schema.date') });
const hour = z.string().regex(HOUR_PATTERN, { error: schemaMessage('schema.hour') });
/** `unit` names a `configErrors.unit.*` word: days, requests… */
const intIn = (min: number, max: number, unit: string) => {
  const inUnit = localText(`configErrors.unit.${unit}`);
  return z
    .number()
    .int({ error: schemaMessage('schema.wholeOf', { unit: inUnit }) })
    .min(min, { error: schemaMessage('schema.between', { min, max, unit: inUnit }) })
    .max(max, { error: schemaMessage('schema.between', { min, max, unit: inUnit }) });
};

/**
 * `to` is exclusive (a slot starting at 12:00 is not a morning slot); `from` after `to` wraps past
 * midnight (22:00–02:00).
 */
const hoursSchema = z.strictObject({ from: hour, to: hour }).refine((h) => h.from !== h.to, { error: schemaMessage('schema.hoursDiffer'), path: ['to'] });

export const slotFilterSchema = z
  .strictObject({
    weekdays: z
      .array(z.enum(WEEKDAYS, { error: schemaMessage('expectedOneOf', { allowed: WEEKDAYS.join(', ') }) }))
      .min(1, { error: schemaMessage('schema.weekday') })
      .optional(),
    hours: hoursSchema.optional(),
    notBefore: date.optional(),
    notAfter: date.optional(),
  })
  .refine((f) => f.notBefore === undefined || f.notAfter === undefined || f.notBefore <= f.notAfter, {
    error: schemaMessage('schema.notBeforeKey', { other: 'notBefore' }),
    path: ['notAfter'],
  });
export type SlotFilter = z.infer<typeof slotFilterSchema>;

const common = {
  name: z.string().regex(WATCHER_NAME_PATTERN, { error: schemaMessage('schema.watcherName') }),
  schedule: z
    .string()
    .refine((expr) => isValidCron(expr), { error: schemaMessage('schema.slotSchedule') })
    .default(DEFAULT_SLOT_SCHEDULE),
  bookingUrl: httpUrl.optional(),
  filter: slotFilterSchema.optional(),
  realertAfter: z
    .string()
    .refine((d) => (parseDuration(d) ?? 0) > 0, { error: schemaMessage('schema.realertAfter') })
    .default(DEFAULT_REALERT_AFTER),
  /** Absent: the config's time zone (the caller passes it to createSlotWatcher). */
  timezone: z
    .string()
    .refine((tz) => IANAZone.isValidZone(tz), { error: schemaMessage('schema.timezone') })
    .optional(),
};

/** The `{date}` placeholder replaced by a real day must give an http(s) URL. */
function isClicrdvUrl(raw: string): boolean {
  try {
    const url = new URL(raw.split('{date}').join('2000-01-01'));
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const clicrdvWatcherSchema = z.strictObject({
  ...common,
  provider: z.literal('clicrdv'),
  url: z.string().refine(isClicrdvUrl, {
    error: schemaMessage('schema.clicrdvUrl'),
  }),
  daysAhead: intIn(1, MAX_CLICRDV_DAYS_AHEAD, 'days').default(DEFAULT_CLICRDV_DAYS_AHEAD),
  concurrency: intIn(1, MAX_CLICRDV_CONCURRENCY, 'requests').default(DEFAULT_CLICRDV_CONCURRENCY),
});

const calcomWatcherSchema = z.strictObject({
  ...common,
  provider: z.literal('calcom'),
  eventTypeId: z
    .number()
    .int({ error: schemaMessage('schema.eventTypeId') })
    .positive({ error: schemaMessage('schema.positiveId') }),
  apiKey: nonEmpty('apiKey').optional(),
  token: nonEmpty('token').optional(),
  apiVersion: z.enum(['v1', 'v2'], { error: schemaMessage('schema.apiVersion') }).optional(),
  rangeDays: intIn(1, MAX_CALCOM_RANGE_DAYS, 'days').default(DEFAULT_CALCOM_RANGE_DAYS),
  url: httpUrl.default(DEFAULT_CALCOM_URL),
});

export const slotWatcherSchema = z.discriminatedUnion('provider', [clicrdvWatcherSchema, calcomWatcherSchema], {
  error: schemaMessage('schema.slotProvider'),
});
export type SlotWatcherConfig = z.infer<typeof slotWatcherSchema>;
/** What a config file may say (defaults not applied yet). */
export type SlotWatcherInput = z.input<typeof slotWatcherSchema>;
export type ClicrdvWatcherConfig = Extract<SlotWatcherConfig, { provider: 'clicrdv' }>;
export type CalcomWatcherConfig = Extract<SlotWatcherConfig, { provider: 'calcom' }>;

export const slotsSchema = z.array(slotWatcherSchema).superRefine((watchers, ctx) => {
  const seen = new Set<string>();
  watchers.forEach((w, i) => {
    if (seen.has(w.name)) ctx.addIssue(customIssue([i, 'name'], 'schema.watcherTaken', { name: w.name }));
    seen.add(w.name);
  });
});

/**
 * Cal.com API v1 answers 410 to every request since 2026-04-08 (slots-and-alerts.md, Cal.com): a config that
 * still says `apiVersion: v1` keeps working, served by v2 with its API key as a bearer token, and is told so:
 * one warning per Cal.com watcher whose config still asks for API v1 (configErrors.warning.calcomV1*).
 */
export function calcomV1Warnings(watchers: readonly SlotWatcherConfig[]): string[] {
  return watchers.filter((w) => w.provider === 'calcom' && w.apiVersion === 'v1').map((w) => configWarning('calcomV1Watcher', { name: w.name }));
}

/** The realertAfter duration in milliseconds. */
export function realertAfterMs(w: SlotWatcherConfig): number {
  return parseDuration(w.realertAfter) ?? parseDuration(DEFAULT_REALERT_AFTER)!;
}

/** Values that must never reach a log or an alert. */
export function watcherSecrets(w: SlotWatcherConfig): string[] {
  if (w.provider === 'calcom') return [w.apiKey, w.token].filter((s): s is string => s !== undefined && s !== '');
  const key = clicrdvApiKey(w.url);
  return key === undefined ? [] : [key];
}

/** The `apikey` query value of a ClicRDV URL, decoded. */
export function clicrdvApiKey(rawUrl: string): string | undefined {
  try {
    const url = new URL(rawUrl.split('{date}').join('2000-01-01'));
    for (const [k, v] of url.searchParams) if (k.toLowerCase() === 'apikey' && v !== '') return v;
  } catch {
    // An unparsable URL is reported by the schema; nothing to hide here.
  }
  return undefined;
}
