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
// How a forwarded port crosses: scripts/loopback-relay.mjs (a Unix socket per port in a folder both sides see).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd, startHostRelay } from './loopback-relay.mjs';

const RELAY = join(dirname(fileURLToPath(import.meta.url)), 'loopback-relay.mjs');

function parseArgs(argv) {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const forwards = [];
  for (let i = 0; i < own.length; i++) if (own[i] === '--forward') forwards.push(Number(own[++i]));
  return { command: split < 0 ? [] : argv.slice(split + 1), forwards, check: own.includes('--check') };
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
// The host half here, on the host's network; in the namespace, loopback up, then the relay's other half runs the command.
const dir = mkdtempSync(join(tmpdir(), 'campus-sync-netns-'));
const relay = await startHostRelay(dir, opts.forwards);
const inside = ['sh', '-c', 'ip link set lo up && exec "$@"', 'netns', process.execPath, RELAY, dir, '--', ...opts.command];
const status = await runToEnd(['unshare', '--net', '--', ...inside], { ...process.env, CAMPUS_SYNC_TEST_NETNS: 'isolated' });
await relay.close();
rmSync(dir, { recursive: true, force: true });
process.exit(status);
