import { describe, expect, it } from 'vitest';
import { applyFilter } from './filter.js';
import type { Slot } from './slot.js';

const slot = (start: string): Slot => ({ id: `t:${start}`, start, label: start });
const starts = (slots: Slot[]): string[] => slots.map((s) => s.start);

// Mon 2 March 2026 to Sun 8 March 2026, Paris (UTC+1).
const week = [
  '2026-03-02T08:00:00+01:00',
  '2026-03-03T09:00:00+01:00',
  '2026-03-04T12:00:00+01:00',
  '2026-03-05T11:59:00+01:00',
  '2026-03-06T18:30:00+01:00',
  '2026-03-07T10:00:00+01:00',
  '2026-03-08T23:30:00+01:00',
].map(slot);

describe('applyFilter', () => {
  it('keeps everything without a filter', () => {
    expect(applyFilter(week, undefined, 'Europe/Paris')).toEqual(week);
    expect(applyFilter(week, {}, 'Europe/Paris')).toEqual(week);
  });

  it('keeps the chosen weekdays', () => {
    expect(starts(applyFilter(week, { weekdays: ['mon', 'sat', 'sun'] }, 'Europe/Paris'))).toEqual([
      '2026-03-02T08:00:00+01:00',
      '2026-03-07T10:00:00+01:00',
      '2026-03-08T23:30:00+01:00',
    ]);
  });

  it('keeps hours from `from` included to `to` excluded', () => {
    expect(starts(applyFilter(week, { hours: { from: '09:00', to: '12:00' } }, 'Europe/Paris'))).toEqual([
      '2026-03-03T09:00:00+01:00',
      '2026-03-05T11:59:00+01:00',
      '2026-03-07T10:00:00+01:00',
    ]);
  });

  it('wraps hours past midnight when from is after to', () => {
    expect(starts(applyFilter(week, { hours: { from: '18:00', to: '08:30' } }, 'Europe/Paris'))).toEqual([
      '2026-03-02T08:00:00+01:00',
      '2026-03-06T18:30:00+01:00',
      '2026-03-08T23:30:00+01:00',
    ]);
  });

  it('keeps notBefore..notAfter, both days included', () => {
    expect(starts(applyFilter(week, { notBefore: '2026-03-04', notAfter: '2026-03-06' }, 'Europe/Paris'))).toEqual([
      '2026-03-04T12:00:00+01:00',
      '2026-03-05T11:59:00+01:00',
      '2026-03-06T18:30:00+01:00',
    ]);
  });

  it('judges day and hour in the given zone, not the offset the slot was written with', () => {
    // Sunday 23:30 in Paris is Sunday 18:30 in Montreal (summer time began that morning there), Monday 07:30 in Tokyo.
    const late = [slot('2026-03-08T23:30:00+01:00')];
    expect(applyFilter(late, { weekdays: ['mon'] }, 'Asia/Tokyo')).toHaveLength(1);
    expect(applyFilter(late, { weekdays: ['mon'] }, 'Europe/Paris')).toHaveLength(0);
    expect(applyFilter(late, { hours: { from: '18:00', to: '19:00' } }, 'America/Montreal')).toHaveLength(1);
    expect(applyFilter(late, { hours: { from: '17:00', to: '18:00' } }, 'America/Montreal')).toHaveLength(0);
    expect(applyFilter(late, { notBefore: '2026-03-09' }, 'Asia/Tokyo')).toHaveLength(1);
    expect(applyFilter(late, { notBefore: '2026-03-09' }, 'Europe/Paris')).toHaveLength(0);
  });

  it('combines the rules', () => {
    expect(
      starts(applyFilter(week, { weekdays: ['tue', 'wed', 'thu'], hours: { from: '09:00', to: '12:00' }, notAfter: '2026-03-04' }, 'Europe/Paris')),
    ).toEqual(['2026-03-03T09:00:00+01:00']);
  });
});
