import { describe, expect, it } from 'vitest';
import { dayKey, formatDay, formatDuration, formatTime, formatWhen } from './format.js';

describe('dashboard times', () => {
  const now = new Date('2025-03-20T12:00:00Z');

  it('are French, 24 h, in the instance zone on both sides of the DST change', () => {
    expect(formatWhen('2025-03-28T07:30:00.000Z', 'Europe/Paris', now)).toBe('ven. 28 mars 08:30');
    expect(formatWhen('2025-03-31T06:30:00.000Z', 'Europe/Paris', now)).toBe('lun. 31 mars 08:30');
    expect(formatWhen('2025-03-31T06:30:00.000Z', 'America/Martinique', now)).toBe('lun. 31 mars 02:30');
    expect(formatTime('2025-07-01T16:05:00Z', 'Europe/Paris')).toBe('18:05');
    expect(formatDay('2025-07-01T16:05:00Z', 'Europe/Paris')).toBe('mar. 1 juil.');
  });

  it('say the year only when it is not this one, and a dash for nothing', () => {
    expect(formatWhen('2024-12-31T10:00:00Z', 'Europe/Paris', now)).toBe('mar. 31 déc. 2024 11:00');
    expect(formatWhen(null, 'Europe/Paris', now)).toBe('—');
    expect(formatWhen('not a time', 'Europe/Paris', now)).toBe('not a time');
  });

  it('group classes by the local day, not the UTC one', () => {
    expect(dayKey('2025-03-30T23:30:00Z', 'Europe/Paris')).toBe('2025-03-31');
    expect(dayKey('2025-03-30T23:30:00Z', 'UTC')).toBe('2025-03-30');
  });

  it('durations read naturally with a decimal comma', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12,3 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(-1)).toBe('—');
  });
});
