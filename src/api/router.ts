import type { IncomingHttpHeaders } from 'node:http';

export interface ApiRequest {
  method: string;
  /** Decoded path segments matched by `:name` in the route. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The path as received, without the query string (safe to log: tokens and keys live in the query and headers). */
  path: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `body` is given. */
  json?: unknown;
  body?: string | Buffer;
}

export type Handler = (req: ApiRequest) => Promise<ApiResponse>;

interface Route {
  segments: string[];
  handler: Handler;
}

export interface Router {
  get(pattern: string, handler: Handler): void;
  /** The handler and params for a GET path, or null. A segment that does not decode never matches. */
  match(path: string): { handler: Handler; params: Record<string, string> } | null;
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
  return {
    get(pattern, handler) {
      routes.push({ segments: pattern.split('/').slice(1), handler });
    },
    match(path) {
      const segments = splitPath(path);
      if (segments === null) return null;
      for (const route of routes) {
        if (route.segments.length !== segments.length) continue;
        const params: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < segments.length && ok; i++) {
          const want = route.segments[i] as string;
          const got = segments[i] as string;
          if (want.startsWith(':')) {
            if (got === '') ok = false;
            else params[want.slice(1)] = got;
          } else if (want !== got) ok = false;
        }
        if (ok) return { handler: route.handler, params };
      }
      return null;
    },
  };
}
