import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../lib/index.js';

export const API_KEY_HEADER = 'x-api-key';

/**
 * The API keys this process accepts: `API_KEY` (one), `API_KEYS` (comma-separated) and `API_KEYS_FILE`
 * (one per line, `#` comments and blank lines ignored; the way to keep keys out of `docker inspect`).
 * All three add up, so a key can be rotated by adding the new one before removing the old.
 * An unreadable key file is a ConfigError: starting without the keys someone meant to set would lock everyone out silently.
 */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const keys: string[] = [];
  const add = (value: string): void => {
    const key = value.trim();
    if (key !== '' && !keys.includes(key)) keys.push(key);
  };
  if (env.API_KEY) add(env.API_KEY);
  if (env.API_KEYS) for (const k of env.API_KEYS.split(',')) add(k);
  const file = env.API_KEYS_FILE;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`API_KEYS_FILE ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const line of text.split(/\r?\n/)) if (!line.trimStart().startsWith('#')) add(line);
  }
  return keys;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * A checker for presented keys. Keys are compared as SHA-256 digests with timingSafeEqual, so neither
 * a key's content nor its length shows in the answer time, and every configured key is compared (no early
 * exit that would tell which one nearly matched). With no key configured, nothing is accepted.
 */
export function createKeyChecker(keys: readonly string[]): (presented: string | string[] | undefined) => boolean {
  const digests = keys.filter((k) => k.length > 0).map(digest);
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0 || digests.length === 0) return false;
    const given = digest(presented);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    return ok;
  };
}

/** Constant-time equality of two secrets of any length (ICS tokens). */
export function secretEquals(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}
