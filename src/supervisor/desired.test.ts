import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanConfigs } from './desired.js';

const VALID = 'moncampus:\n  username: alice\n  password: "s3cret-pass"\n';

describe('scanConfigs', () => {
  it('splits the config directory into desired workers (with the hash of the bytes) and invalid files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-desired-'));
    await writeFile(join(dir, 'alice.yml'), VALID);
    await writeFile(join(dir, 'bob.yaml'), VALID.replace('alice', 'bob'));
    await writeFile(join(dir, 'broken.yml'), 'moncampus: [unclosed\n');
    await writeFile(join(dir, 'typo.yml'), `${VALID}schedulle: "* * * * *"\n`);
    await writeFile(join(dir, 'notes.txt'), 'not a config');
    await writeFile(join(dir, '.alice.yml.swp'), 'editor junk');

    const { desired, invalid } = await scanConfigs(dir, {});
    const sha = createHash('sha256').update(await readFile(join(dir, 'alice.yml'))).digest('hex');
    expect(desired).toEqual([
      { name: 'alice', configFile: join(dir, 'alice.yml'), configSha: sha },
      { name: 'bob', configFile: join(dir, 'bob.yaml'), configSha: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(desired[1]!.configSha).not.toBe(sha);
    expect(invalid.map((i) => [i.name, i.file])).toEqual([
      ['broken', join(dir, 'broken.yml')],
      ['typo', join(dir, 'typo.yml')],
    ]);
    expect(invalid[1]!.error).toMatch(/schedulle/);
    for (const i of invalid) expect(i.error).not.toContain('s3cret-pass');
  });

  it('refuses both files when two share a stem (a.yml and a.yaml)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-desired-'));
    await writeFile(join(dir, 'a.yml'), VALID);
    await writeFile(join(dir, 'a.yaml'), VALID);
    const { desired, invalid } = await scanConfigs(dir, {});
    expect(desired).toEqual([]);
    expect(invalid.map((i) => i.file).sort()).toEqual([join(dir, 'a.yaml'), join(dir, 'a.yml')]);
    for (const i of invalid) expect(i.error).toMatch(/two config files are named "a" \(a\.yaml and a\.yml\): keep only one/);
  });

  it('sees a missing directory as no config at all', async () => {
    expect(await scanConfigs(join(tmpdir(), 'cs-does-not-exist-4711'))).toEqual({ desired: [], invalid: [] });
  });

  it('changes the hash when the file changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-desired-'));
    await writeFile(join(dir, 'alice.yml'), VALID);
    const before = (await scanConfigs(dir, {})).desired[0]!.configSha;
    await writeFile(join(dir, 'alice.yml'), `${VALID}runOnStart: false\n`);
    expect((await scanConfigs(dir, {})).desired[0]!.configSha).not.toBe(before);
  });
});
