import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SYNCED_EVENTS_FILE } from '../instance/index.js';
import { writeFileAtomic, type CalendarEvent } from '../lib/index.js';

/**
 * `data/<name>/events.json`: the instance's timetable as last synced, one row per event, with the ECAL id
 * it has and when campus-sync last changed it. The reporting store imports it (the worker never writes the
 * database itself: one writer per SQLite file), and people can read it.
 */
export { SYNCED_EVENTS_FILE };

export interface SyncedEvent {
  reference: string;
  /** Null when the instance has no ECAL section, or the event's creation failed this run. */
  ecalId: string | null;
  title: string;
  start: string;
  end: string;
  /** When campus-sync last created or changed the event (ISO); kept across runs that leave it alone. */
  lastChange: string;
}

export interface SnapshotInput {
  /** The timetable of this run, each with its stable reference. */
  events: { reference: string; event: CalendarEvent }[];
  /** reference → ECAL id, for events ECAL already had (listed before the run) or created by it. */
  ecalIds: ReadonlyMap<string, string>;
  /** References this run created, updated or adopted. */
  touched: ReadonlySet<string>;
  previous: readonly SyncedEvent[];
  now: Date;
}

/** Pure: the new snapshot. An event keeps its previous `lastChange` unless this run wrote it or it is new. */
export function syncedEventsSnapshot(input: SnapshotInput): SyncedEvent[] {
  const before = new Map(input.previous.map((e) => [e.reference, e]));
  const now = input.now.toISOString();
  return input.events
    .map(({ reference, event }) => {
      const old = before.get(reference);
      const same = old !== undefined && old.title === event.title && old.start === event.start && old.end === event.end;
      return {
        reference,
        ecalId: input.ecalIds.get(reference) ?? null,
        title: event.title,
        start: event.start,
        end: event.end,
        lastChange: input.touched.has(reference) || !same || old === undefined ? now : old.lastChange,
      };
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.reference < b.reference ? -1 : 1));
}

export async function readSyncedEvents(dir: string): Promise<SyncedEvent[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, SYNCED_EVENTS_FILE), 'utf8'));
    return Array.isArray(parsed) ? (parsed as SyncedEvent[]) : [];
  } catch {
    // Missing or unreadable: the next snapshot starts fresh (every event "changed now"), nothing is lost.
    return [];
  }
}

export async function writeSyncedEvents(dir: string, rows: readonly SyncedEvent[]): Promise<void> {
  await writeFileAtomic(join(dir, SYNCED_EVENTS_FILE), `${JSON.stringify(rows, null, 1)}\n`, 0o644);
}
