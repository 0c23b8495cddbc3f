import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CampusSyncError } from '../lib/index.js';

export const LOCK_FILE = 'run.lock';

export interface RunLock {
  release(): Promise<void>;
}

/** A run already holds the instance (another worker, or a `run-once` next to it). Retrying later can help. */
export class LockedError extends CampusSyncError {
  constructor(message: string) {
    super(message, { retryable: true, phase: 'state' });
  }
}

/**
 * Takes the instance's run lock (O_EXCL file with pid and host). A lock left by a killed process is stale
 * and taken over: its pid is gone, or it was written on another host (a recreated container), or by us.
 */
export async function acquireRunLock(dir: string, instance: string): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  await mkdir(dir, { recursive: true });
  const content = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(content);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await readHolder(path);
      if (holder && isAlive(holder)) {
        throw new LockedError(`${instance}: a run is already in progress (pid ${holder.pid})`);
      }
      await rm(path, { force: true });
    }
  }
  throw new LockedError(`${instance}: could not take the run lock ${path}`);
}

async function readHolder(path: string): Promise<{ pid: number; host: string } | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; host?: unknown };
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { pid: parsed.pid, host: parsed.host };
  } catch {
    // unreadable lock: written by a process killed mid-write, so stale
  }
  return null;
}

function isAlive(holder: { pid: number; host: string }): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
