import type { IncomingHttpHeaders } from 'node:http';
import type { RouteConfig } from '@hono/zod-openapi';

export interface ApiRequest {
  method: string;
  /** Path parameters (`:name` in the route), as the router matched them. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The canonical path (the only form the server routes: see canonicalPathError), without the query string. */
  path: string;
  /** The request body of a POST (at most MAX_BODY_BYTES), empty otherwise. */
  body?: Buffer;
  /** Who is asking, for per-client budgets: the peer address (a reverse proxy's own when behind one). */
  client: string;
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

/**
 * How a route is documented in the generated OpenAPI: @hono/zod-openapi's route config without method and
 * path (the registration gives those). The zod schemas named here are the ones the handlers validate with.
 */
export type RouteDoc = Omit<RouteConfig, 'method' | 'path'>;

/** What the server and its extensions register routes with: one hono app underneath (see app.ts). */
export interface Router {
  get(pattern: string, handler: Handler, doc?: RouteDoc): void;
  post(pattern: string, handler: Handler, doc?: RouteDoc): void;
}
