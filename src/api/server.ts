import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isValidInstanceName } from '../config/index.js';
import { describeError, makeRedactor, REDACTED, systemClock, type Clock, type Logger } from '../lib/index.js';
import { InvalidParameterError, StoreError, type JsonPage, type MessageRow, type Page, type Store } from '../store/index.js';
import { ICS_CACHE_CONTROL, icsFeed } from './ics.js';
import { createConfigView, readWorkerStatus } from './instances.js';
import { API_KEY_HEADER, createKeyChecker } from './keys.js';
import { openApiDocument, renderDocsHtml } from './openapi.js';
import { isSnowflake, ParamError, parseInstanceFilter, parseListParams, parseMessageParams, type MessageParams } from './params.js';
import { createRouter, MAX_BODY_BYTES, type ApiRequest, type ApiResponse, type Router } from './router.js';

/** A store that has not answered in this long is down as far as a health check is concerned (Docker's check gives 5 s). */
export const HEALTH_PING_TIMEOUT_MS = 2_000;
/** Runs shown with one instance: enough to see a pattern (failing since when?) without paging. */
export const RECENT_RUNS = 5;
/** In-flight requests get this long to finish at shutdown; Docker's stop timeout is 10 s. */
export const CLOSE_GRACE_MS = 8_000;

export interface ApiServerOptions {
  store: Store;
  configDir: string;
  dataDir: string;
  /** Accepted `x-api-key` values (apiKeysFromEnv). None: every /v1 request is refused. */
  apiKeys: readonly string[];
  logger: Logger;
  clock?: Clock;
  /** For `${VAR}` in configs while checking them (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * More pages on the same server (the dashboard, the booking tunnel): each registers its routes. They get
   * `keyMatches` to guard what needs the API key; only /v1 is guarded by the server itself.
   */
  extensions?: readonly ApiExtension[];
}

/** What an extension gets to register its routes with. */
export interface ApiExtensionContext {
  router: Router;
  store: Store;
  configDir: string;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  /** Constant-time check of a presented key against the configured ones. */
  keyMatches: (presented: string | string[] | undefined) => boolean;
}

export type ApiExtension = (ctx: ApiExtensionContext) => void;

export interface ApiServer {
  listen(port: number, host?: string): Promise<{ url: string }>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

const fail = (status: number, error: string, parameter?: string): ApiResponse => ({
  status,
  json: parameter === undefined ? { error } : { error, parameter },
});

/**
 * Field names already converted: a page converts the same dozen row fields a hundred times, and the regular
 * expression per key was a third of a page's cost. The keys are our row types' fields, so it stays small.
 */
const snakeKeys = new Map<string, string>();

function snakeKey(key: string): string {
  let out = snakeKeys.get(key);
  if (out === undefined) {
    out = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeKeys.set(key, out);
  }
  return out;
}

/** camelCase row fields → snake_case JSON, like the seed's API (`message_id`, `next_cursor`). */
function snake<T extends object>(row: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[snakeKey(k)] = v;
  return out;
}

const pageJson = <T extends object>(page: Page<T>, map: (row: T) => Record<string, unknown> = snake): ApiResponse => ({
  status: 200,
  json: { items: page.items.map(map), next_cursor: page.nextCursor },
});

/** A listing page the database built as JSON (store.listJson): the same answer as pageJson, with no row objects. */
const jsonPageAnswer = (page: JsonPage): ApiResponse => ({
  status: 200,
  jsonText: `{"items":${page.itemsJson},"next_cursor":${JSON.stringify(page.nextCursor)}}`,
});

/**
 * redactStrings for JSON text: sent as it is when no secret is in it. The redactor also knows each secret's
 * JSON-escaped form (makeRedactor), so a secret with a quote or a backslash is seen in the text too. A text
 * that holds a secret, or an earlier REDACTED, is parsed and gets the walk of every string.
 */
function redactJsonText(text: string, redact: (text: string) => string): string {
  if (!text.includes(REDACTED) && redact(text) === text) return text;
  return JSON.stringify(redactStrings(JSON.parse(text), redact));
}

/** A list item leaves out the raw payload (the bulk of a row); `/v1/messages/{id}` has it. */
function messageJson(row: MessageRow): Record<string, unknown> {
  const { rawJson: _raw, ...rest } = row;
  return snake(rest);
}

function messageDetailJson(row: MessageRow): Record<string, unknown> {
  let raw: unknown = row.rawJson;
  try {
    raw = JSON.parse(row.rawJson);
  } catch {
    // Kept as the text it is: the payload is shown, whatever it is.
  }
  return { ...messageJson(row), raw_json: raw };
}

/** The value with `fn` applied to every string in it (keys included: they are ours, `fn` leaves them alone). */
function mapStrings(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

/** Every string value in `value` (not the keys, which mapStrings leaves alone too), in `out`. */
function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out);
}

