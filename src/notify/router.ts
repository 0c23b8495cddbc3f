import { DateTime } from 'luxon';
import { ALERT_KINDS, severityRank, type Alert, type AlertKind, type Severity } from './message.js';
import type { QuietHours } from '../config/index.js';

/** Routine success is noise on a phone: 'sync.done' only goes where it is asked for. */
export const DEFAULT_EVENTS: readonly AlertKind[] = ALERT_KINDS.filter((k) => k !== 'sync.done');

/** What decides whether a channel gets an alert; every field optional, as in the config. */
export interface Route {
  events?: readonly AlertKind[];
  minSeverity?: Severity;
}

/**
 * Whether a channel with this route gets the alert. A 'test' alert (the `test` command) goes to every
 * channel whatever its filters: its purpose is to prove each one works.
 */
export function wantsAlert(route: Route, alert: Pick<Alert, 'kind' | 'severity'>): boolean {
  if (alert.kind === 'test') return true;
  if (!(route.events ?? DEFAULT_EVENTS).includes(alert.kind)) return false;
  if (route.minSeverity !== undefined && severityRank(alert.severity) < severityRank(route.minSeverity)) return false;
  return true;
}

/** The channels (in their order) that get the alert. */
export function routeAlert<C extends Route>(alert: Pick<Alert, 'kind' | 'severity'>, channels: readonly C[]): C[] {
  return channels.filter((c) => wantsAlert(c, alert));
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/**
 * Whether `at` falls in the quiet period, evaluated on the wall clock of the period's time zone
 * (or `defaultZone`). `from` > `to` spans midnight (22:00–07:00). `from` inclusive, `to` exclusive.
 */
export function inQuietHours(quiet: QuietHours | undefined, at: Date, defaultZone = 'UTC'): boolean {
  if (!quiet) return false;
  const local = DateTime.fromJSDate(at, { zone: quiet.timezone ?? defaultZone });
  const now = local.hour * 60 + local.minute;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return from < to ? now >= from && now < to : now >= from || now < to;
}

/**
 * Critical alerts go through quiet hours: a refused login stops every sync until someone acts, and
 * holding it for a night is exactly the lost alert users complain about. Everything else is held.
 */
export function holdsDuringQuietHours(alert: Pick<Alert, 'severity'>): boolean {
  return alert.severity !== 'critical';
}
