import { DateTime } from 'luxon';
import { mayContact, OWNER_POLICY, type HostPolicy } from '../config/index.js';
import { AuthError, makeRedactor, RemoteError, translator, TransientError, type Locale, type RetryOptions } from '../lib/index.js';
import { ActionNeededError } from './cas-login.js';
import { createMonCampusClient, DEFAULT_SCHOOL_TIMEZONE } from './client.js';
import { RefusedHostError } from './http.js';
import { normaliseCourses } from './normalise.js';

/**
 * The form's MonCampus **Check** (issue 23): a real login and fetch through the client the worker uses, answered
 * in the reader's language: "18 classes in the next 14 days, next: Droit des affaires, lundi 14 déc. 08:30", or
 * the exact reason (wrong password, MonCampus asks for an action, MonCampus unreachable). Nothing is stored.
 */

/** Two school weeks: enough to show the timetable is the right one, a light fetch for a Pi. */
export const CHECK_DAYS = 14;
/** A form waits for this answer: shorter than a sync's 30 s, and one retry instead of three. */
export const CHECK_TIMEOUT_MS = 15_000;
const CHECK_RETRY = { attempts: 2, baseDelayMs: 500, maxDelayMs: 1_000 } as const;

export type MonCampusCheckReason = 'wrong-password' | 'action-needed' | 'unreachable' | 'refused-host' | 'failed';

export type MonCampusCheckResult =
  | { ok: true; count: number; days: number; next?: { title: string; start: string }; message: string }
  | { ok: false; reason: MonCampusCheckReason; message: string };

export interface MonCampusCheckOptions {
  url: string;
  casUrl?: string | undefined;
  username: string;
  password: string;
  locale: Locale;
  /** The zone of the school's wall clock and of the answer's times (the config's timezone). */
  timezone?: string;
  /** Who asks: an invitee's check reaches only the hosts of the policy (config/invitee-hosts.ts). */
  policy?: HostPolicy;
  now?: Date;
  retry?: RetryOptions;
  timeoutMs?: number;
}

/** "lundi 14 déc. 08:30" / "Monday 14 Dec 08:30": the day in full, as the issue shows it. */
function when(iso: string, zone: string, locale: Locale): string {
  return DateTime.fromISO(iso, { setZone: true })
    .setZone(zone)
    .setLocale(locale === 'fr' ? 'fr-FR' : 'en-GB')
    .toFormat('cccc d LLL HH:mm');
}

export async function checkMonCampus(opts: MonCampusCheckOptions): Promise<MonCampusCheckResult> {
  const t = translator(opts.locale);
  const zone = opts.timezone ?? DEFAULT_SCHOOL_TIMEZONE;
  const policy = opts.policy ?? OWNER_POLICY;
  for (const url of [opts.url, ...(opts.casUrl ? [opts.casUrl] : [])]) {
    const verdict = mayContact(policy, url);
    if (!verdict.ok) return { ok: false, reason: 'refused-host', message: t(`checks.host.${verdict.reason}`, { host: verdict.host }) };
  }
  const host = new URL(opts.url).host;
  const redact = makeRedactor([opts.password]);
  const now = DateTime.fromJSDate(opts.now ?? new Date()).setZone(zone);
  const window = { from: now.toISO() ?? '', to: now.plus({ days: CHECK_DAYS }).toISO() ?? '' };
  try {
    const client = createMonCampusClient({
      url: opts.url,
      casUrl: opts.casUrl,
      username: opts.username,
      password: opts.password,
      timezone: zone,
      timeoutMs: opts.timeoutMs ?? CHECK_TIMEOUT_MS,
      retry: { ...CHECK_RETRY, ...opts.retry },
      // The URLs above were allowed; the ones the servers redirect to are asked again, one by one.
      policy,
    });
    const { events } = normaliseCourses(await client.fetchCourses(window), { timezone: zone });
    const coming = events.filter((e) => Date.parse(e.start) >= now.toMillis()).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const next = coming[0];
    if (!next) return { ok: true, count: events.length, days: CHECK_DAYS, message: t('checks.moncampus.empty', { days: CHECK_DAYS }) };
    return {
      ok: true,
      count: events.length,
      days: CHECK_DAYS,
      next: { title: next.title, start: next.start },
      message: t('checks.moncampus.ok', { count: events.length, days: CHECK_DAYS, title: next.title, when: when(next.start, zone, opts.locale) }),
    };
  } catch (err) {
    // The school's server named another host (its CAS, a login hop): not followed, nothing sent there.
    if (err instanceof RefusedHostError) return { ok: false, reason: 'refused-host', message: t('selfRest.casRedirectRefused', { host: err.host }) };
    if (err instanceof AuthError) return { ok: false, reason: 'wrong-password', message: t('checks.moncampus.wrongPassword') };
    if (err instanceof ActionNeededError) return { ok: false, reason: 'action-needed', message: t('checks.moncampus.actionNeeded') };
    // A timeout, a refused connection, a 5xx, or a name that does not resolve ("could not be sent").
    if (err instanceof TransientError || (err instanceof RemoteError && /could not be sent/.test(err.message))) {
      return { ok: false, reason: 'unreachable', message: t('checks.moncampus.unreachable', { host }) };
    }
    return { ok: false, reason: 'failed', message: t('checks.moncampus.failed', { detail: redact(err instanceof Error ? err.message : String(err)) }) };
  }
}
