/**
 * Runs a SyncPlan against ECAL: every action is independent, a failing one is recorded and the others go
 * on (the next run re-plans whatever did not happen — the plan is derived from ECAL, not from memory).
 */
import { AuthError, TransientError, describeError, isRetryable, silentLogger } from '../lib/index.js';
import type { Logger } from '../lib/index.js';
import type { EcalClient } from './types.js';
import type { PlanAction, SyncPlan } from './plan.js';

export interface ExecuteOptions {
  client: EcalClient;
  /** Actions in flight at once; ECAL's rate limit is undocumented, so keep it small (2–4). */
  concurrency: number;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ExecuteResult {
  created: number;
  updated: number;
  adopted: number;
  deleted: number;
  failed: { action: PlanAction; error: string; retryable: boolean }[];
  /** reference → id of each event created by this run. */
  createdIds: Record<string, string>;
}

/** HTTP status of "too many requests": the client already retried it, so going on would only hammer. */
const TOO_MANY_REQUESTS = 429;

/** Why no further action should be started after this error, or null to go on. */
function stopReason(err: unknown): string | null {
  if (err instanceof AuthError) return 'ECAL refused our credentials';
  if (err instanceof TransientError && err.status === TOO_MANY_REQUESTS) return 'ECAL kept answering 429 (too many requests)';
  return null;
}

function describeAction(a: PlanAction): string {
  return a.kind === 'create' ? `create ${a.reference}` : `${a.kind} ${a.id} (${a.reference})`;
}

export async function executePlan(plan: SyncPlan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const { client, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const concurrency = Math.max(1, Math.floor(opts.concurrency) || 1);
  const result: ExecuteResult = { created: 0, updated: 0, adopted: 0, deleted: 0, failed: [], createdIds: {} };
  const total = plan.actions.length;
  let done = 0;
  let stopped: string | null = null;

  const runOne = async (action: PlanAction): Promise<void> => {
    try {
      switch (action.kind) {
        case 'create': {
          const { id, adopted } = await client.createEvent(action.body);
          if (adopted) result.adopted++;
          else result.created++;
          result.createdIds[action.reference] = id;
          break;
        }
        case 'update':
          await client.updateEvent(action.id, action.body);
          result.updated++;
          break;
        case 'adopt':
          await client.updateEvent(action.id, action.body);
          result.adopted++;
          break;
        case 'delete':
          await client.deleteEvent(action.id);
          result.deleted++;
          break;
      }
      logger.debug(`ecal: ${describeAction(action)} done`);
    } catch (err) {
      const error = describeError(err);
      result.failed.push({ action, error, retryable: isRetryable(err) });
      logger.warn(`ecal: ${describeAction(action)} failed: ${error}`);
      const why = stopReason(err);
      if (why && stopped === null) {
        stopped = why;
        logger.error(`ecal: ${why}; no further change is sent this run`);
      }
    }
    done++;
    opts.onProgress?.(done, total);
  };

  /** A fixed pool of `concurrency` workers pulling from one queue: the bound holds by construction. */
  const runAll = async (actions: PlanAction[]): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < actions.length) {
        if (stopped !== null) return;
        if (signal?.aborted) {
          stopped = 'the run was cancelled';
          return;
        }
        const action = actions[next++]!;
        await runOne(action);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, actions.length) }, worker));
    // What was never started is recorded too, so the caller reports it; the next run re-plans it.
    for (const action of actions.slice(next)) {
      result.failed.push({ action, error: `not attempted: ${stopped ?? 'stopped'}`, retryable: true });
    }
  };

  // Deletes last: if the run stops early, it is better to have a course twice than not at all.
  await runAll(plan.actions.filter((a) => a.kind !== 'delete'));
  await runAll(plan.actions.filter((a) => a.kind === 'delete'));
  return result;
}
