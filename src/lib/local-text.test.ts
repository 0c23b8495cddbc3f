import { describe, expect, it } from 'vitest';
import { ConfigError, describeErrorIn } from './errors.js';
import { localText, renderText, verbatim } from './local-text.js';

describe('renderText', () => {
  it('says a catalogue text in each language, nested texts in the same one', () => {
    const text = localText('configErrors.expectedGot', { expected: localText('configErrors.expected.array'), got: verbatim('"x"') });
    expect(renderText(text, 'fr')).toBe('attendu : une liste, trouvé : "x"');
    expect(renderText(text, 'en')).toBe('expected a list, got "x"');
  });
  it('keeps text written per language as it is', () => {
    expect(renderText({ byLocale: { fr: 'bonjour', en: 'hello' } }, 'fr')).toBe('bonjour');
    expect(renderText({ byLocale: { fr: 'bonjour', en: 'hello' } }, 'en')).toBe('hello');
  });
});

describe('describeErrorIn', () => {
  it('gives a config error in the asked language and any other error as it is', () => {
    const err = new ConfigError('a.yml: required', { localized: (l) => (l === 'fr' ? 'a.yml: obligatoire' : 'a.yml: required') });
    expect(describeErrorIn(err, 'fr')).toBe('a.yml: obligatoire');
    expect(describeErrorIn(err, 'en')).toBe('a.yml: required');
    expect(describeErrorIn(new ConfigError('plain'), 'fr')).toBe('plain');
    expect(describeErrorIn(new Error('boom'), 'fr')).toBe('boom');
  });
});
