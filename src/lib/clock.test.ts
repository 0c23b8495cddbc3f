import { describe, expect, it } from 'vitest';
import { fixedClock } from './clock.js';

describe('fixedClock', () => {
  it('moves only when told, and hands out copies', () => {
    const clock = fixedClock('2025-03-30T00:59:00Z');
    const a = clock.now();
    a.setFullYear(1999);
    expect(clock.now().toISOString()).toBe('2025-03-30T00:59:00.000Z');
    clock.advance(60_000);
    expect(clock.now().toISOString()).toBe('2025-03-30T01:00:00.000Z');
    clock.set('2026-01-01T00:00:00Z');
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });
});
