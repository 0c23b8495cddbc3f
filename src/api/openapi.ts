import { z } from '@hono/zod-openapi';
import { INSTANCE_NAME_PATTERN } from '../config/index.js';
import { API_KEY_HEADER } from './keys.js';
import { listQuerySchema, messageQuerySchema, snowflake } from './params.js';
import { webAssets, type AssetArea } from './assets.js';
import type { Router, RouteDoc } from './router.js';

/**
 * The OpenAPI 3 description of this server is generated (app.getOpenAPIDocument) from the zod schemas below and
 * those each route is registered with (router.get(pattern, handler, doc)); the query schemas are the ones the
 * handlers validate with (params.ts). It is rendered to HTML here so `/docs` works offline: no CDN, no script.
 */

export const DOC_INFO = {
  title: 'campus-sync reporting API',
  version: '1',
  description:
    'What campus-sync did: sync runs, synced events, alerts, errors, and ingested Discord messages; and the routes of the ' +
    'dashboard, the ICS feeds and the public booking page. Every `/v1` path needs the `x-api-key` header. Lists are newest ' +
    'first, paged with `limit` and an opaque `cursor` (`next_cursor` of the previous page). Times are ISO-8601; answers ' +
    'give them in UTC. A path that is not in canonical form (percent-encodings, dot or empty segments) is refused with 400.',
};

export const API_KEY_SCHEME = { type: 'apiKey', in: 'header', name: API_KEY_HEADER } as const;
export const SECURED = [{ apiKey: [] }];

/**
 * A reference to a named schema that may be null, written as OpenAPI 3.0 wants it (`nullable` beside `allOf`, never
 * beside `$ref`): the generator's own `.nullable()` on a named schema marks the component itself nullable instead.
 */
const nullableRef = (name: string) =>
  // `nullable` is OpenAPI 3.0's own keyword, which the generator's metadata type (3.1-minded) does not list.
  z.unknown().openapi({ nullable: true, allOf: [{ $ref: `#/components/schemas/${name}` }] } as Record<string, unknown>);

const time = (description: string) => z.string().meta({ format: 'date-time', description });
const nullableTime = (description: string) => time(description).nullable();

export const ErrorSchema = z
  .object({
    error: z.string().meta({ description: 'What is wrong, for people.' }),
    parameter: z.string().optional().meta({ description: 'The query parameter at fault (400 only).' }),
  })
  .openapi('Error');

const RunSchema = z
  .object({
    id: z.number().int(),
    instance: z.string(),
    started_at: time('Start of the run.'),
    finished_at: time('End of the run.'),
    outcome: z.string().meta({ description: 'success, partial, failed or dry-run.' }),
    phase: z.string().nullable().meta({ description: 'Where a failed run stopped (login, fetch, plan, push, ics…).' }),
    error: z.string().nullable().meta({ description: 'Why it failed (secrets removed).' }),
    courses: z.number().int().meta({ description: 'Courses fetched from MonCampus.' }),
    created: z.number().int(),
    updated: z.number().int(),
    adopted: z.number().int(),
    deleted: z.number().int(),
    unchanged: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    duration_ms: z.number().int(),
  })
  .openapi('Run');

const EventSchema = z
  .object({
    instance: z.string(),
    reference: z.string().meta({ description: 'Stable reference of the event in ECAL.' }),
    ecal_id: z.string().nullable(),
    title: z.string(),
    start: time('Start of the event.'),
    end: time('End of the event.'),
    last_change: time('When campus-sync last created or changed it.'),
  })
  .openapi('Event');

const AlertSchema = z
  .object({
    id: z.number().int(),
    alert_id: z.string(),
    instance: z.string(),
    kind: z.string().meta({ description: 'e.g. sync.failed, auth.recovered, slots.new.' }),
    severity: z.string(),
    channel: z.string().meta({ description: 'Notification channel it went to.' }),
    summary: z.string(),
    created_at: time('When the alert was raised.'),
    delivered_at: nullableTime('When the channel accepted it.'),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
  })
  .openapi('Alert');

