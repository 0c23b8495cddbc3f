/**
 * The one backoff formula: every retry loop (the HTTP clients through lib/retry.ts, the notify outbox,
 * the supervisor's restarts and retries) asks this function how long to wait, so "bounded and backs off"
 * means the same thing everywhere.
 */

/**
 * Exponents above this cannot change the result (2 ** 52 ms is longer than any cap) and keep the
 * product finite: a zero base times an infinite power would be NaN.
 */
const MAX_EXPONENT = 52;

export interface BackoffOptions {
  /** The wait before the second attempt (attempt 1's wait). */
  baseMs: number;
  /** No wait is longer than this. */
  maxMs: number;
  /**
   * Jitter source in [0, 1): the wait is drawn in [delay/2, delay] so many clients that failed together
   * do not retry in step. `null` for an exact schedule (the supervisor's restarts, which its state and
   * log lines announce to the second). Default Math.random.
   */
  random?: (() => number) | null;
}

/**
 * The wait after the `attempt`-th failure (1 = the first): `baseMs`, doubling each time, capped at
 * `maxMs`, with "equal jitter" unless `random` is null. Whole milliseconds.
 */
export function backoff(attempt: number, opts: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, MAX_EXPONENT);
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** exponent);
  const random = opts.random === undefined ? Math.random : opts.random;
  if (random === null) return Math.round(ceiling);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
