import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isValidInstanceName } from '../config/index.js';
import {
  ALERTS_JOURNAL_FILE,
  alertJournalLineSchema,
  ERROR_LINE,
  ERRORS_FILE,
  ERRORS_KEEP,
  RUN_HISTORY_FILE,
  runHistoryLineSchema,
  SYNCED_EVENTS_FILE,
  syncedEventsFileSchema,
} from '../instance/index.js';
import { describeError, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import type { Store } from '../store/index.js';

/**
 * Workers never open the database (one writer per SQLite file: concurrent writers from several containers
 * would fight over its lock on an SD card); they append files in `data/<name>/` and this importer, in the
 * API process, copies them into the store. Every store write it makes is idempotent, so reading a line twice
 * (after a crash, a rotation, a replaced file) is harmless; what must not happen is skipping one.
 */

/** Runs finish minutes apart and alerts matter within seconds: 5 s is prompt, and an idle pass is a few stat calls. */
export const IMPORT_INTERVAL_MS = 5_000;
/** Read appended files this much at a time, so a first import of years of history never holds it all in memory. */
const CHUNK_BYTES = 1024 * 1024;
/**
 * The first bytes of a file, hashed with its offset: a file replaced by another one at least as long
 * (restored from a backup, rewritten) has different first lines, and is read again from the start.
 */
const HEAD_BYTES = 256;

const cursorKey = (name: string, file: string): string => `import:${name}:${file}`;

const runLine = runHistoryLineSchema;
const alertLine = alertJournalLineSchema;
const eventsFile = syncedEventsFileSchema;

const offsetCursor = z.object({ offset: z.number().int().nonnegative(), head: z.string() });
type OffsetCursor = z.infer<typeof offsetCursor>;

export interface ImportSummary {
  runs: number;
  alerts: number;
  errors: number;
  /** Instances whose events.json changed and replaced their events. */
  events: number;
  /** Lines that could not be read (logged once each, then passed over). */
  skipped: number;
}

const emptySummary = (): ImportSummary => ({ runs: 0, alerts: 0, errors: 0, events: 0, skipped: 0 });

export interface ImportOptions {
  store: Store;
  dataDir: string;
  instances: readonly string[];
  logger: Logger;
  /**
   * Hides the secrets of today's configs in every text before it is stored (workers redact what they write, but a
   * line written before a password changed hands, or by the Python original, may hold one): what the store holds,
   * no route can leak.
   */
  redact?: (text: string) => string;
}

/** One pass over every instance's files; a problem with one instance is logged and does not stop the others. */
export async function importInstanceData(opts: ImportOptions): Promise<ImportSummary> {
  const total = emptySummary();
  for (const name of opts.instances) {
    if (!isValidInstanceName(name)) continue;
    const log = opts.logger.child({ instance: name });
    try {
      const s = await importOne(opts.store, join(opts.dataDir, name), name, log, opts.redact ?? ((t) => t));
      for (const k of Object.keys(total) as (keyof ImportSummary)[]) total[k] += s[k];
      if (s.runs + s.alerts + s.errors + s.events > 0) {
        log.debug(`imported ${s.runs} run(s), ${s.alerts} alert line(s), ${s.errors} error line(s)${s.events ? ', new events' : ''}`);
      }
    } catch (err) {
      log.warn(`import of data/${name} failed, will try again: ${describeError(err)}`);
    }
  }
  return total;
}

async function importOne(store: Store, dir: string, name: string, log: Logger, redact: (text: string) => string): Promise<ImportSummary> {
  const s = emptySummary();
  const skip = (file: string, why: string): false => {
    s.skipped++;
    log.warn(`${file}: skipped a line (${why})`);
    return false;
  };

  s.runs = await importAppended(store, join(dir, RUN_HISTORY_FILE), cursorKey(name, RUN_HISTORY_FILE), async (line) => {
    const parsed = runLine.safeParse(parseJson(line));
    if (!parsed.success) return skip(RUN_HISTORY_FILE, 'not a run record');
    const r = parsed.data;
    return tryStore(
      () =>
        store.insertRun({
          instance: name,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt,
          durationMs: Math.round(r.durationMs),
          outcome: r.outcome,
          phase: r.phase ?? null,
          error: r.error == null ? null : redact(r.error),
          courses: r.courses,
          ...r.counts,
        }),
      (why) => skip(RUN_HISTORY_FILE, why),
    );
  });

  s.alerts = await importAppended(store, join(dir, ALERTS_JOURNAL_FILE), cursorKey(name, ALERTS_JOURNAL_FILE), async (line) => {
    const parsed = alertLine.safeParse(parseJson(line));
    if (!parsed.success) return skip(ALERTS_JOURNAL_FILE, 'not an alert journal entry');
    return tryStore(
      () =>
        store.upsertAlert({
          ...parsed.data,
          summary: redact(parsed.data.summary),
          lastError: parsed.data.lastError === null ? null : redact(parsed.data.lastError),
          instance: name,
        }),
      (why) => skip(ALERTS_JOURNAL_FILE, why),
    );
  });

  const errorLine = async (line: string): Promise<boolean> => {
    const m = ERROR_LINE.exec(line);
    if (!m) return skip(ERRORS_FILE, 'not `<time> <phase> <message>`');
    const [, at, phase, message] = m as unknown as [string, string, string, string];
    return tryStore(
      () => store.insertError({ instance: name, at, phase, message: redact(message) }),
      (why) => skip(ERRORS_FILE, why),
    );
  };
  // Oldest first. A rotated file is complete and never appended again: it is read whole when it changes
  // (that is, when a rotation moved lines into it), which also catches lines errors.log got just before rotating.
  for (let i = ERRORS_KEEP; i >= 1; i--) {
    s.errors += await importWhole(store, join(dir, `${ERRORS_FILE}.${i}`), cursorKey(name, `${ERRORS_FILE}.${i}`), errorLine);
  }
  s.errors += await importAppended(store, join(dir, ERRORS_FILE), cursorKey(name, ERRORS_FILE), errorLine);

  s.events = (await importEvents(store, dir, name, log)) ? 1 : 0;
  return s;
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * A row the store refuses for its content (a time that is not ISO-8601) is skipped; anything else (the
 * database is down) is thrown, so the offset is not moved past lines that were never stored.
 */
async function tryStore(write: () => Promise<unknown>, onRefused: (why: string) => void): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (err instanceof Error && typeof (err as { parameter?: unknown }).parameter === 'string') {
      onRefused(describeError(err));
      return false;
    }
    throw err;
  }
}

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Reads the complete lines appended to `file` since the offset kept under `key`, hands each to `onLine`, and
 * moves the offset past them. A file shorter than the offset (truncated, rotated) or with other first bytes
 * (replaced) is read from the start again. A last line without its newline is being written: left for next time.
 * Returns how many lines `onLine` accepted.
 */
