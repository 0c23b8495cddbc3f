import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How a worker container on Docker's default bridge network reaches simulators that listen on the test
 * machine's 127.0.0.1, while every address anyone talks to stays 127.0.0.1.
 *
 * A bridge container has its own network namespace: its 127.0.0.1 is not the host's. Listening on the
 * bridge's gateway (172.17.0.1) would put the simulators on an address other hosts may route to, and the
 * CAS redirects name 127.0.0.1:<port>, which the worker would then follow into its own namespace. So
 * the bytes cross through a folder instead: on the host, one Unix socket per simulator port
 * (`<dir>/<port>.sock`) forwards to 127.0.0.1:<port>; the folder is mounted into the container at
 * /relay, where a small entrypoint (RELAY_ENTRYPOINT) listens on the container's own 127.0.0.1:<port>,
 * forwards each connection to the socket of that port, and then starts the worker (`node
 * /app/dist/cli.js worker <name>`) as it would have been started. The worker's config names the very URLs
 * the simulators print, its container keeps its bridge network, its hardening and its restarts, and a
 * dropped connection on a simulator is a dropped connection in the worker.
 */

/** Mounted here in the container. */
export const RELAY_MOUNT = '/relay';

/**
 * The container's entrypoint (plain JavaScript: the image runs it with its own node). It listens before the
 * worker starts, so the worker's first request never meets a closed port; docker kill kills both.
 */
const RELAY_ENTRYPOINT = `import { connect, createServer } from 'node:net';
import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
const dir = ${JSON.stringify(RELAY_MOUNT)};
const ports = readdirSync(dir).filter((n) => /^\\d+\\.sock$/.test(n)).map((n) => Number(n.slice(0, -5)));
const pipe = (a, b) => {
  a.pipe(b);
  b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on('error', end); b.on('error', end); a.on('close', end); b.on('close', end);
};
await Promise.all(ports.map((port) => new Promise((resolve, reject) => {
  const server = createServer((c) => pipe(c, connect(dir + '/' + port + '.sock')));
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
})));
const child = spawn(process.execPath, ['/app/dist/cli.js', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;

export interface LoopbackRelay {
  /** The host folder to mount at RELAY_MOUNT (read-only is enough: connecting to a socket is not a write). */
  dir: string;
  /** The container's entrypoint: `node /relay/entrypoint.mjs`, the worker's own command after it. */
  entrypoint: string[];
  close(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', end);
    s.on('close', end);
  }
}

/** The host half: a socket per port of 127.0.0.1, in a folder the container's user (uid 1000) can use. */
export async function startLoopbackRelay(ports: number[]): Promise<LoopbackRelay> {
  const dir = await mkdtemp(join(tmpdir(), 'campus-sync-relay-'));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'entrypoint.mjs'), RELAY_ENTRYPOINT, { mode: 0o644 });
  const servers: Server[] = [];
  const open = new Set<Socket>();
  for (const port of ports) {
    const path = join(dir, `${port}.sock`);
    const server = createServer((c) => {
      const upstream = connect(port, '127.0.0.1');
      open.add(c);
      c.on('close', () => open.delete(c));
      pipeBoth(c, upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    // connect(2) on a Unix socket needs write permission on it: the worker runs as uid 1000.
    await chmod(path, 0o777);
    servers.push(server);
  }
  return {
    dir,
    entrypoint: ['node', `${RELAY_MOUNT}/entrypoint.mjs`],
    async close() {
      for (const c of open) c.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** The port of a simulator URL (`http://127.0.0.1:<port>/…`). */
export const portOf = (url: string): number => Number(new URL(url).port);
