import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, it, expect } from 'vitest';
import { InvalidParameterError } from './errors.js';
import { timeFromDb, timeFromDbOrNull, toStoreTime, toStoreTimeOrNull } from './time.js';

describe('toStoreTime', () => {
  it('normalises any offset to fixed-width UTC with milliseconds', () => {
    expect(toStoreTime('2025-01-01T08:00:00+01:00', 'from')).toBe('2025-01-01T07:00:00.000Z');
    expect(toStoreTime('2025-01-01T00:00:00.123456+00:00', 'from')).toBe('2025-01-01T00:00:00.123Z');
    expect(toStoreTime('2025-06-30T23:30:00-02:30', 'from')).toBe('2025-07-01T02:00:00.000Z');
  });

  it('reads a time without offset, or a bare date, as UTC', () => {
    expect(toStoreTime('2025-01-01', 'to')).toBe('2025-01-01T00:00:00.000Z');
    expect(toStoreTime('2025-01-01T10:00:00', 'to')).toBe('2025-01-01T10:00:00.000Z');
  });

  it('keeps text order equal to time order', () => {
    const times = ['2025-01-01T00:00:00+14:00', '2024-12-31T23:59:59.999Z', '2025-01-01T00:00:00-12:00'];
    const sorted = times.map((t) => toStoreTime(t, 'x')).sort();
    expect(sorted.map((t) => Date.parse(t))).toEqual([...sorted.map((t) => Date.parse(t))].sort((a, b) => a - b));
  });

  it.each(['', 'yesterday', '2025-13-01T00:00:00Z', '2025-01-01T25:00:00Z', '+012025-01-01T00:00:00Z'])('rejects %j naming the parameter', (bad) => {
    expect(() => toStoreTime(bad, 'from')).toThrow(InvalidParameterError);
    try {
      toStoreTime(bad, 'from');
    } catch (err) {
      expect((err as InvalidParameterError).parameter).toBe('from');
      expect((err as Error).message).toMatch(/^from: /);
    }
  });

  it('passes null through in the OrNull variants', () => {
    expect(toStoreTimeOrNull(null, 'x')).toBeNull();
    expect(toStoreTimeOrNull(undefined, 'x')).toBeNull();
    expect(timeFromDbOrNull(null)).toBeNull();
  });
});

describe('timeFromDb', () => {
  it('prints Dates and stored text the same way', () => {
    expect(timeFromDb(new Date('2025-03-01T10:00:00.5Z'))).toBe('2025-03-01T10:00:00.500Z');
    expect(timeFromDb('2025-03-01T10:00:00.500Z')).toBe('2025-03-01T10:00:00.500Z');
    expect(timeFromDb('2025-03-01T11:00:00+01:00')).toBe('2025-03-01T10:00:00.000Z');
  });

  it('refuses what is not a time', () => {
    expect(() => timeFromDb(42)).toThrow(TypeError);
  });
});

describe('toStoreTime without luxon for times with an offset', () => {
  const luxon = (v: string): string | null => {
    const d = DateTime.fromISO(v, { zone: 'utc' });
    return d.isValid ? d.toUTC().toISO() : null;
  };
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

  it('gives what luxon gives, for any such time, in range or not', () => {
    fc.assert(
      fc.property(
        fc.record({
          y: fc.integer({ min: 1000, max: 9999 }),
          mo: fc.integer({ min: 0, max: 13 }),
          d: fc.integer({ min: 0, max: 32 }),
          h: fc.integer({ min: 0, max: 25 }),
          mi: fc.integer({ min: 0, max: 60 }),
          s: fc.option(fc.integer({ min: 0, max: 60 })),
          ms: fc.option(fc.integer({ min: 0, max: 999 })),
          off: fc.option(fc.record({ sign: fc.constantFrom('+', '-'), h: fc.integer({ min: 0, max: 14 }), m: fc.constantFrom(0, 30, 45) })),
        }),
        (t) => {
          const text =
            `${t.y}-${pad(t.mo)}-${pad(t.d)}T${pad(t.h)}:${pad(t.mi)}` +
            (t.s === null ? '' : `:${pad(t.s)}${t.ms === null ? '' : `.${pad(t.ms, 3)}`}`) +
            (t.off === null ? 'Z' : `${t.off.sign}${pad(t.off.h)}:${pad(t.off.m)}`);
          const expected = luxon(text);
          if (expected === null || !/^\d{4}-/.test(expected)) expect(() => toStoreTime(text, 'from')).toThrow(InvalidParameterError);
          else expect(toStoreTime(text, 'from')).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("refuses 30 February (which Date alone would roll over into March); 24:00 is ISO's end of the day, as before", () => {
    expect(() => toStoreTime('2025-02-30T00:00:00Z', 'from')).toThrow(InvalidParameterError);
    expect(toStoreTime('2025-01-01T24:00:00Z', 'to')).toBe('2025-01-02T00:00:00.000Z');
    expect(toStoreTime('2024-02-29T10:00:00+01:00', 'from')).toBe('2024-02-29T09:00:00.000Z');
  });
});
