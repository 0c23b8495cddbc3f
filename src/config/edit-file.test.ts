import { copyFile, mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentHash, type ConfigChange } from './edit.js';
import { configFileFor, deleteConfig, readConfigState, writeConfig } from './edit-file.js';
import { loadConfigFile } from './load.js';

let dir: string;
const env = { ALICE_PASSWORD: 'from-env' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-edit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NEW_CONFIG: ConfigChange[] = [
  { op: 'set', path: ['moncampus', 'url'], value: 'https://ws-edt-cd.wigorservices.net' },
  { op: 'set', path: ['moncampus', 'username'], value: 'bob' },
  { op: 'secret', path: ['moncampus', 'password'], value: 'p#ss: ${word}' },
  { op: 'set', path: ['ecal', 'calendarId'], value: '0123456789abcdef01234567' },
  { op: 'secret', path: ['ecal', 'apiKey'], value: 'k' },
  { op: 'secret', path: ['ecal', 'apiSecret'], value: 's' },
  { op: 'set', path: ['locale'], value: 'en' },
];

const HAND_WRITTEN = `# Alice, by hand
moncampus:
  username: alice # her login
  password: \${ALICE_PASSWORD}
`;

describe('writeConfig', () => {
  it('creates a file that validate loads, readable by its owner only, and refuses to create it twice', async () => {
    const file = await configFileFor(dir, 'bob');
    const r = await writeConfig({ file, expectedHash: null, changes: NEW_CONFIG, env });
    expect(r.kind).toBe('written');
    const config = await loadConfigFile(file, { env });
    expect(config.moncampus?.password).toBe('p#ss: ${word}');
    expect(config.moncampus?.url).toBe('https://ws-edt-cd.wigorservices.net');
    expect(config.locale).toBe('en');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    if (r.kind === 'written') expect(r.hash).toBe(contentHash(await readFile(file)));
    const again = await writeConfig({ file, expectedHash: null, changes: NEW_CONFIG, env });
    expect(again.kind).toBe('conflict');
  });

  it('edits a hand-written file: comments kept, validate agrees, the hash moves on', async () => {
    const file = join(dir, 'alice.yml');
    await writeFile(file, HAND_WRITTEN, { mode: 0o640 });
    const { hash } = await readConfigState(file);
    const r = await writeConfig({
      file,
      expectedHash: hash,
      changes: [
        { op: 'set', path: ['moncampus', 'username'], value: 'alice2' },
        { op: 'set', path: ['ics', 'enabled'], value: true },
      ],
      env,
    });
    expect(r.kind).toBe('written');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# Alice, by hand');
    expect(text).toContain('username: alice2 # her login');
    expect(text).toContain('password: ${ALICE_PASSWORD}');
    expect((await loadConfigFile(file, { env })).moncampus?.username).toBe('alice2');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    // The old hash is stale now.
    const stale = await writeConfig({ file, expectedHash: hash, changes: [{ op: 'set', path: ['locale'], value: 'en' }], env });
    expect(stale.kind).toBe('conflict');
  });

  it('never overwrites a file changed on disk since the form read it', async () => {
    const file = join(dir, 'alice.yml');
    await writeFile(file, HAND_WRITTEN);
    const { hash } = await readConfigState(file);
    const changedByHand = `${HAND_WRITTEN}# a note added in an editor\n`;
    await writeFile(file, changedByHand);
    const r = await writeConfig({ file, expectedHash: hash, changes: [{ op: 'set', path: ['locale'], value: 'en' }], env });
    expect(r).toMatchObject({ kind: 'conflict', hash: contentHash(changedByHand) });
    expect(await readFile(file, 'utf8')).toBe(changedByHand);
  });

  it('writes nothing when the result does not pass validate, and says why by key', async () => {
    const file = join(dir, 'alice.yml');
    await writeFile(file, HAND_WRITTEN);
    const { hash } = await readConfigState(file);
    const r = await writeConfig({ file, expectedHash: hash, changes: [{ op: 'set', path: ['ecal', 'calendarId'], value: 'nope' }], env });
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') {
      expect(r.message).toContain('ecal.calendarId');
      expect(r.message).not.toContain(dir);
      // For a page in either language, the key path as written.
      expect(r.messageIn.en).toBe(r.message);
      expect(r.messageIn.fr.split('\n')).toContain('alice.yml: ecal.calendarId: attendu : 24 caractères hexadécimaux, trouvé : "nope"');
    }
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
    // Validation uses the same env rules as validate: an unset variable is an error.
    const noEnv = await writeConfig({ file, expectedHash: hash, changes: [{ op: 'set', path: ['locale'], value: 'en' }], env: {} });
    expect(noEnv.kind).toBe('invalid');
    if (noEnv.kind === 'invalid') expect(noEnv.message).toContain('ALICE_PASSWORD');
  });

  it('writes a changed secret into the secrets file the config names, leaving the YAML as it was', async () => {
    await mkdir(join(dir, 'secrets'));
    await writeFile(join(dir, 'secrets', 'pw'), 'old\n');
    const file = join(dir, 'carol.yml');
    const text = 'moncampus:\n  username: carol\n  passwordFile: secrets/pw # docker secret\n';
    await writeFile(file, text);
    const { hash } = await readConfigState(file);
    const r = await writeConfig({ file, expectedHash: hash, changes: [{ op: 'secret', path: ['moncampus', 'password'], value: 'new-pw' }], env });
    expect(r.kind).toBe('written');
    expect(await readFile(file, 'utf8')).toBe(text);
    expect((await loadConfigFile(file, { env })).moncampus?.password).toBe('new-pw');
    expect((await stat(join(dir, 'secrets', 'pw'))).mode & 0o777).toBe(0o600);
  });

  it('refuses an invalid instance name before touching the disk', async () => {
    await expect(configFileFor(dir, '../etc/passwd')).rejects.toThrow(/invalid instance name/);
    await writeFile(join(dir, 'dora.yaml'), 'x: 1\n');
    expect(await configFileFor(dir, 'dora')).toBe(join(dir, 'dora.yaml'));
  });
});

