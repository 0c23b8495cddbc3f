import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CampusSyncError } from '../lib/index.js';

export const LOCK_FILE = 'run.lock';
/** The holder rewrites its lock's time this often while it runs, so other hosts can tell it is alive. */
export const LOCK_REFRESH_MS = 20_000;
/**
 * A lock from another host (another container: its pids mean nothing here) is stale once its time is this
 * old: three missed refreshes. A crashed container's lock is taken over within 90 s; a live one never is.
 */
export const FOREIGN_LOCK_STALE_MS = 90_000;

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
 * Takes the instance's run lock (O_EXCL file with pid, host and a time refreshed while the run lasts). A lock
 * left by a killed process is stale and taken over: on this host when its pid is gone (or is ours); from
 * another host (a worker container, while `run-once` runs in the API's) when its time stopped moving.
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
      const refresh = setInterval(() => {
        const fresh = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
        writeFile(path, fresh, { mode: 0o600 }).catch(() => {});
      }, LOCK_REFRESH_MS);
      refresh.unref();
      return {
        release: async () => {
          clearInterval(refresh);
          await rm(path, { force: true });
        },
      };
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

interface Holder {
  pid: number;
  host: string;
  /** ms since the epoch of its last refresh (NaN when the lock has none: an older version wrote it). */
  at: number;
}

async function readHolder(path: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { pid?: unknown; host?: unknown; at?: unknown };
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') {
      return { pid: parsed.pid, host: parsed.host, at: typeof parsed.at === 'string' ? Date.parse(parsed.at) : NaN };
    }
  } catch {
    // unreadable lock: written by a process killed mid-write, so stale
  }
  return null;
}

function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return Date.now() - holder.at < FOREIGN_LOCK_STALE_MS;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
