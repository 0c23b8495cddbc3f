import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HttpBindings } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { describeError, type Logger } from '../lib/index.js';
import { API_KEY_HEADER } from './keys.js';
import { MAX_BODY_BYTES, type ApiRequest, type ApiResponse, type Handler, type RouteDoc, type Router } from './router.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * One segment of a path this server answers: instance names (`[a-z0-9_-]`), file names (`alice.ics`,
 * `app.3f2a9c.js`), booking type slugs. Nothing here ever needs a percent-encoding, a dot segment, an empty
 * segment or a segment ending in a dot, so a path with any of them is refused before anything reads it:
 * no two parts of the server can read one request's path two ways (the percent-encoded `/%76%31/instances`
 * that once walked around the API key).
 */
const CANONICAL_SEGMENT = /^[A-Za-z0-9_~-](?:[A-Za-z0-9._~-]*[A-Za-z0-9_~-])?$/;
/** Longer than any route of ours with its longest names; a longer path is someone probing. */
const MAX_PATH_LENGTH = 512;

/** Why a request target is refused (null: it is canonical). Looks at the target exactly as the client sent it. */
export function canonicalPathError(rawTarget: string): string | null {
  const q = rawTarget.indexOf('?');
  const path = q < 0 ? rawTarget : rawTarget.slice(0, q);
  if (!path.startsWith('/')) return 'the request target must be a path (origin form)';
  if (path.length > MAX_PATH_LENGTH) return 'the path is too long';
  if (path === '/') return null;
  const segments = path.slice(1).split('/');
  // One trailing slash is a path of its own (a 404 or a redirect), not another spelling of a route.
  if (segments[segments.length - 1] === '') segments.pop();
  for (const s of segments) if (!CANONICAL_SEGMENT.test(s)) return 'the path is not in canonical form';
  return null;
}

type Env = { Bindings: Partial<HttpBindings> };

export interface HttpAppOptions {
  logger: Logger;
  /** Constant-time check of a presented API key. */
  keyMatches: (presented: string | string[] | undefined) => boolean;
  /** The secrets of today's configs and the API keys, for every `/v1` answer (a last pass: texts are redacted when made). */
  redactor: () => Promise<(text: string) => string>;
  /** True once the server is shutting down: answers then close their connection. */
  closing: () => boolean;
}

export interface HttpApp {
  app: OpenAPIHono<Env>;
  router: Router;
}

const fail = (_c: Context, status: number, error: string, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify({ error }), { status, headers: { 'content-type': JSON_TYPE, ...headers } });

const isV1 = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

