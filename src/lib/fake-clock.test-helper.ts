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

export function fakeClock(start: Date | string = '2026-01-05T08:00:00Z'): FakeClock {
  const timers = FakeTimers.createClock(new Date(start).getTime());
  let waiting: (() => void)[] = [];
  const scheduled = <T>(handle: T): T => {
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
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
    autoAdvance: (on = true) => timers.setTickMode({ mode: on ? 'nextAsync' : 'manual' }),
  };
  return clock;
}
