import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfterHeader } from './http.js';

describe('parseRetryAfterHeader', () => {
  it('reads seconds (fractions too), HTTP dates, and caps the wait', () => {
    expect(parseRetryAfterHeader('2.5')).toBe(2500);
    expect(parseRetryAfterHeader('Sun, 01 Jun 2025 10:00:30 GMT', Date.parse('2025-06-01T10:00:00Z'))).toBe(30_000);
    expect(parseRetryAfterHeader('999999')).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterHeader(undefined)).toBeUndefined();
    expect(parseRetryAfterHeader('soon')).toBeUndefined();
  });
});
