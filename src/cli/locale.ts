import type { Locale } from '../lib/index.js';

/**
 * The language of the CLI's human output, as POSIX picks a message locale: `LC_ALL`, else `LC_MESSAGES`, else
 * `LANG`; `fr` / `fr_FR.UTF-8` / `fr_CA` … → French, anything else (C, POSIX, en_*, unset) → English. JSON output
 * and exit codes never change with it.
 */
export function cliLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^fr(?:[_.@-]|$)/i.test(value) ? 'fr' : 'en';
}

/** The language of a verb's messages: English under `--json` (scripts read it), else `cliLocale()`. */
export const outputLocale = (json: boolean, env: NodeJS.ProcessEnv = process.env): Locale => (json ? 'en' : cliLocale(env));
