import { backoff } from '../lib/index.js';
import { actionName, type ReconcileAction } from './reconcile.js';

/** A failed create/remove is tried again after 2 s, doubling… */
export const ACTION_RETRY_BASE_MS = 2_000;
/** …up to 5 minutes, so a worker that cannot be created (image missing) does not hammer the engine. */
export const ACTION_RETRY_MAX_MS = 5 * 60_000;

export interface ActionRetries {
  /** When a failed action may be tried again; undefined when it may run now. */
  waitingUntil(action: ReconcileAction, nowMs: number): number | undefined;
  /** Counts one more failure; the attempt number and the delay before the next. */
  failed(action: ReconcileAction, nowMs: number): { attempts: number; delayMs: number };
  succeeded(action: ReconcileAction): void;
  /** Failures of actions no longer planned (config fixed or removed) are forgotten. */
  keepOnly(plan: readonly ReconcileAction[]): void;
}

/** One instance's action, or one duplicate's removal (by its id, so two duplicates back off apart). */
const keyOf = (a: ReconcileAction): string => (a.kind === 'remove' ? `${a.name}#${a.id}` : actionName(a));

/** Backoff per failed action (no jitter: the retry time is logged to the second). */
export function createActionRetries(opts: { baseMs?: number; maxMs?: number } = {}): ActionRetries {
  const baseMs = opts.baseMs ?? ACTION_RETRY_BASE_MS;
  const maxMs = opts.maxMs ?? ACTION_RETRY_MAX_MS;
  const failures = new Map<string, { attempts: number; retryAt: number }>();
  return {
    waitingUntil(action, nowMs) {
      const f = failures.get(keyOf(action));
      return f && f.retryAt > nowMs ? f.retryAt : undefined;
    },
    failed(action, nowMs) {
      const attempts = (failures.get(keyOf(action))?.attempts ?? 0) + 1;
      const delayMs = backoff(attempts, { baseMs, maxMs, random: null });
      failures.set(keyOf(action), { attempts, retryAt: nowMs + delayMs });
      return { attempts, delayMs };
    },
    succeeded(action) {
      failures.delete(keyOf(action));
    },
    keepOnly(plan) {
      const planned = new Set(plan.map(keyOf));
      for (const key of [...failures.keys()]) if (!planned.has(key)) failures.delete(key);
    },
  };
}
