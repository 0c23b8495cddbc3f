import { z } from '@hono/zod-openapi';
import { BOOKING_TYPE_PATTERN } from '../../config/index.js';
import { errorBody, jsonBody } from '../openapi.js';
import type { RouteDoc } from '../router.js';
import { bookingRequestSchema, proposalSchema, rowSchema } from './requests.js';
import { MAX_HORIZON_DAYS } from './slots.js';

/**
 * The booking page's routes as the generated OpenAPI shows them. The request bodies are the zod schemas the
 * handlers validate with (requests.ts); the answers are what the handlers build.
 */

const typeParams = z.object({ type: z.string().regex(BOOKING_TYPE_PATTERN).meta({ description: 'The booking type (its slug in a config’s `booking:`).' }) });
const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const fieldErrors = jsonBody(
  z.object({ error: z.string(), fields: z.record(z.string(), z.string()).meta({ description: 'Field (`ranges.1.from` for a row) → what to fix.' }) }),
  'Check the fields: each error is keyed by its field.',
);
const tooMany = errorBody('Over a public budget (per client and in all); `Retry-After` says when to come back.');
const notFound = errorBody('No such booking type.');
const unavailable = errorBody('The type is declared by two configs, so served by neither.');
const calcomDown = errorBody('Cal.com failed: a plain message; the detail is in the owner’s log.');

export const BOOKING_DOCS = {
  slots: {
    summary: 'Free times of a booking type, per date, in its zone (public)',
    request: {
      query: z.object({
        type: z.string().regex(BOOKING_TYPE_PATTERN).meta({ description: 'The booking type.' }),
        from: z.string().optional().meta({ description: 'First day, YYYY-MM-DD, today or later (default today).', format: 'date' }),
        range: z
          .string()
          .regex(/^\d{1,3}$/)
          .optional()
          .meta({ description: `Days from \`from\`, 1 to ${MAX_HORIZON_DAYS} (default the type’s range).` }),
      }),
    },
    responses: {
      200: jsonBody(
        z.array(z.object({ date: z.string().meta({ format: 'date' }), hours: z.array(z.string().meta({ description: 'HH:MM in the type’s zone.' })) })),
        'Dates with a free time.',
      ),
      400: errorBody('A parameter is invalid; `parameter` names it.'),
      404: notFound,
      429: tooMany,
      502: calcomDown,
      503: unavailable,
    },
  },
  index: { summary: 'The list of booking types (public page)', responses: { 200: html('The page.') } },
  page: {
    summary: 'The booking page of a type (public)',
    request: { params: typeParams },
    responses: { 200: html('The page.'), 404: html('No such type.'), 503: html('Not available.') },
  },
  booking: {
    summary: 'Book a free time (public; a resent submission gets the first answer)',
    request: { params: typeParams, body: { required: true, content: { 'application/json': { schema: bookingRequestSchema } } } },
    responses: {
      201: jsonBody(
        z.object({
          booking: z.object({
            uid: z.string(),
            date: z.string(),
            time: z.string(),
            timezone: z.string(),
            status: z.string().meta({ description: 'accepted, or pending when the host confirms.' }),
          }),
        }),
        'Booked in Cal.com.',
      ),
      400: fieldErrors,
      404: notFound,
      409: errorBody('The time was just taken.'),
      413: errorBody('The body is over 64 KiB.'),
      415: errorBody('Not a JSON body.'),
      429: tooMany,
      502: calcomDown,
    },
  },
  availability: {
    summary: 'Propose one’s own availability when no time suits (public; stored and sent to the owner’s channels)',
    request: {
      params: typeParams,
      body: { required: true, content: { 'application/json': { schema: proposalSchema.extend({ ranges: z.array(rowSchema) }) } } },
    },
    responses: {
      201: jsonBody(z.object({ ok: z.literal(true) }), 'Stored, and queued for the channels.'),
      400: fieldErrors,
      404: notFound,
      413: errorBody('The body is over 64 KiB.'),
      415: errorBody('Not a JSON body.'),
      429: tooMany,
    },
  },
} satisfies Record<string, RouteDoc>;
