import { mayContact, OWNER_POLICY, type HostPolicy } from '../config/index.js';
import { AuthError, makeRedactor, RemoteError, translator, TransientError, type Locale, type RetryOptions } from '../lib/index.js';
import { createEcalClient } from './client.js';
import type { EcalCalendar } from './types.js';

/**
 * The form's ECAL **Check** (issue 23): the schedules these keys can write, to pick one, or why not (keys
 * refused, ECAL unreachable). One signed `GET /apiv2/calendar/`; nothing is written, nothing stored.
 */

/** A form waits for this answer; one retry at most. */
export const ECAL_CHECK_TIMEOUT_MS = 15_000;
const CHECK_RETRY = { attempts: 2, baseDelayMs: 500, maxDelayMs: 1_000 } as const;
/** Names shown in the sentence; the list itself carries them all. */
const NAMES_IN_MESSAGE = 5;

export type EcalCheckResult =
  | { ok: true; calendars: EcalCalendar[]; message: string }
  | { ok: false; reason: 'refused' | 'unreachable' | 'refused-host' | 'failed'; message: string };

export interface EcalCheckOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  locale: Locale;
  policy?: HostPolicy;
  retry?: RetryOptions;
  timeoutMs?: number;
}

export async function checkEcal(opts: EcalCheckOptions): Promise<EcalCheckResult> {
  const t = translator(opts.locale);
  const verdict = mayContact(opts.policy ?? OWNER_POLICY, opts.url);
  if (!verdict.ok) return { ok: false, reason: 'refused-host', message: t(`checks.host.${verdict.reason}`, { host: verdict.host }) };
  const redact = makeRedactor([opts.apiKey, opts.apiSecret]);
  const client = createEcalClient({
    url: opts.url,
    apiKey: opts.apiKey,
    apiSecret: opts.apiSecret,
    timeoutMs: opts.timeoutMs ?? ECAL_CHECK_TIMEOUT_MS,
    retry: { ...CHECK_RETRY, ...opts.retry },
  });
  try {
    const calendars = (await client.listCalendars()).sort((a, b) => a.name.localeCompare(b.name));
    if (calendars.length === 0) return { ok: true, calendars, message: t('checks.ecal.none') };
    const shown = calendars.slice(0, NAMES_IN_MESSAGE).map((c) => c.name);
    const names = calendars.length > NAMES_IN_MESSAGE ? `${shown.join(', ')}, …` : shown.join(', ');
    return { ok: true, calendars, message: t('checks.ecal.ok', { count: calendars.length, names }) };
  } catch (err) {
    if (err instanceof AuthError) return { ok: false, reason: 'refused', message: t('checks.ecal.refused') };
    if (err instanceof TransientError || (err instanceof RemoteError && /could not be sent/.test(err.message))) {
      return { ok: false, reason: 'unreachable', message: t('checks.ecal.unreachable', { host: new URL(opts.url).host }) };
    }
    return { ok: false, reason: 'failed', message: t('checks.ecal.failed', { detail: redact(err instanceof Error ? err.message : String(err)) }) };
  }
}
