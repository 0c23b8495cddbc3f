import { describe, expect, it } from 'vitest';
import { applyConfigChanges, SCHOOL_GROUPS } from '../../config/index.js';
import { bodyForChecks, editChanges, prefillFrom } from './prefill.js';

const FILE = [
  '# Alice, by hand',
  'timezone: Europe/Paris',
  'locale: en',
  'moncampus:',
  `  url: ${SCHOOL_GROUPS.cd.url} # the C&D host`,
  '  username: alice',
  '  password: "inline-S3cret-pass"',
  'ecal:',
  '  apiKey: ${ALICE_ECAL_KEY}',
  '  apiSecretFile: secrets/alice-ecal',
  '  calendarId: 0123456789abcdef01234567',
  'ics:',
  '  enabled: false',
  'changes:',
  '  horizonDays: 10',
  'notify:',
  '  - discord://1234567890/webhook-token-abcdefghijkl',
  '',
].join('\n');

const prefill = () => {
  const r = prefillFrom(FILE);
  if (!r.ok) throw new Error(r.reason);
  return r.prefill;
};

describe('prefillFrom', () => {
  it('gives the visible values and only whether each secret is set, never a secret', () => {
    const p = prefill();
    expect(p.values).toEqual({ school: 'cd', username: 'alice', ecalCalendarId: '0123456789abcdef01234567', ics: false, changesDays: 10, locale: 'en' });
    expect(p.set).toEqual({ password: true, ecalApiKey: true, ecalApiSecret: true, notify: true });
    const shown = JSON.stringify(p);
    for (const secret of ['inline-S3cret-pass', 'ALICE_ECAL_KEY', 'secrets/alice-ecal', 'webhook-token', 'discord://']) expect(shown).not.toContain(secret);
  });

  it('reads an unknown host as "other" with its URL, and refuses what the form cannot edit', () => {
    const r = prefillFrom('moncampus:\n  url: https://edt.example.org\n  username: bob\n  password: x\n');
    expect(r.ok && r.prefill.values).toMatchObject({ school: 'other', moncampusUrl: 'https://edt.example.org', ics: true, locale: 'fr' });
    expect(r.ok && r.prefill.set).toEqual({ password: true, ecalApiKey: false, ecalApiSecret: false, notify: false });
    expect(prefillFrom('moncampus_username: bob\nmoncampus_password: x\n')).toEqual({ ok: false, reason: 'legacy' });
    expect(prefillFrom('- a list\n')).toEqual({ ok: false, reason: 'notMapping' });
    expect(prefillFrom('a: [unclosed\n')).toEqual({ ok: false, reason: 'yaml' });
  });
});

describe('editChanges', () => {
  const same = { school: 'cd' as const, username: 'alice', ecalCalendarId: '0123456789abcdef01234567', ics: false, changesDays: 10, locale: 'en' as const };

  it('changes nothing when nothing was changed: every secret keeps its form', () => {
    expect(editChanges(prefill(), same, SCHOOL_GROUPS.cd.url)).toEqual([]);
  });

  it('writes only what changed, a secret only when typed, where the file keeps it; comments and order survive', () => {
    const changes = editChanges(
      prefill(),
      { ...same, ics: true, changesDays: undefined, password: 'New-pass-42', ecalApiSecret: ' sec ' },
      SCHOOL_GROUPS.cd.url,
    );
    expect(changes).toEqual([
      { op: 'secret', path: ['moncampus', 'password'], value: 'New-pass-42' },
      { op: 'secret', path: ['ecal', 'apiSecret'], value: 'sec' },
      { op: 'set', path: ['ics', 'enabled'], value: true },
      { op: 'remove', path: ['changes', 'horizonDays'] },
    ]);
    const edited = applyConfigChanges(FILE, changes);
    if (!edited.ok) throw new Error(JSON.stringify(edited.issues));
    expect(edited.secretFiles).toEqual([{ path: 'secrets/alice-ecal', value: 'sec' }]);
    expect(edited.text).toContain('# Alice, by hand');
    expect(edited.text).toContain('# the C&D host');
    expect(edited.text).toContain('apiKey: ${ALICE_ECAL_KEY}');
    expect(edited.text).toContain('password: "New-pass-42"');
    expect(edited.text).not.toContain('changes:');
    const keys = edited.text
      .split('\n')
      .filter((l) => /^[a-z]+:/.test(l))
      .map((l) => l.split(':')[0]);
    expect(keys).toEqual(['timezone', 'locale', 'moncampus', 'ecal', 'ics', 'notify']);
  });

  it('moves to the default host by removing the url, and replaces the channels only with a typed link', () => {
    const changes = editChanges(prefill(), { ...same, school: 'igensia', notify: 'ntfys://ntfy.sh/alice' }, SCHOOL_GROUPS.igensia.url);
    expect(changes).toEqual([
      { op: 'remove', path: ['moncampus', 'url'] },
      { op: 'set', path: ['notify'], value: ['ntfys://ntfy.sh/alice'] },
    ]);
  });

  it('counts a secret already set as given for Save’s checks, and a missing one as missing', () => {
    const p = prefill();
    expect(bodyForChecks(same, 'alice', p)).toMatchObject({ name: 'alice', password: 'kept', ecalApiKey: 'kept', ecalApiSecret: 'kept' });
    const none = prefillFrom('moncampus:\n  username: bob\n');
    if (!none.ok) throw new Error('prefill');
    expect(bodyForChecks({ username: 'bob' }, 'bob', none.prefill).password).toBeUndefined();
  });
});
