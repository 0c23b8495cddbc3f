import { createMonCampusClient, normaliseCourses } from '../agenda/index.js';
import { createEcalClient, toEcalBody, type EcalRemoteEvent } from '../ecal/index.js';
import type { CalendarEvent } from '../lib/index.js';

/**
 * The Python original's sync strategy, re-enacted for comparison (reference/moncampus.md, "What the
 * original project did"): log in every run, list every event, create what differs and delete what is
 * missing one request at a time (a moved class = delete + create, random references), re-list to delete
 * duplicates, then log in again and re-list to compare counts.
 */
export interface OriginalOptions {
  moncampus: { url: string; casUrl: string; username: string; password: string };
  ecal: { url: string; apiKey: string; apiSecret: string; calendarId: string };
  window: { from: string; to: string };
  listRange: { startDate: string; endDate: string };
  timezone: string;
}

const contentKey = (e: { name?: unknown; location?: unknown; startDate?: unknown; startTime?: unknown; endTime?: unknown }): string =>
  [e.name, e.location, e.startDate, String(e.startTime ?? '').slice(0, 5), String(e.endTime ?? '').slice(0, 5)].join('|');

export async function runOriginalStrategy(o: OriginalOptions): Promise<void> {
  const ecal = createEcalClient({ url: o.ecal.url, apiKey: o.ecal.apiKey, apiSecret: o.ecal.apiSecret });
  const fetchEvents = async (): Promise<CalendarEvent[]> => {
    const client = createMonCampusClient({ ...o.moncampus });
    return normaliseCourses(await client.fetchCourses(o.window), { timezone: o.timezone }).events;
  };
  const desired = await fetchEvents();
  const listAll = (): Promise<EcalRemoteEvent[]> => ecal.listEvents({ calendarId: o.ecal.calendarId, ...o.listRange });
  const remote = await listAll();
  const bodies = desired.map((e) => ({
    ...toEcalBody(e, { instance: 'original', calendarId: o.ecal.calendarId, alert: '15M' }),
    reference: String(Math.floor(Math.random() * 1e12)),
  }));
  const wanted = new Set(bodies.map(contentKey));
  const present = new Set(remote.map(contentKey));
  for (const r of remote) if (!wanted.has(contentKey(r))) await ecal.deleteEvent(r.id);
  for (const b of bodies) if (!present.has(contentKey(b))) await ecal.createEvent(b);
  // Re-list to delete duplicates.
  const seen = new Set<string>();
  for (const r of await listAll()) {
    const k = contentKey(r);
    if (seen.has(k)) await ecal.deleteEvent(r.id);
    seen.add(k);
  }
  // Log in again and re-list to compare counts (the original restarted itself on a mismatch).
  const again = await fetchEvents();
  const after = await listAll();
  if (again.length !== after.length) throw new Error(`original strategy: count mismatch ${again.length} vs ${after.length}`);
}
