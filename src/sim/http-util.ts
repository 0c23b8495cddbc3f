import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../lib/clock.js';

/** A request handler of a simulator; it answers through `res` and may be async. */
export type SimHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface SimServer {
  server: Server;
  /** 'http://127.0.0.1:<port>', no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A request as a test's interceptor sees it: `received` before the simulator acts, `processed` after, before the answer leaves. */
export interface SimInterceptRequest {
  method: string;
  path: string;
  stage: 'received' | 'processed';
}
/**
 * What to do with it: nothing; `drop` the connection (at `received` the request never takes effect; at
 * `processed` it did, and the client never hears so, as when a proxy's connection breaks); or, at
 * `received` only, answer `status` without acting (a gateway's 429 or 5xx). May be async: a chaos test
 * kills the client there and waits for it to die, to place a kill exactly before or after a write.
 */
export type SimInterceptAction = undefined | 'drop' | { status: number };
export type SimIntercept = (r: SimInterceptRequest) => SimInterceptAction | Promise<SimInterceptAction>;

export interface StartServerOptions {
  /** Fault injection and exact kill points for chaos tests (see SimIntercept); absent: no effect. */
  intercept?: SimIntercept;
  /** Called once the answer is sent, for request logs (the status is only known then). */
  onFinish?: (req: IncomingMessage, url: URL, status: number) => void;
  /** Read before each request so tests and benchmarks can change it on a running simulator. */
  latencyMs?: () => number;
  /** Whose timer the latency waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (port 0 = any free port): simulators must never be reachable
 * from outside the machine running the tests.
 */
export async function startServer(handler: SimHandler, options: StartServerOptions = {}): Promise<SimServer> {
  const server = createServer((req, res) => {
    // The Host header is the client's business; the path and query are all a simulator needs.
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.on('finish', () => options.onFinish?.(req, url, res.statusCode));
    void (async () => {
      const latency = options.latencyMs?.() ?? 0;
      if (latency > 0) await (options.clock ?? systemClock).sleep(latency);
      if (options.intercept && !(await intercepted(options.intercept, req, res, url))) return;
      await handler(req, res, url);
    })().catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendText(res, 500, 'text/plain; charset=utf-8', `simulator error: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** Applies the interceptor: false when the request was dropped or answered at `received`. */
async function intercepted(intercept: SimIntercept, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const method = (req.method ?? 'GET').toUpperCase();
  const first = await intercept({ method, path: url.pathname, stage: 'received' });
  if (first === 'drop') {
    req.socket.destroy();
    return false;
  }
  if (first && typeof first === 'object') {
    sendText(res, first.status, 'text/plain; charset=utf-8', `injected ${first.status}`);
    return false;
  }
  // The answer is held until the interceptor has seen the request processed.
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    void Promise.resolve(intercept({ method, path: url.pathname, stage: 'processed' })).then(
      (then) => (then === 'drop' ? res.destroy() : end(...args)),
      () => end(...args),
    );
    return res;
  }) as typeof res.end;
  return true;
}

/** Closes a server without waiting for idle keep-alive sockets (Node's fetch keeps them open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Decoded query parameters; on repeated keys the last one wins, as PHP and ASP.NET read them. */
export function queryRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

/** Parses a `Cookie:` request header into name → value. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  sendText(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  // 302 with an empty body, like both real services; clients must not auto-follow (they need the cookies).
  res.writeHead(302, { ...headers, Location: location, 'Content-Length': 0 });
  res.end();
}

/** Escapes text for an HTML attribute or element body. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
