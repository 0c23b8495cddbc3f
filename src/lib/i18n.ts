import i18next, { type TFunction } from 'i18next';
import { DateTime } from 'luxon';
import { en } from './locales/en.js';
import { fr } from './locales/fr.js';

/** The languages of alerts, calendar text and pages: French first (the users are French students), English too. */
export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'fr';

export const CATALOGUES: Record<Locale, object> = { fr, en };

/** One i18next instance for the process, its catalogues inline (nothing to load, so it is ready at once). */
const i18n = i18next.createInstance();
void i18n.init({
  resources: { fr: { translation: fr }, en: { translation: en } },
  lng: DEFAULT_LOCALE,
  fallbackLng: 'en',
  initAsync: false,
  // Messages go to Discord, Slack, email and calendars, never into HTML as they are: each renderer escapes.
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** `t` for one locale (plurals by `count`, as i18next does them with Intl.PluralRules). */
export function translator(locale: Locale): TFunction {
  return i18n.getFixedT(locale);
}

/** The BCP 47 tag Intl and luxon format with: France's French, and British English for its 24 h clock and day-month order. */
export const INTL_LOCALE: Record<Locale, string> = { fr: 'fr-FR', en: 'en-GB' };

export const isLocale = (value: unknown): value is Locale => typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/**
 * A time as people read it in `locale`, in the instance's zone, never an ISO string: "mar. 8 déc. 09:00" /
 * "Tue 8 Dec 09:00" (24 h in both: the French-friendly format of DESIGN.md).
 */
export function formatWhen(iso: string, zone: string, locale: Locale): string {
  const dt = DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale(INTL_LOCALE[locale]);
  return dt.toFormat('ccc d LLL HH:mm');
}

/** Only the time of day, for the end of a move on the same day ("09:00 → 11:00"). */
export function formatTime(iso: string, zone: string, locale: Locale): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale(INTL_LOCALE[locale]).toFormat('HH:mm');
}
