import { describe, expect, it } from 'vitest';
import { CATALOGUES, formatWhen, LOCALES, translator } from './i18n.js';

/** Every key path of a catalogue, `changes.moved` style. */
const keysOf = (o: object, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keysOf(v, `${prefix}${k}.`) : [`${prefix}${k}`]));

describe('catalogues', () => {
  it('have the same keys in every language (CI fails on a missing translation)', () => {
    const fr = keysOf(CATALOGUES.fr).sort();
    for (const locale of LOCALES) expect(keysOf(CATALOGUES[locale]).sort(), locale).toEqual(fr);
    expect(fr.length).toBeGreaterThan(5);
  });

  it('have no empty message and the same {{placeholders}} in every language', () => {
    const flat = (o: object): Record<string, string> =>
      Object.fromEntries(keysOf(o).map((k) => [k, k.split('.').reduce<unknown>((v, p) => (v as Record<string, unknown>)[p], o) as string]));
    const fr = flat(CATALOGUES.fr);
    for (const locale of LOCALES) {
      for (const [k, text] of Object.entries(flat(CATALOGUES[locale]))) {
        expect(text.trim(), `${locale} ${k}`).not.toBe('');
        const vars = (s: string) => (s.match(/\{\{\w+\}\}/g) ?? []).sort();
        expect(vars(text), `${locale} ${k}`).toEqual(vars(fr[k] as string));
      }
    }
  });
});

describe('translator', () => {
  it('speaks French by default rules and plurals, English on request', () => {
    expect(translator('fr')('changes.title', { instance: 'alice', count: 1 })).toBe('alice : un cours change');
    expect(translator('fr')('changes.title', { instance: 'alice', count: 3 })).toBe('alice : 3 cours changent');
    expect(translator('en')('changes.title', { instance: 'alice', count: 3 })).toBe('alice: 3 classes change');
  });
});

describe('formatWhen', () => {
  it('shows local wall-clock time in the instance zone, 24 h, never an ISO Z', () => {
    expect(formatWhen('2026-12-08T08:00:00Z', 'Europe/Paris', 'fr')).toBe('mar. 8 déc. 09:00');
    expect(formatWhen('2026-12-08T08:00:00Z', 'Europe/Paris', 'en')).toBe('Tue 8 Dec 09:00');
  });
});
