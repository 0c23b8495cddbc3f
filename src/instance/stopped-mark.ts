import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `data/<name>/stopped-on-purpose`: written when someone stops a worker (`campus-sync stop`, `./campus-sync
 * down`), removed when it is started again (`start`, `restart`, `up`, a new container). The supervisor reads
 * it to tell a worker stopped on purpose (left stopped) from one that died (started again, see
 * supervisor/revive.ts): Docker shows both as "exited". Only its presence counts, so a power cut that
 * empties it changes nothing.
 */
export const STOPPED_MARK_FILE = 'stopped-on-purpose';

/** Marks the worker of `dir` (data/<name>/) as stopped on purpose; `at` is written for people who look. */
export async function markStoppedOnPurpose(dir: string, at: Date): Promise<void> {
  await writeFile(join(dir, STOPPED_MARK_FILE), `stopped on purpose at ${at.toISOString()}; removed by campus-sync start\n`, { mode: 0o644 });
}

export async function clearStoppedOnPurpose(dir: string): Promise<void> {
  await rm(join(dir, STOPPED_MARK_FILE), { force: true });
}

export async function isStoppedOnPurpose(dir: string): Promise<boolean> {
  return access(join(dir, STOPPED_MARK_FILE)).then(
    () => true,
    () => false,
  );
}
