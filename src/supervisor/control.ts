import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CONTROL_SOCKET } from '../instance/index.js';
import type { Logger } from '../lib/index.js';
import { byName, type Runtime } from './interface.js';

/**
 * The supervisor's control socket: a tiny HTTP API on a Unix socket (`data/.supervisor/control.sock`),
 * so `campus-sync start|stop|restart <name>` and `clean` in another shell reach workers that belong to the running
 * supervisor (the process runtime's children have no other handle). Filesystem permissions guard it.
 */
export { CONTROL_SOCKET };

export type ControlVerb = 'start' | 'stop' | 'restart' | 'remove';
const VERBS: readonly ControlVerb[] = ['start', 'stop', 'restart', 'remove'];

export interface ControlServer {
  close(): Promise<void>;
}

export async function startControlServer(opts: {
  socketPath: string;
  runtime: Runtime;
  reconcileNow: (reason: string) => Promise<unknown>;
  logger: Logger;
}): Promise<ControlServer> {
  await mkdir(dirname(opts.socketPath), { recursive: true });
  await rm(opts.socketPath, { force: true }); // a socket left by a killed supervisor
  const server: Server = createServer((req, res) => {
    void (async () => {
      const match = /^\/workers\/([a-z0-9][a-z0-9_-]*)\/(start|stop|restart|remove)$/.exec(req.url ?? '');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === '/reconcile') {
        await opts.reconcileNow('asked on the control socket');
        return send(200, { ok: true });
      }
      if (req.method !== 'POST' || !match) return send(404, { error: `unknown request ${req.method ?? ''} ${req.url ?? ''}` });
      const [, name, verb] = match as unknown as [string, string, ControlVerb];
      if (!VERBS.includes(verb)) return send(404, { error: `unknown verb ${verb}` });
      const known = (await opts.runtime.list()).some((w) => w.name === name);
      if (!known) return send(404, { error: `no worker named ${name}` });
      opts.logger.info(`${verb} ${name} (asked on the control socket)`);
      if (verb === 'remove') await opts.runtime.remove(byName(name));
      else await opts.runtime[verb](name);
      // A reconcile writes status.json now, so `campus-sync status` shows the change at once.
      await opts.reconcileNow(`${verb} ${name}`);
      send(200, { ok: true, name, verb });
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => rm(opts.socketPath, { force: true })),
  };
}

/** Asks the running supervisor; resolves with its JSON answer, rejects when no supervisor listens. */
export function controlRequest(socketPath: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', timeout: 30_000 }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: { error: text } });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('the supervisor did not answer in 30 s')));
    req.on('error', reject);
    req.end();
  });
}
