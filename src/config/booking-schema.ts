import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DEFAULT_CALCOM_RANGE_DAYS, DEFAULT_CALCOM_URL, MAX_CALCOM_RANGE_DAYS } from './slots-schema.js';
import { localText } from '../lib/index.js';
import { configWarning, customIssue, schemaMessage } from './messages.js';

/** The seed tunnel shows "3 to 4" dates: four fills a phone screen without scrolling. */
export const DEFAULT_BOOKING_DATES_OFFERED = 4;
export const MIN_BOOKING_DATES_OFFERED = 3;
export const MAX_BOOKING_DATES_OFFERED = 4;
/** The seed tunnel offers two times per date: a choice, not a grid to read. */
export const DEFAULT_BOOKING_TIMES_PER_DATE = 2;
/** More buttons than this per date is the full calendar the tunnel exists to avoid. */
export const MAX_BOOKING_TIMES_PER_DATE = 6;
/** The v2 API is Cal.com's only one (v1 answers 410 since 2026-04-08); `v1` in a config is served by v2 with a warning. */
export const DEFAULT_BOOKING_API_VERSION = 'v2';
/** A slug ends up in `/book/{type}`: lower case, digits and dashes read well in a URL and never need escaping. */
export const BOOKING_TYPE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** Titles and descriptions are shown on the page: a heading and a paragraph, not an essay. */
const MAX_TITLE_CHARS = 120;
const MAX_DESCRIPTION_CHARS = 1_000;

const httpUrl = z.url({ protocol: /^https?$/, error: schemaMessage('schema.httpUrl') });
/** `what` names a `configErrors.what.*` word: "a title", "an API key"… */
const nonEmpty = (what: string) => z.string().min(1, { error: schemaMessage('schema.empty', { what: localText(`configErrors.what.${what}`) }) });
/** `unit` names a `configErrors.unit.*` word: days, requests… */
const intIn = (min: number, max: number, unit: string) => {
  const inUnit = localText(`configErrors.unit.${unit}`);
  return z
    .number()
    .int({ error: schemaMessage('schema.wholeOf', { unit: inUnit }) })
    .min(min, { error: schemaMessage('schema.between', { min, max, unit: inUnit }) })
    .max(max, { error: schemaMessage('schema.between', { min, max, unit: inUnit }) });
};

/** One bookable meeting type, as a config file writes it (defaults applied, secrets maybe still in files). */
export const bookingTypeSchema = z
  .strictObject({
    type: z.string().regex(BOOKING_TYPE_PATTERN, {
      error: schemaMessage('schema.slug'),
    }),
    title: nonEmpty('title').max(MAX_TITLE_CHARS, { error: schemaMessage('schema.maxChars', { max: MAX_TITLE_CHARS }) }),
    description: z
      .string()
      .max(MAX_DESCRIPTION_CHARS, { error: schemaMessage('schema.maxChars', { max: MAX_DESCRIPTION_CHARS }) })
      .optional(),
    provider: z.literal('calcom', { error: schemaMessage('schema.bookingProvider') }),
    eventTypeId: z
      .number()
      .int({ error: schemaMessage('schema.eventTypeId') })
      .positive({ error: schemaMessage('schema.positiveId') }),
    apiKey: nonEmpty('apiKey').optional(),
    apiKeyFile: nonEmpty('filePath').optional(),
    token: nonEmpty('token').optional(),
    tokenFile: nonEmpty('filePath').optional(),
    apiVersion: z.enum(['v1', 'v2'], { error: schemaMessage('schema.apiVersion') }).default(DEFAULT_BOOKING_API_VERSION),
    url: httpUrl.default(DEFAULT_CALCOM_URL),
    /** Absent: the config's time zone. */
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), { error: schemaMessage('schema.timezone') })
      .optional(),
    rangeDays: intIn(1, MAX_CALCOM_RANGE_DAYS, 'days').default(DEFAULT_CALCOM_RANGE_DAYS),
    datesOffered: intIn(MIN_BOOKING_DATES_OFFERED, MAX_BOOKING_DATES_OFFERED, 'dates').default(DEFAULT_BOOKING_DATES_OFFERED),
    timesPerDate: intIn(1, MAX_BOOKING_TIMES_PER_DATE, 'times').default(DEFAULT_BOOKING_TIMES_PER_DATE),
  })
  .superRefine((b, ctx) => {
    for (const key of ['apiKey', 'token'] as const) {
      if (b[key] !== undefined && b[`${key}File`] !== undefined) {
        ctx.addIssue(customIssue([`${key}File`], 'schema.secretBoth', { key, fileKey: `${key}File` }));
      }
    }
  });
