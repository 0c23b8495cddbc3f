/**
 * Docker workers that died and that Docker does not bring back. Docker's restart policy (`unless-stopped`)
 * restarts a worker that crashes or is OOM-killed, and every running worker after a reboot, but never one
 * that was `docker kill`ed (the engine counts a kill as a manual stop), nor one whose restart failed. Such a
 * worker would stay down until someone noticed. The supervisor starts it again, with the crash tracker's
 * bounded, doubling delay (backoff.ts), unless it was stopped on purpose: `campus-sync stop` / `down` leave a
 * mark in data/<name>/ (instance/stopped-mark.ts), and a worker exits 0 only when asked to stop (SIGTERM:
 * `docker stop`), so a clean exit is a stop too.
 */
import { constants } from 'node:os';
import { describeError, type Clock, type Logger } from '../lib/index.js';
import { createCrashTracker, DEFAULT_RESET_AFTER_MS, type CrashTracker } from './backoff.js';
import type { ActualWorker, Runtime } from './interface.js';

export type Revival = { revive: true; reason: string } | { revive: false; reason: string };

export interface RevivalInput {
  worker: ActualWorker;
  /** Its config is valid and present: reconcile wants this worker. */
  wanted: boolean;
  /** data/<name>/stopped-on-purpose exists. */
  stoppedOnPurpose: boolean;
}

/** Exit codes above this are 128 + the number of the signal that ended the process (shell and Docker convention). */
const SIGNAL_EXIT_BASE = 128;
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Pure: start this worker again, or leave it as it is (and why, for the log). */
export function decideRevival({ worker, wanted, stoppedOnPurpose }: RevivalInput): Revival {
  if (worker.state !== 'exited' && worker.state !== 'dead') return { revive: false, reason: `it is ${worker.state}` };
  if (!wanted) return { revive: false, reason: 'its config is gone or invalid (reconcile decides)' };
  if (stoppedOnPurpose) return { revive: false, reason: 'stopped on purpose (campus-sync stop or down): it stays stopped until start or up' };
  if (worker.exitCode === 0 && !worker.oomKilled)
    return { revive: false, reason: 'it exited cleanly (code 0), as it does only when asked to stop (docker stop): it stays stopped until start' };
  return { revive: true, reason: describeExit(worker) };
}

/** `killed by SIGKILL (exit code 137)`, `killed by the kernel: out of memory (exit code 137)`, `exited with code 1`. */
export function describeExit(w: Pick<ActualWorker, 'exitCode' | 'oomKilled'>): string {
  const code = w.exitCode;
  if (w.oomKilled) return `killed by the kernel: out of memory (exit code ${code ?? '?'})`;
  if (code === undefined) return 'stopped (exit code unknown)';
  const signal = code > SIGNAL_EXIT_BASE ? SIGNAL_NAMES.get(code - SIGNAL_EXIT_BASE) : undefined;
  if (signal) return `killed by ${signal} (exit code ${code})`;
  return `exited with code ${code}`;
}

export interface ReviverOptions {
  runtime: Pick<Runtime, 'list' | 'start'>;
  logger: Logger;
  clock: Clock;
  /** Whether data/<name>/ holds the stopped-on-purpose mark. */
  stoppedOnPurpose: (name: string) => Promise<boolean>;
  /** One line in data/<name>/errors.log (the crash-loop report). */
  recordError: (name: string, line: string) => Promise<void>;
  /** A timer the supervisor cancels when it stops. */
  later: (ms: number, fn: () => void) => void;
  tracker?: CrashTracker;
}

export interface Reviver {
  /** Looks at what runs now; schedules a start for each worker that died on its own. */
  check(actual: readonly ActualWorker[], wanted: ReadonlySet<string>): Promise<void>;
}

/** One death of one container: a new start and a new death make a new key. */
const exitKey = (w: ActualWorker): string => `${w.id}@${w.finishedAt ?? '?'}`;

export function createReviver(opts: ReviverOptions): Reviver {
  const tracker = opts.tracker ?? createCrashTracker({ clock: opts.clock });
  /** The death already handled (a start scheduled or made) per name: seen again at every beat, acted on once. */
  const handled = new Map<string, string>();
  /** The container start time last given to the tracker, per name: each start is counted once. */
  const startsSeen = new Map<string, string>();
  /** Deaths whose start failed: seen again as a new failure now, so the delay keeps doubling. */
  const failedStarts = new Set<string>();

  const fire = async (name: string, key: string, attempt: number): Promise<void> => {
    const now = (await opts.runtime.list()).find((w) => w.name === name);
    // Started by hand, recreated, removed, or stopped on purpose meanwhile: nothing to do.
    if (!now || exitKey(now) !== key || (await opts.stoppedOnPurpose(name))) return;
    try {
      await opts.runtime.start(name);
      opts.logger.info(`${name} started again (restart ${attempt} in a row)`, { instance: name });
    } catch (err) {
      opts.logger.error(`${name} could not be started again: ${describeError(err)}; trying again with a longer delay`, { instance: name });
      // Seen as a new failure at the next check, so the delay doubles.
      failedStarts.add(key);
      handled.delete(name);
    }
  };

  return {
    async check(actual, wanted) {
      for (const w of actual) {
        const key = exitKey(w);
        if (handled.get(w.name) === key) continue;
        const decision = decideRevival({
          worker: w,
          wanted: wanted.has(w.name),
          stoppedOnPurpose: w.state === 'exited' || w.state === 'dead' ? await opts.stoppedOnPurpose(w.name) : false,
        });
        if (!decision.revive) {
          if (w.state === 'running') handled.delete(w.name);
          continue;
        }
        handled.set(w.name, key);
        // How long it ran is the container's own record: a worker that ran a minute was healthy, and its
        // death starts a new count (the tracker's reset), whoever had started it.
        if (w.startedAt && startsSeen.get(w.name) !== w.startedAt) {
          startsSeen.set(w.name, w.startedAt);
          tracker.onStarted(w.name, new Date(w.startedAt));
        }
        const retry = failedStarts.delete(key);
        const exit = tracker.onExit(w.name, !retry && w.finishedAt ? new Date(w.finishedAt) : opts.clock.now());
        const delayMs = Math.max(0, exit.restartAt.getTime() - opts.clock.now().getTime());
        const delay = `${(delayMs / 1000).toFixed(delayMs < 10_000 ? 1 : 0)} s`;
        opts.logger.warn(`${w.name} stopped on its own: ${decision.reason}; Docker will not restart it, the supervisor starts it again in ${delay}`, {
          instance: w.name,
          exitCode: w.exitCode ?? null,
          delayMs,
        });
        if (exit.reportNow) {
          const line =
            `${w.name} is crash-looping: died ${exit.consecutive} times in a row within ${Math.round(DEFAULT_RESET_AFTER_MS / 1000)} s of starting ` +
            `(last: ${decision.reason}); the supervisor starts it again with growing delays (next in ${delay}, at most 5 min apart)`;
          opts.logger.error(line, { instance: w.name });
          await opts.recordError(w.name, line);
        }
        opts.later(
          delayMs,
          () =>
            void fire(w.name, key, exit.consecutive).catch((err: unknown) =>
              opts.logger.error(`restarting ${w.name}: ${describeError(err)}`, { instance: w.name }),
            ),
        );
      }
      for (const name of [...handled.keys()]) {
        if (!actual.some((w) => w.name === name)) {
          handled.delete(name);
          startsSeen.delete(name);
          tracker.forget(name);
        }
      }
    },
  };
}