const ErrorLineSchema = z
  .object({
    id: z.number().int(),
    instance: z.string(),
    at: time('When it happened.'),
    phase: z.string(),
    message: z.string().meta({ description: 'Secrets removed.' }),
  })
  .openapi('ErrorLine');

const MessageSchema = z
  .object({
    message_id: z.string().meta({ description: 'Discord snowflake (a string: it does not fit a JSON number).' }),
    guild_id: z.string(),
    channel_id: z.string(),
    author_id: z.string(),
    author_name: z.string(),
    content: z.string(),
    created_at: time('When it was posted.'),
    edited_at: nullableTime('Last edit.'),
    deleted: z.boolean(),
    attachment_count: z.number().int(),
    embed_count: z.number().int(),
    ingested_at: time('When campus-sync first stored it.'),
  })
  .openapi('Message');

const MessageDetailSchema = MessageSchema.extend({ raw_json: z.unknown().meta({ description: 'The message as Discord sent it.' }) }).openapi('MessageDetail');

const InstanceSchema = z
  .object({
    name: z.string(),
    state: z.enum(['valid', 'invalid', 'removed']).meta({ description: 'valid, invalid (see error) or removed (history without a config).' }),
    error: z.string().optional().meta({ description: 'Why the config is invalid.' }),
    schedule: z.string().optional().meta({ description: 'Cron schedule, in the time zone below.' }),
    timezone: z.string().optional(),
    features: z
      .object({ timetable: z.boolean(), ecal: z.boolean(), ics: z.boolean(), slot_watchers: z.number().int(), notify_channels: z.number().int() })
      .optional(),
    last_run: nullableRef('Run'),
  })
  .openapi('Instance');

const InstanceDetailSchema = InstanceSchema.extend({
  worker: z
    .object({
      state: z.string().meta({ description: 'idle, running, stopping, stopped.' }),
      next_run: z.string().nullable(),
      updated_at: z.string().nullable(),
    })
    .nullable(),
  next_run: nullableTime('When the worker runs next (from its status file).'),
  recent_runs: z.array(RunSchema),
}).openapi('InstanceDetail');

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']).meta({ description: 'ok, or unavailable when the store does not answer.' }),
    store: z.object({ kind: z.string().meta({ description: 'sqlite or postgres.' }), ok: z.boolean() }),
    checkedAt: time('When this answer was made.'),
    instances: z.array(z.object({ name: z.string(), lastRun: z.object({ at: time('End of the last run.'), outcome: z.string() }).nullable() })),
    discord: z
      .object({
        gateway: z.object({
          status: z
            .enum(['connecting', 'connected', 'resuming', 'reconnecting', 'stopped'])
            .meta({ description: 'The live Discord ingestion’s Gateway connection.' }),
          since: time('When the status began.'),
          reason: z.string().optional().meta({ description: 'Why it stopped, or the last close that made it reconnect.' }),
          closeCode: z.number().int().optional(),
          fatal: z
            .boolean()
            .optional()
            .meta({ description: 'Stopped for something a person must fix (the bot token, the Message Content intent): no reconnect is tried.' }),
          lastEventAt: nullableTime('Last event received from the Gateway.'),
          lagMs: z.number().nullable().meta({ description: 'How long the last message took from being posted to being received (ms).' }),
          at: time('When this state was recorded (when read from another process’s record).').optional(),
        }),
      })
      .optional()
      .meta({ description: 'Present when Discord ingestion runs live (through the Gateway).' }),
  })
  .openapi('Health');

/** A JSON answer of `schema`. */
export const jsonBody = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
export const errorBody = (description: string) => jsonBody(ErrorSchema, description);
const page = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page.' }),
  });

export const instanceParams = z.object({
  name: z.string().regex(INSTANCE_NAME_PATTERN).meta({ description: 'Instance name (its config file is `configs/<name>.yml`).' }),
});

