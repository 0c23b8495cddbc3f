import { describe, expect, it } from 'vitest';
import type { ActualWorker, DesiredWorker } from './interface.js';
import { describeAction, foreignSupervisors, isDuplicateRemoval, planReconcile, type ReconcileAction } from './reconcile.js';

const want = (name: string, sha = `sha-${name}`): DesiredWorker => ({ name, configFile: `/configs/${name}.yml`, configSha: sha });
const specHash = (w: DesiredWorker): string => `hash(${w.configSha})`;
const have = (name: string, id: string, configHash: string | null, extra: Partial<ActualWorker> = {}): ActualWorker => ({
  name,
  id,
  configHash,
  state: 'running',
  restartCount: 0,
  ...extra,
});

interface Case {
  what: string;
  desired?: DesiredWorker[];
  invalid?: string[];
  actual?: ActualWorker[];
  expected: ReconcileAction[];
}

const cases: Case[] = [
  { what: 'nothing wanted, nothing there', expected: [] },
  { what: 'a new config is created', desired: [want('alice')], expected: [{ kind: 'create', worker: want('alice'), reason: 'new config' }] },
  {
    what: 'a worker with the right hash is kept (adopted), whatever its run state',
    desired: [want('alice'), want('bob')],
    actual: [have('alice', 'c1', 'hash(sha-alice)', { state: 'exited', exitCode: 1 }), have('bob', 'c2', 'hash(sha-bob)', { state: 'restarting' })],
    expected: [
      { kind: 'keep', name: 'alice', reason: 'unchanged' },
      { kind: 'keep', name: 'bob', reason: 'unchanged' },
    ],
  },
  {
    what: 'an edited config is recreated',
    desired: [want('alice', 'new')],
    actual: [have('alice', 'c1', 'hash(old)')],
    expected: [{ kind: 'recreate', worker: want('alice', 'new'), reason: 'config changed' }],
  },
  {
    what: 'a worker with the right hash on an older build of its image is recreated (the image was rebuilt)',
    desired: [want('alice'), want('bob')],
    actual: [have('alice', 'c1', 'hash(sha-alice)', { imageOutdated: true }), have('bob', 'c2', 'hash(sha-bob)', { imageOutdated: false })],
    expected: [
      { kind: 'recreate', worker: want('alice'), reason: 'image rebuilt' },
      { kind: 'keep', name: 'bob', reason: 'unchanged' },
    ],
  },
  {
    what: 'a worker without a hash label is recreated',
    desired: [want('alice')],
    actual: [have('alice', 'c1', null)],
    expected: [{ kind: 'recreate', worker: want('alice'), reason: 'worker has no config hash' }],
  },
  {
    what: 'a worker whose config is gone is removed',
    actual: [have('zoe', 'c9', 'hash(x)')],
    expected: [{ kind: 'remove', name: 'zoe', id: 'c9', reason: 'config removed' }],
  },
  {
    what: 'a worker whose config is invalid now is left as it was',
    invalid: ['alice'],
    actual: [have('alice', 'c1', 'hash(old)')],
    expected: [{ kind: 'keep', name: 'alice', reason: 'config invalid: left as it was' }],
  },
  { what: 'an invalid config without a worker gets nothing', invalid: ['alice'], expected: [] },
  {
    what: 'duplicates: the one with the matching hash stays, even if older',
    desired: [want('alice')],
    actual: [
      have('alice', 'new1', 'hash(old)', { startedAt: '2025-01-02T00:00:00Z' }),
      have('alice', 'old1', 'hash(sha-alice)', { startedAt: '2025-01-01T00:00:00Z' }),
      have('alice', 'mid1', 'hash(old)', { startedAt: '2025-01-01T12:00:00Z' }),
    ],
    expected: [
      { kind: 'remove', name: 'alice', id: 'mid1', reason: 'duplicate worker' },
      { kind: 'remove', name: 'alice', id: 'new1', reason: 'duplicate worker' },
      { kind: 'keep', name: 'alice', reason: 'unchanged' },
    ],
  },
  {
    what: 'duplicates with no matching hash: the newest stays and is recreated',
    desired: [want('alice')],
    actual: [have('alice', 'a', 'hash(x)', { startedAt: '2025-01-01T00:00:00Z' }), have('alice', 'b', 'hash(y)', { startedAt: '2025-01-03T00:00:00Z' })],
    expected: [
      { kind: 'remove', name: 'alice', id: 'a', reason: 'duplicate worker' },
      { kind: 'recreate', worker: want('alice'), reason: 'config changed' },
    ],
  },
  {
    what: 'duplicates of an orphan are all removed',
    actual: [have('zoe', 'z2', 'h'), have('zoe', 'z1', 'h')],
    expected: [
      { kind: 'remove', name: 'zoe', id: 'z1', reason: 'config removed' },
      { kind: 'remove', name: 'zoe', id: 'z2', reason: 'config removed' },
    ],
  },
  {
    what: 'everything at once, in name order',
    desired: [want('dan'), want('bob', 'v2'), want('alice')],
    invalid: ['carol'],
    actual: [have('erin', 'e1', 'h'), have('carol', 'c1', 'h'), have('bob', 'b1', 'hash(v1)'), have('alice', 'a1', 'hash(sha-alice)')],
    expected: [
      { kind: 'keep', name: 'alice', reason: 'unchanged' },
      { kind: 'recreate', worker: want('bob', 'v2'), reason: 'config changed' },
      { kind: 'keep', name: 'carol', reason: 'config invalid: left as it was' },
      { kind: 'create', worker: want('dan'), reason: 'new config' },
      { kind: 'remove', name: 'erin', id: 'e1', reason: 'config removed' },
    ],
  },
];

