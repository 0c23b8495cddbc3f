import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../lib/index.js';
import { createErrorFile, tailErrorFile } from './error-file.js';

const dirOf = () => mkdtemp(join(tmpdir(), 'cs-errors-'));

describe('the error file', () => {
  it('appends one timestamped line per problem, keeps earlier lines, and redacts secrets', async () => {
    const path = join(await dirOf(), 'errors.log');
    const file = createErrorFile({ path, redact: makeRedactor(['s3cret-pw']) });
    await file.append('login', 'MonCampus refused the login for bob (password s3cret-pw)', new Date('2025-01-01T10:00:00Z'));
    await file.append('push', 'first line\nsecond line', new Date('2025-01-01T11:00:00Z'));
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      '2025-01-01T10:00:00.000Z login MonCampus refused the login for bob (password [REDACTED])\n' +
        '2025-01-01T11:00:00.000Z push first line | second line\n',
    );
    expect(await tailErrorFile(path, 1)).toEqual(['2025-01-01T11:00:00.000Z push first line | second line']);
  });

  it('rotates by size, keeping a bounded number of old files', async () => {
    const dir = await dirOf();
    const path = join(dir, 'errors.log');
    const file = createErrorFile({ path, redact: (t) => t, maxBytes: 200, keep: 2 });
    for (let i = 0; i < 30; i++) await file.append('fetch', `problem number ${i} `.padEnd(60, '.'));
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['errors.log', 'errors.log.1', 'errors.log.2']);
    const newest = await readFile(path, 'utf8');
    expect(newest).toContain('problem number 29');
    expect(Buffer.byteLength(newest)).toBeLessThanOrEqual(200);
  });

  it('tail of a missing file is empty', async () => {
    expect(await tailErrorFile(join(await dirOf(), 'nope.log'))).toEqual([]);
  });
});
