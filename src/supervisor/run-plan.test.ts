import { describe, expect, it } from 'vitest';
import type { Runtime } from './interface.js';
import type { ReconcileAction } from './reconcile.js';
import { executeAction, runByInstance } from './run-plan.js';

const w = (name: string) => ({ name, configFile: `/c/${name}.yml`, configSha: 's' });
const create = (name: string): ReconcileAction => ({ kind: 'create', worker: w(name), reason: 'new config' });
const remove = (name: string, id: string): ReconcileAction => ({ kind: 'remove', name, id, reason: 'duplicate worker' });

describe('runByInstance', () => {
  it('runs one instance in plan order and different instances side by side, never more than the limit', async () => {
    const plan = [remove('a', 'c1'), create('a'), create('b'), create('c'), create('d'), create('e')];
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const gates = new Map<string, () => void>();
    const done = runByInstance(plan, 2, async (action) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const label = `${action.kind} ${action.kind === 'remove' ? action.id : action.kind === 'create' ? action.worker.name : ''}`;
      log.push(`start ${label}`);
      await new Promise<void>((resolve) => gates.set(label, resolve));
      log.push(`end ${label}`);
      active--;
    });
    const open = async (label: string): Promise<void> => {
      for (let i = 0; i < 50 && !gates.has(label); i++) await Promise.resolve();
      gates.get(label)!();
      gates.delete(label);
    };
    await open('remove c1');
    await open('create b');
    await open('create a');
    await open('create c');
    await open('create d');
    await open('create e');
    await done;
    expect(maxActive).toBe(2);
    expect(log.indexOf('end remove c1')).toBeLessThan(log.indexOf('start create a'));
    expect(log.slice(0, 2)).toEqual(['start remove c1', 'start create b']);
    expect(log.filter((l) => l.startsWith('end'))).toHaveLength(6);
  });

  it('resolves at once on an empty plan', async () => {
    await runByInstance([], 4, async () => {
      throw new Error('never called');
    });
  });
});

describe('executeAction', () => {
  const recorder = (withUpdate: boolean) => {
    const calls: string[] = [];
    const runtime = {
      create: async (x: { name: string }) => void calls.push(`create ${x.name}`),
      remove: async (ref: { by: string; name?: string; id?: string }) => void calls.push(`remove ${ref.by} ${ref.name ?? ref.id}`),
      ...(withUpdate ? { update: async (x: { name: string }) => void calls.push(`update ${x.name}`) } : {}),
    } as unknown as Runtime;
    return { runtime, calls };
  };

  it('removes a duplicate by its id and an orphan by its name; recreates by update when the runtime has it', async () => {
    const { runtime, calls } = recorder(false);
    const plan: ReconcileAction[] = [
      remove('a', 'c1'),
      { kind: 'keep', name: 'a', reason: 'unchanged' },
      { kind: 'remove', name: 'gone', id: 'c9', reason: 'config removed' },
      { kind: 'recreate', worker: w('b'), reason: 'config changed' },
    ];
    for (const a of plan) await executeAction(runtime, a, plan);
    expect(calls).toEqual(['remove id c1', 'remove name gone', 'remove name b', 'create b']);
    const updating = recorder(true);
    await executeAction(updating.runtime, plan[3]!, plan);
    expect(updating.calls).toEqual(['update b']);
  });
});