describe('planReconcile', () => {
  for (const c of cases) {
    it(c.what, () => {
      const input = { desired: c.desired ?? [], invalid: c.invalid ?? [], actual: c.actual ?? [], specHash };
      expect(planReconcile(input)).toEqual(c.expected);
      // Level-based and deterministic: the order of the inputs never changes the plan.
      const shuffled = { ...input, desired: [...input.desired].reverse(), actual: [...input.actual].reverse() };
      expect(planReconcile(shuffled)).toEqual(c.expected);
    });
  }

  it('converges: applying the plan and planning again keeps everything', () => {
    const desired = [want('alice', 'v2'), want('bob')];
    const actual = [have('alice', 'a1', 'hash(v1)'), have('zoe', 'z1', 'h')];
    const plan = planReconcile({ desired, invalid: [], actual, specHash });
    const after = desired.map((w, i) => have(w.name, `n${i}`, specHash(w)));
    expect(plan.map((a) => a.kind)).toEqual(['recreate', 'create', 'remove']);
    expect(planReconcile({ desired, invalid: [], actual: after, specHash }).every((a) => a.kind === 'keep')).toBe(true);
  });

  it('describes actions as log lines and tells duplicates from orphans', () => {
    const plan = planReconcile({
      desired: [want('alice')],
      invalid: [],
      actual: [have('alice', 'a1', 'hash(sha-alice)'), have('alice', 'a2', 'x'), have('zoe', 'z1', 'h')],
      specHash,
    });
    expect(plan.map(describeAction)).toEqual(['remove alice: duplicate worker', 'keep alice: unchanged', 'remove zoe: config removed']);
    expect(plan.map((a) => isDuplicateRemoval(a, plan))).toEqual([true, false, false]);
  });
});

describe('foreignSupervisors: two supervisors on one Docker engine', () => {
  const mine = have('alice', 'c1', 'h', { supervisor: 'me' });
  const theirs = (id: string): ActualWorker => have('bob', `c-${id}`, 'h', { supervisor: id });
  const liveness = (entries: [string, 'alive' | 'gone' | 'unknown'][]) => new Map(entries);

  it('finds nothing to say when every worker is ours or unlabelled (generate-compose)', () => {
    expect(foreignSupervisors([mine, have('carol', 'c3', 'h')], 'me', liveness([]), false)).toEqual({ others: [], refuse: false });
  });

  it('refuses while another supervisor runs, or may run on another host', () => {
    expect(foreignSupervisors([mine, theirs('0123456789ab')], 'me', liveness([['0123456789ab', 'alive']]), false)).toEqual({
      others: ['0123456789ab'],
      refuse: true,
    });
    expect(foreignSupervisors([mine, theirs('pi-garage')], 'me', liveness([['pi-garage', 'unknown']]), false)).toEqual({ others: ['pi-garage'], refuse: true });
    // Nothing known about it counts as unknown.
    expect(foreignSupervisors([theirs('pi-garage')], 'me', liveness([]), false).refuse).toBe(true);
  });

  it('adopts the workers of a supervisor that is gone (an earlier container of this one), or when told to take over', () => {
    expect(foreignSupervisors([mine, theirs('0123456789ab')], 'me', liveness([['0123456789ab', 'gone']]), false)).toEqual({
      others: ['0123456789ab'],
      refuse: false,
    });
    expect(foreignSupervisors([theirs('pi-garage'), theirs('0123456789ab')], 'me', liveness([['0123456789ab', 'alive']]), true).refuse).toBe(false);
    expect(
      foreignSupervisors(
        [theirs('x'), theirs('y')],
        'me',
        liveness([
          ['x', 'gone'],
          ['y', 'alive'],
        ]),
        false,
      ),
    ).toEqual({ others: ['x', 'y'], refuse: true });
  });
});
