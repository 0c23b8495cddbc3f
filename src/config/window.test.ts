import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { resolveWindow } from './window.js';

const PARIS = 'Europe/Paris';

describe('resolveWindow, rolling', () => {
  it('counts calendar days across the spring DST change (2025-03-30 in Paris)', () => {
    const w = resolveWindow({ pastDays: 7, futureDays: 1 }, PARIS, new Date('2025-03-29T12:00:00Z'));
    // From a week before, still in winter time, to the start of the day after tomorrow, in summer time.
    expect(w).toEqual({ from: '2025-03-22T00:00:00+01:00', to: '2025-03-31T00:00:00+02:00' });
  });

  it('takes "today" in the time zone, not in UTC', () => {
    // 23:30 UTC on the 29th is 00:30 on the 30th in Paris.
    const w = resolveWindow({ pastDays: 0, futureDays: 0 }, PARIS, new Date('2025-03-29T23:30:00Z'));
    expect(w).toEqual({ from: '2025-03-30T00:00:00+01:00', to: '2025-03-31T00:00:00+02:00' });
  });

  it('handles the autumn change too', () => {
    const w = resolveWindow({ pastDays: 1, futureDays: 0 }, PARIS, new Date('2025-10-26T10:00:00Z'));
    expect(w).toEqual({ from: '2025-10-25T00:00:00+02:00', to: '2025-10-27T00:00:00+01:00' });
  });

  it('is in the given zone', () => {
    const w = resolveWindow({ pastDays: 0, futureDays: 0 }, 'America/Montreal', new Date('2025-01-15T03:00:00Z'));
    expect(w).toEqual({ from: '2025-01-14T00:00:00-05:00', to: '2025-01-15T00:00:00-05:00' });
  });

  it('always gives local midnights with from before now before to', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 731 }),
        fc.integer({ min: 0, max: 731 }),
        fc.constantFrom(PARIS, 'UTC', 'America/Santiago', 'Australia/Lord_Howe'),
        (now, pastDays, futureDays, zone) => {
          const w = resolveWindow({ pastDays, futureDays }, zone, now);
          const from = DateTime.fromISO(w.from, { setZone: true });
          const to = DateTime.fromISO(w.to, { setZone: true });
          expect(from.isValid && to.isValid).toBe(true);
          expect(from.toMillis()).toBeLessThanOrEqual(now.getTime());
          expect(to.toMillis()).toBeGreaterThan(now.getTime());
          expect(from.setZone(zone).equals(from.setZone(zone).startOf('day'))).toBe(true);
          expect(to.setZone(zone).equals(to.setZone(zone).startOf('day'))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('resolveWindow, fixed dates', () => {
  it('runs from the from-date 00:00 to the day after the to-date (exclusive)', () => {
    const w = resolveWindow({ from: '2025-03-29', to: '2025-03-30' }, PARIS, new Date('2020-01-01T00:00:00Z'));
    expect(w).toEqual({ from: '2025-03-29T00:00:00+01:00', to: '2025-03-31T00:00:00+02:00' });
  });

  it('does not depend on now', () => {
    const a = resolveWindow({ from: '2025-09-01', to: '2026-07-31' }, PARIS, new Date('2020-01-01T00:00:00Z'));
    const b = resolveWindow({ from: '2025-09-01', to: '2026-07-31' }, PARIS, new Date('2030-01-01T00:00:00Z'));
    expect(a).toEqual(b);
    expect(a).toEqual({ from: '2025-09-01T00:00:00+02:00', to: '2026-08-01T00:00:00+02:00' });
  });

  it('refuses a bad date or zone', () => {
    expect(() => resolveWindow({ from: '2025-02-30', to: '2025-03-01' }, PARIS, new Date())).toThrow(ConfigError);
    expect(() => resolveWindow({ pastDays: 1, futureDays: 1 }, 'Mars/Base', new Date())).toThrow(ConfigError);
  });
});
