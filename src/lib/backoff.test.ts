import { describe, expect, it } from 'vitest';
import { backoff } from './backoff.js';

describe('backoff', () => {
  it('starts at the base, doubles, and stops at the cap', () => {
    const exact = { baseMs: 1_000, maxMs: 5_000, random: null };
    expect([1, 2, 3, 4, 5].map((a) => backoff(a, exact))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('draws the wait in [delay/2, delay] with jitter', () => {
    expect(backoff(3, { baseMs: 100, maxMs: 1_000, random: () => 0 })).toBe(200);
    expect(backoff(3, { baseMs: 100, maxMs: 1_000, random: () => 0.5 })).toBe(300);
    expect(backoff(3, { baseMs: 100, maxMs: 1_000, random: () => 1 })).toBe(400);
    for (let i = 0; i < 50; i++) {
      const d = backoff(2, { baseMs: 100, maxMs: 1_000 });
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(200);
    }
  });

  it('stays finite and capped for huge attempt numbers, a zero base, or an attempt below 1', () => {
    expect(backoff(10_000, { baseMs: 250, maxMs: 8_000, random: null })).toBe(8_000);
    expect(backoff(10_000, { baseMs: 0, maxMs: 8_000, random: null })).toBe(0);
    expect(backoff(0, { baseMs: 250, maxMs: 8_000, random: null })).toBe(250);
  });
});
