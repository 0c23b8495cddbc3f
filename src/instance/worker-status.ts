import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/index.js';
import { WORKER_STATUS_FILE } from './names.js';

/**
 * `data/<name>/worker.json`: the worker's state, rewritten at each move (worker/worker.ts). Read by the
 * HEALTHCHECK (`health`), `status` and `list`, the supervisor's status file and the API. One schema for all
 * of them, lenient where a reader can do without a field (a file of an older build still reads).
 */
export const workerStatusSchema = z.object({
  /** Always written; `health` says a file without it is of an unknown format. */
  pid: z.number().int().positive().optional(),
  /** idle, running, stopping, stopped (worker/worker.ts's WorkerState); any string reads, for newer builds. */
  state: z.string(),
  schedule: z.string().optional(),
  timezone: z.string().optional(),
  nextRun: z.string().nullish(),
  updatedAt: z.string().nullish(),
  /** The worker's runs are refused (a run lock held by a live run of another process, say): since when and why. */
  runRefused: z.object({ reason: z.string(), since: z.string().optional() }).optional(),
});
export type WorkerStatusFile = z.infer<typeof workerStatusSchema>;

/** The worker's status file as it was last written; null when absent, being rewritten, or of another shape. */
export async function readWorkerStatusFile(dir: string): Promise<WorkerStatusFile | null> {
  try {
    const parsed = workerStatusSchema.safeParse(JSON.parse(await readFile(join(dir, WORKER_STATUS_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Atomic (a reader never sees half a file), 0644: no secret in it. Failures are the caller's to ignore. */
export async function writeWorkerStatusFile(dir: string, status: WorkerStatusFile): Promise<void> {
  await writeFileAtomic(join(dir, WORKER_STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`, 0o644);
}
