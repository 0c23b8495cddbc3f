/**
 * The run lock across real processes (dist/): a holder that exits through process.exit() without releasing
 * still leaves no lock, and one killed with SIGKILL leaves a lock the next run takes over at once.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const LOCK_MODULE = pathToFileURL(join(ROOT, 'dist/worker/lock.js')).href;

/** A node process that takes the lock, says "held", then does `then` (JS source). */
function holder(dir: string, then: string) {
  const code = `import(${JSON.stringify(LOCK_MODULE)}).then(async (m) => { await m.acquireRunLock(${JSON.stringify(dir)}, 'a'); console.log('held'); ${then} })`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const held = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  return { child, held, closed };
}

describe('the run lock between real processes', () => {
  it('is released when its holder exits through process.exit()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
    const h = holder(dir, 'process.exit(3);');
    await h.held;
    expect(await h.closed).toBe(3);
    await expect(readFile(join(dir, 'run.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is taken over at once after its holder was killed (SIGKILL), and refused while it lived', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-lock-'));
    const h = holder(dir, 'setInterval(() => {}, 1000);');
    await h.held;
    const { acquireRunLock, LockedError } = (await import(LOCK_MODULE)) as typeof import('../src/worker/lock.js');
    await expect(acquireRunLock(dir, 'a')).rejects.toBeInstanceOf(LockedError);
    h.child.kill('SIGKILL');
    await h.closed;
    const lock = await acquireRunLock(dir, 'a');
    await lock.release();
  });
});
