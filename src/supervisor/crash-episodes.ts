import type { ActualWorker } from './interface.js';

/** A worker that ran this long without a restart is out of its crash loop; a new loop is reported again. */
export const CRASH_EPISODE_RESET_MS = 60_000;

export interface CrashLoopReport {
  name: string;
  /** Restarts in this episode. */
  restarts: number;
  exitCode: number | undefined;
}

export interface CrashEpisodes {
  /** Reads one listing of the workers; returns the crash loops to say now (each once per episode). */
  observe(actual: readonly ActualWorker[], nowMs: number): CrashLoopReport[];
}

interface Episode {
  baseline: number;
  lastCount: number;
  changedAt: number;
  reported: boolean;
  /**
   * The exit code of the last crash seen in this episode. A listing made while the runtime has just started the
   * worker again says none (Docker resets State.ExitCode to 0 at each start), and the report must still say why.
   */
  lastExitCode?: number;
}

/**
 * For runtimes that restart a crashing worker themselves (docker's restart policy, Swarm's tasks, each with
 * its own capped backoff): the supervisor's part is to say so ONCE per episode, not once per crash. An
 * episode ends when the worker has run a whole `resetMs` without a new restart. Pure apart from its memory
 * of the last listing; time is given, not read.
 */
export function createCrashEpisodes(opts: { loopAfter: number; resetMs?: number }): CrashEpisodes {
  const resetMs = opts.resetMs ?? CRASH_EPISODE_RESET_MS;
  const episodes = new Map<string, Episode>();
  return {
    observe(actual, now) {
      const reports: CrashLoopReport[] = [];
      for (const w of actual) {
        const e = episodes.get(w.name) ?? { baseline: w.restartCount, lastCount: w.restartCount, changedAt: now, reported: false };
        episodes.set(w.name, e);
        if (w.restartCount < e.lastCount) {
          // A new container (recreated, or removed and created again) starts counting from zero.
          e.baseline = w.restartCount;
          e.reported = false;
          e.lastExitCode = undefined;
        }
        if (w.exitCode !== undefined) e.lastExitCode = w.exitCode;
        if (w.restartCount !== e.lastCount) {
          e.lastCount = w.restartCount;
          e.changedAt = now;
        } else if (now - e.changedAt >= resetMs && w.state === 'running') {
          e.baseline = w.restartCount;
          e.reported = false;
        }
        if (!e.reported && w.restartCount - e.baseline >= opts.loopAfter) {
          e.reported = true;
          reports.push({ name: w.name, restarts: w.restartCount - e.baseline, exitCode: w.exitCode ?? e.lastExitCode });
        }
      }
      for (const name of episodes.keys()) if (!actual.some((w) => w.name === name)) episodes.delete(name);
      return reports;
    },
  };
}
