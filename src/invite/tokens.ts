import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secrets of invitation links and status pages (issue 23). A token is shown once, at creation, and only
 * its SHA-256 is stored: a copied data folder (a backup, a stolen SD card) holds no live link. Tokens are
 * random, so a fast hash is enough (no password to stretch); comparisons are on the hashes, in constant time.
 */

/** 32 random bytes: 256 bits (the issue asks for 128 or more), 43 characters of base64url in a link. */
export const TOKEN_BYTES = 32;
/** A token as we make them: 43 base64url characters. Anything else is refused before any hashing or file read. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export const isTokenShaped = (value: unknown): value is string => typeof value === 'string' && TOKEN_PATTERN.test(value);

/** The stored form of a token: hex SHA-256. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Does `token` hash to `storedHash`? Constant time over the digests, whatever the inputs' lengths. */
export function tokenMatches(token: string, storedHash: string): boolean {
  const given = Buffer.from(hashToken(token), 'hex');
  const valid = HASH_PATTERN.test(storedHash);
  // A malformed stored hash is compared against zeros and then refused: the same work either way.
  const stored = Buffer.from(valid ? storedHash : '0'.repeat(64), 'hex');
  return timingSafeEqual(given, stored) && valid;
}

/** A short public id (for `invites revoke <id>`): names an invitation, opens nothing. */
export function newId(): string {
  return randomBytes(6).toString('hex');
}
