import { IANAZone } from 'luxon';
import { z } from 'zod';
import { LOCALES, translator, type Locale } from '../../lib/index.js';
import { addDays } from './offer.js';

/** Field name (`ranges.1.from` for a row's field) → what to fix, shown next to that field. */
export type FieldErrors = Record<string, string>;

export type Validated<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors };

/** Names and messages are read by a person and go into an alert: short is enough, long is abuse. */
export const MAX_NAME_CHARS = 100;
export const MAX_NOTES_CHARS = 1_000;
export const MAX_MESSAGE_CHARS = 2_000;
/** A few date/time ranges: enough to say "mornings next week", not a calendar export. */
export const MAX_RANGES = 5;
/** A proposal for more than a year ahead is not an appointment request. */
export const MAX_PROPOSAL_DAYS_AHEAD = 365;
/** RFC 5321 path limit. */
const MAX_EMAIL_CHARS = 254;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
/** The page makes one per form (16 random bytes in hex): a resend of the same submission is recognised. */
export const REQUEST_ID = /^[A-Za-z0-9_-]{16,64}$/;

function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const t = new Date(Date.UTC(y as number, (m as number) - 1, d as number));
  return t.getUTCFullYear() === y && t.getUTCMonth() === (m as number) - 1 && t.getUTCDate() === d;
}

/** The request schemas with their messages in `locale` (the page's language, api/lang.ts). */
function schemasIn(locale: Locale) {
  const t = translator(locale);
  const e = (key: string, vars?: Record<string, unknown>) => ({ error: t(`booking.errors.${key}`, vars) });
  const tooLong = (max: number) => e('tooLong', { max });
  /** Trimmed text; empty counts as missing. */
  const text = (missing: string, max: number) => z.string(e(missing)).trim().min(1, e(missing)).max(max, tooLong(max));
  const optionalText = (max: number) => z.string().trim().max(max, tooLong(max)).optional();
  const email = z
    .string(e('email'))
    .trim()
    .min(1, e('email'))
    .max(MAX_EMAIL_CHARS, e('emailLong'))
    .pipe(z.email(e('emailInvalid')));
  const requestId = z.string(e('reload')).regex(REQUEST_ID, e('reload'));
  const booking = z.object({
    requestId,
    date: z.string(e('chooseDate')).refine(isCalendarDate, e('chooseDate')),
    time: z.string(e('chooseTime')).regex(TIME, e('chooseTime')),
    name: text('name', MAX_NAME_CHARS),
    email,
    /** The visitor's zone, for Cal.com's emails to them; the type's zone when absent or unknown. */
    timeZone: z.string().optional(),
    notes: optionalText(MAX_NOTES_CHARS),
  });
  const row = z
    .object({
      date: z.string(e('chooseDate')).refine(isCalendarDate, e('chooseDate')),
      from: z.string(e('start')).regex(TIME, e('startFormat')),
      to: z.string(e('end')).regex(TIME, e('endFormat')),
    })
    .refine((r) => r.from < r.to, { ...e('endAfterStart'), path: ['to'] });
  const proposal = z.object({
    requestId,
    name: text('name', MAX_NAME_CHARS),
    email,
    ranges: z.array(z.unknown(), e('oneRange')).max(MAX_RANGES, e('maxRanges', { max: MAX_RANGES })),
    message: optionalText(MAX_MESSAGE_CHARS),
  });
  return { booking, row, proposal, t };
}

/** Built once per language: the messages are fixed strings. */
const SCHEMAS = Object.fromEntries(LOCALES.map((l) => [l, schemasIn(l)])) as Record<Locale, ReturnType<typeof schemasIn>>;

/** The schemas as documented (OpenAPI, api/booking/docs.ts): English, the API's language for machines. */
export const bookingRequestSchema = SCHEMAS.en.booking;
export type BookingRequest = z.infer<typeof bookingRequestSchema>;

export interface AvailabilityRange {
  date: string;
  from: string;
  to: string;
}

export interface AvailabilityProposal {
  requestId: string;
  name: string;
  email: string;
  ranges: AvailabilityRange[];
  message?: string;
}

export const rowSchema = SCHEMAS.en.row;
export const proposalSchema = SCHEMAS.en.proposal;

/** First message per field: one thing to fix at a time, next to the field. */
function fieldErrorsOf(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const key = prefix + (issue.path.length === 0 ? 'form' : issue.path.map(String).join('.'));
    out[key] ??= issue.message;
  }
  return out;
}

const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A booking request, its field errors in `locale` (the visitor's page language). */
export function validateBookingRequest(body: unknown, locale: Locale): Validated<BookingRequest> {
  const r = SCHEMAS[locale].booking.safeParse(body);
  if (!r.success) return { ok: false, fields: fieldErrorsOf(r.error.issues) };
  const value = r.data;
  if (value.timeZone !== undefined && !IANAZone.isValidZone(value.timeZone)) delete value.timeZone;
  return { ok: true, value };
}

/**
 * A proposal of availability. Rows left entirely blank are ignored (the form shows a few); a row partly
 * filled is an error on the part missing, keyed by the row's place in the form. Dates are checked against
 * `today` in the booking type's zone. Field errors in `locale` (the visitor's page language).
 */
export function validateProposal(body: unknown, today: string, locale: Locale): Validated<AvailabilityProposal> {
  const { proposal, row: rowSchema, t } = SCHEMAS[locale];
  const base = proposal.safeParse(body);
  const fields: FieldErrors = base.success ? {} : fieldErrorsOf(base.error.issues);
  const rows = base.success
    ? base.data.ranges
    : Array.isArray((body as { ranges?: unknown } | null)?.ranges)
      ? (body as { ranges: unknown[] }).ranges.slice(0, MAX_RANGES)
      : [];
  const ranges: AvailabilityRange[] = [];
  const last = addDays(today, MAX_PROPOSAL_DAYS_AHEAD);
  rows.forEach((row, i) => {
    const r = (row ?? {}) as Record<string, unknown>;
    if (isBlank(r.date) && isBlank(r.from) && isBlank(r.to)) return;
    const parsed = rowSchema.safeParse(r);
    if (!parsed.success) {
      Object.assign(fields, Object.fromEntries(Object.entries(fieldErrorsOf(parsed.error.issues, `ranges.${i}.`)).filter(([k]) => fields[k] === undefined)));
      return;
    }
    if (parsed.data.date < today) fields[`ranges.${i}.date`] = t('booking.errors.pastDate');
    else if (parsed.data.date > last) fields[`ranges.${i}.date`] = t('booking.errors.withinYear');
    else ranges.push(parsed.data);
  });
  const rowErrors = Object.keys(fields).some((k) => k.startsWith('ranges.'));
  if (ranges.length === 0 && !rowErrors && fields.ranges === undefined) fields['ranges.0.date'] = t('booking.errors.oneRange');
  if (!base.success || Object.keys(fields).length > 0) return { ok: false, fields };
  const value: AvailabilityProposal = { requestId: base.data.requestId, name: base.data.name, email: base.data.email, ranges };
  if (base.data.message) value.message = base.data.message;
  return { ok: true, value };
}
