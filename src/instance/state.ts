import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { STATE_FILE } from './names.js';
import { writeFileAtomic, type Logger } from '../lib/index.js';

export { STATE_FILE };

/** What one instance keeps between runs. Session cookies are secrets: the file is written 0600. */
export const stateSchema = z.object({
  version: z.literal(1),
  /** MonCampus cookies by origin, reused so a valid session needs no login. */
  moncampusCookies: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  /** Username the cookies belong to: a changed username must not reuse another person's session. */
  moncampusUser: z.string().optional(),
  /** What the last runs were, so alerts fire on transitions only (worker/alerts.ts). */
  alerts: z.object({ auth: z.enum(['ok', 'failing']), sync: z.enum(['ok', 'failing']), guardHeld: z.boolean() }).optional(),
  /** Records the last `/Home/Get` answered: a sudden empty answer after some is checked by a fresh login. */
  moncampusCourses: z.number().int().nonnegative().optional(),
  /**
   * Per course (sourceId) of calendar.ics: SEQUENCE and the time of its last change (DTSTAMP, LAST-MODIFIED),
   * so a moved class reaches subscribers (reference/conventions.md, "ICS feeds").
   */
  icsRevisions: z.record(z.string(), z.object({ hash: z.string(), sequence: z.number().int().nonnegative(), modified: z.string() })).optional(),
  /** Hash of the events behind calendar.ics: unchanged events skip rendering it (a third of a steady run's CPU). */
  icsInputHash: z.string().optional(),
  /**
   * The classes of the last successful run near now (worker/changes.ts): the baseline timetable-change alerts compare
   * against. Saved only once the alert is queued, like a slot watcher's seen set: a change is announced once.
   */
  changes: z
    .object({
      baseline: z.array(z.object({ id: z.string(), title: z.string(), start: z.string(), end: z.string(), room: z.string(), teacher: z.string().nullable() })),
    })
    .optional(),
  /** The request floor (worker/ecal-check.ts): what the last full ECAL listing found, and whether ECAL still matches it. */
  ecalSync: z.object({ eventsHash: z.string(), configHash: z.string(), verifiedAt: z.string(), matched: z.boolean() }).optional(),
  /** `changes.digest`: the local day (yyyy-MM-dd) whose digest was last handled, so it goes once a day across restarts. */
  digest: z.object({ lastDay: z.string() }).optional(),
});
export type InstanceState = z.infer<typeof stateSchema>;

export const emptyState = (): InstanceState => ({ version: 1, moncampusCookies: {} });

/**
 * Reads the state; a missing file is a first run, a corrupt one is reported and replaced by an empty state
 * (losing it costs one login, never an event: ECAL itself is the record of what was pushed).
 */
export async function loadState(dir: string, logger?: Logger): Promise<InstanceState> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  try {
    return stateSchema.parse(JSON.parse(text));
  } catch {
    logger?.warn(`state file ${join(dir, STATE_FILE)} is unreadable; starting from an empty state`);
    return emptyState();
  }
}

export async function saveState(dir: string, state: InstanceState): Promise<void> {
  await writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
