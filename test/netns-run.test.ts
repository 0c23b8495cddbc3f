/**
 * scripts/netns-run.mjs and scripts/loopback-relay.mjs, which run `shared` in a network namespace of its own
 * (scripts/run-tests.mjs): inside, only a loopback; the forwarded ports of this side's 127.0.0.1 answer at the same
 * ports, the others do not; the command's exit status comes back. Needs root (unshare --net): in CI it is, and
 * a machine that cannot make a namespace must say so (the check), not pretend.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const NETNS = join(ROOT, 'scripts', 'netns-run.mjs');
const RELAY = join(ROOT, 'scripts', 'loopback-relay.mjs');
const canIsolate = spawnSync(process.execPath, [NETNS, '--check']).status === 0;

/** Runs a script to its end: exit status and what it printed (both streams). */
async function run(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await startNode(args).result;
  return { code: r.code, out: r.stdout + r.stderr };
}

/** A node program that tries 127.0.0.1:<port> and prints `<port> open` or `<port> closed`. */
const probe = (ports: number[]): string =>
  `for (const p of ${JSON.stringify(ports)}) await new Promise((r) => { const c = require('net').connect(p, '127.0.0.1');` +
  ` c.on('data', (d) => { console.log(p, 'open', String(d)); c.destroy(); r(); }); c.on('error', () => { console.log(p, 'closed'); r(); }); });`;

describe.skipIf(!canIsolate && !process.env.CI)('a command in a network namespace of its own', () => {
  let forwarded: Server;
  let other: Server;
  const port = (s: Server): number => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    const greeter = (word: string): Server => createServer((c) => c.end(word));
    forwarded = greeter('through');
    other = greeter('leaked');
    for (const s of [forwarded, other]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    forwarded?.close();
    other?.close();
  });

  it('can be made here (CI runs as root)', () => {
    expect(canIsolate, 'unshare --net failed: npm test would run shared on the host network').toBe(true);
  });

  it('sees only its loopback, reaches the forwarded port and no other, and is told it is isolated', async () => {
    const script = `(async () => { ${probe([port(forwarded), port(other)])} console.log('env', process.env.CAMPUS_SYNC_TEST_NETNS); })()`;
    const r = await run([NETNS, '--forward', String(port(forwarded)), '--', process.execPath, '-e', script]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`${port(forwarded)} open through`);
    expect(r.out).toContain(`${port(other)} closed`);
    expect(r.out).toContain('env isolated');
    const links = await run([NETNS, '--', 'ip', '-brief', 'link']);
    expect(
      links.out
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['lo']);
  });

  it("returns the command's exit status, and refuses a call without a command", async () => {
    expect((await run([NETNS, '--', 'sh', '-c', 'exit 3'])).code).toBe(3);
    const bare = await run([NETNS]);
    expect(bare.code).toBe(2);
    expect(bare.out).toMatch(/usage: node scripts\/netns-run\.mjs/);
  });
});

describe('the loopback relay program', () => {
  it('refuses a call without a folder and a command', async () => {
    const r = await run([RELAY, '/nowhere']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/usage: node loopback-relay\.mjs <dir> -- <command>/);
  });
});
