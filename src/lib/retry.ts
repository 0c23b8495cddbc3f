import { backoff } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { isRetryable, TransientError } from './errors.js';
import type { Logger } from './logger.js';

export interface RetryOptions {
  /** Total attempts, first included. Bounded on purpose: the Python original retried forever. */
  attempts?: number;
  /** First delay; doubles each attempt. */
  baseDelayMs?: number;
  /** No single wait is longer than this. */
  maxDelayMs?: number;
  /** Decides whether an error is worth another attempt; defaults to the typed `retryable` flag. */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each wait, for logging. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Where the waits between attempts are taken (default systemClock): tests pass fakeClock() and advance it. */
  clock?: Pick<Clock, 'sleep'>;
  /** Takes the waits instead of the clock (a caller that shortens or records them). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** 5 attempts at 250 ms doubling = at most ~4 s of waiting before giving up on one request. */
export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 } as const;

/** A wait on the system clock, for code outside any injected clock (simulators' latency, benches). */
export const sleep = (ms: number): Promise<void> => systemClock.sleep(ms);

function waitOf(options: RetryOptions): (ms: number) => Promise<void> {
  if (options.sleep) return options.sleep;
  const clock = options.clock ?? systemClock;
  return (ms) => clock.sleep(ms);
}

/** backoff() (lib/backoff.ts) in the positional form retry options speak: a jittered wait in [delay/2, delay]. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  return backoff(attempt, { baseMs: baseDelayMs, maxMs: maxDelayMs, random });
}

/** Runs `fn` until it succeeds, the error is not retryable, or attempts run out (then the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_RETRY.attempts;
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const shouldRetry = options.shouldRetry ?? isRetryable;
  const wait = waitOf(options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !shouldRetry(err)) throw err;
      const delay = backoffDelay(attempt, base, max, options.random);
      options.onRetry?.(err, attempt, delay);
      await wait(delay);
    }
  }
}

/** A 429 that names no wait (ECAL documents no Retry-After) starts backing off from a second, not from the base. */
export const RATE_LIMIT_BASE_DELAY_MS = 1_000;

export interface RequestRetryOptions {
  retry?: RetryOptions;
  logger?: Logger;
  /** Called with each wait actually taken (counters, tests). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * One HTTP request under the bounded retry policy shared by every client: the wait the remote asked for
 * (`TransientError.retryAfterMs`) wins, a bare 429 backs off from RATE_LIMIT_BASE_DELAY_MS, anything else
 * from the base; the final error says how many attempts were made.
 */
export async function retryRequest<T>(what: string, fn: (attempt: number) => Promise<T>, opts: RequestRetryOptions = {}): Promise<T> {
  const retry = opts.retry ?? {};
  const base = retry.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const wait = waitOf(retry);
  let nextDelay: number | undefined;
  let attempts = 0;
  try {
    return await withRetry(
      (attempt) => {
        attempts = attempt;
        return fn(attempt);
      },
      {
        ...retry,
        onRetry: (err, attempt, delay) => {
          const asked = err instanceof TransientError ? err.retryAfterMs : undefined;
          const rateLimited = err instanceof TransientError && err.status === 429;
          nextDelay =
            asked ??
            (rateLimited ? backoffDelay(attempt, Math.max(base, RATE_LIMIT_BASE_DELAY_MS), Math.max(max, RATE_LIMIT_BASE_DELAY_MS), retry.random) : delay);
          opts.logger?.warn(`${what} failed, trying again`, {
            attempt,
            delayMs: nextDelay,
            error: err instanceof Error ? err.message : String(err),
          });
          opts.onRetry?.(err, attempt, nextDelay);
          retry.onRetry?.(err, attempt, nextDelay);
        },
        sleep: (ms) => wait(nextDelay ?? ms),
      },
    );
  } catch (err) {
    if (err instanceof TransientError && attempts > 1) {
      throw new TransientError(`${err.message} (gave up after ${attempts} attempts)`, { status: err.status, cause: err });
    }
    throw err;
  }
}
