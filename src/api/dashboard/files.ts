import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Readers of the files the supervisor and the workers leave in the data directory. api/ may not import
 * supervisor/ or worker/, so their file names and shapes are restated here (the tests write them with the
 * real writers) and parsed leniently: a file being rewritten or of an older version reads as absent.
 */

/** The supervisor's status file, under data/ (its SUPERVISOR_DIR and STATUS_FILE). */
export const SUPERVISOR_STATUS_PATH = ['.supervisor', 'status.json'] as const;
/** The supervisor rewrites its status every 15 s; six missed beats (its HEARTBEAT_STALE_MS) means it is gone. */
export const HEARTBEAT_STALE_MS = 90_000;
export const WORKER_FILE = 'worker.json';
export const ERRORS_LOG = 'errors.log';
export const SLOTS_DIR = 'slots';
/** The tail of errors.log read for the newest lines: lines are short, this holds dozens of them. */
const ERRORS_TAIL_BYTES = 16 * 1024;

const supervisorStatusSchema = z.object({
  pid: z.number(),
  runtime: z.string(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  runtimeError: z.string().optional(),
  instances: z.array(
    z.object({
      name: z.string(),
      state: z.string(),
      configError: z.string().optional(),
      nextRun: z.string().nullable().optional(),
      restartCount: z.number().default(0),
      node: z.string().optional(),
    }),
  ),
});
export type SupervisorStatusFile = z.infer<typeof supervisorStatusSchema>;

const workerFileSchema = z.object({
  pid: z.number().optional(),
  state: z.string(),
  nextRun: z.string().nullish(),
  updatedAt: z.string().nullish(),
  /** The worker's runs are refused (a run lock held by a live run of another process, say): since when and why. */
  runRefused: z.object({ reason: z.string(), since: z.string().optional() }).optional(),
});
export type WorkerFile = z.infer<typeof workerFileSchema>;

const seenStateSchema = z.object({
  version: z.literal(1),
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

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const readSupervisorStatusFile = (dataDir: string): Promise<SupervisorStatusFile | null> =>
  readJson(join(dataDir, ...SUPERVISOR_STATUS_PATH), supervisorStatusSchema);

/** Callers pass a checked instance name: it is a path segment. */
export const readWorkerFile = (dataDir: string, name: string): Promise<WorkerFile | null> => readJson(join(dataDir, name, WORKER_FILE), workerFileSchema);

export const readSeenState = (dataDir: string, name: string, watcher: string): Promise<SeenStateFile | null> =>
  readJson(join(dataDir, name, SLOTS_DIR, `${watcher}.json`), seenStateSchema);

export interface ErrorLine {
  /** ISO time as written, or null for a line not in the worker's format (the Python original's, say). */
  at: string | null;
  phase: string | null;
  message: string;
}

/** `<ISO time> <phase> <message>`, as the worker's error file writes it. */
const ERROR_LINE = /^(\d{4}-\d{2}-\d{2}T\S+) (\S+) (.*)$/;

export function parseErrorLine(line: string): ErrorLine {
  const m = ERROR_LINE.exec(line);
  if (!m) return { at: null, phase: null, message: line };
  const [, at, phase, message] = m as unknown as [string, string, string, string];
  return { at, phase, message };
}

/** The newest `n` lines of data/<name>/errors.log, newest first; only its tail is read, however long it grew. */
export async function readNewestErrors(dataDir: string, name: string, n: number): Promise<ErrorLine[]> {
  let handle;
  try {
    handle = await open(join(dataDir, name, ERRORS_LOG), 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, ERRORS_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split(/\r?\n/);
    // A tail that starts mid-file starts mid-line: that partial first line is dropped.
    if (length < size) lines.shift();
    return lines
      .filter((l) => l.trim() !== '')
      .slice(-n)
      .reverse()
      .map(parseErrorLine);
  } finally {
    await handle.close();
  }
}
