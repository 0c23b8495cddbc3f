import { mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  it('replaces the file whole, leaves no temp file, and applies the mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-atomic-'));
    const file = join(dir, 'nested', 'state.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two', 0o600);
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'nested'))).toEqual(['state.json']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('concurrent writers never leave a mixed file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-atomic-'));
    const file = join(dir, 'f');
    const a = 'a'.repeat(100_000);
    const b = 'b'.repeat(100_000);
    await Promise.all([writeFileAtomic(file, a), writeFileAtomic(file, b), writeFileAtomic(file, a)]);
    const content = await readFile(file, 'utf8');
    expect([a, b]).toContain(content);
  });
});
