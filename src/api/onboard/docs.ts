import { z } from '@hono/zod-openapi';
import { INSTANCE_NAME_PATTERN } from '../../config/index.js';
import { errorBody, jsonBody, SECURED } from '../openapi.js';
import type { RouteDoc } from '../router.js';
import { formBodySchema } from './form.js';

/** The guided form's routes as the generated OpenAPI shows them (issue 23). */

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const fields = z.record(z.string(), z.string()).meta({ description: 'Field id → what to fix, in the page’s language.' });
const checkAnswer = z.object({ ok: z.boolean(), reason: z.string().optional(), message: z.string(), field: z.string().optional() });
const refused = errorBody('Not from the form’s page (CSRF), no session, or an invitation that is expired, used, revoked or unknown.');
const tooMany = errorBody('Over a budget (per client and in all); `Retry-After` says when to come back.');
const invalid = jsonBody(z.object({ error: z.string(), fields: fields.optional() }), 'Check the fields: each error is keyed by its field.');
const body = { required: true, content: { 'application/json': { schema: formBodySchema } } };
const who = 'The owner (dashboard login cookie or `x-api-key`), or an invitee (`invite` in the body). A browser post carries the page’s `x-csrf-token`.';

export const ONBOARD_DOCS = {
  ownerPage: {
    summary: 'The guided form for a new config (owner; without a session, to the login)',
    responses: { 200: html('The form.'), 303: { description: 'Not logged in: to `/`.' } },
  },
  inviteePage: {
    summary: 'An invitation’s form (public: the token is the key)',
    request: { params: z.object({ token: z.string().meta({ description: 'The invitation’s token (43 base64url characters).' }) }) },
    responses: { 200: html('The form.'), 410: html('Expired, used or revoked.'), 404: html('No such invitation.'), 429: html('Too many tries.') },
  },
  checkMoncampus: {
    summary: 'Check MonCampus: a real login and the coming two weeks (nothing stored)',
    description: who,
    request: { body },
    responses: { 200: jsonBody(checkAnswer, 'The answer, or the exact reason.'), 400: invalid, 403: refused, 410: refused, 429: tooMany },
  },
  checkEcal: {
    summary: 'Check ECAL: the schedules these keys can write (nothing stored)',
    description: who,
    request: { body },
    responses: {
      200: jsonBody(checkAnswer.extend({ calendars: z.array(z.object({ id: z.string(), name: z.string() })) }), 'The schedules, or why not.'),
      400: invalid,
      403: refused,
      410: refused,
      429: tooMany,
    },
  },
  checkNotify: {
    summary: 'Send a test notification to the channel typed (nothing stored)',
    description: who,
    request: { body },
    responses: {
      200: jsonBody(checkAnswer.extend({ details: z.array(z.string()) }), 'One line per channel.'),
      400: invalid,
      403: refused,
      410: refused,
      429: tooMany,
    },
  },
  save: {
    summary: 'Save: validate, write configs/<name>.yml, use the invitation',
    description: who,
    request: { body },
    responses: {
      201: jsonBody(
        z.object({
          name: z.string(),
          progress: z.string().meta({ description: 'Where to follow the worker’s start and first sync.' }),
          statusToken: z.string().optional().meta({ description: 'Invitee: the key of their own status page (shown once).' }),
        }),
        'Written; the supervisor starts its worker.',
      ),
      400: invalid,
      403: refused,
      409: errorBody('A config of that name exists.'),
      410: refused,
      429: tooMany,
    },
  },
  progress: {
    summary: 'An instance’s start and first sync, and its feed once there is one',
    description: 'The owner (login cookie or `x-api-key`), or the instance’s own status token in `x-instance-token`.',
    security: SECURED,
    request: {
      params: z.object({ name: z.string().regex(INSTANCE_NAME_PATTERN) }),
      query: z.object({
        since: z.string().optional().meta({ description: 'After an edit: only runs started since this time (ISO 8601) count as synced.' }),
      }),
    },
    responses: {
      200: jsonBody(
        z.object({
          state: z.string(),
          worker: z.boolean(),
          synced: z.boolean(),
          message: z.string(),
          feedUrl: z.string().optional(),
          qr: z.string().optional().meta({ description: 'The feed link as a QR code (a data: URL of an SVG image).' }),
        }),
        'Where it is.',
      ),
      401: errorBody('Neither the owner nor this instance’s token.'),
      429: tooMany,
    },
  },
  invite: {
    summary: 'Make an invitation link (owner; shown once)',
    description: 'The login cookie (with the page’s `x-csrf-token`) or `x-api-key`.',
    security: SECURED,
    responses: {
      201: jsonBody(z.object({ id: z.string(), link: z.string(), expiresAt: z.string(), message: z.string(), qr: z.string() }), 'The link.'),
      401: errorBody('No key, no session.'),
      403: errorBody('Not from the form’s page (CSRF).'),
    },
  },
  revoke: {
    summary: 'Revoke a pending invitation (owner): its link opens nothing from now on',
    description: 'The login cookie (with the page’s `x-csrf-token`) or `x-api-key`.',
    security: SECURED,
    request: { params: z.object({ id: z.string().meta({ description: 'The invitation’s id (12 hex digits, as `campus-sync invites` lists it).' }) }) },
    responses: {
      200: jsonBody(z.object({ state: z.literal('revoked'), stateText: z.string(), message: z.string() }), 'Revoked.'),
      401: errorBody('No key, no session.'),
      403: errorBody('Not from the form’s page (CSRF).'),
      404: errorBody('No such invitation.'),
      409: errorBody('Already used, expired or revoked: nothing to revoke.'),
    },
  },
  editPage: {
    summary: 'The guided form filled in from configs/<name>.yml (owner; secrets shown only as set)',
    request: { params: z.object({ name: z.string().regex(INSTANCE_NAME_PATTERN) }) },
    responses: {
      200: html('The form.'),
      303: { description: 'Not logged in: to `/`.' },
      404: html('No such config.'),
      422: html('A file the form cannot edit (the old flat form, not YAML): edit it by hand.'),
    },
  },
  editSave: {
    summary: 'Save an edit: only what changed, secrets only when typed; a file changed since the form was read is a conflict',
    description: 'The owner (login cookie with the page’s `x-csrf-token`, or `x-api-key`). `hash` is the one the form was filled from.',
    security: SECURED,
    request: { params: z.object({ name: z.string().regex(INSTANCE_NAME_PATTERN) }), body },
    responses: {
      201: jsonBody(
        z.object({
          name: z.string(),
          hash: z.string().meta({ description: 'The file’s hash now (a next save from this page sends it).' }),
          progress: z.string().meta({ description: 'Where to follow the worker’s restart and its sync with the new settings.' }),
        }),
        'Written (or nothing to change); the supervisor restarts its worker.',
      ),
      400: invalid,
      401: errorBody('No key, no session.'),
      403: refused,
      404: errorBody('No such config.'),
      409: errorBody('The file changed on disk since the form was opened: nothing written.'),
      422: errorBody('A file the form cannot edit.'),
      429: tooMany,
    },
  },
} satisfies Record<string, RouteDoc>;