/**
 * `mapStrings(value, redact)`, skipping the rebuild when no string holds a secret. One redactor call over all
 * the strings joined decides it, instead of one call per string (a page of 100 messages has ~1,000 strings,
 * and each call splits on every secret variant). Exact: a secret inside a string is inside the joined text;
 * and since a redaction leaves REDACTED behind for good, a joined text that had no REDACTED and comes back
 * unchanged had no secret at all. A text that already has REDACTED (a line the worker redacted) gets the walk.
 */
function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  const strings: string[] = [];
  collectStrings(value, strings);
  const joined = strings.join('\n');
  if (!joined.includes(REDACTED) && redact(joined) === joined) return value;
  return mapStrings(value, redact);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/v1/messages` with the seed's `cursor` = a message id: the page starts just after that message in the
 * listing's order (created_at, message_id descending). The store pages by its own cursors, so the rows at
 * the message's millisecond that come before it (and it) are dropped from the top of a page that starts
 * at that millisecond; `next_cursor` is the store's, valid as ever.
 */
async function messagesAfterId(store: Store, p: MessageParams, messageId: string): Promise<Page<MessageRow>> {
  const anchor = await store.getMessage(messageId);
  if (anchor === null || anchor.guildId !== p.guildId || anchor.channelId !== p.channelId) {
    throw new ParamError('cursor', 'neither a cursor from this listing nor a message id of this channel');
  }
  const justAfter = new Date(Date.parse(anchor.createdAt) + 1).toISOString();
  const to = p.to !== undefined && Date.parse(p.to) < Date.parse(justAfter) ? p.to : justAfter;
  const isBeforeOrAnchor = (m: MessageRow): boolean => m.createdAt === anchor.createdAt && m.messageId >= anchor.messageId;
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listMessages({
      guildId: p.guildId,
      channelId: p.channelId,
      ...(p.from !== undefined ? { from: p.from } : {}),
      to,
      limit: p.limit + 1,
      includeDeleted: p.includeDeleted,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    const items = page.items.filter((m) => !isBeforeOrAnchor(m));
    if (items.length > p.limit) {
      // Nothing was dropped: give `limit` rows; the store's cursor would skip the extra one, so start after it by id.
      const kept = items.slice(0, p.limit);
      return { items: kept, nextCursor: (kept[kept.length - 1] as MessageRow).messageId };
    }
    if (items.length > 0 || page.nextCursor === null) return { items, nextCursor: page.nextCursor };
    cursor = page.nextCursor;
  }
}

/** The body, or null once it passes `max` bytes (the rest is drained so the connection can answer 413). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const { store, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const keyMatches = createKeyChecker(opts.apiKeys);
  if (opts.apiKeys.length === 0) {
    logger.warn('no API key is configured (API_KEY, API_KEYS or API_KEYS_FILE): every /v1 request will be refused with 401');
  }
  const router = createRouter();
  const docs = openApiDocument();
  const docsJson = JSON.stringify(docs, null, 2);
  const docsHtml = renderDocsHtml(docs);

  const configs = createConfigView(opts.configDir, opts.env ? { env: opts.env } : {});
  const configNames = (): Promise<string[]> => configs.names();
  const redactKeys = makeRedactor(opts.apiKeys);
  /** Cheapest first: a config file, then one indexed run lookup; the store-wide DISTINCT only for instances with no run. */
  const knownInstance = async (name: string): Promise<boolean> =>
    isValidInstanceName(name) &&
    ((await configNames()).includes(name) || (await store.lastRun(name)) !== null || (await store.instances()).includes(name));
  const instanceOr404 = async (name: string): Promise<void> => {
    if (!(await knownInstance(name))) throw Object.assign(new Error('no such instance'), { notFound: true });
  };

  router.get('/health', async () => {
    let ok = true;
    try {
      await withTimeout(store.ping(), HEALTH_PING_TIMEOUT_MS);
    } catch (err) {
      ok = false;
      logger.warn(`health: the store does not answer: ${describeError(err)}`);
    }
    const names = new Set(await configNames().catch(() => []));
    if (ok) for (const n of await store.instances().catch(() => [])) names.add(n);
    const instances = [];
    for (const name of [...names].sort()) {
      const last = ok ? await store.lastRun(name).catch(() => null) : null;
      instances.push({ name, lastRun: last ? { at: last.finishedAt, outcome: last.outcome } : null });
    }
    return {
      status: ok ? 200 : 503,
      json: { status: ok ? 'ok' : 'unavailable', store: { kind: store.kind, ok }, checkedAt: clock.now().toISOString(), instances },
    };
  });

  router.get('/docs', async () => ({
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // The page is self-contained: nothing to load from anywhere, inline styles only.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    },
    body: docsHtml,
  }));
  router.get('/docs/', async () => ({ status: 308, headers: { location: '/docs' }, body: '' }));
  router.get('/docs/openapi.json', async () => ({ status: 200, headers: { 'content-type': JSON_TYPE }, body: docsJson }));

  router.get('/v1/instances', async () => {
    const states = await configs.states(await store.instances());
    const items = [];
    for (const s of states) {
      const last = await store.lastRun(s.name);
      items.push({ ...s, last_run: last ? snake(last) : null });
    }
    return { status: 200, json: { items } };
  });

  router.get('/v1/instances/:name', async (req) => {
    const name = req.params.name as string;
    if (!isValidInstanceName(name)) return fail(404, 'no such instance');
    const state = (await configs.states(await store.instances())).find((s) => s.name === name);
    if (!state) return fail(404, 'no such instance');
    const recent = (await store.listRuns(name, { limit: RECENT_RUNS })).items.map((r) => snake(r));
    const worker = await readWorkerStatus(opts.dataDir, name);
    return {
      status: 200,
      json: { ...state, last_run: recent[0] ?? null, worker, next_run: worker?.next_run ?? null, recent_runs: recent },
    };
  });

  router.get('/v1/instances/:name/runs', async (req) => {
    const q = parseListParams(req.query);
    await instanceOr404(req.params.name as string);
    return jsonPageAnswer(await store.listJson({ ...q, scope: 'runs', instance: req.params.name as string }));
  });

  router.get('/v1/instances/:name/events', async (req) => {
    const q = parseListParams(req.query);
    await instanceOr404(req.params.name as string);
    return jsonPageAnswer(await store.listJson({ ...q, scope: 'events', instance: req.params.name as string }));
  });

  router.get('/v1/instances/:name/errors', async (req) => {
    const q = parseListParams(req.query);
    await instanceOr404(req.params.name as string);
    return jsonPageAnswer(await store.listJson({ ...q, scope: 'errors', instance: req.params.name as string }));
  });

  router.get('/v1/alerts', async (req) => {
    const instance = parseInstanceFilter(req.query, isValidInstanceName);
    const q = parseListParams(req.query);
    return jsonPageAnswer(await store.listJson({ ...q, scope: 'alerts', ...(instance !== undefined ? { instance } : {}) }));
  });

  router.get('/v1/messages', async (req) => {
    const p = parseMessageParams(req.query);
    if (p.cursor !== undefined && isSnowflake(p.cursor)) return pageJson(await messagesAfterId(store, p, p.cursor), messageJson);
    const page = await store.listJson({
      scope: 'messages',
      guildId: p.guildId,
      channelId: p.channelId,
      limit: p.limit,
      includeDeleted: p.includeDeleted,
      ...(p.from !== undefined ? { from: p.from } : {}),
      ...(p.to !== undefined ? { to: p.to } : {}),
      ...(p.cursor !== undefined ? { cursor: p.cursor } : {}),
    });
    return jsonPageAnswer(page);
  });

  router.get('/v1/messages/:id', async (req) => {
    const id = req.params.id as string;
    if (!isSnowflake(id)) return fail(400, 'message_id: expected a Discord id (digits)', 'message_id');
    const row = await store.getMessage(id);
    return row ? { status: 200, json: messageDetailJson(row) } : fail(404, 'no such message');
  });

  router.get('/ics/:file', async (req) => {
    const file = req.params.file as string;
    const tokens = req.query.getAll('token');
    const name = file.endsWith('.ics') ? file.slice(0, -'.ics'.length) : '';
    const ifNoneMatch = req.headers['if-none-match'];
    const answer = await icsFeed(opts.dataDir, name, tokens.length === 1 ? (tokens[0] as string) : null, ifNoneMatch);
    if (answer.status === 404) return fail(404, 'not found');
    const headers = { etag: answer.etag, 'cache-control': ICS_CACHE_CONTROL, 'referrer-policy': 'no-referrer' };
    if (answer.status === 304) return { status: 304, headers };
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'text/calendar; charset=utf-8', 'content-disposition': `inline; filename="${name}.ics"` },
      body: answer.body,
    };
  });

  for (const extend of opts.extensions ?? []) extend({ router, store, configDir: opts.configDir, dataDir: opts.dataDir, logger, clock, keyMatches });

  const answer = async (req: ApiRequest): Promise<ApiResponse> => {
    // Before routing, so a caller without a key learns nothing, not even which /v1 paths exist.
    if ((req.path === '/v1' || req.path.startsWith('/v1/')) && !keyMatches(req.headers[API_KEY_HEADER])) {
      return fail(401, `missing or invalid ${API_KEY_HEADER} header`);
    }
    const match = router.lookup(req.method, req.path);
    if (!match) return fail(404, 'not found');
    if ('allow' in match) return { ...fail(405, `only ${match.allow.join(', ')} here`), headers: { allow: match.allow.join(', ') } };
    try {
      const result = await match.handler({ ...req, params: match.params });
      if ((result.json === undefined && result.jsonText === undefined) || !req.path.startsWith('/v1/')) return result;
      // Errors and run messages were redacted by the worker that wrote them; an old line (written before a
      // password changed hands, or by the Python original) may not have been. Every answer goes through the
      // secrets of today's configs and the API keys once more.
      const redactSecrets = await configs.redactor();
      const redact = (t: string): string => redactKeys(redactSecrets(t));
      if (result.jsonText !== undefined) return { ...result, jsonText: redactJsonText(result.jsonText, redact) };
      return { ...result, json: redactStrings(result.json, redact) };
    } catch (err) {
      if (err instanceof ParamError) return fail(400, err.message, err.parameter);
      // The store's own checks (a cursor it never issued, a time it cannot read) name the parameter too.
      if (err instanceof InvalidParameterError) return fail(400, err.message, err.parameter);
      if ((err as { notFound?: boolean }).notFound) return fail(404, 'no such instance');
      logger.error(`${req.method} ${req.path} failed: ${describeError(err)}`);
      if (err instanceof StoreError) return fail(503, 'the store is unavailable, try again later');
      return fail(500, 'internal error');
    }
  };

  let closing = false;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const method = req.method ?? 'GET';
    let result: ApiResponse;
    try {
      const body = method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : Buffer.alloc(0);
      result =
        body === null
          ? fail(413, `the body is larger than ${MAX_BODY_BYTES} bytes`)
          : await answer({ method, path, params: {}, query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)), headers: req.headers, body });
    } catch (err) {
      logger.error(`${method} ${path} failed: ${describeError(err)}`);
      result = fail(500, 'internal error');
    }
    const body = result.body ?? result.jsonText ?? (result.json === undefined ? '' : JSON.stringify(result.json));
    const headers: Record<string, string> = {
      'x-content-type-options': 'nosniff',
      ...(result.json !== undefined || result.jsonText !== undefined ? { 'content-type': JSON_TYPE } : {}),
      ...(path.startsWith('/v1/') ? { 'cache-control': 'no-store' } : {}),
      ...result.headers,
    };
    if (closing) headers.connection = 'close';
    // A string goes to the socket as it is (no copy into a Buffer of our own first): a page is ~35 KB.
    if (result.status !== 304) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length);
    res.writeHead(result.status, headers);
    res.end(method === 'HEAD' || result.status === 304 ? undefined : body);
    const ms = Math.round(performance.now() - started);
    // Method, path without its query string (tokens live there), status, time: never a header, never a key.
    const line = `${method} ${path} ${result.status} ${ms}ms`;
    const meta = { method, path, status: result.status, ms };
    if (path === '/health' && result.status === 200) logger.debug(line, meta);
    else logger.info(line, meta);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      logger.error(`request failed: ${describeError(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
      res.end();
    });
  });

  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          const shownHost = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
          resolve({ url: `http://${shownHost}:${addr.port}` });
        });
      });
    },
    close(graceMs = CLOSE_GRACE_MS) {
      closing = true;
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
