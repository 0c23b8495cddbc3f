import { z } from 'zod';

/**
 * The files the reporting store imports from `data/<name>/` (api/importer.ts), as it accepts them: lenient
 * with fields older builds did not write. Their writers: worker/synced-events.ts (events.json) and
 * notify/outbox.ts's journal (alerts.jsonl); runs.jsonl's line is in run-record.ts, errors.log's in error-file.ts.
 */

/** `events.json`: the timetable as last synced, rewritten whole after each run. */
export const syncedEventsFileSchema = z.array(
  z.object({
    reference: z.string().min(1),
    ecalId: z.string().nullable().default(null),
    title: z.string(),
    start: z.string(),
    end: z.string(),
    lastChange: z.string(),
  }),
);

/** One line of `alerts.jsonl`: a delivery's state change (notify/outbox.ts's AlertJournalEntry). */
export const alertJournalLineSchema = z.object({
  alertId: z.string().min(1),
  kind: z.string(),
  severity: z.string(),
  channel: z.string().min(1),
  summary: z.string(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable().default(null),
  attempts: z.number().int().nonnegative().default(0),
  lastError: z.string().nullable().default(null),
});
