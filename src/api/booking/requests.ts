import { IANAZone } from 'luxon';
import { z } from 'zod';
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

/** Trimmed text; empty counts as missing. */
const text = (missing: string, max: number) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .max(max, { error: `Keep it under ${max} characters` });
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `Keep it under ${max} characters` })
    .optional();
const email = z
  .string({ error: 'Enter your email address' })
  .trim()
  .min(1, { error: 'Enter your email address' })
  .max(MAX_EMAIL_CHARS, { error: 'This email address is too long' })
  .pipe(z.email({ error: 'Enter an email address such as name@example.com' }));
const requestId = z.string({ error: 'Reload the page and try again' }).regex(REQUEST_ID, { error: 'Reload the page and try again' });

export const bookingRequestSchema = z.object({
  requestId,
  date: z.string({ error: 'Choose a date' }).refine(isCalendarDate, { error: 'Choose a date' }),
  time: z.string({ error: 'Choose a time' }).regex(TIME, { error: 'Choose a time' }),
  name: text('Enter your name', MAX_NAME_CHARS),
  email,
  /** The visitor's zone, for Cal.com's emails to them; the type's zone when absent or unknown. */
  timeZone: z.string().optional(),
  notes: optionalText(MAX_NOTES_CHARS),
});
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

export const rowSchema = z
  .object({
    date: z.string({ error: 'Choose a date' }).refine(isCalendarDate, { error: 'Choose a date' }),
    from: z.string({ error: 'Enter a start time' }).regex(TIME, { error: 'Enter a start time (HH:MM)' }),
    to: z.string({ error: 'Enter an end time' }).regex(TIME, { error: 'Enter an end time (HH:MM)' }),
  })
  .refine((r) => r.from < r.to, { error: 'The end must be after the start', path: ['to'] });

export const proposalSchema = z.object({
  requestId,
  name: text('Enter your name', MAX_NAME_CHARS),
  email,
  ranges: z.array(z.unknown(), { error: 'Give at least one date and time' }).max(MAX_RANGES, { error: `Give at most ${MAX_RANGES} ranges` }),
  message: optionalText(MAX_MESSAGE_CHARS),
});

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

export function validateBookingRequest(body: unknown): Validated<BookingRequest> {
  const r = bookingRequestSchema.safeParse(body);
  if (!r.success) return { ok: false, fields: fieldErrorsOf(r.error.issues) };
  const value = r.data;
  if (value.timeZone !== undefined && !IANAZone.isValidZone(value.timeZone)) delete value.timeZone;
  return { ok: true, value };
}

/**
 * A proposal of availability. Rows left entirely blank are ignored (the form shows a few); a row partly
 * filled is an error on the part missing, keyed by the row's place in the form. Dates are checked against
 * `today` in the booking type's zone.
 */
export function validateProposal(body: unknown, today: string): Validated<AvailabilityProposal> {
  const base = proposalSchema.safeParse(body);
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
    if (parsed.data.date < today) fields[`ranges.${i}.date`] = 'This date is in the past';
    else if (parsed.data.date > last) fields[`ranges.${i}.date`] = `Choose a date within a year`;
    else ranges.push(parsed.data);
  });
  const rowErrors = Object.keys(fields).some((k) => k.startsWith('ranges.'));
  if (ranges.length === 0 && !rowErrors && fields.ranges === undefined) fields['ranges.0.date'] = 'Give at least one date and time';
  if (!base.success || Object.keys(fields).length > 0) return { ok: false, fields };
  const value: AvailabilityProposal = { requestId: base.data.requestId, name: base.data.name, email: base.data.email, ranges };
  if (base.data.message) value.message = base.data.message;
  return { ok: true, value };
}
