import FakeTimers from '@sinonjs/fake-timers';
import { sleepOn, type Clock, type TimerHandle } from './clock.js';

/**
 * A clock tests drive: time moves only when told, and timers fire as it moves (issue 19, step 3). Built on
 * @sinonjs/fake-timers' standalone clock, so nothing global is replaced: only code handed this clock sees fake
 * time, and the test runner's own timers stay real.
 */
export interface FakeClock extends Clock {
  /** Jump to a time without firing the timers in between (a wall-clock change, a resume from suspend). */
  set(d: Date | string): void;
  /** Move time forward, firing due timers synchronously in order. */
  advance(ms: number): void;
  /** Move time forward, letting promises settle between timers: the one to use for async code. */
  tickAsync(ms: number): Promise<void>;
  /** Fire the next timer (moving time to it) after letting promises settle; false when none is waiting. */
  nextAsync(): Promise<boolean>;
  /** Timers waiting to fire. */
  pendingTimers(): number;
  /** Resolves once a timer is waiting (at once if one already is): the code under test has started a wait. */
  whenPending(): Promise<void>;
  /**
   * Fire each timer as soon as nothing else is running, time jumping to it, until called with false: for code
   * that also waits on real I/O (sockets, processes) between its timers, so a test cannot step it by hand.
   */
  autoAdvance(on?: boolean): void;
}

/** One real turn of the event loop: pending I/O is handled (setImmediate runs after the poll phase), then the timers phase. */
const realTurn = async (): Promise<void> => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 0));
};

export function fakeClock(start: Date | string = '2026-01-05T08:00:00Z'): FakeClock {
  const timers = FakeTimers.createClock(new Date(start).getTime());
  let waiting: (() => void)[] = [];
  let autoAdvancing = false;
  let advancing = false;
  /**
   * autoAdvance's loop: one real turn of the event loop, then the next timer, while any is waiting; it stops when
   * none is and starts again when one is set. fake-timers' own `nextAsync` tick mode kept turning while nothing
   * waited (a MessageChannel and a real timeout per turn): the Discord tests, waiting seconds on real sockets,
   * spent more than a core on it (src/ingest/gateway.test.ts: 22 CPU-s for 17 s of wall clock).
   */
  const advanceWhileWaiting = async (): Promise<void> => {
    if (advancing) return;
    advancing = true;
    try {
      while (autoAdvancing && timers.countTimers() > 0) {
        await realTurn();
        if (autoAdvancing && timers.countTimers() > 0) timers.next();
      }
    } finally {
      advancing = false;
    }
  };
  const scheduled = <T>(handle: T): T => {
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
    if (autoAdvancing) void advanceWhileWaiting();
    return handle;
  };
  const clock: FakeClock = {
    now: () => new Date(timers.now),
    setTimeout: (fn, ms) => scheduled(timers.setTimeout(fn, ms) as unknown as TimerHandle),
    clearTimeout: (handle) => {
      if (handle !== undefined) timers.clearTimeout(handle as unknown as FakeTimers.TimerId);
    },
    setInterval: (fn, ms) => scheduled(timers.setInterval(fn, ms) as unknown as TimerHandle),
    clearInterval: (handle) => {
      if (handle !== undefined) timers.clearInterval(handle as unknown as FakeTimers.TimerId);
    },
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
    set: (d) => timers.setSystemTime(new Date(d).getTime()),
    advance: (ms) => {
      timers.tick(ms);
    },
    tickAsync: async (ms) => {
      await timers.tickAsync(ms);
    },
    nextAsync: async () => {
      if (timers.countTimers() === 0) return false;
      await timers.nextAsync();
      return true;
    },
    pendingTimers: () => timers.countTimers(),
    whenPending: () => (timers.countTimers() > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    autoAdvance: (on = true) => {
      autoAdvancing = on;
      if (on) void advanceWhileWaiting();
    },
  };
  return clock;
}
