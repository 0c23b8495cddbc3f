import { describe, expect, it } from 'vitest';
import { compareSnowflakes, isSnowflake, maxSnowflake, minSnowflake, snowflakeFromMs, snowflakeToMs } from './snowflake.js';

describe('snowflakes', () => {
  it('reads the creation time of a real Discord id (the example of the Discord docs)', () => {
    // 175928847299117063 is documented as created at 2016-04-30 11:18:25.796 UTC.
    expect(new Date(snowflakeToMs('175928847299117063')).toISOString()).toBe('2016-04-30T11:18:25.796Z');
  });

  it('turns a time into the smallest id of that millisecond, and back', () => {
    const ms = Date.parse('2025-01-02T03:04:05.678Z');
    expect(snowflakeToMs(snowflakeFromMs(ms))).toBe(ms);
    expect(compareSnowflakes(snowflakeFromMs(ms), '175928847299117063')).toBe(1);
    expect(snowflakeFromMs(0)).toBe('0');
  });

  it('compares beyond 2^53 exactly, where Number would not', () => {
    const a = '9007199254740993';
    const b = '9007199254740992';
    expect(Number(a)).toBe(Number(b));
    expect(compareSnowflakes(a, b)).toBe(1);
    expect(compareSnowflakes('99', '100')).toBe(-1);
    expect(maxSnowflake('99', '100')).toBe('100');
    expect(minSnowflake('99', '100')).toBe('99');
  });

  it('accepts decimal ids only', () => {
    expect(isSnowflake('175928847299117063')).toBe(true);
    for (const bad of ['', '12a', '-1', '1'.repeat(21), ' 1']) expect(isSnowflake(bad)).toBe(false);
  });
});