const keyRefused = errorBody('Missing or wrong `x-api-key`.');
const badParameter = errorBody('A parameter is invalid; `parameter` names it.');
const noInstance = errorBody('No such instance.');

const listDoc = (summary: string, item: z.ZodType, withInstance: boolean, query: z.ZodObject = listQuerySchema): RouteDoc => ({
  summary,
  security: SECURED,
  request: { ...(withInstance ? { params: instanceParams } : {}), query },
  responses: { 200: jsonBody(page(item), 'A page, newest first.'), 400: badParameter, 401: keyRefused, ...(withInstance ? { 404: noInstance } : {}) },
});

/** The documentation of the core routes (server.ts registers each with its handler). */
export const CORE_DOCS = {
  health: {
    summary: 'Process up, store reachable, last run of each instance',
    description: 'No key needed. 503 when the store does not answer.',
    responses: { 200: jsonBody(HealthSchema, 'Healthy.'), 503: jsonBody(HealthSchema, 'The store does not answer.') },
  },
  docs: { summary: 'This documentation as a web page', responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } } } },
  docsSlash: { summary: 'Redirect to /docs', responses: { 308: { description: 'To /docs.' } } },
  openapi: {
    summary: 'This documentation as OpenAPI 3',
    responses: { 200: { description: 'OpenAPI document.', content: { 'application/json': { schema: z.object({}).passthrough() } } } },
  },
  instances: {
    summary: 'Every instance: its config state and last run',
    security: SECURED,
    responses: { 200: jsonBody(z.object({ items: z.array(InstanceSchema) }), 'Every config, then instances with history but no config.'), 401: keyRefused },
  },
  instance: {
    summary: 'One instance: config state, worker state, next run, recent runs',
    security: SECURED,
    request: { params: instanceParams },
    responses: { 200: jsonBody(InstanceDetailSchema, 'The instance.'), 401: keyRefused, 404: noInstance },
  },
  runs: listDoc('Sync runs of an instance', RunSchema, true),
  events: listDoc('Events of the instance as last synced', EventSchema, true),
  errors: listDoc('Lines of the instance’s error file (secrets removed when written)', ErrorLineSchema, true),
  alerts: listDoc(
    'Alerts and their delivery, per channel',
    AlertSchema,
    false,
    listQuerySchema.extend({ instance: z.string().regex(INSTANCE_NAME_PATTERN).optional().meta({ description: 'Only this instance’s alerts.' }) }),
  ),
  messages: listDoc('Ingested Discord messages of a channel', MessageSchema, false, messageQuerySchema),
  message: {
    summary: 'One message, with its raw Discord payload',
    security: SECURED,
    request: { params: z.object({ message_id: snowflake.meta({ description: 'Discord message id.' }) }) },
    responses: {
      200: jsonBody(MessageDetailSchema, 'The message (also when deleted).'),
      400: badParameter,
      401: keyRefused,
      404: errorBody('Not in the store.'),
    },
  },
  ics: {
    summary: 'The instance’s timetable as a calendar subscription (Google, Apple, Thunderbird)',
    description:
      'Needs the instance’s feed token (`campus-sync feed-url` prints the URL). Any refusal is a 404, so a feed’s existence is not revealed. ' +
      'Answers ETag and Last-Modified; If-None-Match gives 304 when unchanged.',
    request: {
      params: z.object({
        file: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_-]*\.ics$/)
          .meta({ description: '`<instance>.ics`.' }),
      }),
      query: z.object({ token: z.string().meta({ description: 'The instance’s feed token.' }) }),
      headers: z.object({
        'if-none-match': z.string().optional().meta({ description: 'An ETag of an earlier answer.' }),
        'if-modified-since': z.string().optional().meta({ description: 'An HTTP date; used only without If-None-Match (RFC 9110).' }),
      }),
    },
    responses: {
      200: { description: 'iCalendar, with ETag and Last-Modified.', content: { 'text/calendar': { schema: z.string() } } },
      304: { description: 'Unchanged since the ETag (or the date) given.' },
      404: errorBody('No such feed, or a wrong token.'),
    },
  },
} satisfies Record<string, RouteDoc>;

