import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { isValidInstanceName } from '../config/index.js';
import { describeError, makeRedactor, systemClock, type Clock, type Logger } from '../lib/index.js';
import { createHttpApp, JSON_TYPE, loggablePath } from './app.js';
import { InvalidParameterError, StoreError, type JsonPage, type MessageRow, type Page, type RunRow, type Store } from '../store/index.js';
import { ICS_CACHE_CONTROL, icsFeed } from './ics.js';
import type { ConfigSource } from './config-source.js';
import { createConfigView, readWorkerStatus } from './instances.js';
import { createKnownInstances } from './known-instances.js';
import { createKeyChecker } from './keys.js';
import { API_KEY_SCHEME, CORE_DOCS, DOC_INFO, renderDocsHtml } from './openapi.js';
import { isSnowflake, ParamError, parseInstanceFilter, parseListParams, parseMessageParams, type MessageParams } from './params.js';
import type { ApiResponse, Handler, Router } from './router.js';
import { readIngestHealth, type GatewayHealth } from '../ingest/index.js';

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
  /** The config reader to share (startApi gives the importer's, so the process reads the configs once). */
  configSource?: ConfigSource;
  /** Timeouts and connection caps (tests shorten them); defaults below. */
  limits?: Partial<ConnectionLimits>;
  /**
   * Live Discord ingestion's Gateway state when it runs in this process (serve); otherwise /health shows
   * what data/.ingest/discord.json last recorded (`campus-sync ingest live` in another process).
   */
  discordHealth?: () => Omit<GatewayHealth, 'at'> | null;
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
  /** The hono app (tests call app.request; the OpenAPI document comes from it). */
  // biome-ignore lint/suspicious/noExplicitAny: any app's routes, whatever their environment type
  app: OpenAPIHono<any>;
  listen(port: number, host?: string): Promise<{ url: string }>;
  /** Stops accepting, lets requests in flight finish (up to `graceMs`), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

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

/** The OpenAPI 3 document of an app, generated from the zod schemas its routes were registered with. */
// biome-ignore lint/suspicious/noExplicitAny: any app's routes, whatever their environment type
export function openApiDocumentOf(app: OpenAPIHono<any>): Record<string, unknown> {
  return app.getOpenAPIDocument({ openapi: '3.0.3', info: DOC_INFO }) as unknown as Record<string, unknown>;
}

/** Reading a request's headers and body gets this long in all; a client that trickles them is dropped (slowloris). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** The headers alone, counted from the connection's first byte, or from its opening when no byte comes. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** An idle kept-alive connection is closed after this long (browsers reconnect at no cost). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * Open connections one peer address may hold: a page and its polling need a handful; a script holding hundreds
 * would starve everybody else on a Pi. Behind a reverse proxy every visitor shares the proxy's address: the
 * proxy then limits its clients (SECURITY.md).
 */
export const MAX_CONNECTIONS_PER_CLIENT = 32;
/** Open connections in all (file descriptors and memory on a Pi). */
export const MAX_CONNECTIONS = 512;

export interface ConnectionLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  perClient: number;
  total: number;
}

const DEFAULT_LIMITS: ConnectionLimits = {
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  perClient: MAX_CONNECTIONS_PER_CLIENT,
  total: MAX_CONNECTIONS,
};

/** The answer for an error a handler threw: a parameter at fault (400), an unknown instance (404), the store down (503). */
function errorAnswer(err: unknown, logger: Logger, where: string): ApiResponse {
  if (err instanceof ParamError) return fail(400, err.message, err.parameter);
  // The store's own checks (a cursor it never issued, a time it cannot read) name the parameter too.
  if (err instanceof InvalidParameterError) return fail(400, err.message, err.parameter);
  if ((err as { notFound?: boolean }).notFound) return fail(404, 'no such instance');
  logger.error(`${where} failed: ${describeError(err)}`);
  if (err instanceof StoreError) return fail(503, 'the store is unavailable, try again later');
  return fail(500, 'internal error');
}

/** A node HTTP server for `listener` that drops slow and idle clients and caps connections per peer and in all. */
function createGuardedServer(listener: RequestListener, limits: ConnectionLimits): Server {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period: a tenth of the shorter one keeps them close to exact.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 10))),
    },
    listener,
  );
  server.maxConnections = limits.total;
  // A socket that never sends a byte is not parsing a request yet, so headersTimeout alone may not see it: an idle
  // socket is closed after the headers' time too.
  server.setTimeout(limits.headersTimeoutMs, (socket) => socket.destroy());
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    const open = (perClient.get(peer) ?? 0) + 1;
    if (open > limits.perClient) {
      socket.destroy();
      return;
    }
    perClient.set(peer, open);
    socket.once('close', () => {
      const left = (perClient.get(peer) ?? 1) - 1;
      if (left <= 0) perClient.delete(peer);
      else perClient.set(peer, left);
    });
  });
  return server;
}