/** Node's header object when the node adapter serves; the same shape from a fetch Request otherwise (app.request in tests). */
function headersOf(c: Context<Env>): IncomingHttpHeaders {
  const incoming = c.env?.incoming;
  if (incoming) return incoming.headers;
  const out: IncomingHttpHeaders = {};
  c.req.raw.headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** `/v1/instances/:name` → `/v1/instances/{name}` for the OpenAPI document. */
const openApiPath = (pattern: string): string => pattern.replace(/:([A-Za-z_]+)/g, '{$1}');

/**
 * The HTTP layer: one hono app where every guard is middleware on the same path the router matches. In order:
 * the canonical-path check (on the raw request target), the request log, the API-key guard of `/v1`, the body
 * cap of POSTs, 405 with Allow, then the routes. Routes are registered through `router` with their OpenAPI doc.
 */
/**
 * Paths whose next segment is a secret token (issue 23: a classmate's status page `/me/<token>`, an invitation
 * `/invite/<token>`): logged with the token replaced, so no log line opens them.
 */
export const TOKEN_PATH_PREFIXES: readonly string[] = ['/me/', '/invite/'];

/** The path as a log line may show it: a token segment after a TOKEN_PATH_PREFIXES prefix becomes `<token>`. */
export function loggablePath(path: string): string {
  for (const prefix of TOKEN_PATH_PREFIXES) {
    if (path.startsWith(prefix)) return `${prefix}<token>${path.slice(prefix.length).replace(/^[^/]*/, '')}`;
  }
  return path;
}

export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const { logger } = opts;
  const app = new OpenAPIHono<Env>({ strict: true });

  app.use('*', async (c, next) => {
    const started = performance.now();
    // The target as the client sent it; without the node adapter (app.request in tests) the URL is all there is.
    const raw = c.env?.incoming?.url ?? c.req.url.slice(c.req.url.indexOf('/', c.req.url.indexOf('//') + 2));
    const refused = canonicalPathError(raw);
    if (refused) {
      // 404 like any path we do not serve (a feed's name is not confirmed by a different refusal); 400 for a target
      // that is not a path at all.
      c.res = raw.startsWith('/') ? fail(c, 404, 'not found') : fail(c, 400, refused);
    } else {
      await next();
    }
    c.res.headers.set('x-content-type-options', 'nosniff');
    if (opts.closing()) c.res.headers.set('connection', 'close');
    const status = c.res.status;
    // Method, path without its query string (tokens live there), status, time: never a header, never a key.
    const path = refused ? JSON.stringify(loggablePath(raw.split('?')[0] ?? '').slice(0, 120)) : loggablePath(c.req.path);
    const ms = Math.round(performance.now() - started);
    const line = `${c.req.method} ${path} ${status} ${ms}ms`;
    const meta = { method: c.req.method, path, status, ms };
    if (c.req.path === '/health' && status === 200) logger.debug(line, meta);
    else logger.info(line, meta);
  });

  // Before routing, so a caller without a key learns nothing, not even which /v1 paths exist.
  app.use('*', async (c, next) => {
    if (isV1(c.req.path)) {
      if (!opts.keyMatches(c.req.header(API_KEY_HEADER))) return fail(c, 401, `missing or invalid ${API_KEY_HEADER} header`, { 'cache-control': 'no-store' });
    }
    await next();
    if (isV1(c.req.path)) c.res.headers.set('cache-control', 'no-store');
  });

  app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => fail(c, 413, `the body is larger than ${MAX_BODY_BYTES} bytes`) }));

  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => fail(c, 405, `only ${methods.join(', ')} here`, { allow: methods.join(', ') }),
    }),
  );

  app.notFound((c) => fail(c, 404, 'not found'));
  app.onError((err, c) => {
    logger.error(`${c.req.method} ${loggablePath(c.req.path)} failed: ${describeError(err)}`);
    return fail(c, 500, 'internal error');
  });

  const adapt =
    (handler: Handler) =>
    async (c: Context<Env>): Promise<Response> => {
      const method = c.req.method;
      const url = new URL(c.req.url);
      const req: ApiRequest = {
        method,
        path: c.req.path,
        params: c.req.param() as Record<string, string>,
        query: url.searchParams,
        headers: headersOf(c),
        client: c.env?.incoming?.socket.remoteAddress ?? 'local',
        ...(method === 'POST' ? { body: Buffer.from(await c.req.arrayBuffer()) } : {}),
      };
      let result = await handler(req);
      if (isV1(req.path)) result = redactAnswer(result, await opts.redactor());
      return toResponse(result);
    };

  const register = (method: 'get' | 'post', pattern: string, handler: Handler, doc?: RouteDoc): void => {
    app[method](pattern, adapt(handler));
    if (doc) app.openAPIRegistry.registerPath({ ...doc, method, path: openApiPath(pattern) });
  };
  const router: Router = {
    get: (pattern, handler, doc) => register('get', pattern, handler, doc),
    post: (pattern, handler, doc) => register('post', pattern, handler, doc),
  };
  return { app, router };
}

function toResponse(result: ApiResponse): Response {
  const isJson = result.json !== undefined || result.jsonText !== undefined;
  const body = result.body ?? result.jsonText ?? (result.json === undefined ? '' : JSON.stringify(result.json));
  const headers: Record<string, string> = { ...(isJson ? { 'content-type': JSON_TYPE } : {}), ...result.headers };
  if (result.status === 304 || result.status === 204) return new Response(null, { status: result.status, headers });
  headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length);
  return new Response(typeof body === 'string' ? body : new Uint8Array(body), { status: result.status, headers });
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

/** Every string value in `value`, in `out`. */
function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out);
}

/**
 * `mapStrings(value, redact)`, skipping the rebuild when no string holds a secret: one redactor call over all the
 * strings joined decides it. Exact: a secret inside a string is inside the joined text, and a redaction leaves
 * REDACTED behind, so a joined text that comes back unchanged had no secret at all.
 */
export function redactValue(value: unknown, redact: (text: string) => string): unknown {
  const strings: string[] = [];
  collectStrings(value, strings);
  const joined = strings.join('\n');
  if (redact(joined) === joined) return value;
  return mapStrings(value, redact);
}

/** JSON text sent as it is when no secret is in it (the redactor knows JSON-escaped forms); parsed and walked otherwise. */
function redactJsonText(text: string, redact: (text: string) => string): string {
  if (redact(text) === text) return text;
  return JSON.stringify(redactValue(JSON.parse(text), redact));
}

function redactAnswer(result: ApiResponse, redact: (text: string) => string): ApiResponse {
  if (result.jsonText !== undefined) return { ...result, jsonText: redactJsonText(result.jsonText, redact) };
  if (result.json !== undefined) return { ...result, json: redactValue(result.json, redact) };
  return result;
}
