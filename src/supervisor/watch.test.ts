import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { watchConfigDir, type ConfigWatch } from './watch.js';

const DEBOUNCE = 80;
const RETRY = 50;

/** Re-checks a condition (file events are real: they arrive when the kernel sends them) until it holds. */
async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A few turns of the event loop: the rest of a batch of file events already queued is read and dispatched. */
async function ioTurns(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

describe('watchConfigDir', () => {
  let watch: ConfigWatch | null = null;
  afterEach(() => watch?.close());

  /** The watcher on a fake clock: debounce, retry and rescan move only when the test says; file events stay real. */
  const start = (dir: string) => {
    const clock = fakeClock();
    let calls = 0;
    watch = watchConfigDir(dir, { debounceMs: DEBOUNCE, rescanMs: 60_000, retryMs: RETRY, onChange: () => calls++, logger: silentLogger, clock });
    /** The rescan interval is always pending: one more timer is a debounce (or a retry) an event set. */
    const debounced = async (): Promise<void> => {
      await until('a file event to reach the watcher', () => clock.pendingTimers() > 1);
      await ioTurns();
      await clock.tickAsync(DEBOUNCE);
    };
    return { clock, calls: () => calls, debounced };
  };

  it('calls back once per add, edit, delete and editor-style save', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const w = start(dir);
    await writeFile(join(dir, 'alice.yml'), 'a: 1\n');
    await w.debounced();
    expect(w.calls()).toBe(1);
    await writeFile(join(dir, 'alice.yml'), 'a: 2\n');
    await w.debounced();
    expect(w.calls()).toBe(2);
    // Editors write a temp file and rename it over the original.
    await writeFile(join(dir, '.alice.yml.tmp'), 'a: 3\n');
    await rename(join(dir, '.alice.yml.tmp'), join(dir, 'alice.yml'));
    await w.debounced();
    expect(w.calls()).toBe(3);
    await rm(join(dir, 'alice.yml'));
    await w.debounced();
    expect(w.calls()).toBe(4);
    // Nothing else pending: time passing (short of the rescan) calls nothing more.
    await ioTurns();
    expect(w.clock.pendingTimers()).toBe(1);
    await w.clock.tickAsync(10 * DEBOUNCE);
    expect(w.calls()).toBe(4);
  });

  it('gathers a burst into one callback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const w = start(dir);
    for (let i = 0; i < 20; i++) await writeFile(join(dir, `c${i}.yml`), `n: ${i}\n`);
    await w.debounced();
    expect(w.calls()).toBe(1);
  });

  it('rescans periodically even without events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const clock = fakeClock();
    let calls = 0;
    watch = watchConfigDir(dir, { debounceMs: DEBOUNCE, rescanMs: 100, onChange: () => calls++, logger: silentLogger, clock });
    clock.advance(99);
    expect(calls).toBe(0);
    clock.advance(271);
    expect(calls).toBe(3);
    clock.advance(30);
    expect(calls).toBe(4);
  });

  it('survives the directory not existing yet, and its removal', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const dir = join(root, 'configs');
    const w = start(dir);
    // Missing: looked for again every RETRY ms, nothing to call back.
    await w.clock.tickAsync(2 * RETRY + 20);
    expect(w.calls()).toBe(0);
    await mkdir(dir);
    // The next look finds it: what appeared meanwhile is a change.
    await w.clock.tickAsync(RETRY);
    await w.clock.tickAsync(DEBOUNCE);
    expect(w.calls()).toBe(1);
    await writeFile(join(dir, 'alice.yml'), 'a: 1\n');
    await w.debounced();
    expect(w.calls()).toBe(2);
    await rm(dir, { recursive: true });
    await w.debounced();
    const afterRemoval = w.calls();
    expect(afterRemoval).toBeGreaterThanOrEqual(3);
    await mkdir(dir);
    await w.clock.tickAsync(RETRY);
    await w.clock.tickAsync(DEBOUNCE);
    await writeFile(join(dir, 'bob.yml'), 'b: 1\n');
    await w.debounced();
    expect(w.calls()).toBeGreaterThan(afterRemoval + 0);
    const before = w.calls();
    await writeFile(join(dir, 'bob.yml'), 'b: 2\n');
    await w.debounced();
    expect(w.calls()).toBe(before + 1);
  });

  it('stops calling back after close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const clock = fakeClock();
    let calls = 0;
    watch = watchConfigDir(dir, { debounceMs: DEBOUNCE, rescanMs: 200, onChange: () => calls++, logger: silentLogger, clock });
    watch.close();
    await writeFile(join(dir, 'alice.yml'), 'a: 1\n');
    clock.advance(10_000);
    expect(calls).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
