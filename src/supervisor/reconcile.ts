import type { ActualWorker, DesiredWorker } from './interface.js';

export type ReconcileAction =
  | { kind: 'create'; worker: DesiredWorker; reason: string }
  /** The worker runs an older spec (hash differs or is missing): replace it from the config, never from what runs. */
  | { kind: 'recreate'; worker: DesiredWorker; reason: string }
  /** An orphan (its config is gone), or an extra duplicate of a name. */
  | { kind: 'remove'; name: string; id: string; reason: string }
  /** Unchanged, or its config is invalid now: left as it was. */
  | { kind: 'keep'; name: string; reason: string };

export interface ReconcileInput {
  desired: DesiredWorker[];
  /** Names whose config file exists but cannot be used now. */
  invalid: string[];
  actual: ActualWorker[];
  specHash: (w: DesiredWorker) => string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Newest first (by startedAt; unknown counts as oldest), then by id so the choice never depends on list order. */
const newestFirst = (a: ActualWorker, b: ActualWorker): number => {
  const ta = a.startedAt ? Date.parse(a.startedAt) : Number.NEGATIVE_INFINITY;
  const tb = b.startedAt ? Date.parse(b.startedAt) : Number.NEGATIVE_INFINITY;
  if (ta !== tb) return tb > ta ? 1 : -1;
  return cmp(a.id, b.id);
};

/**
 * Level-based, like Compose or Kubernetes: the plan depends only on what is wanted and what is there,
 * never on the events that led here, so a lost event or a supervisor restart converges all the same.
 * Restarts of a crashed worker are not reconcile's business (the runtime's backoff handles them): a
 * worker with the right hash is kept whatever its run state.
 *
 * Order: by name; within a name, removals first so the name is free before it is created again.
 */
export function planReconcile(input: ReconcileInput): ReconcileAction[] {
  const desired = new Map(input.desired.map((w) => [w.name, w]));
  const invalid = new Set(input.invalid);
  const actualByName = new Map<string, ActualWorker[]>();
  for (const a of input.actual) actualByName.set(a.name, [...(actualByName.get(a.name) ?? []), a]);
  const names = [...new Set([...desired.keys(), ...actualByName.keys()])].sort(cmp);

  const actions: ReconcileAction[] = [];
  for (const name of names) {
    const want = desired.get(name);
    const have = [...(actualByName.get(name) ?? [])].sort(newestFirst);
    if (want) {
      if (have.length === 0) {
        actions.push({ kind: 'create', worker: want, reason: 'new config' });
        continue;
      }
      const hash = input.specHash(want);
      const keeper = have.find((a) => a.configHash === hash) ?? have[0]!;
      for (const extra of have.filter((a) => a !== keeper).sort((a, b) => cmp(a.id, b.id))) {
        actions.push({ kind: 'remove', name, id: extra.id, reason: 'duplicate worker' });
      }
      if (keeper.configHash === hash && keeper.imageOutdated) actions.push({ kind: 'recreate', worker: want, reason: 'image rebuilt' });
      else if (keeper.configHash === hash) actions.push({ kind: 'keep', name, reason: 'unchanged' });
      else if (keeper.configHash === null) actions.push({ kind: 'recreate', worker: want, reason: 'worker has no config hash' });
      else actions.push({ kind: 'recreate', worker: want, reason: 'config changed' });
      continue;
    }
    if (invalid.has(name)) {
      // A typo in a config must not take a working sync down: the old worker runs until the file is fixed.
      if (have.length > 0) actions.push({ kind: 'keep', name, reason: 'config invalid: left as it was' });
      continue;
    }
    for (const a of [...have].sort((x, y) => cmp(x.id, y.id))) {
      actions.push({ kind: 'remove', name, id: a.id, reason: 'config removed' });
    }
  }
  return actions;
}

/** `create alice: new config`: the line the supervisor logs for an action. */
export function describeAction(a: ReconcileAction): string {
  return `${a.kind} ${actionName(a)}: ${a.reason}`;
}

export function actionName(a: ReconcileAction): string {
  return a.kind === 'create' || a.kind === 'recreate' ? a.worker.name : a.name;
}

/** A removal of one duplicate among workers of a name that stays (the others are kept or recreated). */
export function isDuplicateRemoval(a: ReconcileAction, plan: readonly ReconcileAction[]): boolean {
  if (a.kind !== 'remove') return false;
  return plan.some((b) => b.kind !== 'remove' && actionName(b) === a.name);
}

/** What is known of a supervisor whose label another worker carries (see Runtime.supervisorLiveness). */
export type SupervisorLiveness = 'alive' | 'gone' | 'unknown';

/**
 * The supervisors other than `self` whose workers the runtime lists, and whether this one must stand back.
 * Two supervisors on one Docker engine would each run every config (the same ECAL pushes twice, alerts
 * twice) and remove each other's workers as orphans. A label of a supervisor known to be gone (its
 * container no longer runs) is an earlier life of this one: its workers are adopted. Alive or unknown (a
 * supervisor on another host, reaching this engine over TCP) means refuse, unless the operator takes over.
 */
export function foreignSupervisors(
  actual: readonly ActualWorker[],
  self: string,
  liveness: ReadonlyMap<string, SupervisorLiveness>,
  takeOver: boolean,
): { others: string[]; refuse: boolean } {
  const others = otherSupervisors(actual, self);
  const refuse = !takeOver && others.some((o) => (liveness.get(o) ?? 'unknown') !== 'gone');
  return { others, refuse };
}

/** The ids other than `self` in the workers' `campus-sync.supervisor` labels, sorted, each once. */
export function otherSupervisors(actual: readonly ActualWorker[], self: string): string[] {
  return [...new Set(actual.map((a) => a.supervisor).filter((s): s is string => s !== undefined && s !== self))].sort(cmp);
}
