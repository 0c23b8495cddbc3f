import { z } from 'zod';
import { LOCALES, localText, renderText, type Locale, type LocalText, type TextParam } from '../lib/index.js';

/**
 * The schemas' own messages by their English wording: zod keeps only the message string of an issue, so a text
 * fixed when a schema is built is found again from it. Bounded: only module-level schema texts are put here (a
 * refinement that names a value from the file carries its text in the issue's params instead, see customIssue).
 */
const BY_ENGLISH = new Map<string, LocalText>();

/** A schema's message (`error:` of a check): the English text zod keeps, remembered with its key. */
export function schemaMessage(key: string, params?: Record<string, TextParam>): string {
  const text = localText(`configErrors.${key}`, params);
  const english = renderText(text, 'en');
  BY_ENGLISH.set(english, text);
  return english;
}

/** An issue for `ctx.addIssue` in a refinement: the English message, and its text in the params zod passes along. */
export function customIssue(
  path: PropertyKey[],
  key: string,
  params?: Record<string, TextParam>,
): { code: 'custom'; path: PropertyKey[]; message: string; params: { text: LocalText } } {
  const text = localText(`configErrors.${key}`, params);
  return { code: 'custom', path, message: renderText(text, 'en'), params: { text } };
}

/** Zod's English (its default `en` locale): for knowing that a message is zod's own and not ours. */
const ZOD_EN = z.locales.en().localeError;
/** Zod's French locale, for the checks that keep zod's default message (an integer bound without a text of ours). */
const ZOD_FR = z.locales.fr().localeError;

/** A zod issue's message for people, in any language: ours from the catalogues, zod's own from its locales. */
export function textOfZodIssue(issue: z.core.$ZodIssue): LocalText {
  const carried = issue.code === 'custom' ? (issue.params as { text?: LocalText } | undefined)?.text : undefined;
  if (carried !== undefined) return carried;
  const known = BY_ENGLISH.get(issue.message);
  if (known !== undefined) return known;
  const asZod = (map: typeof ZOD_EN): string | undefined => {
    const said = map(issue as never);
    return typeof said === 'string' ? said : said?.message;
  };
  if (asZod(ZOD_EN) === issue.message) return { byLocale: { en: issue.message, fr: asZod(ZOD_FR) ?? issue.message } };
  return { byLocale: { en: issue.message, fr: issue.message } };
}

/** Several issues on one line (`key: problem; key: problem`), as a channel written as a URL reports them at its index. */
export function joinedIssues(issues: readonly z.core.$ZodIssue[]): LocalText {
  const say = (locale: Locale): string => issues.map((i) => `${i.path.join('.')}: ${renderText(textOfZodIssue(i), locale)}`).join('; ');
  return { byLocale: Object.fromEntries(LOCALES.map((l) => [l, say(l)])) as Record<Locale, string> };
}

/**
 * Warnings by their English wording, as `validate` shows them to a person in another language. A config's warnings
 * name values from it (a watcher's name): the map keeps the newest MAX_WARNINGS_REMEMBERED, so a supervisor that
 * reloads edited configs for months does not grow with each wording it has seen.
 */
const WARNINGS = new Map<string, LocalText>();
/** Far more than the warnings of every config of a household at once (a handful each). */
const MAX_WARNINGS_REMEMBERED = 500;

/** A config warning: its English text (InstanceConfig.warnings stays a list of strings), remembered with its key. */
export function configWarning(key: string, params?: Record<string, TextParam>): string {
  const text = localText(`configErrors.warning.${key}`, params);
  const english = renderText(text, 'en');
  WARNINGS.delete(english);
  WARNINGS.set(english, text);
  if (WARNINGS.size > MAX_WARNINGS_REMEMBERED) WARNINGS.delete(WARNINGS.keys().next().value as string);
  return english;
}

/** A warning in `locale`: its text when it was worded by configWarning, else as it is. */
export const warningIn = (warning: string, locale: Locale): string => {
  const text = WARNINGS.get(warning);
  return text === undefined ? warning : renderText(text, locale);
};
