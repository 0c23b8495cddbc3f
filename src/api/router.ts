import type { IncomingHttpHeaders } from 'node:http';

export interface ApiRequest {
  method: string;
  /** Decoded path segments matched by `:name` in the route. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The path as received, without the query string (safe to log: tokens and keys live in the query and headers). */
  path: string;
  /** The request body of a POST (at most MAX_BODY_BYTES), empty otherwise. */
  body?: Buffer;
}

/** Forms and JSON bodies here are small (a booking, an availability form): anything larger is refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `body` is given. */
  json?: unknown;
  /** JSON already serialised (a store's JsonPage): sent as it is, after the same redaction check as `json`. */
  jsonText?: string;
  body?: string | Buffer;
}

export type Handler = (req: ApiRequest) => Promise<ApiResponse>;

interface Route {
  method: 'GET' | 'POST';
  segments: string[];
  handler: Handler;
}

export type RouteLookup = { handler: Handler; params: Record<string, string> } | { allow: string[] } | null;

export interface Router {
  get(pattern: string, handler: Handler): void;
  post(pattern: string, handler: Handler): void;
  /** The handler and params for a GET path, or null. A segment that does not decode never matches. */
  match(path: string): { handler: Handler; params: Record<string, string> } | null;
  /** By method (HEAD is GET): the route, or the methods the path does answer (→ 405), or null (→ 404). */
  lookup(method: string, path: string): RouteLookup;
}

/** Splits `/a/b%2Fc` into decoded segments; null when the encoding is broken. */
export function splitPath(path: string): string[] | null {
  const raw = path.split('/').slice(1);
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

/** The few GET routes this API has: literal segments and `:param` segments, first match wins. */
export function createRouter(): Router {
  const routes: Route[] = [];
  const matchAs = (method: Route['method'] | null, path: string): { route: Route; params: Record<string, string> }[] => {
    const segments = splitPath(path);
    if (segments === null) return [];
    const found: { route: Route; params: Record<string, string> }[] = [];
    for (const route of routes) {
      if (method !== null && route.method !== method) continue;
      const params = matchSegments(route.segments, segments);
      if (params) found.push({ route, params });
    }
    return found;
  };
  return {
    get(pattern, handler) {
      routes.push({ method: 'GET', segments: pattern.split('/').slice(1), handler });
    },
    post(pattern, handler) {
      routes.push({ method: 'POST', segments: pattern.split('/').slice(1), handler });
    },
    match(path) {
      const first = matchAs('GET', path)[0];
      return first ? { handler: first.route.handler, params: first.params } : null;
    },
    lookup(method, path) {
      const wanted = method === 'HEAD' ? 'GET' : method;
      const all = matchAs(null, path);
      const hit = all.find((m) => m.route.method === wanted);
      if (hit) return { handler: hit.route.handler, params: hit.params };
      if (all.length === 0) return null;
      const allow = [...new Set(all.flatMap((m) => (m.route.method === 'GET' ? ['GET', 'HEAD'] : [m.route.method])))];
      return { allow };
    },
  };
}

/** Literal segments and `:param` segments; an empty segment never fills a param. */
function matchSegments(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = pattern[i] as string;
    const got = segments[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return null;
      params[want.slice(1)] = got;
    } else if (want !== got) return null;
  }
  return params;
}
