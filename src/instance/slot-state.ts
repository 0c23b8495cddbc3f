import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { slotStatePath } from './names.js';

/**
 * `data/<name>/slots/<watcher>.json`: a slot watcher's seen set (slots/watcher.ts writes it atomically after
 * each committed check). Read by the dashboard for a watcher's current slots.
 */
export const seenStateSchema = z.object({
  version: z.literal(1),
  /** False until the first check: that one records what is there without alerting. */
  baselineDone: z.boolean(),
  seen: z.record(
    z.string(),
    z.object({
      start: z.string(),
      firstSeen: z.string(),
      lastSeen: z.string(),
      lastAlerted: z.string().optional(),
      goneSince: z.string().optional(),
    }),
  ),
});
export type SeenStateFile = z.infer<typeof seenStateSchema>;

/** A watcher's seen set as last committed; null when absent, being rewritten, or of another shape. */
export async function readSlotState(dir: string, watcher: string): Promise<SeenStateFile | null> {
  try {
    const parsed = seenStateSchema.safeParse(JSON.parse(await readFile(slotStatePath(dir, watcher), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
