/**
 * The fields the HEALTHCHECK judges in `worker.json` and `.supervisor/status.json`, read without zod.
 *
 * Docker runs the probe (`dist/health.js`) in every container every 30 s: with a hundred workers on a 2-core
 * box, or twenty on a Raspberry Pi, its start-up is paid thousands of times an hour. Loading zod alone costs
 * more CPU than starting node (issue 20, measured with `/usr/bin/time`: bare node 0.14 s, node + zod 0.32 s,
 * the old `cli.js health` 0.36–0.55 s). The shapes keep their one definition — `workerStatusSchema`
 * (worker-status.ts) and `supervisorHeartbeatSchema` (supervisor-status.ts) — and health-fields.test.ts checks
 * these guards accept exactly what those schemas accept for these fields. Imports node: nothing, on purpose.
 */

/** The HEALTHCHECK's limit: six missed 15 s heartbeats means the supervisor is stuck or gone. */
export const HEARTBEAT_STALE_MS = 90_000;

/** What `health` needs of a worker's status file. */
export interface WorkerLiveness {
  pid: number;
  state: string;
  nextRun?: string | null;
}

/** What `health` needs of the supervisor's status file. */
export interface HeartbeatFields {
  pid: number;
  heartbeatAt: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPid = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * An ISO 8601 date-time with an offset, as zod's `z.iso.datetime({ offset: true })` takes it: seconds
 * required, fractions optional, `Z` or `±HH:MM`, and a real calendar day (no 30 February).
 */
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function isIsoDateTimeWithOffset(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = ISO_WITH_OFFSET.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/** `worker.json`'s pid, state and next run; null when the file has another shape or no pid. */
export function workerLiveness(v: unknown): WorkerLiveness | null {
  if (!isRecord(v) || !isPid(v.pid) || typeof v.state !== 'string') return null;
  const nextRun = v.nextRun;
  if (nextRun !== undefined && nextRun !== null && typeof nextRun !== 'string') return null;
  return { pid: v.pid, state: v.state, ...(nextRun !== undefined && { nextRun }) };
}

/** The supervisor's pid and heartbeat time; null when the file has another shape. */
export function heartbeatFields(v: unknown): HeartbeatFields | null {
  if (!isRecord(v) || !isPid(v.pid) || !isIsoDateTimeWithOffset(v.heartbeatAt)) return null;
  return { pid: v.pid, heartbeatAt: v.heartbeatAt };
}
