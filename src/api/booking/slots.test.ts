import { describe, expect, it } from 'vitest';
import { ParamError } from '../params.js';
import { instantOf, parseSlotsParams, todayIn, toSlotDays } from './slots.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

function paramError(fn: () => unknown): ParamError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ParamError);
    return err as ParamError;
  }
  throw new Error('expected a ParamError');
}

describe('parseSlotsParams', () => {
  it('reads the seed call, with defaults for range and from', () => {
    expect(parseSlotsParams(q('type=appel&range=14'), '2025-05-26')).toEqual({ type: 'appel', range: 14, from: '2025-05-26' });
    expect(parseSlotsParams(q('type=visio'), '2025-05-26', 21)).toEqual({ type: 'visio', range: 21, from: '2025-05-26' });
    expect(parseSlotsParams(q('type=visio&range=7&from=2025-06-02'), '2025-05-26').from).toBe('2025-06-02');
  });

  it('names the parameter that is wrong', () => {
    expect(paramError(() => parseSlotsParams(q('range=14'), '2025-05-26')).parameter).toBe('type');
    expect(paramError(() => parseSlotsParams(q('type=Appel%20Tel'), '2025-05-26')).parameter).toBe('type');
    expect(paramError(() => parseSlotsParams(q('type=a&type=b'), '2025-05-26')).message).toBe('type: give it once');
    for (const r of ['0', '91', 'abc', '1.5', '-3']) expect(paramError(() => parseSlotsParams(q(`type=a&range=${r}`), '2025-05-26')).parameter).toBe('range');
    expect(paramError(() => parseSlotsParams(q('type=a&from=2025-02-30'), '2025-01-01')).message).toMatch(/^from: expected a date/);
    expect(paramError(() => parseSlotsParams(q('type=a&from=2025-05-25'), '2025-05-26')).message).toBe('from: must not be before today (2025-05-26)');
    expect(paramError(() => parseSlotsParams(q('type=a&from=2025-08-24'), '2025-05-26')).message).toMatch(/within 90 days/);
  });
});

describe('toSlotDays', () => {
  const now = new Date('2025-05-26T08:00:00Z');
  it('reshapes instants into the seed format in the zone, in order, without duplicates, past or out of window', () => {
    const starts = [
      '2025-05-27T07:15:00Z',
      '2025-05-27T09:00:00+02:00',
      '2025-05-27T07:00:00.000Z', // the same instant as 09:00+02:00
      '2025-05-26T07:00:00Z', // already started
      '2025-05-26T22:30:00Z', // the 27th in Paris
      '2025-06-09T07:00:00Z', // past the window
      'not a date',
    ];
    expect(toSlotDays(starts, 'Europe/Paris', { from: '2025-05-26', range: 14 }, now)).toEqual([{ date: '2025-05-27', hours: ['00:30', '09:00', '09:15'] }]);
    expect(toSlotDays(starts, 'UTC', { from: '2025-05-26', range: 14 }, now)).toEqual([
      { date: '2025-05-26', hours: ['22:30'] },
      { date: '2025-05-27', hours: ['07:00', '07:15'] },
    ]);
    expect(toSlotDays([], 'UTC', { from: '2025-05-26', range: 14 }, now)).toEqual([]);
  });
});

describe('time helpers', () => {
  it('today in a zone is its own date', () => {
    expect(todayIn('Pacific/Auckland', new Date('2025-05-26T13:00:00Z'))).toBe('2025-05-27');
    expect(todayIn('America/Montreal', new Date('2025-05-26T03:00:00Z'))).toBe('2025-05-25');
  });

  it('a wall-clock time is an instant in the zone, and the hour skipped in spring is none', () => {
    expect(instantOf('2025-05-27', '09:00', 'Europe/Paris')?.toUTC().toISO()).toBe('2025-05-27T07:00:00.000Z');
    expect(instantOf('2025-03-30', '02:30', 'Europe/Paris')).toBeNull();
    expect(instantOf('2025-02-30', '09:00', 'Europe/Paris')).toBeNull();
  });
});
