import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect, vi } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { startSupervisorChild } from './supervisor-child.js';

/**
 * Stand-ins for `dist/cli.js`: the real supervisor is run by test/demo.test.ts; here only what the demo
 * does with the process (the URL line, the log, the two-stage stop, the process group) is checked.
 */
const WELL_BEHAVED = `
console.log('campus-sync API listening on http://127.0.0.1:4567 (docs: http://127.0.0.1:4567/docs)');
console.error('2026-03-02T10:00:00.000Z info [supervisor] all good');
console.error('2026-03-02T10:00:00.000Z warn [alice] something to look at');
process.on('SIGTERM', () => { console.error('2026-03-02T10:00:01.000Z info [supervisor] SIGTERM: stopping'); process.exit(0); });
setInterval(() => {}, 1000);
`;
/** Ignores SIGTERM and leaves a grandchild behind in its group. */
const STUBBORN = `
const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
process.on('SIGTERM', () => {});
// Said once SIGTERM is ignored: the test stops it only then (a loaded machine may take seconds to get here).
console.error('2026-03-02T10:00:00.000Z warn [supervisor] ignoring SIGTERM now');
setInterval(() => {}, 1000);
`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startSupervisorChild', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'campus-sync-demo-sup-'));
    await writeFile(join(dir, 'good.cjs'), WELL_BEHAVED);
    await writeFile(join(dir, 'stubborn.cjs'), STUBBORN);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the API URL, logs every line, echoes warnings, and stops on SIGTERM with its exit code', async () => {
    const noteworthy: string[] = [];
    const child = startSupervisorChild({
      runtime: 'process',
      env: process.env,
      logFile: join(dir, 'good.log'),
      onNoteworthy: (l) => noteworthy.push(l),
      cliPath: join(dir, 'good.cjs'),
    });
    expect(await child.apiUrl).toBe('http://127.0.0.1:4567');
    // Printed after the URL: stopping before it was read would lose it.
    await vi.waitFor(() => expect(noteworthy).toHaveLength(1), { timeout: 10_000, interval: 10 });
    expect(await child.stop(5_000)).toBe(0);
    expect(noteworthy).toEqual(['2026-03-02T10:00:00.000Z warn [alice] something to look at']);
    expect(child.groupAlive()).toBe(false);
    const log = await readFile(join(dir, 'good.log'), 'utf8');
    expect(log).toContain('all good');
    expect(log).toContain('SIGTERM: stopping');
  });

  it('kills the whole group once the grace is over: nothing it started survives', async () => {
    let ready: () => void = () => {};
    const ignoring = new Promise<void>((r) => (ready = r));
    const clock = fakeClock();
    const child = startSupervisorChild({
      runtime: 'process',
      env: process.env,
      logFile: join(dir, 'stubborn.log'),
      onNoteworthy: (l) => l.includes('ignoring SIGTERM') && ready(),
      cliPath: join(dir, 'stubborn.cjs'),
      clock,
    });
    await ignoring;
    expect(child.groupAlive()).toBe(true);
    let exited = false;
    const stopped = child.stop(800).finally(() => (exited = true));
    await clock.whenPending();
    await clock.tickAsync(799);
    // SIGTERM is ignored: nothing ends before the grace is over.
    expect(exited).toBe(false);
    expect(child.groupAlive()).toBe(true);
    await clock.tickAsync(1);
    expect(await stopped).toBeNull();
    await vi.waitFor(() => expect(child.groupAlive()).toBe(false), { timeout: 5_000, interval: 20 });
    expect(alive(child.pid)).toBe(false);
    // No URL was ever printed: the promise settles with null rather than hanging the demo.
    expect(await child.apiUrl).toBeNull();
  });
});
