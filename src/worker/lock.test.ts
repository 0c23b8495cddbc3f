import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireRunLock, LockedError, LOCK_FILE } from './lock.js';

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
  });
});
