import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { configErrorFrom, describeValue, dottedPath, editDistance, fromZodIssues, issueIn } from './issues.js';
import { parseConfig } from './load.js';
import { configFileSchema } from './schema.js';

describe('dottedPath', () => {
  it('joins keys with dots and shows list indexes in brackets', () => {
    expect(dottedPath(['moncampus', 'window', 'from'])).toBe('moncampus.window.from');
    expect(dottedPath(['list', 2, 'x'])).toBe('list[2].x');
    expect(dottedPath([])).toBe('');
  });
});

describe('describeValue', () => {
  it('shows ordinary values and hides secret ones', () => {
    expect(describeValue('abc', ['ecal', 'calendarId'])).toBe('"abc"');
    expect(describeValue(3, ['ecal', 'concurrency'])).toBe('3');
    expect(describeValue(null, ['x'])).toBe('nothing');
    expect(describeValue('hunter22', ['moncampus', 'password'])).not.toContain('hunter22');
    expect(describeValue('k3y-value', ['ecal_api_key'])).not.toContain('k3y-value');
  });
  it('cuts long values', () => {
    expect(describeValue('x'.repeat(500), ['timezone']).length).toBeLessThan(80);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('password', 'password')).toBe(0);
    expect(editDistance('pasword', 'password')).toBe(1);
    expect(editDistance('calendarID', 'calendarId')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('fromZodIssues', () => {
  it('names unknown keys one per line, with a hint for a near miss only', () => {
    const r = configFileSchema.safeParse({ moncampus: { username: 'u', password: 'p', pasword: 'p' }, zzz: 1 }, { reportInput: true });
    expect(r.success).toBe(false);
    const issues = fromZodIssues(r.error?.issues ?? [], configFileSchema);
    expect(issues).toContainEqual(expect.objectContaining({ path: ['moncampus', 'pasword'], message: 'unknown key (did you mean password?)' }));
    expect(issues).toContainEqual(expect.objectContaining({ path: ['zzz'], message: 'unknown key' }));
    const near = issues.find((i) => i.path[1] === 'pasword');
    expect(near && issueIn(near, 'fr')).toBe('clé inconnue (vouliez-vous dire password ?)');
    expect(near && issueIn(near, 'en')).toBe('unknown key (did you mean password?)');
  });
});

describe('configErrorFrom', () => {
  it('prefixes every line with the file and the dotted key', () => {
    const err = configErrorFrom('configs/a.yml', [
      { path: ['ecal', 'calendarId'], message: 'bad' },
      { path: [], message: 'whole file' },
    ]);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('configs/a.yml: ecal.calendarId: bad\nconfigs/a.yml: whole file');
  });
});

describe('config errors in the reader’s language', () => {
  const errorOf = async (text: string): Promise<ConfigError> => {
    const err = await parseConfig(text, { file: 'configs/alice.yml', env: { MISSING_OK: 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  };

  it('says each problem in French, the file and key paths as written, and keeps the English message', async () => {
    const err = await errorOf(
      [
        'timezone: Europe/Pariss',
        'moncampus:',
        '  username: ""',
        '  password: p',
        'ecal:',
        '  apiKey: k',
        '  apiSecret: s',
        '  calendarId: nothex',
        '  concurrency: "3"',
        'changes:',
        '  horizonDays: 0',
        'locale: de',
        'notify:',
        '  - discord://123456/abcdefghijklmnop?bogus=1',
      ].join('\n'),
    );
    const fr = err.localized('fr').split('\n');
    const en = err.message.split('\n');
    expect(en).toContain('configs/alice.yml: timezone: expected an IANA time zone such as "Europe/Paris", got "Europe/Pariss"');
    expect(fr).toContain('configs/alice.yml: timezone: attendu : un fuseau horaire IANA comme "Europe/Paris", trouvé : "Europe/Pariss"');
    expect(fr).toContain('configs/alice.yml: moncampus.username: attendu : un nom d’utilisateur, trouvé : une valeur vide');
    expect(fr).toContain('configs/alice.yml: ecal.calendarId: attendu : 24 caractères hexadécimaux, trouvé : "nothex"');
    expect(en).toContain('configs/alice.yml: ecal.concurrency: expected a number, got "3"');
    expect(fr).toContain('configs/alice.yml: ecal.concurrency: attendu : un nombre, trouvé : "3"');
    expect(en).toContain('configs/alice.yml: locale: expected one of "fr", "en", got "de"');
    expect(fr).toContain('configs/alice.yml: locale: attendu : l’une des valeurs "fr", "en", trouvé : "de"');
    // zod's own wording (a bound with no text of ours) comes in zod's French.
    const horizonEn = en.find((l) => l.includes('changes.horizonDays'));
    const horizonFr = fr.find((l) => l.includes('changes.horizonDays'));
    expect(horizonEn).toMatch(/Too small: expected number to be >=1/);
    expect(horizonFr).toMatch(/^configs\/alice\.yml: changes\.horizonDays: Trop petit : .*1/);
    expect(fr).toHaveLength(en.length);
  });

  it('says a missing key, an unset variable and an empty file in French', async () => {
    const missing = await errorOf('moncampus:\n  password: p\n');
    expect(missing.message).toBe('configs/alice.yml: moncampus.username: required');
    expect(missing.localized('fr')).toBe('configs/alice.yml: moncampus.username: obligatoire');
    const unset = await errorOf('moncampus:\n  username: u\n  password: ${NOT_SET_ANYWHERE}\n');
    expect(unset.message).toBe('configs/alice.yml: moncampus.password: environment variable NOT_SET_ANYWHERE is not set');
    expect(unset.localized('fr')).toBe('configs/alice.yml: moncampus.password: la variable d’environnement NOT_SET_ANYWHERE n’est pas définie');
    const empty = await errorOf('# nothing yet\n');
    expect(empty.localized('fr')).toBe('configs/alice.yml: le fichier est vide');
    expect(empty.localized('en')).toBe('configs/alice.yml: the file is empty');
  });

  it('quotes a value that looks like a catalogue reference as it is', async () => {
    const err = await errorOf('timezone: "$t(configErrors.required) {{count}}"\nmoncampus:\n  username: u\n  password: p\n');
    expect(err.localized('fr')).toBe(
      'configs/alice.yml: timezone: attendu : un fuseau horaire IANA comme "Europe/Paris", trouvé : "$t(configErrors.required) {{count}}"',
    );
  });

  it('counts the problems past the first 20 in French too', () => {
    const issues = Array.from({ length: 23 }, (_, i) => ({ path: [`k${i}`], message: 'unknown key' }));
    const err = configErrorFrom('configs/a.yml', issues);
    expect(err.localized('fr').split('\n').at(-1)).toBe('configs/a.yml: … et 3 autres problèmes');
    expect(err.message.split('\n').at(-1)).toBe('configs/a.yml: … and 3 more problems');
  });
});
