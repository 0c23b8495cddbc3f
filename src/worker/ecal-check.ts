import { createHash } from 'node:crypto';
import type { EcalCheck } from '../instance/index.js';
import { translator, type CalendarEvent } from '../lib/index.js';
import type { TFunction } from 'i18next';

/**
 * The request floor (issue 20): a run whose timetable and config equal those of the last run that left ECAL
 * matching them skips the ECAL listing, so a steady run costs one MonCampus request. A full listing (which
 * repairs drift, such as an event deleted by hand in ECAL) still runs on a schedule, after any failed or partial
 * run, after a config change, and when asked (`run-once --verify`). Pure: the run reads and writes the marker.
 */

/** What state.json keeps of the last full listing; `matched` is false from the first write of a run until it ends clean. */
export interface EcalSyncMarker {
  /** Hash of the normalised timetable the listing was made for. */
  eventsHash: string;
  /** Hash of the whole config (secrets included, one-way): a config change forces a listing. */
  configHash: string;
  /** When the last full listing ran (ISO). */
  verifiedAt: string;
  /** ECAL held exactly this timetable when the run ended; false while writes are in flight or after a failure. */
  matched: boolean;
}

export type { EcalCheck, FullCheckReason } from '../instance/index.js';

export interface EcalCheckInput {
  marker: EcalSyncMarker | undefined;
  eventsHash: string;
  configHash: string;
  now: Date;
  verifyEveryMs: number;
  /** `run-once --verify`. */
  requested: boolean;
  /** A dry run always lists: it exists to show the real plan. */
  dryRun: boolean;
  /** events.json names an ECAL id for every event (false when it was lost or set aside after a power cut). */
  idsKnown: boolean;
}

export function decideEcalCheck(input: EcalCheckInput): EcalCheck {
  const m = input.marker;
  if (input.dryRun) return { kind: 'full', reason: 'dry-run' };
  if (input.requested) return { kind: 'full', reason: 'requested' };
  if (m === undefined) return { kind: 'full', reason: 'first' };
  if (!m.matched) return { kind: 'full', reason: 'after-failure' };
  if (m.configHash !== input.configHash) return { kind: 'full', reason: 'config-changed' };
  if (m.eventsHash !== input.eventsHash) return { kind: 'full', reason: 'timetable-changed' };
  // events.json is rebuilt from ECAL's own listing, never left without the ids the reporting API shows.
  if (!input.idsKnown) return { kind: 'full', reason: 'ids-unknown' };
  const verifiedAt = Date.parse(m.verifiedAt);
  const due = verifiedAt + input.verifyEveryMs;
  // A verifiedAt in the future (a clock set back after a power cut) cannot be trusted: list.
  if (!Number.isFinite(verifiedAt) || verifiedAt > input.now.getTime() || input.now.getTime() >= due) return { kind: 'full', reason: 'scheduled' };
  return { kind: 'skipped', verifiedAt: m.verifiedAt, nextVerificationBy: new Date(due).toISOString() };
}

/** The marker once a full listing's writes all took effect: ECAL now holds this timetable. */
export function verifiedMarker(eventsHash: string, configHash: string, now: Date): EcalSyncMarker {
  return { eventsHash, configHash, verifiedAt: now.toISOString(), matched: true };
}

/** Before a run's first write, and after a failed run: the next run must list ECAL again. */
export function unmatchedMarker(marker: EcalSyncMarker | undefined): EcalSyncMarker | undefined {
  return marker === undefined ? undefined : { ...marker, matched: false };
}

/** Stable hash of the events a run would push (their order from MonCampus does not matter). */
export function eventsHash(events: readonly CalendarEvent[]): string {
  const sorted = [...events].sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/** Hash of a config: any change (keys, calendar, window, alert) is a reason to look at ECAL again. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** One line for summaries and logs, from the catalogues (English for logs; run-once passes the reader's language). */
export function describeEcalCheck(check: EcalCheck, t: TFunction = translator('en')): string {
  if (check.kind === 'skipped') return t('cli.runOnce.steady', { verifiedAt: check.verifiedAt, next: check.nextVerificationBy });
  return t('cli.runOnce.fullCheck', { reason: t(`cli.runOnce.checkReason.${check.reason}`) });
}
