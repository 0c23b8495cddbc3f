import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/index.js';
import { HEARTBEAT_STALE_MS } from './health-fields.js';
import { supervisorStatusPath } from './names.js';

/**
 * `data/.supervisor/status.json`: the running supervisor's heartbeat and its view of every instance,
 * rewritten every beat (supervisor/status.ts). Read by `status`, the HEALTHCHECK and the dashboard.
 */

/** The HEALTHCHECK's limit, defined beside the probe's lean readers. */
export { HEARTBEAT_STALE_MS };

/** `failing`: the worker runs, but its runs are refused (`reason` says why: a run lock that stays held). */
export const instanceStateSchema = z.enum(['running', 'failing', 'stopped', 'crash-looping', 'invalid', 'starting', 'missing']);
export type InstanceState = z.infer<typeof instanceStateSchema>;

const lastRunSummarySchema = z.object({
  outcome: z.string(),
  finishedAt: z.string(),
  counts: z.record(z.string(), z.number()),
  error: z.string().optional(),
});
export type LastRunSummary = z.infer<typeof lastRunSummarySchema>;

const instanceStatusSchema = z.object({
  name: z.string(),
  state: instanceStateSchema,
  configError: z.string().optional(),
  /** Why a `failing` worker's runs do not happen. */
  reason: z.string().optional(),
  lastRun: lastRunSummarySchema.optional(),
  nextRun: z.string().nullable().optional(),
  restartCount: z.number(),
  /** The Swarm node it runs on (swarm runtime). */
  node: z.string().optional(),
});
export type InstanceStatus = z.infer<typeof instanceStatusSchema>;

export const supervisorStatusSchema = z.object({
  pid: z.number(),
  runtime: z.enum(['docker', 'process', 'swarm']),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  /** Set while the runtime cannot be reached (Docker daemon restarting). */
  runtimeError: z.string().optional(),
  instances: z.array(instanceStatusSchema),
});
export type SupervisorStatus = z.infer<typeof supervisorStatusSchema>;

/**
 * The part of the file the HEALTHCHECK judges: a heartbeat and who wrote it. Only these are required, so
 * a status file whose instance list another build shaped differently still counts as a heartbeat.
 */
export const supervisorHeartbeatSchema = z.object({
  pid: z.number().int().positive(),
  heartbeatAt: z.iso.datetime({ offset: true }),
});

/** The status the running supervisor wrote; null when there is none or it is unreadable. */
export async function readSupervisorStatus(dataDir: string): Promise<SupervisorStatus | null> {
  let text: string;
  try {
    text = await readFile(supervisorStatusPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    return supervisorStatusSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

export async function writeSupervisorStatus(dataDir: string, status: SupervisorStatus): Promise<void> {
  await writeFileAtomic(supervisorStatusPath(dataDir), `${JSON.stringify(status, null, 2)}\n`, 0o644);
}

/** Did the supervisor write a heartbeat within `maxAgeMs` of `now`? */
export function isHeartbeatFresh(status: SupervisorStatus | null, now: Date, maxAgeMs = HEARTBEAT_STALE_MS): boolean {
  if (!status) return false;
  const at = Date.parse(status.heartbeatAt);
  return Number.isFinite(at) && now.getTime() - at <= maxAgeMs;
}