type Schema = Record<string, unknown>;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Markdown's `code` only: the descriptions use nothing else. */
const inline = (s: string): string => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function schemaText(schema: unknown, doc: Record<string, unknown>, depth = 0): string {
  const s = (schema ?? {}) as Schema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() as string;
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (Array.isArray(s.allOf)) return s.allOf.map((p) => schemaText(p, doc, depth)).join(' + ');
  if (s.type === 'array') return `array of ${schemaText(s.items, doc, depth)}`;
  if (s.type === 'object' && s.properties && depth < 2) {
    const props = Object.entries(s.properties as Record<string, Schema>)
      .map(([k, v]) => `<code>${escapeHtml(k)}</code>: ${schemaText(v, doc, depth + 1)}`)
      .join(', ');
    return `{ ${props} }`;
  }
  const bits = [String(s.type ?? 'any')];
  if (s.format) bits.push(`(${String(s.format)})`);
  if (s.nullable) bits.push('or null');
  if (s.enum) bits.push(`one of ${(s.enum as unknown[]).map(String).join(', ')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) bits.push(`${String(s.minimum ?? '')}..${String(s.maximum ?? '')}`);
  if (s.default !== undefined) bits.push(`default ${String(s.default)}`);
  return escapeHtml(bits.join(' '));
}

/**
 * The page's whole style, inline (its CSP allows nothing else). Light and dark (prefers-color-scheme), every text at
 * 4.5:1 or more; links underlined (not told apart by colour alone); on a 360 px phone the endpoint list is one column
 * and long paths and schemas wrap inside their cells, so nothing is wider than the screen; list links 24 px high
 * (WCAG 2.5.8). test/browser-a11y.test.ts checks the page with axe-core.
 */
const DOCS_CSS = `
:root{color-scheme:light dark;--bg:#fff;--text:#1d232a;--muted:#5c6470;--line:#ccd;--soft-line:#dde;--head:#f3f4f8;--method:#0b6e4f;--link:#1f5fbf;--req:#b00;--key:#fde8c8}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--text:#e6e8eb;--muted:#9aa3ad;--line:#3a414a;--soft-line:#2f353c;--head:#22272e;--method:#5fd08a;--link:#8ab4ff;--req:#ff8a7e;--key:#4a3512}}
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem 1.5rem;color:var(--text);background:var(--bg)}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid var(--line)}h3{font-size:1.05rem;margin-bottom:.3rem}
section{margin:1.5rem 0;padding-bottom:.5rem;border-bottom:1px dashed var(--soft-line)}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border:1px solid var(--soft-line);padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--head);font-weight:600}code{background:var(--head);padding:0 .2rem;border-radius:3px;overflow-wrap:anywhere}
.m{display:inline-block;min-width:3.2rem;font-weight:700;color:var(--method)}.key{font-size:.75rem;background:var(--key);padding:.1rem .4rem;border-radius:3px}
.req{font-size:.75rem;color:var(--req)}.opt{font-size:.75rem;color:var(--muted)}
a{color:var(--link);text-decoration:underline;text-underline-offset:.15em}
.toc{columns:2 22rem;padding-left:1.2rem}.toc a{display:inline-block;min-height:24px;padding:.1rem 0;overflow-wrap:anywhere}
@media (max-width:480px){body{padding:.75rem}td,th{padding:.2rem .3rem}}
`;

/** The document as one self-contained HTML page (inline CSS only): readable offline, behind any proxy. */
export function renderDocsHtml(doc: Record<string, unknown>): string {
  const info = doc.info as { title: string; version: string; description: string };
  const paths = doc.paths as Record<string, Record<string, Schema>>;
  const schemas = ((doc.components as Schema).schemas ?? {}) as Record<string, Schema>;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = `op-${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
      toc.push(`<li><a href="#${id}"><span class="m">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`);
      const params = (op.parameters as Schema[] | undefined) ?? [];
      const paramRows = params
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(String(p.name))}</code>${p.required ? ' <span class="req">required</span>' : ''}</td>` +
            `<td>${escapeHtml(String(p.in))}</td><td>${schemaText(p.schema, doc)}</td><td>${inline(String(p.description ?? ''))}</td></tr>`,
        )
        .join('');
      const responses = Object.entries((op.responses ?? {}) as Record<string, Schema>)
        .map(([code, r]) => {
          const content = (r.content ?? {}) as Record<string, Schema>;
          const body = Object.entries(content)
            .map(([type, c]) => `${escapeHtml(type)}${c.schema ? `: ${schemaText(c.schema, doc)}` : ''}`)
            .join('; ');
          return `<tr><td><code>${escapeHtml(code)}</code></td><td>${inline(String(r.description ?? ''))}</td><td>${body}</td></tr>`;
        })
        .join('');
      ops.push(
        `<section id="${id}"><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>` +
          `${op.security ? ' <span class="key">x-api-key</span>' : ''}</h3>` +
          `<p>${inline(String(op.summary ?? ''))}</p>${op.description ? `<p>${inline(String(op.description))}</p>` : ''}` +
          (paramRows ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>${paramRows}</table>` : '') +
          `<table><tr><th>status</th><th></th><th>body</th></tr>${responses}</table></section>`,
      );
    }
  }
  const schemaSections = Object.entries(schemas)
    .map(([name, s]) => {
      const parts = Array.isArray(s.allOf) ? (s.allOf as Schema[]) : [s];
      const rows = parts
        .flatMap((part) =>
          part.$ref
            ? [`<tr><td colspan="3">all of ${schemaText(part, doc)}, and:</td></tr>`]
            : Object.entries((part.properties ?? {}) as Record<string, Schema>).map(
                ([k, v]) =>
                  `<tr><td><code>${escapeHtml(k)}</code>${(part.required as string[] | undefined)?.includes(k) ? '' : ' <span class="opt">optional</span>'}</td>` +
                  `<td>${schemaText(v, doc, 1)}</td><td>${inline(String(v.description ?? ''))}</td></tr>`,
              ),
        )
        .join('');
      return `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3><table>${rows}</table></section>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(info.title)}</title>
<style>${DOCS_CSS}</style></head><body>
<h1>${escapeHtml(info.title)} <small>v${escapeHtml(info.version)}</small></h1>
<p>${inline(info.description)}</p>
<p>Machine-readable: <a href="docs/openapi.json">openapi.json</a> (OpenAPI 3).</p>
<h2>Endpoints</h2><ul class="toc">${toc.join('')}</ul>
${ops.join('\n')}
<h2>Schemas</h2>
${schemaSections}
</body></html>
`;
}

/** A page's script or stylesheet (assets.ts): content-hashed paths are immutable, the stable ones revalidate. */
export function assetRouteDoc(contentType: string, immutable: boolean): RouteDoc {
  return {
    summary: immutable ? 'A page asset under its content-hashed name (cached for a year)' : 'A page asset under its stable name (revalidated with ETag)',
    request: { headers: z.object({ 'if-none-match': z.string().optional().meta({ description: 'An ETag of an earlier answer.' }) }) },
    responses: { 200: { description: 'The asset, with ETag.', content: { [contentType]: { schema: z.string() } } }, 304: { description: 'Unchanged.' } },
  };
}

/** A page's scripts and styles, served under both names. Read at start: a missing build stops the server here, with the file to build. */
export function registerAssetRoutes(router: Router, area: AssetArea): void {
  for (const route of webAssets().routes(area)) {
    router.get(route.path, async (req) => route.answer(req.headers['if-none-match']), assetRouteDoc(route.asset.contentType, route.immutable));
  }
}
