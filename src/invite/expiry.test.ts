import { describe, expect, it } from 'vitest';
import { DEFAULT_INVITATION_EXPIRY, parseExpiry } from './expiry.js';

describe('parseExpiry', () => {
  it('reads Go durations and days', () => {
    expect(parseExpiry(DEFAULT_INVITATION_EXPIRY)).toEqual({ ms: 7 * 24 * 3600_000 });
    expect(parseExpiry('36h')).toEqual({ ms: 36 * 3600_000 });
    expect(parseExpiry('1d12h')).toEqual({ ms: 36 * 3600_000 });
    expect(parseExpiry('90m')).toEqual({ ms: 90 * 60_000 });
    expect(parseExpiry('1.5d')).toEqual({ ms: 36 * 3600_000 });
  });

  it('refuses what is not a duration, or out of bounds, saying what it takes', () => {
    expect(parseExpiry('7')).toMatchObject({ error: expect.stringContaining('7d, 36h or 90m') });
    expect(parseExpiry('0')).toMatchObject({ error: expect.stringContaining('not a duration') });
    expect(parseExpiry('soon')).toMatchObject({ error: expect.stringContaining('not a duration') });
    expect(parseExpiry('7days')).toMatchObject({ error: expect.stringContaining('not a duration') });
    expect(parseExpiry('30s')).toMatchObject({ error: expect.stringContaining('at least 1m') });
    expect(parseExpiry('31d')).toMatchObject({ error: expect.stringContaining('at most 30d') });
    expect(parseExpiry('30d')).toEqual({ ms: 30 * 24 * 3600_000 });
  });
});