export type BookingTypeFile = z.infer<typeof bookingTypeSchema>;
export type BookingTypeInput = z.input<typeof bookingTypeSchema>;

export const bookingSchema = z.array(bookingTypeSchema).superRefine((types, ctx) => {
  const seen = new Set<string>();
  types.forEach((t, i) => {
    if (seen.has(t.type)) ctx.addIssue(customIssue([i, 'type'], 'schema.bookingTaken', { name: t.type }));
    seen.add(t.type);
  });
});

/** A booking type as the rest of the code sees it: secrets read, zone resolved, URL without trailing slash. */
export interface BookingTypeConfig {
  type: string;
  title: string;
  description?: string;
  provider: 'calcom';
  eventTypeId: number;
  apiKey?: string;
  token?: string;
  apiVersion: 'v1' | 'v2';
  url: string;
  /** The type's own zone, else the config's: the hours offered are wall-clock times there. */
  timezone: string;
  rangeDays: number;
  datesOffered: number;
  timesPerDate: number;
}

/** The normalised type, given the secrets read from `*File` and the config's zone. */
export function normaliseBookingType(
  b: BookingTypeFile,
  secrets: { apiKey?: string | undefined; token?: string | undefined },
  configTimezone: string,
): BookingTypeConfig {
  const apiKey = b.apiKey ?? secrets.apiKey;
  const token = b.token ?? secrets.token;
  return {
    type: b.type,
    title: b.title,
    ...(b.description !== undefined ? { description: b.description } : {}),
    provider: b.provider,
    eventTypeId: b.eventTypeId,
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(token !== undefined ? { token } : {}),
    apiVersion: b.apiVersion,
    url: b.url.replace(/\/+$/, ''),
    timezone: b.timezone ?? configTimezone,
    rangeDays: b.rangeDays,
    datesOffered: b.datesOffered,
    timesPerDate: b.timesPerDate,
  };
}

/** One warning per booking type whose config still asks for Cal.com API v1 (served by v2). */
export function bookingV1Warnings(types: readonly Pick<BookingTypeConfig, 'type' | 'apiVersion'>[]): string[] {
  return types.filter((t) => t.apiVersion === 'v1').map((t) => configWarning('calcomV1Booking', { name: t.type }));
}

/** Values that must never reach a page, a log or an alert. */
export function bookingSecrets(b: Pick<BookingTypeConfig, 'apiKey' | 'token'>): string[] {
  return [b.apiKey, b.token].filter((s): s is string => s !== undefined && s !== '');
}

/**
 * Slugs claimed by more than one config (`/book/{type}` must name one event type): slug → the instances,
 * sorted. Each config checks its own list; this is the check across files.
 */
export function duplicateBookingTypes(configs: readonly { name: string; booking: readonly { type: string }[] }[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const c of configs) {
    for (const t of c.booking) {
      const list = owners.get(t.type) ?? [];
      if (!list.includes(c.name)) list.push(c.name);
      owners.set(t.type, list);
    }
  }
  return new Map([...owners].filter(([, names]) => names.length > 1).map(([slug, names]) => [slug, names.sort()]));
}
