import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFIG_DIR_ENV, DATA_DIR_ENV } from '../config/index.js';
import { addConfigVerb } from './config-verbs.js';
import { errorsVerb } from './errors.js';
import { captureOutput } from './capture-output.test-helper.js';
import { UsageError } from './output.js';
import { notifyVerb } from './slots-notify.js';
import { validateVerb } from './validate.js';

/** The human verbs speak LANG's language (cli/locale.ts); `--json` stays English. */

const CONFIG = 'moncampus:\n  username: alice.martin\n  password: s3cret-pass\n';
let root: string;

const speak = (lang: string): void => {
  vi.stubEnv('LC_ALL', '');
  vi.stubEnv('LC_MESSAGES', '');
  vi.stubEnv('LANG', lang);
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cs-cli-locale-'));
  await mkdir(join(root, 'configs'));
  await mkdir(join(root, 'data'));
  vi.stubEnv(CONFIG_DIR_ENV, join(root, 'configs'));
  vi.stubEnv(DATA_DIR_ENV, join(root, 'data'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe('campus-sync errors', () => {
  it('says "no errors recorded" in French for fr_FR, in English for C', async () => {
    await writeFile(join(root, 'configs', 'alice.yml'), CONFIG);
    speak('fr_FR.UTF-8');
    const fr = captureOutput();
    await errorsVerb({ args: ['alice'], values: {}, out: fr.out });
    expect(fr.lines).toEqual([`aucune erreur enregistrée pour alice (${join(root, 'data', 'alice', 'errors.log')})`]);
    speak('C');
    const en = captureOutput();
    await errorsVerb({ args: ['alice'], values: {}, out: en.out });
    expect(en.lines).toEqual([`no errors recorded for alice (${join(root, 'data', 'alice', 'errors.log')})`]);
  });
});

describe('campus-sync validate', () => {
  it('marks a legacy config and says an empty folder in the shell’s language', async () => {
    speak('fr_FR.UTF-8');
    const none = captureOutput();
    expect(await validateVerb({ args: [], values: {}, out: none.out })).toBe(2);
    expect(none.errors).toEqual([`aucun fichier de config dans ${join(root, 'configs')}`]);
    speak('C');
    const noneEn = captureOutput();
    await validateVerb({ args: [], values: {}, out: noneEn.out });
    expect(noneEn.errors).toEqual([`no config files in ${join(root, 'configs')}`]);

    // The Python original's flat keys (configs/examples/legacy-example.yml).
    await writeFile(
      join(root, 'configs', 'bob.yml'),
      'moncampus_username: bob\nmoncampus_password: pw\nmoncampus_start_date: 2025-09-01\nmoncampus_end_date: 2026-07-31\necal_api_key: k\necal_api_secret: s\necal_calendar_id: 0123456789abcdef01234567\ninstance_name: robert\n',
    );
    speak('fr_FR.UTF-8');
    const fr = captureOutput();
    expect(await validateVerb({ args: [join(root, 'configs', 'bob.yml')], values: {}, out: fr.out })).toBe(0);
    expect(fr.lines[0]).toMatch(/^✓ .*bob\.yml \(ancien format\)$/);
    expect(fr.lines[1]).toMatch(/^ {2}! instance_name "robert" est ignoré : l’instance porte le nom de son fichier \("bob"\)$/);
    speak('C');
    const en = captureOutput();
    await validateVerb({ args: [join(root, 'configs', 'bob.yml')], values: {}, out: en.out });
    expect(en.lines[0]).toMatch(/^✓ .*bob\.yml \(legacy format\)$/);
    expect(en.lines[1]).toBe('  ! instance_name "robert" is ignored: the instance is named after its file ("bob")');
  });

  it('explains an invalid config in French for fr_FR, in English for C and under --json (same file and key paths)', async () => {
    const file = join(root, 'configs', 'carol.yml');
    await writeFile(file, 'timezone: Europe/Pariss\nmoncampus:\n  username: carol\n  pasword: x\n');
    speak('fr_FR.UTF-8');
    const fr = captureOutput();
    expect(await validateVerb({ args: [file], values: {}, out: fr.out })).toBe(2);
    const lines = (c: { lines: string[] }): string[] => c.lines.join('\n').split('\n');
    expect(lines(fr)[0]).toMatch(/^✗ \S*carol\.yml: timezone: attendu : un fuseau horaire IANA comme "Europe\/Paris", trouvé : "Europe\/Pariss"$/);
    expect(lines(fr)).toContainEqual(
      expect.stringMatching(/carol\.yml: moncampus\.password: obligatoire \(ou passwordFile : un fichier qui contient la valeur\)$/),
    );
    expect(lines(fr)).toContainEqual(expect.stringMatching(/carol\.yml: moncampus\.pasword: clé inconnue \(vouliez-vous dire password \?\)$/));
    const json = captureOutput(true);
    await validateVerb({ args: [file], values: {}, out: json.out });
    expect(json.results).toEqual([
      { file: expect.stringMatching(/carol\.yml$/), valid: false, error: expect.stringContaining('timezone: expected an IANA time zone') },
    ]);
    speak('C');
    const en = captureOutput();
    await validateVerb({ args: [file], values: {}, out: en.out });
    expect(lines(en)[0]).toMatch(/^✗ \S*carol\.yml: timezone: expected an IANA time zone such as "Europe\/Paris", got "Europe\/Pariss"$/);
    expect(lines(en)).toContainEqual(expect.stringMatching(/carol\.yml: moncampus\.pasword: unknown key \(did you mean password\?\)$/));
  });
});

describe('campus-sync notify test', () => {
  it('names a config without channels in French for fr_FR, and stays English under --json', async () => {
    await writeFile(join(root, 'configs', 'alice.yml'), CONFIG);
    speak('fr_FR.UTF-8');
    const fr = captureOutput();
    expect(await notifyVerb({ args: ['test', 'alice'], values: {}, out: fr.out })).toBe(2);
    expect(fr.errors).toEqual(['alice n’a pas de section notify:']);
    const json = captureOutput(true);
    await notifyVerb({ args: ['test', 'alice'], values: {}, out: json.out });
    expect(json.errors).toEqual(['alice has no notify: section']);
    speak('C');
    const en = captureOutput();
    await notifyVerb({ args: ['test', 'alice'], values: { channel: 'ops' }, out: en.out });
    expect(en.errors).toEqual(['no channel named ops in alice']);
  });
});

describe('campus-sync add-config', () => {
  it('says what it wrote in French for fr_FR and in English for C (flags only: no terminal here)', async () => {
    vi.stubEnv('CAMPUS_SYNC_COMMAND', 'campus-sync');
    const values = { username: 'alice.martin', password: 'pw', 'calendar-id': '', timezone: 'Europe/Paris', schedule: '0 7 * * *', 'no-input': true };
    speak('fr_FR.UTF-8');
    const fr = captureOutput();
    expect(await addConfigVerb({ args: ['alice'], values, out: fr.out })).toBe(0);
    expect(fr.lines).toHaveLength(1);
    expect(fr.lines[0]).toMatch(/^✓ \S*alice\.yml écrit — essayez : campus-sync run-once alice --dry-run$/);
    expect(fr.errors).toEqual([]);
    const again = captureOutput();
    expect(await addConfigVerb({ args: ['alice'], values, out: again.out })).toBe(2);
    expect(again.errors).toEqual(['configs/alice.yml existe déjà']);
    speak('C');
    const en = captureOutput();
    expect(await addConfigVerb({ args: ['bob'], values, out: en.out })).toBe(0);
    expect(en.lines[0]).toMatch(/^✓ .*bob\.yml — try: campus-sync run-once bob --dry-run$/);
  });

  it('refuses an unknown school, two hosts and an invalid value in the shell’s language', async () => {
    const values = { username: 'alice.martin', password: 'pw', 'calendar-id': '', timezone: 'Europe/Paris', schedule: '0 7 * * *', 'no-input': true };
    const refusal = (v: Record<string, unknown>, out = captureOutput().out): Promise<string> =>
      addConfigVerb({ args: ['carol'], values: { ...values, ...v } as never, out }).then(
        () => 'accepted',
        (e: unknown) => (e instanceof UsageError ? e.message : String(e)),
      );
    speak('fr_FR.UTF-8');
    expect(await refusal({ school: 'sorbonne' })).toMatch(/^--school : "sorbonne" n’est pas un groupe d’écoles : répondez igensia \(/);
    expect(await refusal({ school: 'epsi', 'moncampus-url': 'https://x.example' })).toBe('donnez --school ou --moncampus-url, pas les deux');
    expect(await refusal({ 'ecal-url': 'https://ecal.example' })).toMatch(/^--ecal-url va avec --calendar-id/);
    const badZone = captureOutput();
    expect(await addConfigVerb({ args: ['carol'], values: { ...values, timezone: 'Mars/Olympus' }, out: badZone.out })).toBe(2);
    expect(badZone.errors[0]).toMatch(/carol\.yml: timezone: attendu : un fuseau horaire IANA comme "Europe\/Paris", trouvé : "Mars\/Olympus"$/);
    speak('C');
    expect(await refusal({ school: 'sorbonne' })).toMatch(/^--school: "sorbonne" is not a school group: answer igensia \(/);
    expect(await refusal({ school: 'epsi', 'moncampus-url': 'https://x.example' })).toBe('give --school or --moncampus-url, not both');
  });
});