describe('the shipped example, edited as the dashboard would', () => {
  it('keeps every comment and every untouched line, and validate loads each result', async () => {
    const file = join(dir, 'alice.yml');
    await copyFile(join(process.cwd(), 'configs', 'examples', 'example.yml'), file);
    const original = await readFile(file, 'utf8');
    const edits: ConfigChange[][] = [
      [{ op: 'set', path: ['moncampus', 'username'], value: 'lea.martin' }],
      [
        { op: 'set', path: ['moncampus', 'url'], value: 'https://ws-edt-cd.wigorservices.net' },
        { op: 'set', path: ['ecal', 'alert'], value: '30M' },
      ],
      [
        { op: 'set', path: ['ecal', 'calendarId'], value: 'abcdefabcdefabcdefabcdef' },
        { op: 'set', path: ['locale'], value: 'en' },
      ],
      [{ op: 'set', path: ['ics', 'enabled'], value: false }],
    ];
    let text = original;
    for (const changes of edits) {
      const { hash } = await readConfigState(file);
      const r = await writeConfig({ file, expectedHash: hash, changes, env: { MONCAMPUS_PASSWORD: 'pw' } });
      expect(r.kind, JSON.stringify(r)).toBe('written');
      text = await readFile(file, 'utf8');
      await loadConfigFile(file, { env: { MONCAMPUS_PASSWORD: 'pw' } });
    }
    const comments = (t: string): string[] =>
      t
        .split('\n')
        .filter((l) => l.trim().startsWith('#'))
        .map((l) => l.trim());
    expect(comments(text)).toEqual(comments(original));
    const config = await loadConfigFile(file, { env: { MONCAMPUS_PASSWORD: 'pw' } });
    expect(config).toMatchObject({
      locale: 'en',
      moncampus: { username: 'lea.martin', url: 'https://ws-edt-cd.wigorservices.net' },
      ecal: { alert: '30M', calendarId: 'abcdefabcdefabcdefabcdef' },
    });
    // Only the edited lines changed (plus the two keys added at the end).
    const before = original.split('\n');
    const after = text.split('\n');
    const changed = after.filter((l) => !before.includes(l));
    expect(changed.sort()).toEqual(
      [
        '  alert: 30M',
        '  calendarId: abcdefabcdefabcdefabcdef',
        '  enabled: false',
        '  url: https://ws-edt-cd.wigorservices.net',
        '  username: lea.martin',
        'locale: en',
      ].sort(),
    );
    expect(after.length).toBe(before.length + 1);
  });
});

describe('deleteConfig', () => {
  it('deletes only the file the form was filled from', async () => {
    const file = join(dir, 'alice.yml');
    await writeFile(file, HAND_WRITTEN);
    expect((await deleteConfig({ file, expectedHash: contentHash('other') })).kind).toBe('conflict');
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN);
    expect((await deleteConfig({ file, expectedHash: contentHash(HAND_WRITTEN) })).kind).toBe('deleted');
    expect((await readConfigState(file)).text).toBeNull();
    expect((await deleteConfig({ file, expectedHash: contentHash(HAND_WRITTEN) })).kind).toBe('not-found');
  });
});