/** What the core route groups below share. */
interface CoreRoutes {
  router: Router;
  store: ApiServerOptions['store'];
  configs: ReturnType<typeof createConfigView>;
  opts: ApiServerOptions;
  clock: Clock;
}

/** `/health`: the store answers (in time), each known instance's last run, the Discord Gateway when there is one. */
function registerHealth({ router, store, configs, opts, clock }: CoreRoutes): void {
  const { logger } = opts;
  const configNames = (): Promise<string[]> => configs.names();
  router.get(
    '/health',
    async () => {
      let ok = true;
      try {
        await withTimeout(store.ping(), HEALTH_PING_TIMEOUT_MS);
      } catch (err) {
        ok = false;
        logger.warn(`health: the store does not answer: ${describeError(err)}`);
      }
      const names = new Set(await configNames().catch(() => []));
      if (ok) for (const n of await store.instances().catch(() => [])) names.add(n);
      const sorted = [...names].sort();
      // One query for every instance's last run (was one per instance).
      const lastRuns = ok ? await store.lastRuns(sorted).catch(() => new Map<string, RunRow>()) : new Map<string, RunRow>();
      const instances = sorted.map((name) => {
        const last = lastRuns.get(name);
        return { name, lastRun: last ? { at: last.finishedAt, outcome: last.outcome } : null };
      });
      const gateway = opts.discordHealth ? opts.discordHealth() : ((await readIngestHealth(opts.dataDir).catch(() => null))?.gateway ?? null);
      // A stopped Gateway is said here but does not fail the check: the API itself is up, and a restart would not fix a token.
      const discord = gateway ? { discord: { gateway } } : {};
      return {
        status: ok ? 200 : 503,
        json: { status: ok ? 'ok' : 'unavailable', store: { kind: store.kind, ok }, checkedAt: clock.now().toISOString(), instances, ...discord },
      };
    },
    CORE_DOCS.health,
  );
}

/** `/docs` and `/docs/openapi.json`. */
function registerDocs(router: Router, app: ReturnType<typeof createHttpApp>['app']): void {
  /** Generated once every route is registered (extensions included), at the first request for it. */
  let docs: { json: string; html: string } | null = null;
  const documentation = (): { json: string; html: string } => {
    if (docs === null) {
      const doc = openApiDocumentOf(app);
      docs = { json: JSON.stringify(doc, null, 2), html: renderDocsHtml(doc) };
    }
    return docs;
  };
  router.get(
    '/docs',
    async () => ({
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        // The page is self-contained: nothing to load from anywhere, inline styles only.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      },
      body: documentation().html,
    }),
    CORE_DOCS.docs,
  );
  router.get('/docs/', async () => ({ status: 308, headers: { location: '/docs' }, body: '' }), CORE_DOCS.docsSlash);
  router.get('/docs/openapi.json', async () => ({ status: 200, headers: { 'content-type': JSON_TYPE }, body: documentation().json }), CORE_DOCS.openapi);
}

/** `/v1/instances`, one instance, and its runs, events and errors; `/v1/alerts`. */
function registerInstances({ router, store, configs, opts, clock }: CoreRoutes): void {
  const knownInstance = createKnownInstances({ configDir: opts.configDir, configNames: () => configs.names(), store, clock });
  const instanceOr404 = async (name: string): Promise<void> => {
    if (!(await knownInstance(name))) throw Object.assign(new Error('no such instance'), { notFound: true });
  };

  router.get(
    '/v1/instances',
    async () => {
      const states = await configs.states(await store.instances());
      const lastRuns = await store.lastRuns(states.map((s) => s.name));
      const items = states.map((s) => {
        const last = lastRuns.get(s.name);
        return { ...s, last_run: last ? snake(last) : null };
      });
      return { status: 200, json: { items } };
    },
    CORE_DOCS.instances,
  );

  router.get(
    '/v1/instances/:name',
    async (req) => {
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
    },
    CORE_DOCS.instance,
  );

  for (const scope of ['runs', 'events', 'errors'] as const) {
    router.get(
      `/v1/instances/:name/${scope}`,
      async (req) => {
        const q = parseListParams(req.query);
        await instanceOr404(req.params.name as string);
        return jsonPageAnswer(await store.listJson({ ...q, scope, instance: req.params.name as string }));
      },
      CORE_DOCS[scope],
    );
  }

  router.get(
    '/v1/alerts',
    async (req) => {
      const instance = parseInstanceFilter(req.query, isValidInstanceName);
      const q = parseListParams(req.query);
      return jsonPageAnswer(await store.listJson({ ...q, scope: 'alerts', ...(instance !== undefined ? { instance } : {}) }));
    },
    CORE_DOCS.alerts,
  );
}

