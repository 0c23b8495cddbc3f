import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { configErrorFrom, describeValue, dottedPath, editDistance, fromZodIssues } from './issues.js';
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
    expect(issues).toContainEqual({ path: ['moncampus', 'pasword'], message: 'unknown key (did you mean password?)' });
    expect(issues).toContainEqual({ path: ['zzz'], message: 'unknown key' });
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
