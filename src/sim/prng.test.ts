import { describe, expect, it } from 'vitest';
import { createPrng, pick } from './prng.js';

describe('createPrng', () => {
  it('replays the same sequence for the same seed and differs for another seed', () => {
    const a = createPrng(123);
    const b = createPrng(123);
    const c = createPrng(124);
    const seqA = Array.from({ length: 20 }, () => a());
    expect(Array.from({ length: 20 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c())).not.toEqual(seqA);
  });

  it('stays in [0, 1) and spreads over the range', () => {
    const r = createPrng(5);
    const values = Array.from({ length: 2000 }, () => r());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const low = values.filter((v) => v < 0.5).length;
    expect(low).toBeGreaterThan(900);
    expect(low).toBeLessThan(1100);
  });
});

describe('pick', () => {
  it('returns every element eventually and throws on an empty list', () => {
    const r = createPrng(1);
    const seen = new Set(Array.from({ length: 200 }, () => pick(r, ['a', 'b', 'c'])));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => pick(r, [])).toThrow();
  });
});
