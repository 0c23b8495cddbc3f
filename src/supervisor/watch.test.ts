import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { watchConfigDir, type ConfigWatch } from './watch.js';

const DEBOUNCE = 80;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Enough for fs events to arrive and the debounce to fire on a busy box. */
const settle = () => sleep(DEBOUNCE + 250);

describe('watchConfigDir', () => {
  let watch: ConfigWatch | null = null;
  afterEach(() => watch?.close());

  const start = async (dir: string, extra: { rescanMs?: number; retryMs?: number } = {}) => {
    let calls = 0;
    watch = watchConfigDir(dir, { debounceMs: DEBOUNCE, rescanMs: extra.rescanMs ?? 60_000, retryMs: extra.retryMs ?? 50, onChange: () => calls++, logger: silentLogger });
    await sleep(50);
    return { calls: () => calls };
  };

  it('calls back once per add, edit, delete and editor-style save', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const w = await start(dir);
    await writeFile(join(dir, 'alice.yml'), 'a: 1\n');
    await settle();
    expect(w.calls()).toBe(1);
    await writeFile(join(dir, 'alice.yml'), 'a: 2\n');
    await settle();
    expect(w.calls()).toBe(2);
    // Editors write a temp file and rename it over the original.
    await writeFile(join(dir, '.alice.yml.tmp'), 'a: 3\n');
    await rename(join(dir, '.alice.yml.tmp'), join(dir, 'alice.yml'));
    await settle();
    expect(w.calls()).toBe(3);
    await rm(join(dir, 'alice.yml'));
    await settle();
    expect(w.calls()).toBe(4);
    await settle();
    expect(w.calls()).toBe(4);
  });

  it('gathers a burst into one callback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-watch-'));
    const w = await start(dir);
    for (let i = 0; i < 20; i++) await writeFile(join(dir, `c${i}.yml`), `n: ${i}\n`);
    await settle();
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
    const w = await start(dir);
    await sleep(120);
    expect(w.calls()).toBe(0);
    await mkdir(dir);
    await settle();
    expect(w.calls()).toBe(1);
    await writeFile(join(dir, 'alice.yml'), 'a: 1\n');
    await settle();
    expect(w.calls()).toBe(2);
    await rm(dir, { recursive: true });
    await settle();
    const afterRemoval = w.calls();
    expect(afterRemoval).toBeGreaterThanOrEqual(3);
    await mkdir(dir);
    await settle();
    await writeFile(join(dir, 'bob.yml'), 'b: 1\n');
    await settle();
    expect(w.calls()).toBeGreaterThan(afterRemoval + 0);
    const before = w.calls();
    await writeFile(join(dir, 'bob.yml'), 'b: 2\n');
    await settle();
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
