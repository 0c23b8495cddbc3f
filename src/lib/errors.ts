import type { Locale } from './i18n.js';

/**
 * Typed errors that say whether trying again can help. Every module throws these (or subclasses) at
 * its boundary so callers decide on retries and exit codes without parsing messages.
 */
export type Phase = 'config' | 'login' | 'fetch' | 'plan' | 'push' | 'ics' | 'state' | 'slots';

export class CampusSyncError extends Error {
  /** True when the same request may succeed later (timeouts, 429, 5xx). */
  readonly retryable: boolean;
  readonly phase: Phase | undefined;
  constructor(message: string, opts: { retryable?: boolean; phase?: Phase; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retryable = opts.retryable ?? false;
    this.phase = opts.phase;
  }
}

/** A config file that cannot be used as it is. Exit code 2. */
export class ConfigError extends CampusSyncError {
  readonly #localized: ((locale: Locale) => string) | undefined;
  constructor(message: string, opts: { localized?: (locale: Locale) => string } = {}) {
    super(message, { retryable: false, phase: 'config' });
    this.#localized = opts.localized;
  }

  /** The same text in `locale` (`message` is the English one, for logs and --json). */
  localized(locale: Locale): string {
    return this.#localized?.(locale) ?? this.message;
  }
}

/** The remote refused our credentials: retrying with the same ones will not help. */
export class AuthError extends CampusSyncError {}

/** A network failure, timeout, 429 or 5xx: the request may succeed later. */
export class TransientError extends CampusSyncError {
  readonly status: number | undefined;
  /** How long the remote asked us to wait (Retry-After and the like), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { status?: number; phase?: Phase; cause?: unknown; retryAfterMs?: number } = {}) {
    const { retryAfterMs, ...rest } = opts;
    super(message, { ...rest, retryable: true });
    this.status = opts.status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The remote answered something we did not expect (4xx other than auth, malformed body). */
export class RemoteError extends CampusSyncError {
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; phase?: Phase; cause?: unknown } = {}) {
    super(message, { ...opts, retryable: false });
    this.status = opts.status;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof CampusSyncError && err.retryable;
}

/** What went wrong in `locale` when the error can say it (a config error), else its message as it is. */
export function describeErrorIn(err: unknown, locale: Locale): string {
  return err instanceof ConfigError ? err.localized(locale) : describeError(err);
}

/** A one-line message for people, whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
