import { describe, expect, it } from 'vitest';
import { hashToken, isTokenShaped, newId, newToken, TOKEN_BYTES, tokenMatches } from './tokens.js';

describe('tokens', () => {
  it('are 256 random bits in base64url, different each time', () => {
    const a = newToken();
    expect(TOKEN_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(Buffer.from(a, 'base64url')).toHaveLength(TOKEN_BYTES);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isTokenShaped(a)).toBe(true);
    expect(new Set(Array.from({ length: 200 }, newToken)).size).toBe(200);
    expect(newId()).toMatch(/^[0-9a-f]{12}$/);
  });

  it('are stored as a hash that matches only the token', () => {
    const t = newToken();
    const h = hashToken(t);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain(t);
    expect(tokenMatches(t, h)).toBe(true);
    expect(tokenMatches(newToken(), h)).toBe(false);
    expect(tokenMatches(`${t.slice(0, -1)}A`, h)).toBe(t.endsWith('A'));
  });

  it('never match a malformed stored hash, nor an empty one', () => {
    const t = newToken();
    expect(tokenMatches(t, '')).toBe(false);
    expect(tokenMatches(t, hashToken(t).toUpperCase())).toBe(false);
    expect(tokenMatches(t, `${hashToken(t)}00`)).toBe(false);
    expect(tokenMatches('', '0'.repeat(64))).toBe(false);
  });

  it('refuse shapes we never make', () => {
    for (const v of ['', 'short', `${newToken()}x`, `${newToken().slice(1)}=`, '../../etc/passwd'.padEnd(43, 'a'), 42, null]) {
      expect(isTokenShaped(v)).toBe(false);
    }
  });
});
