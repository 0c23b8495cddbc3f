import { describe, expect, it } from 'vitest';
import { cliLocale } from './locale.js';

describe('cliLocale', () => {
  it('follows LC_ALL, then LC_MESSAGES, then LANG; fr_* is French, the rest English', () => {
    expect(cliLocale({ LANG: 'fr_FR.UTF-8' })).toBe('fr');
    expect(cliLocale({ LANG: 'fr' })).toBe('fr');
    expect(cliLocale({ LANG: 'fr_CA' })).toBe('fr');
    expect(cliLocale({ LANG: 'C.UTF-8' })).toBe('en');
    expect(cliLocale({})).toBe('en');
    expect(cliLocale({ LANG: 'fr_FR.UTF-8', LC_ALL: 'en_GB.UTF-8' })).toBe('en');
    expect(cliLocale({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'fr_BE.UTF-8' })).toBe('fr');
    expect(cliLocale({ LANG: 'frisian' })).toBe('en');
  });
});
