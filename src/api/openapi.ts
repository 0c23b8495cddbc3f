import { DEFAULT_LIMIT, MAX_LIMIT } from './params.js';

/**
 * The OpenAPI 3 description of this API, written by hand beside the routes (server.test.ts checks that every
 * route is in it and nothing else), and rendered to HTML here so `/docs` works offline: no CDN, no script.
 */

type Schema = Record<string, unknown>;

const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const time = (description: string): Schema => str(description, { format: 'date-time' });
const int = (description?: string): Schema => ({ type: 'integer', ...(description ? { description } : {}) });
const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const queryParam = (name: string, description: string, schema: Schema, required = false): Schema => ({ name, in: 'query', required, description, schema });
const pathParam = (name: string, description: string, schema: Schema = str()): Schema => ({ name, in: 'path', required: true, description, schema });

const listParams = (timeOf: string): Schema[] => [
  queryParam('from', `Only rows whose ${timeOf} is at or after this time (ISO-8601 with an offset or Z).`, time('inclusive')),
  queryParam('to', `Only rows whose ${timeOf} is before this time (ISO-8601 with an offset or Z).`, time('exclusive')),
  queryParam('limit', `Rows per page, 1 to ${MAX_LIMIT}.`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
  queryParam('cursor', 'Opaque: the `next_cursor` of the previous page. Pages are stable while rows are added.', str()),
];

const instanceParam = pathParam('name', 'Instance name (its config file is `configs/<name>.yml`).', str(undefined, { pattern: '^[a-z0-9][a-z0-9_-]*$' }));

const page = (item: string): Schema =>
  obj({
    items: { type: 'array', items: ref(item) },
    next_cursor: nullable(str('Pass as `cursor` for the next (older) page; null on the last page.')),
  });

const json = (schema: Schema, description: string): Schema => ({ description, content: { 'application/json': { schema } } });
const errorAnswer = (description: string): Schema => json(ref('Error'), description);

const listResponses = (item: string, notFound = true): Schema => ({
  200: json(page(item), 'A page, newest first.'),
  400: errorAnswer('A parameter is invalid; `parameter` names it.'),
  401: errorAnswer('Missing or wrong `x-api-key`.'),
  ...(notFound ? { 404: errorAnswer('No such instance.') } : {}),
});

const secured = [{ apiKey: [] }];

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'campus-sync reporting API',
      version: '1',
      description:
        'What campus-sync did: sync runs, synced events, alerts, errors, and ingested Discord messages. ' +
        'Every `/v1` path needs the `x-api-key` header. Lists are newest first, paged with `limit` and an opaque ' +
        '`cursor` (`next_cursor` of the previous page). Times are ISO-8601; answers give them in UTC.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        Error: obj({ error: str('What is wrong, for people.'), parameter: str('The query parameter at fault (400 only).') }, ['error']),
        Run: obj({
          id: int(),
          instance: str(),
          started_at: time('Start of the run.'),
          finished_at: time('End of the run.'),
          outcome: str('success, partial, failed or dry-run.'),
          phase: nullable(str('Where a failed run stopped (login, fetch, plan, push, ics…).')),
          error: nullable(str('Why it failed (secrets removed).')),
          courses: int('Courses fetched from MonCampus.'),
          created: int(),
          updated: int(),
          adopted: int(),
          deleted: int(),
          unchanged: int(),
          skipped: int(),
          failed: int(),
          duration_ms: int(),
        }),
        Event: obj({
          instance: str(),
          reference: str('Stable reference of the event in ECAL.'),
          ecal_id: nullable(str()),
          title: str(),
          start: time('Start of the event.'),
          end: time('End of the event.'),
          last_change: time('When campus-sync last created or changed it.'),
        }),
        Alert: obj({
          id: int(),
          alert_id: str(),
          instance: str(),
          kind: str('e.g. sync.failed, auth.recovered, slots.new.'),
          severity: str(),
          channel: str('Notification channel it went to.'),
          summary: str(),
          created_at: time('When the alert was raised.'),
          delivered_at: nullable(time('When the channel accepted it.')),
          attempts: int(),
          last_error: nullable(str()),
        }),
        ErrorLine: obj({ id: int(), instance: str(), at: time('When it happened.'), phase: str(), message: str('Secrets removed.') }),
        Message: obj({
          message_id: str('Discord snowflake (a string: it does not fit a JSON number).'),
          guild_id: str(),
          channel_id: str(),
          author_id: str(),
          author_name: str(),
          content: str(),
          created_at: time('When it was posted.'),
          edited_at: nullable(time('Last edit.')),
          deleted: { type: 'boolean' },
          attachment_count: int(),
          embed_count: int(),
          ingested_at: time('When campus-sync first stored it.'),
        }),
        MessageDetail: {
          allOf: [ref('Message'), obj({ raw_json: { type: 'object', description: 'The message as Discord sent it.' } })],
        },
        Instance: obj(
          {
            name: str(),
            state: str('valid, invalid (see error) or removed (history without a config).', { enum: ['valid', 'invalid', 'removed'] }),
            error: str('Why the config is invalid.'),
            schedule: str('Cron schedule, in the time zone below.'),
            timezone: str(),
            features: obj({
              timetable: { type: 'boolean' },
              ecal: { type: 'boolean' },
              ics: { type: 'boolean' },
              slot_watchers: int(),
              notify_channels: int(),
            }),
            last_run: nullable(ref('Run')),
          },
          ['name', 'state'],
        ),
        InstanceDetail: {
          allOf: [
            ref('Instance'),
            obj(
              {
                worker: nullable(obj({ state: str('idle, running, stopping, stopped.'), next_run: nullable(time('')), updated_at: nullable(time('')) })),
                next_run: nullable(time('When the worker runs next (from its status file).')),
                recent_runs: { type: 'array', items: ref('Run') },
              },
              ['worker', 'next_run', 'recent_runs'],
            ),
          ],
        },
        Health: obj({
          status: str('ok, or unavailable when the store does not answer.', { enum: ['ok', 'unavailable'] }),
          store: obj({ kind: str('sqlite or postgres.'), ok: { type: 'boolean' } }),
          checkedAt: time('When this answer was made.'),
          instances: {
            type: 'array',
            items: obj({ name: str(), lastRun: nullable(obj({ at: time('End of the last run.'), outcome: str() })) }),
          },
        }),
      },
    },
    paths: {
      '/health': {
        get: {
          summary: 'Process up, store reachable, last run of each instance',
          description: 'No key needed. 503 when the store does not answer.',
          responses: { 200: json(ref('Health'), 'Healthy.'), 503: json(ref('Health'), 'The store does not answer.') },
        },
      },
      '/docs': { get: { summary: 'This documentation as a web page', responses: { 200: { description: 'HTML.', content: { 'text/html': {} } } } } },
      '/docs/openapi.json': {
        get: { summary: 'This documentation as OpenAPI 3', responses: { 200: { description: 'OpenAPI document.', content: { 'application/json': {} } } } },
      },
      '/v1/instances': {
        get: {
          summary: 'Every instance: its config state and last run',
          security: secured,
          responses: { 200: json(obj({ items: { type: 'array', items: ref('Instance') } }), 'Every config, then instances with history but no config.'), 401: errorAnswer('Missing or wrong `x-api-key`.') },
        },
      },
      '/v1/instances/{name}': {
        get: {
          summary: "One instance: config state, worker state, next run, recent runs",
          security: secured,
          parameters: [instanceParam],
          responses: { 200: json(ref('InstanceDetail'), 'The instance.'), 401: errorAnswer('Missing or wrong `x-api-key`.'), 404: errorAnswer('No such instance.') },
        },
      },
      '/v1/instances/{name}/runs': {
        get: { summary: 'Sync runs of an instance', security: secured, parameters: [instanceParam, ...listParams('start')], responses: listResponses('Run') },
      },
      '/v1/instances/{name}/events': {
        get: {
          summary: 'Events of the instance as last synced',
          security: secured,
          parameters: [instanceParam, ...listParams('event start')],
          responses: listResponses('Event'),
        },
      },
      '/v1/instances/{name}/errors': {
        get: { summary: 'Lines of the instance’s error file', security: secured, parameters: [instanceParam, ...listParams('time')], responses: listResponses('ErrorLine') },
      },
      '/v1/alerts': {
        get: {
          summary: 'Alerts and their delivery, per channel',
          security: secured,
          parameters: [queryParam('instance', 'Only this instance’s alerts.', str()), ...listParams('creation time')],
          responses: listResponses('Alert', false),
        },
      },
      '/v1/messages': {
        get: {
          summary: 'Ingested Discord messages of a channel',
          security: secured,
          parameters: [
            queryParam('guild_id', 'Discord server id.', str(undefined, { pattern: '^[0-9]{1,20}$' }), true),
            queryParam('channel_id', 'Discord channel id.', str(undefined, { pattern: '^[0-9]{1,20}$' }), true),
            ...listParams('creation time').map((p) =>
              p.name === 'cursor'
                ? queryParam('cursor', 'The `next_cursor` of the previous page, or a `message_id`: the page then starts just after (older than) that message.', str())
                : p,
            ),
            queryParam('include_deleted', 'Include messages deleted on Discord (they are kept, marked `deleted`).', { type: 'boolean', default: false }),
          ],
          responses: listResponses('Message', false),
        },
      },
      '/v1/messages/{message_id}': {
        get: {
          summary: 'One message, with its raw Discord payload',
          security: secured,
          parameters: [pathParam('message_id', 'Discord message id.', str(undefined, { pattern: '^[0-9]{1,20}$' }))],
          responses: { 200: json(ref('MessageDetail'), 'The message (also when deleted).'), 401: errorAnswer('Missing or wrong `x-api-key`.'), 404: errorAnswer('Not in the store.') },
        },
      },
      '/ics/{name}.ics': {
        get: {
          summary: 'The instance’s timetable as a calendar subscription (Google, Apple, Thunderbird)',
          description:
            'Needs the instance’s feed token (`campus-sync` prints the URL). Any refusal is a 404, so a feed’s existence is not revealed. ' +
            'Answers ETag; If-None-Match gives 304 when unchanged.',
          parameters: [instanceParam, queryParam('token', 'The instance’s feed token.', str(), true)],
          responses: { 200: { description: 'iCalendar.', content: { 'text/calendar': {} } }, 304: { description: 'Unchanged.' }, 404: { description: 'No such feed.' } },
        },
      },
    },
  };
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

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
<title>${escapeHtml(info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem 1.5rem;color:#1d232a}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccd}h3{font-size:1.05rem;margin-bottom:.3rem}
section{margin:1.5rem 0;padding-bottom:.5rem;border-bottom:1px dashed #dde}
table{border-collapse:collapse;width:100%;margin:.4rem 0}td,th{border:1px solid #dde;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f8;font-weight:600}code{background:#f3f4f8;padding:0 .2rem;border-radius:3px}
.m{display:inline-block;min-width:3.2rem;font-weight:700;color:#0b6e4f}.key{font-size:.75rem;background:#fde8c8;padding:.1rem .4rem;border-radius:3px}
.req{font-size:.75rem;color:#b00}.opt{font-size:.75rem;color:#777}ul{columns:2}a{color:#1f5fbf;text-decoration:none}
</style></head><body>
<h1>${escapeHtml(info.title)} <small>v${escapeHtml(info.version)}</small></h1>
<p>${inline(info.description)}</p>
<p>Machine-readable: <a href="docs/openapi.json">openapi.json</a> (OpenAPI 3).</p>
<h2>Endpoints</h2><ul>${toc.join('')}</ul>
${ops.join('\n')}
<h2>Schemas</h2>
${schemaSections}
</body></html>
`;
}
