import { listConfigFiles, loadConfigFile } from '../config/index.js';
import { parseErrorLine } from '../instance/index.js';
import { DateTime } from 'luxon';
import { describeErrorIn, formatWhen, INTL_LOCALE, translator, type Locale } from '../lib/index.js';

/**
 * How the CLI's human output shows times and states to a person: in the config's time zone (the host's for
 * what belongs to no config, such as the supervisor's heartbeat), as `mar. 8 déc. 09:00` / `Tue 8 Dec 09:00`,
 * never an ISO string with `Z`. `--json` keeps the ISO strings.
 */
export const hostZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The day and time as formatWhen shows them, to the second: log lines a second apart stay apart. */
const WITH_SECONDS = 'ccc d LLL HH:mm:ss';

export function personTime(iso: string, zone: string, locale: Locale, opts: { seconds?: boolean } = {}): string {
  const shown = opts.seconds
    ? DateTime.fromISO(iso, { setZone: true }).setZone(zone).setLocale(INTL_LOCALE[locale]).toFormat(WITH_SECONDS)
    : formatWhen(iso, zone, locale);
  // A value luxon cannot read is shown as it is rather than as "Invalid DateTime".
  return shown.includes('Invalid') ? iso : shown;
}

/**
 * A state or outcome word: English keeps the words scripts and the docs know (`running`, `success`); French
 * takes the dashboard's (`en marche`, `réussie`).
 */
export function stateWord(group: 'state' | 'outcome', value: string, locale: Locale): string {
  return locale === 'en' ? value : translator(locale)(`dashboard.${group}.${value}`, { defaultValue: value });
}

/** Each config's time zone by name (configs that cannot be loaded are left out: their times use the host's). */
export async function configZones(dir: string): Promise<Map<string, string>> {
  const zones = new Map<string, string>();
  for (const { name, file } of await listConfigFiles(dir)) {
    try {
      zones.set(name, (await loadConfigFile(file)).timezone);
    } catch {
      // An invalid config is reported by the verb itself.
    }
  }
  return zones;
}

/** Why each config that cannot be loaded cannot be, in `locale` (the supervisor's status.json says it in English). */
export async function configErrorsIn(dir: string, locale: Locale): Promise<Map<string, string>> {
  const said = new Map<string, string>();
  for (const { name, file } of await listConfigFiles(dir)) {
    if (said.has(name)) continue;
    try {
      await loadConfigFile(file);
    } catch (err) {
      said.set(name, describeErrorIn(err, locale));
    }
  }
  return said;
}

/** An errors.log line for a person: its time on the config's clock, then phase, code and sentence as written. */
export function humanErrorLine(line: string, zone: string, locale: Locale): string {
  const e = parseErrorLine(line);
  if (e.at === null) return line;
  return `${personTime(e.at, zone, locale)} ${e.phase ?? ''} ${e.code ? `[${e.code}] ` : ''}${e.message}`;
}
