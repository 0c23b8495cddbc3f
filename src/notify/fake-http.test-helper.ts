import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A tiny HTTP server on 127.0.0.1:0 that records requests and answers from a queue (default `fallback`). */
export async function startFakeHttp(fallback: Reply = { status: 204 }): Promise<{
  url: string;
  received: Received[];
  reply(...r: Reply[]): void;
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const queue: Reply[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const r = queue.shift() ?? fallback;
      res.writeHead(r.status, r.headers ?? (r.body?.startsWith('{') ? { 'Content-Type': 'application/json' } : {}));
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    reply: (...r) => queue.push(...r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