async function importAppended(store: Store, file: string, key: string, onLine: (line: string) => Promise<boolean>): Promise<number> {
  const handle = await openIfExists(file);
  if (!handle) return 0;
  try {
    // Only up to the size seen now: bytes appended while reading wait for the next pass, so the head below covers the offset.
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const headHash = (offset: number): string => sha(head.subarray(0, Math.min(offset, HEAD_BYTES)));

    const saved = parseCursor(await store.getCursor(key));
    let start = saved?.offset ?? 0;
    if (start > size || (saved !== null && headHash(start) !== saved.head)) start = 0;

    let accepted = 0;
    let pos = start;
    let committed = start;
    let carry = Buffer.alloc(0);
    while (pos < size) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - pos));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const lastNewline = data.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        carry = Buffer.from(data);
        continue;
      }
      carry = Buffer.from(data.subarray(lastNewline + 1));
      for (const line of data.subarray(0, lastNewline).toString('utf8').split('\n')) {
        const trimmed = line.trim();
        if (trimmed !== '' && (await onLine(trimmed))) accepted++;
      }
      committed = pos - carry.length;
      await store.setCursor(key, JSON.stringify({ offset: committed, head: headHash(committed) } satisfies OffsetCursor));
    }
    if (saved === null || committed !== saved.offset || headHash(committed) !== saved.head) {
      await store.setCursor(key, JSON.stringify({ offset: committed, head: headHash(committed) } satisfies OffsetCursor));
    }
    return accepted;
  } finally {
    await handle.close();
  }
}

