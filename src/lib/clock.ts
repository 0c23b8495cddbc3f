/**
 * The time source and its timers, injected so tests drive time instead of waiting for it (issue 19, step 3).
 * Production code takes a `Clock` (default `systemClock`) and never calls the global `setTimeout`/`Date.now`
 * for anything a test needs to move; tests pass `fakeClock()` (src/lib/fake-clock.test-helper.ts, built on
 * @sinonjs/fake-timers) and call `advance`/`tickAsync`.
 */

/** What `setTimeout`/`setInterval` hand back: only ever given back to `clearTimeout`/`clearInterval`. */
export type TimerHandle = { readonly __timerHandle: true } | object;

export interface TimerOptions {
  /** Do not keep the process alive for this timer alone (node's `unref`): loops that run beside a server use it. */
  unref?: boolean;
}

export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`, or at once when `signal` aborts (a loop waiting for its next turn must stop promptly). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** `sleep` for any clock: one timer, cleared when the signal aborts first. */
export function sleepOn(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function unrefWhenAsked(handle: NodeJS.Timeout, options: TimerOptions | undefined): NodeJS.Timeout {
  if (options?.unref) handle.unref();
  return handle;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms, options) => unrefWhenAsked(setTimeout(fn, ms), options),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (fn, ms, options) => unrefWhenAsked(setInterval(fn, ms), options),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout | undefined),
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};
