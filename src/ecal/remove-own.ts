import { isOwnedReference } from './reference.js';
import type { EcalClient, EcalListQuery } from './types.js';

/**
 * Deleting an instance may take its events out of ECAL too (issue 23, "Edit and delete"). Only events whose
 * `reference` campus-sync wrote for THIS instance (`campus-sync:<instance>:<course>`, reference.ts) are deleted:
 * a hand-made event, another instance's, or a legacy numeric reference of the Python tool is never touched,
 * whatever its title or time (DESIGN: "only events with such a reference are ever updated or deleted").
 */

export interface RemoveOwnEventsOptions {
  client: EcalClient;
  instance: string;
  calendarId: string;
  /** Inclusive YYYY-MM-DD days to list (ECAL filters on the start date): the sync window and the synced events' days. */
  from: string;
  to: string;
}

export interface RemoveOwnEventsResult {
  /** Events of this instance deleted. */
  deleted: number;
  /** Events listed that were not this instance's, left alone. */
  kept: number;
  /** Deletions that failed (after the client's bounded retries), by ECAL id: the message says how many. */
  failed: { id: string; error: string }[];
}

/** Lists the range once, deletes this instance's events one by one (ECAL has no bulk delete), keeps the rest. */
export async function removeOwnEvents(opts: RemoveOwnEventsOptions): Promise<RemoveOwnEventsResult> {
  const query: EcalListQuery = { calendarId: opts.calendarId, startDate: opts.from, endDate: opts.to };
  const listed = await opts.client.listEvents(query);
  const result: RemoveOwnEventsResult = { deleted: 0, kept: 0, failed: [] };
  for (const event of listed) {
    if (!isOwnedReference(event.reference, opts.instance)) {
      result.kept++;
      continue;
    }
    try {
      await opts.client.deleteEvent(event.id);
      result.deleted++;
    } catch (err) {
      result.failed.push({ id: event.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return result;
}
