import { z } from '@hono/zod-openapi';
import { INSTANCE_NAME_PATTERN } from '../../config/index.js';
import { errorBody, jsonBody, SECURED } from '../openapi.js';
import type { RouteDoc } from '../router.js';

/** The dashboard's routes as the generated OpenAPI shows them: the owner's, behind the key or its login cookie. */

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const actionAnswer = z.object({ ok: z.boolean(), message: z.string(), details: z.array(z.string()).optional() });
const cookieOrKey = 'The `x-api-key` header, or the login cookie (then the request must come from the dashboard page: CSRF).';

export const DASHBOARD_DOCS = {
  page: { summary: 'The dashboard, or the login form without a session', responses: { 200: html('The dashboard.'), 401: html('The login form.') } },
  login: {
    summary: 'Log in with an API key (sets the session cookie)',
    request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: z.object({ key: z.string() }) } } } },
    responses: {
      303: { description: 'Logged in: to `/`, with an HttpOnly, SameSite=Strict session cookie.' },
      401: html('Wrong or missing key: the form again.'),
      403: html('Posted from another site.'),
      429: html('Too many wrong keys from this client or in all; `Retry-After` says when to come back.'),
    },
  },
  logout: {
    summary: 'Log out: the session is revoked on the server',
    responses: { 303: { description: 'To `/`, the cookie cleared.' }, 403: errorBody('Posted from another site.') },
  },
  state: {
    summary: 'The dashboard’s data and its HTML fragments (polled by the page)',
    description: cookieOrKey,
    security: SECURED,
    responses: {
      200: jsonBody(z.object({ html: z.record(z.string(), z.string()) }).passthrough(), 'Every instance’s card.'),
      401: errorBody('No key, no session.'),
    },
  },
  action: {
    summary: 'Run now, restart the worker, or send a test notification',
    description: cookieOrKey,
    security: SECURED,
    request: {
      params: z.object({
        name: z.string().regex(INSTANCE_NAME_PATTERN).meta({ description: 'Instance name.' }),
        action: z.enum(['run', 'restart', 'test-notification']),
      }),
    },
    responses: {
      200: jsonBody(actionAnswer, 'What the button did.'),
      401: jsonBody(actionAnswer, 'No key, no session.'),
      403: jsonBody(actionAnswer, 'Not from the dashboard page (CSRF).'),
      404: jsonBody(actionAnswer, 'No such instance or action.'),
      409: jsonBody(actionAnswer, 'Not available for this instance, or already running.'),
      500: jsonBody(actionAnswer, 'It failed; the message says why (secrets removed).'),
    },
  },
} satisfies Record<string, RouteDoc>;
