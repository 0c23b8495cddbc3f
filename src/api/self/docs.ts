import { z } from '@hono/zod-openapi';
import { INSTANCE_NAME_PATTERN } from '../../config/index.js';
import type { RouteDoc } from '../router.js';

/** The status page's and the owner's delete routes as the generated OpenAPI shows them. Forms, answered with HTML. */

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const token = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/)
  .meta({ description: 'The instance’s status-page token (256 bits; only its hash is stored). Never logged.' });
const csrf = z.string().meta({ description: 'The CSRF field the page put in each form.' });
const name = z.string().regex(INSTANCE_NAME_PATTERN).meta({ description: 'Instance name.' });

export const SELF_ACTIONS = ['pause', 'resume', 'password', 'test-notifications', 'delete'] as const;

export const SELF_DOCS = {
  page: {
    summary: 'A classmate’s status page: their instance only (public, by its token)',
    request: { params: z.object({ token }) },
    responses: { 200: html('The page.'), 404: html('No instance opens with this token.'), 429: html('Too many requests or unknown tokens.') },
  },
  action: {
    summary: 'Pause, resume, change the MonCampus password, test notifications, or delete the instance and its data',
    request: {
      params: z.object({ token, action: z.enum(SELF_ACTIONS) }),
      body: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({
              csrf,
              password: z.string().optional().meta({ description: '`password`: the new password (checked with MonCampus before it is written).' }),
              confirm: z.literal('1').optional().meta({ description: '`delete`: required.' }),
              ecal: z.literal('1').optional().meta({ description: '`delete`: also remove campus-sync’s events from ECAL.' }),
            }),
          },
        },
      },
    },
    responses: {
      200: html('The page with the result.'),
      400: html('A field is wrong: its error beside it.'),
      403: html('Not posted from this page (CSRF).'),
      404: html('No instance opens with this token.'),
      429: html('Over a budget; `Retry-After` says when to come back.'),
    },
  },
  ownerPage: {
    summary: 'The owner’s confirmation page to delete an instance',
    description: 'Behind the dashboard login (the page `/` logs in), as the dashboard page itself.',
    request: { params: z.object({ name }) },
    responses: { 200: html('The form.'), 401: html('Log in first.'), 404: html('No such instance.') },
  },
  ownerDelete: {
    summary: 'Delete an instance: stop its worker, remove its config; its data and ECAL events only when asked',
    description: 'Behind the dashboard login (the page `/` logs in), as the dashboard page itself.',
    request: {
      params: z.object({ name }),
      body: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({
              confirm: z.literal('1').meta({ description: 'Required.' }),
              data: z.literal('1').optional().meta({ description: 'Also delete data/<name>/.' }),
              ecal: z.literal('1').optional().meta({ description: 'Also remove campus-sync’s events from ECAL.' }),
            }),
          },
        },
      },
    },
    responses: {
      200: html('Deleted: what was removed.'),
      400: html('Not confirmed, or a step failed: nothing removed.'),
      401: html('Log in first.'),
      403: html('Not posted from the dashboard (CSRF).'),
      404: html('No such instance.'),
    },
  },
} satisfies Record<string, RouteDoc>;
