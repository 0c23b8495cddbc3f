import { describe, expect, it } from 'vitest';
import { applyConfigChanges, parseConfig, SCHOOL_GROUPS } from '../../config/index.js';
import { configChanges, ecalErrors, formBodySchema, freeName, moncampusErrors, nameFromUsername, saveErrors, timetableUrl } from './form.js';

const CAL = '0123456789abcdef01234567';

describe('the guided form, pure', () => {
  it('derives an invitee’s name from their login, and never a taken one', () => {
    expect(nameFromUsername('Alice.Martin')).toBe('alice-martin');
    expect(nameFromUsername('élodie.dupré@ecole.fr')).toBe('elodie-dupre');
    expect(nameFromUsername('...')).toBe('');
    const taken = new Set(['alice-martin', 'alice-martin-2']);
    expect(freeName('alice-martin', (n) => taken.has(n))).toBe('alice-martin-3');
    expect(freeName('bob', (n) => taken.has(n))).toBe('bob');
  });

  it('says what is missing beside each field, in the reader’s language', () => {
    expect(moncampusErrors({}, 'owner', 'en')).toEqual({ username: 'Required.', password: 'Required.' });
    expect(moncampusErrors({ school: 'other', username: 'a', password: 'b' }, 'owner', 'fr')).toEqual({ moncampusUrl: 'À remplir.' });
    expect(moncampusErrors({ school: 'other', moncampusUrl: 'ftp://x', username: 'a', password: 'b' }, 'owner', 'en')).toEqual({
      moncampusUrl: 'An http(s)://… address is expected.',
    });
    // An invitee cannot name a server: "other" is the owner's.
    expect(moncampusErrors({ school: 'other', moncampusUrl: 'https://evil.example', username: 'a', password: 'b' }, 'invitee', 'en').school).toMatch(
      /only choose one of the listed schools/,
    );
    expect(ecalErrors({}, false, 'en')).toEqual({ ecalApiKey: 'Required.', ecalApiSecret: 'Required.' });
    // ECAL is optional at Save, but started means finished.
    expect(ecalErrors({}, true, 'en')).toEqual({});
    expect(ecalErrors({ ecalApiKey: 'k', ecalApiSecret: 's' }, true, 'en')).toEqual({ ecalCalendarId: 'Check the keys, then pick a schedule.' });
    expect(ecalErrors({ ecalApiKey: 'k', ecalApiSecret: 's', ecalCalendarId: 'nope' }, true, 'en').ecalCalendarId).toMatch(/24 hexadecimal/);
    const save = saveErrors({ name: 'Bad Name', username: 'a', password: 'b', changesDays: 61, digest: '25:00' }, 'owner', 'en');
    expect(Object.keys(save).sort()).toEqual(['changesDays', 'digest', 'name']);
    expect(saveErrors({ username: 'a', password: 'b' }, 'invitee', 'en')).toEqual({});
  });

  it('chooses the timetable host: the school’s (or the owner’s override), `other`’s URL', () => {
    const def = (s: keyof typeof SCHOOL_GROUPS) => SCHOOL_GROUPS[s].url;
    expect(timetableUrl({ school: 'cd' }, def)).toBe(SCHOOL_GROUPS.cd.url);
    expect(timetableUrl({}, def)).toBe(SCHOOL_GROUPS.igensia.url);
    expect(timetableUrl({ school: 'other', moncampusUrl: ' https://edt.example ' }, def)).toBe('https://edt.example');
    // A typed URL is returned as typed: the check's host policy is what refuses it for an invitee.
    expect(timetableUrl({ school: 'igensia', moncampusUrl: 'http://10.0.0.1' }, def)).toBe('http://10.0.0.1');
  });

  it('makes a config `validate` accepts, secrets inline and `${` kept literal', async () => {
    const body = formBodySchema.parse({
      username: 'alice.martin',
      password: 'pa${ss${HOME}',
      school: 'cd',
      ecalApiKey: 'key',
      ecalApiSecret: 'secret',
      ecalCalendarId: CAL.toUpperCase(),
      ics: true,
      notify: 'ntfys://alice-edt',
      changesDays: 5,
      digest: '20:00',
      locale: 'en',
    });
    const edited = applyConfigChanges(undefined, configChanges(body, 'invitee', SCHOOL_GROUPS.cd.url));
    expect(edited.ok).toBe(true);
    if (!edited.ok) return;
    const config = await parseConfig(edited.text, { file: '/tmp/configs/alice-martin.yml', env: {} });
    expect(config.moncampus?.url).toBe(SCHOOL_GROUPS.cd.url);
    expect(config.moncampus?.password).toBe('pa${ss${HOME}');
    expect(config.ecal?.calendarId).toBe(CAL);
    expect(config.locale).toBe('en');
    expect(config.notify).toHaveLength(1);
    expect(config.changes).toMatchObject({ horizonDays: 5, digest: '20:00' });
    // No ECAL keys: no ECAL section (the ICS feed alone).
    const plain = applyConfigChanges(undefined, configChanges({ username: 'a', password: 'b', ics: false }, 'owner', SCHOOL_GROUPS.igensia.url));
    expect(plain.ok && plain.text).not.toMatch(/ecal:|url:/);
    expect(plain.ok && plain.text).toMatch(/enabled: false/);
  });

  it('refuses bodies of another shape or size before anything reads them', () => {
    expect(formBodySchema.safeParse({ school: 'elsewhere' }).success).toBe(false);
    expect(formBodySchema.safeParse({ password: 'x'.repeat(501) }).success).toBe(false);
    expect(formBodySchema.safeParse({ invite: 'x'.repeat(65) }).success).toBe(false);
  });
});
