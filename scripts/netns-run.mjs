// Runs a command in a network namespace of its own (its own loopback, nothing else), with chosen TCP ports of the
// host's 127.0.0.1 reachable at the same ports inside. scripts/run-tests.mjs runs the `shared` tests this way in CI
// (issue 19, CI time): Chromium drops every connection in flight when an address of the host changes
// (net::ERR_NETWORK_CHANGED), and the engine tests beside them create and remove Docker networks all the time. The
// full browser shrugs that off, Debian's chromium-headless-shell does not, and the shell takes a fifth less CPU on
// the page tests (measured 2026-12-07 on test/browser-a11y + test/browser-booking: 127 CPU-s against 155). In a
// namespace of its own the shell never sees the host's addresses change. The `shared` files never use the Docker
// engine's network; what they reach on the host is PostgreSQL (--forward its port). The Docker socket and every
// other file are shared as before: only the network is the namespace's.
//
// Usage: node scripts/netns-run.mjs [--forward <port>]... -- <command> [args...]
//   Needs root (unshare --net). Inside, the command gets CAMPUS_SYNC_TEST_NETNS=isolated in its environment.
//   Exit status: the command's (128 + signal when a signal ended it), or 1 when the namespace cannot be made.
//   node scripts/netns-run.mjs --check: exit 0 when this machine can make one (root and unshare --net work).
// How a forwarded port crosses: a TCP server on the namespace's 127.0.0.1:<port> hands each connection to a unix
// socket (files cross namespaces), where this process, still on the host's network, connects to 127.0.0.1:<port>.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** Each connection accepted by `server` piped both ways to a new connection made by `connect`. */
function relay(server, connect) {
  server.on('connection', (inbound) => {
    const outbound = connect();
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end);
    outbound.on('error', end);
    inbound.on('close', end);
    outbound.on('close', end);
  });
  return server;
}

const listening = (server, ...at) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...at, () => resolve(server));
  });

function parseArgs(argv) {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const command = split < 0 ? [] : argv.slice(split + 1);
  const forwards = [];
  const sockets = new Map();
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--forward') forwards.push(Number(own[++i]));
    else if (own[i] === '--socket') {
      const [port, path] = own[++i].split('=');
      sockets.set(Number(port), path);
    }
  }
  return { command, forwards, sockets, inside: own.includes('--inside'), check: own.includes('--check') };
}

/** Runs the command to its end; resolves to its exit status. Signals sent to us are passed on. */
function runToEnd(command, env) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    child.on('error', (err) => {
      console.error(`[netns] cannot start ${command[0]}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

/** In the namespace: loopback up, each forwarded port served on 127.0.0.1 towards its socket, then the command. */
async function inside({ command, sockets }) {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  for (const [port, path] of sockets)
    await listening(
      relay(createServer(), () => createConnection(path)),
      port,
      '127.0.0.1',
    );
  process.exit(await runToEnd(command, { ...process.env, CAMPUS_SYNC_TEST_NETNS: 'isolated' }));
}

/** On the host: a socket per forwarded port towards the host's 127.0.0.1, then this script again in a new namespace. */
async function outside({ command, forwards }) {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sync-netns-'));
  const socketArgs = [];
  for (const port of forwards) {
    const path = join(dir, `${port}.sock`);
    await listening(
      relay(createServer(), () => createConnection(port, '127.0.0.1')),
      path,
    );
    socketArgs.push('--socket', `${port}=${path}`);
  }
  const status = await runToEnd(['unshare', '--net', '--', process.execPath, SELF, '--inside', ...socketArgs, '--', ...command], process.env);
  rmSync(dir, { recursive: true, force: true });
  process.exit(status);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.check) {
  const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  process.exit(probe.status === 0 ? 0 : 1);
}
if (opts.command.length === 0) {
  console.error('usage: node scripts/netns-run.mjs [--forward <port>]... -- <command> [args...]');
  process.exit(2);
}
await (opts.inside ? inside(opts) : outside(opts));
