import { describe, expect, it } from 'vitest';
import { parseDurationNs } from './duration.js';

describe('parseDurationNs', () => {
  it('reads Go durations, units combined', () => {
    expect(parseDurationNs('1m30s')).toBe(90e9);
    expect(parseDurationNs('6h')).toBe(6 * 3600e9);
    expect(parseDurationNs('500ms')).toBe(500e6);
    expect(parseDurationNs('1.5h')).toBe(5400e9);
    expect(parseDurationNs(' 2h30m ')).toBe(9000e9);
    expect(parseDurationNs('0')).toBe(0);
  });
  it('refuses a number without its unit, unknown units and empty text', () => {
    for (const bad of ['15', '', ' ', '1d', '6 h', 'h', '1h30', '-1s']) expect(parseDurationNs(bad), bad).toBeUndefined();
  });
});
