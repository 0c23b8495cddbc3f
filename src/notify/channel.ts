import { CampusSyncError, TransientError } from '../lib/index.js';
import type { Alert } from './message.js';
import type { Route } from './router.js';
import type { ChannelType, QuietHours } from '../config/index.js';

/** How far a multi-message send got, persisted by the outbox so a retry does not post the first parts twice. */
export interface SendProgress {
  /** Parts (messages) already delivered by an earlier attempt: skip them. */
  done: number;
  /** Called after each part is delivered. */
  markDone(done: number): Promise<void>;
}

export interface Channel extends Route {
  name: string;
  type: ChannelType;
  quietHours?: QuietHours;
  /** Hash of the channel's config: a channel disabled by a permanent error comes back when it changes. */
  fingerprint?: string;
  /**
   * Delivers the alert. Throws TransientError (or ChannelTransientError with the wait the service asked for)
   * to be retried, PermanentChannelError when the channel itself is gone, RemoteError when this alert was refused.
   */
  send(alert: Alert, progress?: SendProgress): Promise<void>;
  /** Frees sockets (SMTP pools); optional. */
  close?(): Promise<void> | void;
}

/** Retry later, after `retryAfterMs` when the service said so; `global` = the whole account is limited. */
export class ChannelTransientError extends TransientError {
  readonly global: boolean;
  constructor(message: string, opts: { status?: number; retryAfterMs?: number; global?: boolean; cause?: unknown } = {}) {
    super(message, { status: opts.status, cause: opts.cause, retryAfterMs: opts.retryAfterMs });
    this.global = opts.global ?? false;
  }
}

/** The channel cannot work until its config changes (deleted webhook, revoked token, archived channel). */
export class PermanentChannelError extends CampusSyncError {
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, { retryable: false, cause: opts.cause });
    this.status = opts.status;
  }
}

/** The wait a TransientError asks for, if it says. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof ChannelTransientError ? err.retryAfterMs : undefined;
}
