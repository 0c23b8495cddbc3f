import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_LOCALE, isLocale, LOCALES, translator, type Locale } from '../lib/index.js';
import { esc } from './dashboard/html.js';

/**
 * The language of a page (dashboard, booking): the visitor's choice on the page's switch (`?lang=`, then kept in a
 * cookie), else the browser's `Accept-Language`, else French (the users are French students).
 */
export const LANG_COOKIE = 'campus_sync_lang';
/** A year: a language chosen once on the switch is not asked again. */
const LANG_COOKIE_MAX_AGE_S = 365 * 86_400;

/** The first language of `Accept-Language` (by q, then order) that we speak, or null. */
export function fromAcceptLanguage(header: string | undefined): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((x) => x.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const r of ranked) if (isLocale(r.lang)) return r.lang;
  return null;
}

function cookieLang(headers: IncomingHttpHeaders): Locale | null {
  const raw = typeof headers.cookie === 'string' ? headers.cookie : '';
  for (const part of raw.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === LANG_COOKIE && isLocale(v)) return v;
  }
  return null;
}

export interface PageLocale {
  locale: Locale;
  /** Set when the visitor chose on the switch: the cookie that keeps the choice. */
  setCookie?: string;
}

/** The page's language for this request (see LANG_COOKIE). */
export function pageLocale(headers: IncomingHttpHeaders, query?: URLSearchParams): PageLocale {
  const asked = query?.get('lang');
  if (isLocale(asked)) return { locale: asked, setCookie: `${LANG_COOKIE}=${asked}; Path=/; Max-Age=${LANG_COOKIE_MAX_AGE_S}; SameSite=Lax` };
  const accept = headers['accept-language'];
  return { locale: cookieLang(headers) ?? fromAcceptLanguage(typeof accept === 'string' ? accept : undefined) ?? DEFAULT_LOCALE };
}

/** The other languages, for the page's switch. */
export const otherLocales = (locale: Locale): Locale[] => LOCALES.filter((l) => l !== locale);

/**
 * The switch every page (dashboard, login, booking) shows: a link per other language, each named in itself
 * ("English" on a French page, "Français" on an English one); following it sets the cookie (pageLocale).
 */
export function languageSwitch(locale: Locale, path: string): string {
  const links = otherLocales(locale).map(
    (l) => `<a href="${esc(path)}?lang=${l}" lang="${l}" hreflang="${l}" class="lang-link">${esc(translator(l)('page.name'))}</a>`,
  );
  return `<nav class="lang" aria-label="${esc(translator(locale)('page.language'))}">${links.join(' ')}</nav>`;
}

/** The headers that keep a choice made on the switch (none when the visitor did not use it). */
export const langCookieHeaders = (chosen: PageLocale): Record<string, string> => (chosen.setCookie ? { 'set-cookie': chosen.setCookie } : {});
