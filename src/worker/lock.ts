import { readFileSync, rmSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_FILE } from '../instance/index.js';
import { CampusSyncError, systemClock, writeFileAtomic, type Clock, type Logger } from '../lib/index.js';
import { currentHere, holderRecord, judgeHolder, LOCK_MAX_BYTES, LOCK_REFRESH_MS, parseLock, type Here } from './lock-holder.js';

export { FOREIGN_LOCK_STALE_MS, LOCK_REFRESH_MS } from './lock-holder.js';
export { LOCK_FILE };
/** Where a damaged lock file is moved (`run.lock.damaged-<time>`): kept for a look, never read again. */
export const DAMAGED_LOCK_SUFFIX = '.damaged-';

export interface RunLock {
  release(): Promise<void>;
}

/** A run already holds the instance (another worker, or a `run-once` next to it). Retrying later can help. */
export class LockedError extends CampusSyncError {
  constructor(message: string) {
    super(message, { retryable: true, phase: 'state' });
  }
}

export interface AcquireOptions {
  /** Says when a stale lock is taken over or a damaged one set aside. */
  logger?: Logger;
  /** This process as a lock sees it (tests give another one). */
  here?: Here;
  now?: () => Date;
  /** The refresh timer, and the time when `now` is not given (default systemClock). */
  clock?: Clock;
}

/** Lock files this process holds now (path → its content), released on any exit, even process.exit(). */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, content] of heldHere) {
      try {
        if (readFileSync(path, 'utf8') === content) rmSync(path, { force: true });
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Takes the instance's run lock: an O_EXCL file naming its holder by boot id, container, pid namespace,
 * pid and that pid's start time, with a time refreshed while the run lasts (lock-holder.ts judges it).
 * A lock whose holder is gone is taken over; a damaged one is set aside; a live one refuses (LockedError).
 */
export async function acquireRunLock(dir: string, instance: string, opts: AcquireOptions = {}): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  const here = opts.here ?? currentHere();
  const clock = opts.clock ?? systemClock;
  const now = opts.now ?? (() => clock.now());
  await mkdir(dir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    const content = JSON.stringify(holderRecord(instance, here, now()));
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return holdLock(path, content, instance, here, now, clock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readLockText(path);
    if (text === null) continue; // gone meanwhile: try again
    const parsed = parseLock(text, instance);
    const verdict = judgeHolder(parsed, here, now().getTime(), heldHere.has(path));
    if (verdict.live) {
      const pid = parsed.kind === 'holder' ? parsed.holder.pid : parsed.kind === 'legacy' ? parsed.pid : 0;
      throw new LockedError(`${instance}: a run is already in progress (pid ${pid}${verdict.why.startsWith('held in') ? `, ${verdict.why}` : ''})`);
    }
    if (parsed.kind === 'damaged') {
      const aside = `${path}${DAMAGED_LOCK_SUFFIX}${now().toISOString().replace(/[:.]/g, '-')}`;
      opts.logger?.warn(`${instance}: the run lock ${path} is damaged (${parsed.why}): set aside as ${aside}, taken as stale`);
      await rename(path, aside).catch(() => {});
      continue;
    }
    opts.logger?.info(`${instance}: taking over a stale run lock (${verdict.why})`);
    await removeIfUnchanged(path, text);
  }
  throw new LockedError(`${instance}: could not take the run lock ${path} (other runs keep taking it)`);
}

/** The lock's text, at most LOCK_MAX_BYTES + 1 of it (a huge file is damaged, and not read whole); null when gone. */
async function readLockText(path: string): Promise<string | null> {
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(LOCK_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Removes a stale lock only if it is still the one judged: moved away atomically first, so two processes
 * taking over the same stale lock cannot remove the fresh lock one of them just made. When it turns out
 * to be another's fresh lock, it is linked back (link fails rather than overwrite a newer one).
 */
async function removeIfUnchanged(path: string, judged: string): Promise<void> {
  const grabbed = `${path}.${process.pid}-${Date.now()}`;
  try {
    await rename(path, grabbed);
  } catch {
    return; // already gone
  }
  const text = await readFile(grabbed, 'utf8').catch(() => '');
  if (text !== judged) await link(grabbed, path).catch(() => {});
  await rm(grabbed, { force: true });
}

function holdLock(path: string, first: string, instance: string, here: Here, now: () => Date, clock: Clock): RunLock {
  installExitHook();
  heldHere.set(path, first);
  let refreshing: Promise<void> = Promise.resolve();
  // Atomic rewrites (temp + rename): a reader never sees a half-written lock and takes it for damaged.
  // A lock that no longer names us (taken over after a long freeze) is left to its new holder.
  const refresh = async (): Promise<void> => {
    const current = await readFile(path, 'utf8').catch(() => null);
    if (current !== heldHere.get(path)) return;
    const fresh = JSON.stringify(holderRecord(instance, here, now()));
    await writeFileAtomic(path, fresh, 0o600);
    heldHere.set(path, fresh);
  };
  const timer = clock.setInterval(
    () => {
      refreshing = refreshing.then(refresh).catch(() => {});
    },
    LOCK_REFRESH_MS,
    { unref: true },
  );
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      clock.clearInterval(timer);
      await refreshing;
      const current = await readFile(path, 'utf8').catch(() => null);
      if (current === heldHere.get(path)) await rm(path, { force: true });
      heldHere.delete(path);
    },
  };
}
