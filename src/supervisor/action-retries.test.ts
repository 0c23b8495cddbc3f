import { describe, expect, it } from 'vitest';
import { createActionRetries } from './action-retries.js';
import type { ReconcileAction } from './reconcile.js';

const create = (name: string): ReconcileAction => ({ kind: 'create', worker: { name, configFile: `/c/${name}.yml`, configSha: 's' }, reason: 'new config' });
const removeDup = (id: string): ReconcileAction => ({ kind: 'remove', name: 'alice', id, reason: 'duplicate worker' });

describe('action retries', () => {
  it('backs off a failing action, doubling up to the cap, and forgets it once it succeeds', () => {
    const r = createActionRetries({ baseMs: 1_000, maxMs: 3_000 });
    const a = create('alice');
    expect(r.waitingUntil(a, 0)).toBeUndefined();
    expect(r.failed(a, 0)).toEqual({ attempts: 1, delayMs: 1_000 });
    expect(r.waitingUntil(a, 999)).toBe(1_000);
    expect(r.waitingUntil(a, 1_000)).toBeUndefined();
    expect(r.failed(a, 1_000)).toEqual({ attempts: 2, delayMs: 2_000 });
    expect(r.failed(a, 3_000)).toEqual({ attempts: 3, delayMs: 3_000 });
    r.succeeded(a);
    expect(r.failed(a, 10_000)).toEqual({ attempts: 1, delayMs: 1_000 });
  });

  it('counts two duplicates of one name apart, and forgets actions no longer planned', () => {
    const r = createActionRetries({ baseMs: 1_000 });
    r.failed(removeDup('c1'), 0);
    expect(r.waitingUntil(removeDup('c2'), 0)).toBeUndefined();
    r.failed(create('bob'), 0);
    r.keepOnly([removeDup('c1')]);
    expect(r.waitingUntil(removeDup('c1'), 0)).toBe(1_000);
    expect(r.waitingUntil(create('bob'), 0)).toBeUndefined();
  });
});
