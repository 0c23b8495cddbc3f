import { describe, expect, it } from 'vitest';

import { createBudget } from './budget.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

describe('createBudget', () => {
  it('holds per client and in all, and says when to come back', () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const b = createBudget({ perClient: 2, total: 3, windowMs: 60_000, clock });
    expect(b.take('a')).toEqual({ ok: true });
    clock.advance(10_000);
    expect(b.take('a')).toEqual({ ok: true });
    expect(b.take('a')).toEqual({ ok: false, scope: 'client', retryAfterS: 50 });
    expect(b.take('b')).toEqual({ ok: true });
    expect(b.take('c')).toEqual({ ok: false, scope: 'total', retryAfterS: 50 });
    clock.advance(50_000);
    expect(b.take('c')).toEqual({ ok: true });
    // a's first spend left the window, but the total is full again (a@10 s, b@10 s, c@60 s).
    expect(b.take('a')).toEqual({ ok: false, scope: 'total', retryAfterS: 10 });
  });

  it('counts units (bytes) and refuses a spend larger than what is left', () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const b = createBudget({ perClient: 1_000, total: 1_500, windowMs: 3_600_000, clock });
    expect(b.take('a', 900).ok).toBe(true);
    expect(b.take('a', 200).ok).toBe(false);
    expect(b.take('b', 700).ok).toBe(false);
    expect(b.take('b', 600).ok).toBe(true);
  });

  it('lets a refund give back the last spend', () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const b = createBudget({ perClient: 1, total: 10, windowMs: 60_000, clock });
    expect(b.take('a').ok).toBe(true);
    b.refund('a');
    expect(b.take('a').ok).toBe(true);
    expect(b.take('a').ok).toBe(false);
  });

  it('spends atomically under concurrency: of 120 simultaneous requests exactly the allowance passes', async () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const b = createBudget({ perClient: 1_000, total: 30, windowMs: 3_600_000, clock });
    const results = await Promise.all(Array.from({ length: 120 }, async (_, i) => b.take(`client-${i % 7}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(30);
  });

  it('stays bounded in memory when clients are sprayed, and the total still holds', () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const b = createBudget({ perClient: 1, total: 50, windowMs: 60_000, clock, maxClients: 100 });
    let passed = 0;
    for (let i = 0; i < 5_000; i++) if (b.take(`10.0.${i >> 8}.${i & 255}`).ok) passed++;
    expect(passed).toBe(50);
  });
});
