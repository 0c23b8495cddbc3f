import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { acquireRunLock, FOREIGN_LOCK_STALE_MS, LockedError, LOCK_FILE, LOCK_REFRESH_MS } from './lock.js';

describe('the run lock', () => {
  it('refuses a second holder while the first lives, then frees', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: hostname(), at: new Date().toISOString() }));
      await expect(acquireRunLock(dir, 'alice')).rejects.toBeInstanceOf(LockedError);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
    }
    // The holder was killed: its lock is stale and taken over.
    const lock = await acquireRunLock(dir, 'alice');
    await lock.release();
    const again = await acquireRunLock(dir, 'alice');
    await again.release();
  });

  it('takes over a half-written lock and one from another host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
    await writeFile(join(dir, LOCK_FILE), '{"pid":');
    await (await acquireRunLock(dir, 'a')).release();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'old-container', at: '' }));
    const lock = await acquireRunLock(dir, 'a');
    await lock.release();
    // A crashed container's lock, not refreshed for longer than the staleness limit.
    const old = new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 1_000).toISOString();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'old-container', at: old }));
    await (await acquireRunLock(dir, 'a')).release();
  });

  it('respects a fresh lock from another host: a worker container mid-run while run-once runs in the API container', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'worker-container', at: new Date().toISOString() }));
    await expect(acquireRunLock(dir, 'a')).rejects.toBeInstanceOf(LockedError);
  });

  it('keeps its own time fresh while held', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
      const lock = await acquireRunLock(dir, 'a');
      const first = (JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { at: string }).at;
      vi.advanceTimersByTime(LOCK_REFRESH_MS * 5);
      vi.useRealTimers();
      let later = first;
      for (let i = 0; i < 50 && later === first; i++) {
        await new Promise((r) => setTimeout(r, 10));
        later = (JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { at: string }).at;
      }
      expect(Date.parse(later) - Date.parse(first)).toBeGreaterThanOrEqual(LOCK_REFRESH_MS);
      await lock.release();
    } finally {
      vi.useRealTimers();
    }
  });
});
