import { backoff, systemClock, type Clock } from '../lib/index.js';

/** First restart after 1 s: a worker that dies at once (bad network at boot) is retried almost at once. */
export const DEFAULT_BASE_DELAY_MS = 1_000;
/** Never wait more than 5 minutes: a worker fixed by an outside change (DNS back) resumes soon enough. */
export const DEFAULT_MAX_DELAY_MS = 5 * 60_000;
/** A worker that ran a full minute was healthy: its next death starts a new count (a sync run lasts seconds). */
export const DEFAULT_RESET_AFTER_MS = 60_000;
/** Three quick deaths in a row is not bad luck: say it once, loudly. */
export const DEFAULT_CRASH_LOOP_AFTER = 3;

export type CrashState = 'ok' | 'backing-off' | 'crash-looping';

/**
 * What happens to a worker: it died quickly (`exit`), died quickly once too often (`exit-looping`), was
 * started again, proved itself (`healthy`, e.g. a health check), or ran `resetAfterMs` without dying.
 */
export type CrashEvent = 'exit' | 'exit-looping' | 'started' | 'healthy' | 'ran-long';

/**
 * The only moves a worker's crash state makes, by event (as the worker's own state table): a move not
 * listed is a bug and throws. `ok` is "running, or never crashed". Crash-looping stays through restarts
 * and further deaths until a long run or `healthy`: its count only grows, so a death there is always
 * `exit-looping`; a run long enough to reset the count comes first (`ran-long`). Backing-off is left by a
 * start; it never sees `ran-long`, since a long run begins with `started`.
 */
export const CRASH_TRANSITIONS: Readonly<Record<CrashState, Readonly<Partial<Record<CrashEvent, CrashState>>>>> = {
  ok: { exit: 'backing-off', 'exit-looping': 'crash-looping', started: 'ok', healthy: 'ok', 'ran-long': 'ok' },
  'backing-off': { exit: 'backing-off', 'exit-looping': 'crash-looping', started: 'ok', healthy: 'ok' },
  'crash-looping': { 'exit-looping': 'crash-looping', started: 'crash-looping', healthy: 'ok', 'ran-long': 'ok' },
};

export interface CrashTrackerOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  resetAfterMs?: number;
  crashLoopAfter?: number;
  clock?: Clock;
}

export interface ExitDecision {
  restartAt: Date;
  /** The delay before `restartAt`, for log lines. */
  delayMs: number;
  /** How many times in a row it died quickly (this exit included). */
  consecutive: number;
  crashLooping: boolean;
  /** True exactly once per crash-loop episode: when the count reaches `crashLoopAfter`. */
  reportNow: boolean;
}

export interface CrashTracker {
  onExit(name: string, at?: Date): ExitDecision;
  onStarted(name: string, at?: Date): void;
  /** The worker proved itself (e.g. a health check): the count starts again. */
  onHealthy(name: string): void;
  state(name: string): CrashState;
  /** Consecutive quick deaths so far. */
  consecutive(name: string): number;
  forget(name: string): void;
}

interface Entry {
  state: CrashState;
  consecutive: number;
  startedAt: Date | null;
  /** Set when the current episode's crash loop was reported, so it is reported once. */
  reported: boolean;
}

export function createCrashTracker(opts: CrashTrackerOptions = {}): CrashTracker {
  const base = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const max = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const resetAfter = opts.resetAfterMs ?? DEFAULT_RESET_AFTER_MS;
  const loopAfter = opts.crashLoopAfter ?? DEFAULT_CRASH_LOOP_AFTER;
  const clock = opts.clock ?? systemClock;
  const entries = new Map<string, Entry>();

  const entry = (name: string): Entry => {
    let e = entries.get(name);
    if (!e) entries.set(name, (e = { state: 'ok', consecutive: 0, startedAt: null, reported: false }));
    return e;
  };
  const move = (name: string, e: Entry, event: CrashEvent): void => {
    const to = CRASH_TRANSITIONS[e.state][event];
    if (!to) throw new Error(`crash tracker ${name}: no move from ${e.state} on ${event}`);
    e.state = to;
  };
  const reset = (e: Entry): void => {
    e.consecutive = 0;
    e.reported = false;
  };
  /** Running long enough ends an episode even before the next exit, so `state` stops saying crash-looping. */
  const settle = (name: string, e: Entry, now: Date): void => {
    if (e.startedAt && now.getTime() - e.startedAt.getTime() >= resetAfter) {
      reset(e);
      move(name, e, 'ran-long');
    }
  };

  return {
    onExit(name, at = clock.now()) {
      const e = entry(name);
      settle(name, e, at);
      e.startedAt = null;
      e.consecutive++;
      // No jitter: the restart time is announced in the status and the log, to the second.
      const delayMs = backoff(e.consecutive, { baseMs: base, maxMs: max, random: null });
      const crashLooping = e.consecutive >= loopAfter;
      const reportNow = crashLooping && !e.reported;
      if (reportNow) e.reported = true;
      move(name, e, crashLooping ? 'exit-looping' : 'exit');
      return { restartAt: new Date(at.getTime() + delayMs), delayMs, consecutive: e.consecutive, crashLooping, reportNow };
    },
    onStarted(name, at = clock.now()) {
      const e = entry(name);
      e.startedAt = at;
      move(name, e, 'started');
    },
    onHealthy(name) {
      const e = entry(name);
      reset(e);
      move(name, e, 'healthy');
    },
    state(name) {
      const e = entries.get(name);
      if (!e) return 'ok';
      settle(name, e, clock.now());
      return e.state;
    },
    consecutive(name) {
      const e = entries.get(name);
      if (!e) return 0;
      settle(name, e, clock.now());
      return e.consecutive;
    },
    forget(name) {
      entries.delete(name);
    },
  };
}
