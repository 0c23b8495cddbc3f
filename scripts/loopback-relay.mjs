// Ports of the host's 127.0.0.1 reachable at the same ports from another network namespace's 127.0.0.1, so that
// every address anyone talks to stays 127.0.0.1. The bytes cross through a folder, which both sides see: on the
// host, one Unix socket per port (`<dir>/<port>.sock`, startHostRelay) forwards to 127.0.0.1:<port>; on the other
// side, this file run as a program listens on its own 127.0.0.1:<port> for each socket in the folder, forwards each
// connection to it, then runs the command it was given (with its signals passed on, and its exit status as ours).
// Used by test/loopback-relay.ts (a worker container on Docker's bridge network reaching the simulators) and by
// scripts/netns-run.mjs (the `shared` tests in a network namespace of their own reaching PostgreSQL).
//
// Usage (the other side): node loopback-relay.mjs <dir> -- <command> [args...]
//   It listens before the command starts, so the command's first connection never meets a closed port.
import { spawn } from 'node:child_process';
import { chmod, readdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each end's bytes to the other; either end closing or failing closes both. */
function pipeBoth(a, b) {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', end);
    s.on('close', end);
  }
}

const listening = (server, ...at) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...at, () => resolve(server));
  });

/**
 * The host half: `<dir>/<port>.sock` for each port, forwarding to 127.0.0.1:<port>. The sockets are open to every
 * user (connect(2) on a Unix socket needs write permission on it; the workers run as uid 1000).
 */
export async function startHostRelay(dir, ports) {
  const servers = [];
  const open = new Set();
  for (const port of ports) {
    const path = join(dir, `${port}.sock`);
    const server = createServer((c) => {
      open.add(c);
      c.on('close', () => open.delete(c));
      pipeBoth(c, connect(port, '127.0.0.1'));
    });
    await listening(server, path);
    await chmod(path, 0o777);
    servers.push(server);
  }
  return {
    async close() {
      for (const c of open) c.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
    },
  };
}

/** The other half: 127.0.0.1:<port> for each `<port>.sock` in the folder, forwarding to it. */
async function listenRelayed(dir) {
  const ports = (await readdir(dir)).filter((n) => /^\d+\.sock$/.test(n)).map((n) => Number(n.slice(0, -'.sock'.length)));
  for (const port of ports)
    await listening(
      createServer((c) => pipeBoth(c, connect(join(dir, `${port}.sock`)))),
      port,
      '127.0.0.1',
    );
  return ports;
}

/** Runs the command to its end, passing on our signals; resolves to its exit status (128 + signal when killed). */
export function runToEnd(command, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    child.on('error', (err) => {
      console.error(`[relay] cannot start ${command[0]}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, dashes, ...command] = process.argv.slice(2);
  if (!dir || dashes !== '--' || command.length === 0) {
    console.error('usage: node loopback-relay.mjs <dir> -- <command> [args...]');
    process.exit(2);
  }
  await listenRelayed(dir);
  process.exit(await runToEnd(command));
}
