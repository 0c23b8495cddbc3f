import { isRetryable } from './errors.js';

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
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** 5 attempts at 250 ms doubling = at most ~4 s of waiting before giving up on one request. */
export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000 } as const;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** "Full jitter" backoff: a random wait in [delay/2, delay], so many clients do not retry in step. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Runs `fn` until it succeeds, the error is not retryable, or attempts run out (then the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_RETRY.attempts;
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const shouldRetry = options.shouldRetry ?? isRetryable;
  const wait = options.sleep ?? sleep;
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