function parseCursor(value: string | null): OffsetCursor | null {
  if (value === null) return null;
  const parsed = offsetCursor.safeParse(parseJson(value));
  return parsed.success ? parsed.data : null;
}

/** Reads every complete line of a file that is no longer appended to, when its size, time or content changed. */
async function importWhole(store: Store, file: string, key: string, onLine: (line: string) => Promise<boolean>): Promise<number> {
  let signature: string;
  try {
    const st = await stat(file);
    signature = `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  if ((await store.getCursor(key)) === signature) return 0;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0; // rotated away between stat and read
    throw err;
  }
  let accepted = 0;
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed !== '' && (await onLine(trimmed))) accepted++;
  }
  await store.setCursor(key, signature);
  return accepted;
}

/** events.json is rewritten whole (atomically) after each run: replace the instance's events when its content changed. */
async function importEvents(store: Store, dir: string, name: string, log: Logger): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(join(dir, SYNCED_EVENTS_FILE), 'utf8');
  } catch (err) {
    // No snapshot yet: keep what the store has (never clear a timetable on a missing file).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const key = cursorKey(name, SYNCED_EVENTS_FILE);
  const hash = sha(text);
  if ((await store.getCursor(key)) === hash) return false;
  const parsed = eventsFile.safeParse(parseJson(text));
  if (!parsed.success) {
    log.warn(`${SYNCED_EVENTS_FILE}: not a list of synced events; the store keeps the previous ones`);
  } else {
    await store.replaceEvents(
      name,
      parsed.data.map((e) => ({ instance: name, ...e })),
    );
  }
  // Remembered even when unreadable, so the warning is said once per content, not every pass.
  await store.setCursor(key, hash);
  return parsed.success;
}

/** Instance directories under the data dir (valid names only: `.supervisor` and the database file are not instances). */
export async function instancesInDataDir(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(dataDir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isValidInstanceName(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface ImporterOptions {
  store: Store;
  dataDir: string;
  /** The instances to read; by default every instance directory in the data dir, looked up on each pass. */
  instances?: readonly string[] | (() => Promise<readonly string[]>);
  logger: Logger;
  intervalMs?: number;
  /** The redactor of today's configs, asked once per pass (see ImportOptions.redact). */
  redactor?: () => Promise<(text: string) => string>;
  /** Whose timers space the passes (tests pass a fake clock); default the system's. */
  clock?: Clock;
}

export interface Importer {
  /** Runs a pass now (after the one in flight, if any: passes never overlap). */
  runNow(): Promise<ImportSummary>;
  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void>;
}

/** Imports at once, then every `intervalMs` after the previous pass finished (a slow pass delays the next, never overlaps it). */
export function startImporter(opts: ImporterOptions): Importer {
  const intervalMs = opts.intervalMs ?? IMPORT_INTERVAL_MS;
  const clock = opts.clock ?? systemClock;
  let stopped = false;
  let timer: TimerHandle | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let lastFailure = '';

  const listInstances = async (): Promise<readonly string[]> => {
    const source = opts.instances;
    if (source === undefined) return instancesInDataDir(opts.dataDir);
    return typeof source === 'function' ? source() : source;
  };

  const pass = async (): Promise<ImportSummary> => {
    try {
      const redact = opts.redactor ? await opts.redactor() : undefined;
      const summary = await importInstanceData({
        store: opts.store,
        dataDir: opts.dataDir,
        instances: await listInstances(),
        logger: opts.logger,
        ...(redact ? { redact } : {}),
      });
      lastFailure = '';
      return summary;
    } catch (err) {
      // Said once per distinct failure: a database down for an hour is one line, not 720.
      const message = describeError(err);
      if (message !== lastFailure) opts.logger.warn(`import pass failed, will try again: ${message}`);
      lastFailure = message;
      return emptySummary();
    }
  };

  const runNow = (): Promise<ImportSummary> => {
    const next = chain.then(pass);
    chain = next.catch(() => {});
    return next;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(
      () => {
        timer = null;
        void runNow().finally(schedule);
      },
      intervalMs,
      { unref: true },
    );
  };

  void runNow().finally(schedule);

  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      timer = null;
      await chain;
    },
  };
}
