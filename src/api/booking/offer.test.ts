import { describe, expect, it } from 'vitest';
import { addDays, buildOffer, daysBetween, spreadPick, weekBounds } from './offer.js';

describe('spreadPick', () => {
  it('keeps everything when there are n or fewer, else spreads first to last', () => {
    expect(spreadPick([1, 2], 4)).toEqual([1, 2]);
    expect(spreadPick([1, 2, 3, 4, 5, 6, 7], 4)).toEqual([1, 3, 5, 7]);
    expect(spreadPick(['09:00', '09:15', '09:30', '14:00', '16:30'], 2)).toEqual(['09:00', '16:30']);
    expect(spreadPick([1, 2, 3], 1)).toEqual([2]);
    expect(spreadPick([1, 2, 3], 0)).toEqual([]);
  });
});

describe('calendar arithmetic', () => {
  it('adds days across months, years and a DST change without drifting', () => {
    expect(addDays('2025-03-28', 3)).toBe('2025-03-31');
    expect(addDays('2025-03-30', 1)).toBe('2025-03-31');
    expect(addDays('2025-12-30', 7)).toBe('2026-01-06');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-01-10', -10)).toBe('2024-12-31');
    expect(daysBetween('2025-03-28', '2025-04-07')).toBe(10);
    expect(daysBetween('2025-04-07', '2025-03-28')).toBe(-10);
  });

  it('cuts rolling weeks from the first day', () => {
    expect(weekBounds('2025-05-26', 0)).toEqual({ start: '2025-05-26', end: '2025-06-01' });
    expect(weekBounds('2025-05-26', 2)).toEqual({ start: '2025-06-09', end: '2025-06-15' });
  });
});

describe('buildOffer', () => {
  const days = [
    { date: '2025-05-27', hours: ['09:00', '09:15', '09:30', '10:00'] },
    { date: '2025-05-26', hours: ['14:00'] },
    { date: '2025-05-28', hours: [] },
    { date: '2025-05-29', hours: ['11:00', '08:00', '16:00'] },
    { date: '2025-05-30', hours: ['09:00'] },
    { date: '2025-05-31', hours: ['10:00'] },
    { date: '2025-06-02', hours: ['09:00'] },
  ];
  const week0 = weekBounds('2025-05-26', 0);

  it('offers at most datesOffered dates of the week that have a time, spread, in order', () => {
    const offer = buildOffer(days, week0, 4, 2);
    expect(offer.map((d) => d.date)).toEqual(['2025-05-26', '2025-05-27', '2025-05-30', '2025-05-31']);
    expect(buildOffer(days, week0, 3, 2).map((d) => d.date)).toEqual(['2025-05-26', '2025-05-29', '2025-05-31']);
  });

  it('offers timesPerDate times per date, spread and sorted', () => {
    const offer = buildOffer(days, week0, 4, 2);
    expect(offer[0]).toEqual({ date: '2025-05-26', hours: ['14:00'] });
    expect(offer[1]).toEqual({ date: '2025-05-27', hours: ['09:00', '10:00'] });
    expect(buildOffer(days, week0, 3, 2)[1]).toEqual({ date: '2025-05-29', hours: ['08:00', '16:00'] });
  });

  it('leaves out the days outside the week, and has nothing for an empty week', () => {
    expect(buildOffer(days, weekBounds('2025-05-26', 1), 4, 2)).toEqual([{ date: '2025-06-02', hours: ['09:00'] }]);
    expect(buildOffer(days, weekBounds('2025-05-26', 2), 4, 2)).toEqual([]);
  });
});
