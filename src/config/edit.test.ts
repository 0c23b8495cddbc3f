import { describe, expect, it } from 'vitest';
import { issueIn } from './issues.js';
import { parse } from 'yaml';
import { applyConfigChanges, contentHash, hasValue, literalText, restoreCommentIndent } from './edit.js';

const HAND_WRITTEN = `# Alice's timetable — written by hand
timezone: Europe/Paris # her school is in Paris
schedule: "46 6-18 * * *"

moncampus:
  # the C&D host
  url: https://ws-edt-cd.wigorservices.net
  username: alice
  password: \${ALICE_PASSWORD}
ecal:
  apiKeyFile: secrets/alice-key # docker secret
  apiSecret: s3cret
  calendarId: 0123456789abcdef01234567
`;

function ok(r: ReturnType<typeof applyConfigChanges>): { text: string; secretFiles: { path: string; value: string }[] } {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.issues)}`);
  return r;
}

describe('applyConfigChanges', () => {
  it('keeps comments and key order of a hand-written file when a value changes', () => {
    const { text } = ok(applyConfigChanges(HAND_WRITTEN, [{ op: 'set', path: ['moncampus', 'username'], value: 'alice.martin' }]));
    expect(text).toBe(HAND_WRITTEN.replace('username: alice\n', 'username: alice.martin\n'));
  });

  it('keeps the text of aligned comments (the yaml package writes one space before them)', () => {
    const aligned = 'moncampus:\n  username: a     # login\n  password: b\n';
    const { text } = ok(applyConfigChanges(aligned, [{ op: 'set', path: ['moncampus', 'username'], value: 'b' }]));
    expect(text).toBe('moncampus:\n  username: b # login\n  password: b\n');
    // A plain scalar given digits or YAML words stays text.
    const { text: t2 } = ok(
      applyConfigChanges(aligned, [
        { op: 'set', path: ['moncampus', 'username'], value: '0123' },
        { op: 'secret', path: ['moncampus', 'password'], value: 'true' },
      ]),
    );
    expect(parse(t2)).toEqual({ moncampus: { username: '0123', password: 'true' } });
    expect(t2).toContain('# login');
  });

  it('adds new keys at the end of their section and new sections at the end, comments untouched', () => {
    const { text } = ok(
      applyConfigChanges(HAND_WRITTEN, [
        { op: 'set', path: ['ics', 'enabled'], value: false },
        { op: 'set', path: ['ecal', 'alert'], value: '30M' },
        { op: 'set', path: ['locale'], value: 'en' },
      ]),
    );
    expect(text).toContain("# Alice's timetable — written by hand");
    expect(text).toContain('timezone: Europe/Paris # her school is in Paris');
    expect(text).toContain('  apiKeyFile: secrets/alice-key # docker secret');
    expect(text.indexOf('calendarId')).toBeLessThan(text.indexOf('alert: 30M'));
    expect(text.trimEnd().endsWith('locale: en')).toBe(true);
    expect(Object.keys(parse(text) as object)).toEqual(['timezone', 'schedule', 'moncampus', 'ecal', 'ics', 'locale']);
  });

  it('removes a section and the maps it leaves empty', () => {
    const { text } = ok(applyConfigChanges(HAND_WRITTEN, [{ op: 'remove', path: ['ecal'] }]));
    expect(parse(text)).not.toHaveProperty('ecal');
    const { text: t2 } = ok(
      applyConfigChanges('moncampus:\n  username: a\n  password: b\nchanges:\n  digest: "20:00"\n', [{ op: 'remove', path: ['changes', 'digest'] }]),
    );
    expect(parse(t2)).toEqual({ moncampus: { username: 'a', password: 'b' } });
  });

  it('writes typed text literally: `${` escaped, digits kept as text', () => {
    const { text } = ok(
      applyConfigChanges(undefined, [
        { op: 'set', path: ['moncampus', 'username'], value: '0123' },
        { op: 'secret', path: ['moncampus', 'password'], value: 'pa${HOME}ss: #x' },
      ]),
    );
    const data = parse(text) as { moncampus: { username: unknown; password: unknown } };
    expect(data.moncampus.username).toBe('0123');
    expect(data.moncampus.password).toBe('pa$${HOME}ss: #x');
    expect(text.startsWith('# Written by campus-sync')).toBe(true);
  });

  it('puts a new secret where the file keeps it: its secrets file, or inline', () => {
    const r = ok(
      applyConfigChanges(HAND_WRITTEN, [
        { op: 'secret', path: ['ecal', 'apiKey'], value: 'new-key' },
        { op: 'secret', path: ['ecal', 'apiSecret'], value: 'new-secret' },
      ]),
    );
    expect(r.secretFiles).toEqual([{ path: 'secrets/alice-key', value: 'new-key' }]);
    expect(r.text).not.toContain('new-key');
    expect(r.text).toContain('apiSecret: new-secret');
    expect(r.text).not.toMatch(/^\s*apiKey:/m);
  });

  it('refuses to replace a secret read from the environment, naming the variable and not the value', () => {
    const r = applyConfigChanges(HAND_WRITTEN, [{ op: 'secret', path: ['moncampus', 'password'], value: 'typed-pw' }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.path).toEqual(['moncampus', 'password']);
    expect(r.issues[0]?.message).toContain('ALICE_PASSWORD');
    expect(r.issues[0] && issueIn(r.issues[0], 'fr')).toBe(
      'vient de la variable d’environnement ALICE_PASSWORD : changez-la là où elle est définie (.env, compose, secrets), puis redémarrez',
    );
    expect(JSON.stringify(r.issues)).not.toContain('typed-pw');
  });

  it('refuses changes through a scalar and files that are not a mapping, applying nothing', () => {
    const r = applyConfigChanges('moncampus: just-text\n', [{ op: 'set', path: ['moncampus', 'url'], value: 'https://x' }]);
    expect(r.ok).toBe(false);
    expect(applyConfigChanges('- a\n- b\n', [{ op: 'set', path: ['locale'], value: 'fr' }]).ok).toBe(false);
    expect(applyConfigChanges('a: [\n', [{ op: 'set', path: ['locale'], value: 'fr' }]).ok).toBe(false);
  });

  it('sets lists of notification URLs and objects', () => {
    const { text } = ok(applyConfigChanges(HAND_WRITTEN, [{ op: 'set', path: ['notify'], value: ['ntfy://ntfy.sh/alice-topic'] }]));
    expect((parse(text) as { notify: unknown }).notify).toEqual(['ntfy://ntfy.sh/alice-topic']);
  });
});

describe('restoreCommentIndent', () => {
  it('gives a top-level comment after a nested section its place back, and only comment lines move', () => {
    const original = 'a:\n  b: 1\n  # inner\n\n# about c\nc: 2\n';
    const { text } = ok(applyConfigChanges(original, [{ op: 'set', path: ['c'], value: 3 }]));
    expect(text).toBe('a:\n  b: 1\n  # inner\n\n# about c\nc: 3\n');
    expect(restoreCommentIndent('# x\n  # x\n', '    # x\n')).toBe('    # x\n');
  });
});

describe('helpers', () => {
  it('hashes content stably and tells set keys from empty ones', () => {
    expect(contentHash('a')).toBe(contentHash(Buffer.from('a')));
    expect(contentHash('a')).not.toBe(contentHash('a\n'));
    expect(hasValue(HAND_WRITTEN, ['ecal', 'apiSecret'])).toBe(true);
    expect(hasValue(HAND_WRITTEN, ['ecal', 'apiKey'])).toBe(false);
    expect(hasValue('a:\n  b: ""\n', ['a', 'b'])).toBe(false);
    expect(literalText('${X}$${Y}')).toBe('$${X}$$${Y}');
    // An unclosed `${` is literal to the loader already: escaping it would change a typed password.
    expect(literalText('pa${ss')).toBe('pa${ss');
    expect(literalText('pa${a${b}')).toBe('pa$${a${b}');
  });
});
