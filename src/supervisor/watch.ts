import { existsSync, watch, type FSWatcher } from 'node:fs';
import { describeError, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';

/** Editors save in bursts (temp file, rename, chmod): 300 ms gathers one save into one reconcile. */
export const DEFAULT_DEBOUNCE_MS = 300;
/** Events get lost on some mounts (NFS, Docker Desktop bind mounts): a rescan a minute bounds the delay. */
export const DEFAULT_RESCAN_MS = 60_000;
/** A missing directory is looked for again this often: it usually appears when a volume is mounted. */
export const WATCH_RETRY_MS = 2_000;

export interface WatchOptions {
  debounceMs?: number;
  rescanMs?: number;
  onChange: () => void;
  logger: Logger;
  retryMs?: number;
  /** Debounce, retry and rescan timers (tests move it; file events stay real). */
  clock?: Clock;
}

export interface ConfigWatch {
  close(): void;
}

/**
 * Calls `onChange` (debounced) when anything in `dir` changes, and every `rescanMs` whatever happens.
 * Events are not filtered by file name: an editor's `write temp + rename`, or Kubernetes' `..data`
 * symlink swap, would slip through a filter; an extra reconcile costs one directory read.
 */
export function watchConfigDir(dir: string, opts: WatchOptions): ConfigWatch {
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const rescanMs = opts.rescanMs ?? DEFAULT_RESCAN_MS;
  const retryMs = opts.retryMs ?? WATCH_RETRY_MS;
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  let closed = false;
  let watcher: FSWatcher | null = null;
  let debounce: TimerHandle | null = null;
  let retry: TimerHandle | null = null;
  let missingLogged = false;

  const fire = (): void => {
    if (closed) return;
    try {
      opts.onChange();
    } catch (err) {
      logger.error(`config change handler failed: ${describeError(err)}`);
    }
  };
  const changed = (): void => {
    if (closed) return;
    if (debounce) clock.clearTimeout(debounce);
    debounce = clock.setTimeout(() => {
      debounce = null;
      fire();
    }, debounceMs);
  };

  const startWatching = (): void => {
    retry = null;
    if (closed) return;
    try {
      watcher = watch(dir, { persistent: true }, (event) => {
        // Linux drops the watch silently when the directory itself goes: notice it and look again.
        if (event === 'rename' && !existsSync(dir)) lost(new Error('the directory was removed'));
        else changed();
      });
    } catch (err) {
      if (!missingLogged) {
        logger.warn(`cannot watch ${dir} (${(err as NodeJS.ErrnoException).code ?? describeError(err)}); looking again every ${retryMs / 1000} s`);
        missingLogged = true;
      }
      retry = clock.setTimeout(startWatching, retryMs);
      return;
    }
    if (missingLogged) {
      logger.info(`watching ${dir} again`);
      missingLogged = false;
      // Whatever appeared while we could not watch is a change.
      changed();
    }
    watcher.on('error', lost);
  };

  /** The directory was removed or the mount went away: watch again when it is back. */
  const lost = (err: unknown): void => {
    watcher?.close();
    watcher = null;
    if (closed || retry) return;
    logger.warn(`watching ${dir} stopped: ${describeError(err)}`);
    missingLogged = true;
    changed();
    retry = clock.setTimeout(startWatching, retryMs);
  };

  startWatching();
  const rescan = clock.setInterval(fire, rescanMs);

  return {
    close() {
      closed = true;
      watcher?.close();
      watcher = null;
      if (debounce) clock.clearTimeout(debounce);
      if (retry) clock.clearTimeout(retry);
      clock.clearInterval(rescan);
    },
  };
}
