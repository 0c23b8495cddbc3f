import { z } from 'zod';

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
