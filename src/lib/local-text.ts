import { translator, type Locale } from './i18n.js';

/**
 * A text to be shown to a person in a language chosen later, where it is shown (the CLI's LANG, a config's
 * locale, a page's): a catalogue key and its parameters, a parameter being itself such a text when it needs
 * translating too ("expected {{what}}" with what = "a list"). `byLocale` holds text already written in each
 * language by someone else (zod's own messages).
 */
export type LocalText = { key: string; params?: Record<string, TextParam> } | { byLocale: Record<Locale, string> };
export type TextParam = string | number | LocalText;

export const localText = (key: string, params?: Record<string, TextParam>): LocalText => (params === undefined ? { key } : { key, params });

/** The same words in every language: a value quoted from the file, a name. */
export const verbatim = (text: string): LocalText => ({ byLocale: { fr: text, en: text } });

export function renderText(text: LocalText, locale: Locale): string {
  if ('byLocale' in text) return text.byLocale[locale];
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(text.params ?? {})) params[name] = typeof value === 'object' ? renderText(value, locale) : value;
  return translator(locale)(text.key, params);
}
