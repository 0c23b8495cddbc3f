import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { apiKeysFromEnv, createKeyChecker, secretEquals } from './keys.js';
import { tempDirs, type TempDirs } from './test-support.test-helper.js';

let dirs: TempDirs;
beforeAll(async () => {
  dirs = await tempDirs();
});
afterAll(async () => dirs.cleanup());

describe('apiKeysFromEnv', () => {
  it('reads API_KEY, API_KEYS (comma-separated) and API_KEYS_FILE together, trimmed and without duplicates', async () => {
    const file = join(dirs.root, 'keys.txt');
    await writeFile(file, '# rotated 2025-01\nfile-key-1\n\n  file-key-2  \r\nk-one\n');
    expect(apiKeysFromEnv({ API_KEY: ' k-one ', API_KEYS: 'k-two, k-three,,', API_KEYS_FILE: file })).toEqual([
      'k-one',
      'k-two',
      'k-three',
      'file-key-1',
      'file-key-2',
    ]);
  });

  it('is empty when nothing is set', () => {
    expect(apiKeysFromEnv({})).toEqual([]);
    expect(apiKeysFromEnv({ API_KEY: '', API_KEYS: ' , ' })).toEqual([]);
  });

  it('refuses an unreadable key file rather than starting without the keys', () => {
    expect(() => apiKeysFromEnv({ API_KEYS_FILE: join(dirs.root, 'missing.txt') })).toThrow(ConfigError);
  });
});

describe('createKeyChecker', () => {
  it('accepts exactly the configured keys', () => {
    const check = createKeyChecker(['alpha-key', 'beta-key']);
    expect(check('alpha-key')).toBe(true);
    expect(check('beta-key')).toBe(true);
    expect(check('alpha-ke')).toBe(false);
    expect(check('alpha-key ')).toBe(false);
    expect(check('')).toBe(false);
    expect(check(undefined)).toBe(false);
    expect(check(['alpha-key'])).toBe(false);
  });

  it('accepts nothing when no key is configured', () => {
    const check = createKeyChecker([]);
    expect(check('')).toBe(false);
    expect(check('anything')).toBe(false);
  });
});

describe('secretEquals', () => {
  it('compares values of any length', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('abc', '')).toBe(false);
  });
});
