import { actionName, isDuplicateRemoval, type ReconcileAction } from './reconcile.js';
import { byId, byName, type Runtime } from './interface.js';

/**
 * How many instances' actions run at once. One at a time, a first start creates a hundred Swarm services
 * (each a config, secrets and a service: several round trips to the manager's raft store, mostly waiting)
 * one after the other; all at once, a hundred requests queue inside dockerd, each holding the supervisor's
 * memory for its spec and a socket, and a slow one times out. A few in flight keep the engine busy while a
 * Pi's dockerd never juggles more than a few creations. Measured on this project's 2-core test machine
 * (shared, load 20-50): 10 services first-synced in 36 s one by one and 45-58 s four at once, within the
 * noise of the machine: there the workers' cold starts (CPU), not the creations, bound a first sync.
 */
export const ACTION_CONCURRENCY = 4;

/**
 * Runs `fn` over the plan: the actions of one instance in plan order (removals before the create that
 * reuses the name), different instances side by side, at most `limit` at once. Resolves when all are done;
 * `fn` handles its own failures (one instance's failure never stops the others).
 */
export async function runByInstance(plan: readonly ReconcileAction[], limit: number, fn: (action: ReconcileAction) => Promise<void>): Promise<void> {
  const groups = new Map<string, ReconcileAction[]>();
  for (const a of plan) groups.set(actionName(a), [...(groups.get(actionName(a)) ?? []), a]);
  const queue = [...groups.values()];
  const lane = async (): Promise<void> => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      for (const action of group) await fn(action);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, lane));
}

/** Does one planned action on the runtime. */
export async function executeAction(runtime: Runtime, action: ReconcileAction, plan: readonly ReconcileAction[]): Promise<void> {
  switch (action.kind) {
    case 'keep':
      return;
    case 'create':
      await runtime.create(action.worker);
      return;
    case 'recreate':
      // Only from the config file, never from what runs (Watchtower lost containers that way).
      if (runtime.update) {
        await runtime.update(action.worker);
        return;
      }
      await runtime.remove(byName(action.worker.name));
      await runtime.create(action.worker);
      return;
    case 'remove':
      // A duplicate is addressed by its id, so the worker that stays under that name is not touched.
      await runtime.remove(isDuplicateRemoval(action, plan) ? byId(action.id) : byName(action.name));
      return;
  }
}
