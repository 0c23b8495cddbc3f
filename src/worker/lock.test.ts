import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../lib/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { currentHere, holderRecord } from './lock-holder.js';
import { acquireRunLock, DAMAGED_LOCK_SUFFIX, FOREIGN_LOCK_STALE_MS, LockedError, LOCK_FILE, LOCK_REFRESH_MS } from './lock.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'cs-lock-'));
const lockText = (dir: string) => readFile(join(dir, LOCK_FILE), 'utf8');
const exists = (dir: string) =>
  lockText(dir).then(
    () => true,
    () => false,
  );

/** A real process on this machine, for as long as the callback runs. */
async function withProcess<T>(fn: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    return await fn(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
  }
}

/** The lock the process `pid` would write (its real start time, this machine's boot id and namespace). */
function lockOfPid(pid: number, instance = 'alice'): string {
  const here = currentHere();
  return JSON.stringify(holderRecord(instance, { ...here, pid }, new Date()));
}

describe('the run lock', () => {
  it('refuses a second holder while the first lives, then frees', async () => {
    const dir = await tempDir();
    await withProcess(async (pid) => {
      await writeFile(join(dir, LOCK_FILE), lockOfPid(pid));
      await expect(acquireRunLock(dir, 'alice')).rejects.toThrow(new LockedError(`alice: a run is already in progress (pid ${pid})`));
    });
    // The holder was killed: its lock is stale and taken over.
    const lock = await acquireRunLock(dir, 'alice');
    await lock.release();
    expect(await exists(dir)).toBe(false);
    await (await acquireRunLock(dir, 'alice')).release();
  });

  it('takes over a lock whose pid is alive again as another process (a restarted container reuses small pids)', async () => {
    const dir = await tempDir();
    await withProcess(async (pid) => {
      const record = JSON.parse(lockOfPid(pid)) as { startTicks: string };
      // Same pid, same boot, same namespace — but the process started at another time: not the holder.
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...record, startTicks: String(Number(record.startTicks) - 1) }));
      const lock = await acquireRunLock(dir, 'alice');
      expect(JSON.parse(await lockText(dir))).toMatchObject({ pid: process.pid, instance: 'alice', v: 2 });
      await lock.release();
    });
  });

  it('refuses a second run in the same process, and frees on release', async () => {
    const dir = await tempDir();
    const lock = await acquireRunLock(dir, 'alice');
    await expect(acquireRunLock(dir, 'alice')).rejects.toBeInstanceOf(LockedError);
    await lock.release();
    await (await acquireRunLock(dir, 'alice')).release();
  });

  it.each([
    ['empty', ''],
    ['NUL-filled', '\0'.repeat(64)],
    ['truncated', '{"v":2,"instance":"ali'],
    ['of another shape', '["run"]'],
  ])('sets aside a %s lock file and takes the lock', async (_what, text) => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), text);
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m), info: () => {} } as unknown as Logger;
    const lock = await acquireRunLock(dir, 'alice', { logger });
    const aside = (await readdir(dir)).filter((f) => f.startsWith(`${LOCK_FILE}${DAMAGED_LOCK_SUFFIX}`));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(text);
    expect(warnings.join('\n')).toMatch(/damaged .*set aside/);
    await lock.release();
  });

  it('takes over a lock from another container once its time stopped moving, and respects a fresh one', async () => {
    const dir = await tempDir();
    const foreign = (at: Date) =>
      JSON.stringify({
        v: 2,
        instance: 'a',
        pid: 1,
        host: 'worker-container',
        bootId: 'b',
        container: 'c'.repeat(64),
        pidNs: 'pid:[1]',
        startTicks: '5',
        at: at.toISOString(),
      });
    await writeFile(join(dir, LOCK_FILE), foreign(new Date()));
    await expect(acquireRunLock(dir, 'a')).rejects.toThrow(/in progress \(pid 1, held in worker-container, refreshed 0 s ago\)/);
    await writeFile(join(dir, LOCK_FILE), foreign(new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 1_000)));
    await (await acquireRunLock(dir, 'a')).release();
    // An older build's lock (pid, host, time) from another host: the same rule.
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'old-container', at: new Date().toISOString() }));
    await expect(acquireRunLock(dir, 'a')).rejects.toBeInstanceOf(LockedError);
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'old-container', at: '' }));
    await (await acquireRunLock(dir, 'a')).release();
  });

  it("takes over an older build's lock on this host whose pid lives but whose time stopped (the blocked-forever case)", async () => {
    const dir = await tempDir();
    await withProcess(async (pid) => {
      const old = new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 1_000).toISOString();
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), at: old }));
      await (await acquireRunLock(dir, 'a')).release();
    });
  });

  it('keeps its own time fresh while held, atomically', async () => {
    const clock = fakeClock(new Date());
    const dir = await tempDir();
    const lock = await acquireRunLock(dir, 'a', { clock });
    const first = (JSON.parse(await lockText(dir)) as { at: string }).at;
    await clock.tickAsync(LOCK_REFRESH_MS - 1);
    expect((JSON.parse(await lockText(dir)) as { at: string }).at).toBe(first);
    await clock.tickAsync(1);
    // The refresh itself is file I/O started by the timer: wait for it to land.
    await vi.waitFor(async () => expect((JSON.parse(await lockText(dir)) as { at: string }).at).not.toBe(first), { timeout: 5_000, interval: 10 });
    const later = (JSON.parse(await lockText(dir)) as { at: string }).at;
    expect(Date.parse(later) - Date.parse(first)).toBe(LOCK_REFRESH_MS);
    await lock.release();
    expect(await exists(dir)).toBe(false);
  });
});