/** `/v1/messages` (Discord messages ingested) and one message. */
function registerMessages({ router, store }: CoreRoutes): void {
  router.get(
    '/v1/messages',
    async (req) => {
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
    },
    CORE_DOCS.messages,
  );

  router.get(
    '/v1/messages/:message_id',
    async (req) => {
      const id = req.params.message_id as string;
      if (!isSnowflake(id)) return fail(400, 'message_id: expected a Discord id (digits)', 'message_id');
      const row = await store.getMessage(id);
      return row ? { status: 200, json: messageDetailJson(row) } : fail(404, 'no such message');
    },
    CORE_DOCS.message,
  );
}

/** `/ics/<name>.ics?token=…`: an instance's calendar feed, with ETag and Last-Modified. */
function registerIcs({ router, opts }: CoreRoutes): void {
  router.get(
    '/ics/:file',
    async (req) => {
      const file = req.params.file as string;
      const tokens = req.query.getAll('token');
      const name = file.endsWith('.ics') ? file.slice(0, -'.ics'.length) : '';
      const ifNoneMatch = req.headers['if-none-match'];
      const ifModifiedSince = req.headers['if-modified-since'];
      const answer = await icsFeed(opts.dataDir, name, tokens.length === 1 ? (tokens[0] as string) : null, ifNoneMatch, ifModifiedSince);
      if (answer.status === 404) return fail(404, 'not found');
      const headers = { etag: answer.etag, 'last-modified': answer.lastModified, 'cache-control': ICS_CACHE_CONTROL, 'referrer-policy': 'no-referrer' };
      if (answer.status === 304) return { status: 304, headers };
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'text/calendar; charset=utf-8', 'content-disposition': `inline; filename="${name}.ics"` },
        body: answer.body,
      };
    },
    CORE_DOCS.ics,
  );
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const { store, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const keyMatches = createKeyChecker(opts.apiKeys);
  if (opts.apiKeys.length === 0) {
    logger.warn('no API key is configured (API_KEY, API_KEYS or API_KEYS_FILE): every /v1 request will be refused with 401');
  }
  const configs = createConfigView(opts.configDir, { ...(opts.env ? { env: opts.env } : {}), ...(opts.configSource ? { source: opts.configSource } : {}) });
  const redactKeys = makeRedactor(opts.apiKeys);
  let closing = false;
  const { app, router: appRouter } = createHttpApp({
    logger,
    keyMatches,
    closing: () => closing,
    redactor: async () => {
      const redactSecrets = await configs.redactor();
      return (t: string): string => redactKeys(redactSecrets(t));
    },
  });
  /** Every handler's throw becomes its answer (400/404/503/500), logged when it is ours to fix. */
  const guard =
    (handler: Handler): Handler =>
    async (req) => {
      try {
        return await handler(req);
      } catch (err) {
        return errorAnswer(err, logger, `${req.method} ${loggablePath(req.path)}`);
      }
    };
  const router: Router = {
    get: (pattern, handler, doc) => appRouter.get(pattern, guard(handler), doc),
    post: (pattern, handler, doc) => appRouter.post(pattern, guard(handler), doc),
  };
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', API_KEY_SCHEME);

  const ctx: CoreRoutes = { router, store, configs, opts, clock };
  registerHealth(ctx);
  registerDocs(router, app);
  registerInstances(ctx);
  registerMessages(ctx);
  registerIcs(ctx);

  for (const extend of opts.extensions ?? []) extend({ router, store, configDir: opts.configDir, dataDir: opts.dataDir, logger, clock, keyMatches });

  const server = createGuardedServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }) as RequestListener, { ...DEFAULT_LIMITS, ...opts.limits });
  server.on('clientError', (err, socket) => {
    // A malformed request line or headers, or a timeout: answer 400/408 when the socket can still take it.
    const timedOut = (err as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (socket.writable)
      socket.end(timedOut ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });

  return {
    app,
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
