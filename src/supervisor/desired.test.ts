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
    const sha = createHash('sha256')
      .update(await readFile(join(dir, 'alice.yml')))
      .digest('hex');
    expect(desired).toEqual([
      { name: 'alice', configFile: join(dir, 'alice.yml'), configSha: sha, envVars: [], secretFiles: [], inlineSecrets: true },
      { name: 'bob', configFile: join(dir, 'bob.yaml'), configSha: expect.stringMatching(/^[0-9a-f]{64}$/), envVars: [], secretFiles: [], inlineSecrets: true },
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
    for (const i of invalid) expect(i.localized?.('fr')).toMatch(/deux fichiers de config s’appellent "a" \(a\.yaml et a\.yml\) : n’en gardez qu’un/);
  });

  it('sees a missing directory as no config at all', async () => {
    expect(await scanConfigs(join(tmpdir(), 'cs-does-not-exist-4711'))).toEqual({ desired: [], invalid: [] });
  });

  it('says what a config needs delivered with it: ${VAR} names, *File paths, and whether its text holds a secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-desired-'));
    await writeFile(join(dir, 'secret.txt'), 'from-a-file\n');
    await writeFile(
      join(dir, 'env.yml'),
      'moncampus:\n  username: alice\n  password: ${ALICE_PASSWORD}\necal:\n  apiKeyFile: secret.txt\n  apiSecret: "$${literal}"\n  calendarId: 0123456789abcdef01234567\n',
    );
    const { desired, invalid } = await scanConfigs(dir, { ALICE_PASSWORD: 'pw-from-env' });
    expect(invalid).toEqual([]);
    expect(desired[0]).toMatchObject({ name: 'env', envVars: ['ALICE_PASSWORD'], secretFiles: ['secret.txt'], inlineSecrets: true });
    // Without the literal secret, nothing secret is left in the text itself.
    await writeFile(
      join(dir, 'env.yml'),
      'moncampus:\n  username: alice\n  password: ${ALICE_PASSWORD}\necal:\n  apiKeyFile: secret.txt\n  apiSecretFile: ./secret.txt\n  calendarId: 0123456789abcdef01234567\n',
    );
    const scan = await scanConfigs(dir, { ALICE_PASSWORD: 'pw-from-env' });
    expect(scan.desired[0]).toMatchObject({ envVars: ['ALICE_PASSWORD'], secretFiles: ['./secret.txt', 'secret.txt'], inlineSecrets: false });
  });

  it('changes the hash when the file changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-desired-'));
    await writeFile(join(dir, 'alice.yml'), VALID);
    const before = (await scanConfigs(dir, {})).desired[0]!.configSha;
    await writeFile(join(dir, 'alice.yml'), `${VALID}runOnStart: false\n`);
    expect((await scanConfigs(dir, {})).desired[0]!.configSha).not.toBe(before);
  });
});
