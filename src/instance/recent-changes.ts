import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, type ChangeText } from '../lib/index.js';

/**
 * `data/<name>/changes.json`: the last timetable changes the worker announced (worker.ts writes it once their alert
 * is queued), for the dashboard's "last changes" on each card. Small and bounded; losing it loses nothing but that
 * list, so a damaged file reads as empty and the next announcement rewrites it.
 */
export const RECENT_CHANGES_FILE = 'changes.json';
/** Announcements kept: the last few runs that found changes, what a glance at a card needs. */
export const RECENT_CHANGES_KEPT = 5;
/** Changes kept per announcement (one run rarely has more; the alert itself carries all). */
export const RECENT_CHANGES_PER_ENTRY = 10;

const classSchema = z.object({ title: z.string(), start: z.string(), end: z.string(), room: z.string(), teacher: z.string().nullable() });
const changeSchema = z.object({
  kind: z.enum(['moved', 'cancelled', 'added', 'room', 'teacher']),
  before: classSchema.optional(),
  after: classSchema.optional(),
  urgent: z.boolean().optional(),
});
const fileSchema = z.object({
  v: z.literal(1),
  /** Newest first. */
  entries: z.array(z.object({ at: z.string(), more: z.number().int().nonnegative(), changes: z.array(changeSchema) })),
});
export type RecentChanges = z.infer<typeof fileSchema>['entries'];

/** The announcements kept, newest first; none when the file is missing or unreadable. */
export async function readRecentChanges(dir: string): Promise<RecentChanges> {
  try {
    return fileSchema.parse(JSON.parse(await readFile(join(dir, RECENT_CHANGES_FILE), 'utf8'))).entries;
  } catch {
    return [];
  }
}

const keep = (c: ChangeText): z.infer<typeof changeSchema> => {
  const only = (x: ChangeText['before']) => (x ? { title: x.title, start: x.start, end: x.end, room: x.room, teacher: x.teacher } : undefined);
  const before = only(c.before);
  const after = only(c.after);
  return { kind: c.kind, ...(before ? { before } : {}), ...(after ? { after } : {}), ...(c.urgent ? { urgent: true } : {}) };
};

/** Adds one announcement at the front and keeps the newest RECENT_CHANGES_KEPT. */
export async function recordRecentChanges(dir: string, at: Date, changes: readonly ChangeText[]): Promise<void> {
  if (changes.length === 0) return;
  const entry = {
    at: at.toISOString(),
    more: Math.max(0, changes.length - RECENT_CHANGES_PER_ENTRY),
    changes: changes.slice(0, RECENT_CHANGES_PER_ENTRY).map(keep),
  };
  const entries = [entry, ...(await readRecentChanges(dir))].slice(0, RECENT_CHANGES_KEPT);
  await writeFileAtomic(join(dir, RECENT_CHANGES_FILE), `${JSON.stringify({ v: 1, entries }, null, 2)}\n`, 0o644);
}
