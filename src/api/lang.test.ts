import { describe, expect, it } from 'vitest';
import { fromAcceptLanguage, LANG_COOKIE, pageLocale } from './lang.js';

describe('page language', () => {
  it('reads Accept-Language by weight and keeps the first we speak', () => {
    expect(fromAcceptLanguage('fr-FR,fr;q=0.9,en;q=0.8')).toBe('fr');
    expect(fromAcceptLanguage('en-GB,en;q=0.9,fr;q=0.5')).toBe('en');
    expect(fromAcceptLanguage('de-DE,de;q=0.9,en;q=0.7')).toBe('en');
    expect(fromAcceptLanguage('fr;q=0.2, en;q=0.8')).toBe('en');
    expect(fromAcceptLanguage('de, it')).toBeNull();
    expect(fromAcceptLanguage('en;q=0, fr')).toBe('fr');
    expect(fromAcceptLanguage(undefined)).toBeNull();
  });

  it('is French without a hint, follows the browser, and the switch (then its cookie) wins', () => {
    expect(pageLocale({})).toEqual({ locale: 'fr' });
    expect(pageLocale({ 'accept-language': 'de' })).toEqual({ locale: 'fr' });
    expect(pageLocale({ 'accept-language': 'en-US' })).toEqual({ locale: 'en' });
    const chosen = pageLocale({ 'accept-language': 'en-US' }, new URLSearchParams('lang=fr'));
    expect(chosen.locale).toBe('fr');
    expect(chosen.setCookie).toMatch(new RegExp(`^${LANG_COOKIE}=fr; Path=/;`));
    expect(pageLocale({ 'accept-language': 'en-US', cookie: `a=b; ${LANG_COOKIE}=fr` })).toEqual({ locale: 'fr' });
    // Anything else in ?lang= is ignored.
    expect(pageLocale({ 'accept-language': 'en' }, new URLSearchParams('lang=xx'))).toEqual({ locale: 'en' });
  });
});
