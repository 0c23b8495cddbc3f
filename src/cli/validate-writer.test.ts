import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readConfigState, writeConfig, type ConfigChange } from '../config/index.js';
import { main } from './main.js';

/** Issue 23: `validate` agrees with every file the config writer produces (new files and edits of hand-written ones). */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-validate-writer-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  delete process.env.MONCAMPUS_PASSWORD;
  await rm(dir, { recursive: true, force: true });
});

async function validate(): Promise<{ code: number; results: { file: string; valid: boolean; error?: string }[] }> {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  const code = await main(['validate', dir, '--json']);
  vi.restoreAllMocks();
  return {
    code,
    results: chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { file: string; valid: boolean }),
  };
}

describe('validate and the config writer', () => {
  it('agree on new files, edited hand-written files, and refuse what the writer refused to write', async () => {
    process.env.MONCAMPUS_PASSWORD = 'pw';
    const created: ConfigChange[] = [
      { op: 'set', path: ['moncampus', 'username'], value: '007' },
      { op: 'secret', path: ['moncampus', 'password'], value: 'a ${b} c: #d' },
      { op: 'set', path: ['notify'], value: ['ntfy://lea-topic'] },
      { op: 'set', path: ['changes', 'digest'], value: '20:00' },
    ];
    expect((await writeConfig({ file: join(dir, 'lea.yml'), expectedHash: null, changes: created })).kind).toBe('written');
    await copyFile(join(process.cwd(), 'configs', 'examples', 'example.yml'), join(dir, 'alice.yml'));
    const { hash } = await readConfigState(join(dir, 'alice.yml'));
    const edited = await writeConfig({
      file: join(dir, 'alice.yml'),
      expectedHash: hash,
      changes: [
        { op: 'remove', path: ['ecal'] },
        { op: 'set', path: ['locale'], value: 'en' },
      ],
    });
    expect(edited.kind).toBe('written');
    await writeFile(join(dir, 'bob.yml'), '# by hand\nmoncampus:\n  username: bob # login\n  password: x\n');
    const bobHash = (await readConfigState(join(dir, 'bob.yml'))).hash;
    const refused = await writeConfig({ file: join(dir, 'bob.yml'), expectedHash: bobHash, changes: [{ op: 'set', path: ['schedule'], value: 'every day' }] });
    expect(refused.kind).toBe('invalid');
    const { code, results } = await validate();
    expect(results.map((r) => [r.file.split('/').pop(), r.valid])).toEqual([
      ['alice.yml', true],
      ['bob.yml', true],
      ['lea.yml', true],
    ]);
    expect(code).toBe(0);
    // What the writer refused, validate refuses too, with the same key named.
    await writeFile(join(dir, 'bob.yml'), '# by hand\nmoncampus:\n  username: bob # login\n  password: x\nschedule: every day\n');
    const again = await validate();
    expect(again.code).toBe(2);
    expect(again.results.find((r) => r.file.endsWith('bob.yml'))?.error).toContain('schedule');
    if (refused.kind === 'invalid') expect(refused.message).toContain('schedule');
  });
});
