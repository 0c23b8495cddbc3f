import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { CONFIG_DIR_ENV, DATA_DIR_ENV, isValidInstanceName } from '../config/index.js';
import {
  clearStoppedOnPurpose,
  createErrorFile,
  ERRORS_FILE,
  isStoppedOnPurpose,
  markStoppedOnPurpose,
  STOPPED_MARK_FILE,
  WORKER_LOG_FILE,
} from '../instance/index.js';
import { describeError, PARENT_PIPE_ENV, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { createCrashTracker, DEFAULT_RESET_AFTER_MS, type CrashTrackerOptions } from './backoff.js';
import type { ActualWorker, DesiredWorker, LogOptions, Runtime, WorkerRef } from './interface.js';

export { WORKER_LOG_FILE };
/** 5 MiB of JSON log lines is weeks of a worker's life; three files bound it to 15 MiB on an SD card. */
export const WORKER_LOG_MAX_BYTES = 5 * 1024 * 1024;
/** worker.log.1 and worker.log.2 are kept. */
export const WORKER_LOG_KEEP = 2;
/** The worker itself gives a run in flight 9 s after SIGTERM; 12 s leaves it room to exit before SIGKILL. */
export const STOP_GRACE_MS = 12_000;
/** `logs --follow` looks for new lines this often: fast enough for a person, cheap for the SD card. */
export const FOLLOW_POLL_MS = 250;
/** The variable a child reads to know which instance it is (the name is also the config's stem). */
export const INSTANCE_ENV = 'CAMPUS_SYNC_INSTANCE';

export interface ProcessRuntimeOptions {
  configDir: string;
  dataDir: string;
  /** Default: `dist/cli.js` of this package. */
  cliPath?: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  clock?: Clock;
  backoff?: Omit<CrashTrackerOptions, 'clock'>;
  /** Between SIGTERM and SIGKILL; tests shorten it. */
  stopGraceMs?: number;
  /** worker.log rotation size; tests shorten it. */
  logMaxBytes?: number;
}

/** `dist/cli.js`: next to the compiled `dist/supervisor/`, or the build output when running from `src/` (tests). */
export function defaultCliPath(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (here.endsWith('.ts')) return resolve(dirname(here), '../../dist/cli.js');
  return resolve(dirname(here), '../cli.js');
}

/** The spec of a process worker: its config's bytes and the program that runs it. */
export function processSpecHash(worker: DesiredWorker, cliPath: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ runtime: 'process', configSha: worker.configSha, cli: cliPath }))
    .digest('hex');
}

interface Entry {
  worker: DesiredWorker;
  hash: string;
  /** False after `stop`: an exit is then expected and nothing restarts it until `start`. */
  wanted: boolean;
  child: ChildProcess | null;
  lastPid: number | null;
  exited: Promise<void>;
  restartTimer: TimerHandle | null;
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  log: LogWriter;
  errors: ReturnType<typeof createErrorFile>;
}

/** What the process runtime's parts share: its options, its clock and crash tracker, and its children by name. */
interface ProcessContext {
  opts: ProcessRuntimeOptions;
  cliPath: string;
  clock: Clock;
  logger: Logger;
  graceMs: number;
  resetAfterMs: number;
  tracker: ReturnType<typeof createCrashTracker>;
  entries: Map<string, Entry>;
  /** Set by close(): no child is started or restarted after it. */
  closing: boolean;
  /** Names created in this runtime's life: only a name's first create keeps a stop made before (createEntry). */
  seen: Set<string>;
}

function instanceDir(ctx: ProcessContext, name: string): string {
  if (!isValidInstanceName(name)) throw new Error(`invalid instance name ${JSON.stringify(name)}`);
  return join(ctx.opts.dataDir, name);
}

function childEnv(ctx: ProcessContext, name: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...(ctx.opts.env ?? process.env),
    [DATA_DIR_ENV]: ctx.opts.dataDir,
    [CONFIG_DIR_ENV]: ctx.opts.configDir,
    [INSTANCE_ENV]: name,
    [PARENT_PIPE_ENV]: '1',
  };
  // A worker that exits after one run would be "restarted" forever: the supervisor's workers are long-running.
  delete env.RUN_ONCE;
  return env;
}

function spawnChild(ctx: ProcessContext, e: Entry): void {
  const { clock, logger } = ctx;
  const name = e.worker.name;
  const child = spawn(process.execPath, [...(ctx.opts.nodeArgs ?? []), ctx.cliPath, 'worker', '--config', e.worker.configFile, '--json'], {
    env: childEnv(ctx, name),
    // stdin: the parent pipe (PARENT_PIPE_ENV), never written to.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const now = clock.now();
  e.child = child;
  e.lastPid = child.pid ?? null;
  e.startedAt = now.toISOString();
  delete e.finishedAt;
  delete e.exitCode;
  ctx.tracker.onStarted(name, now);
  child.stdout?.on('data', (chunk: Buffer) => e.log.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => e.log.write(chunk));
  let resolveExited!: () => void;
  e.exited = new Promise((r) => (resolveExited = r));
  let gone = false;
  const onGone = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
    if (gone) return;
    gone = true;
    resolveExited();
    if (e.child !== child) return;
    e.child = null;
    e.finishedAt = clock.now().toISOString();
    const exitCode = code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : undefined);
    if (exitCode !== undefined) e.exitCode = exitCode;
    const how = err ? `could not start: ${describeError(err)}` : signal ? `killed by ${signal}` : `exit code ${code}`;
    if (!e.wanted || ctx.closing || ctx.entries.get(name) !== e) {
      logger.debug(`${name} stopped (${how})`);
      return;
    }
    onCrash(ctx, e, how);
  };
  child.once('exit', (code, signal) => onGone(code, signal));
  child.once('error', (err) => onGone(null, null, err));
}

function onCrash(ctx: ProcessContext, e: Entry, how: string): void {
  const { clock, logger } = ctx;
  const name = e.worker.name;
  const decision = ctx.tracker.onExit(name, clock.now());
  const delay = `${(decision.delayMs / 1000).toFixed(decision.delayMs < 10_000 ? 1 : 0)} s`;
  logger.warn(`${name} exited unexpectedly (${how}); restarting in ${delay}`, { instance: name, delayMs: decision.delayMs });
  if (decision.reportNow) {
    const message =
      `${name} is crash-looping: exited ${decision.consecutive} times in a row within ${Math.round(ctx.resetAfterMs / 1000)} s of starting ` +
      `(last: ${how}); restarting with growing delays (next in ${delay}); see ${join(instanceDir(ctx, name), WORKER_LOG_FILE)}`;
    logger.error(message, { instance: name });
    void e.errors
      .report('run', 'worker.crashLooping', message, clock.now())
      .catch((err: unknown) => logger.warn(`cannot write ${name}'s errors.log: ${describeError(err)}`));
  }
  e.restartTimer = clock.setTimeout(
    () => {
      e.restartTimer = null;
      if (!e.wanted || ctx.closing || e.child || ctx.entries.get(name) !== e) return;
      e.restartCount++;
      spawnChild(ctx, e);
    },
    Math.max(0, decision.restartAt.getTime() - clock.now().getTime()),
  );
}

/** Two-stage: SIGTERM lets the run in flight finish its writes; SIGKILL after the grace period. */
async function stopEntry(ctx: ProcessContext, e: Entry): Promise<void> {
  e.wanted = false;
  if (e.restartTimer) ctx.clock.clearTimeout(e.restartTimer);
  e.restartTimer = null;
  const child = e.child;
  if (child) {
    child.kill('SIGTERM');
    const killer = ctx.clock.setTimeout(() => {
      ctx.logger.warn(`${e.worker.name} did not stop within ${ctx.graceMs / 1000} s of SIGTERM: killing it`);
      child.kill('SIGKILL');
    }, ctx.graceMs);
    await e.exited;
    ctx.clock.clearTimeout(killer);
  }
  await e.log.flush();
}

function mustGet(ctx: ProcessContext, name: string): Entry {
  const e = ctx.entries.get(name);
  if (!e) throw new Error(`no worker named "${name}"`);
  return e;
}

/** A child's id in `list`: its last pid, or a stand-in before it ever started. */
function entryId(e: Entry): string {
  return e.lastPid !== null ? String(e.lastPid) : `process:${e.worker.name}`;
}

function listEntries(ctx: ProcessContext): ActualWorker[] {
  return [...ctx.entries.values()]
    .sort((a, b) => (a.worker.name < b.worker.name ? -1 : 1))
    .map((e) => {
      const w: ActualWorker = {
        name: e.worker.name,
        id: entryId(e),
        configHash: e.hash,
        state: e.child ? 'running' : e.wanted ? 'restarting' : 'stopped',
        restartCount: e.restartCount,
      };
      if (e.exitCode !== undefined) w.exitCode = e.exitCode;
      if (e.startedAt) w.startedAt = e.startedAt;
      if (e.finishedAt) w.finishedAt = e.finishedAt;
      return w;
    });
}

/**
 * The stopped-on-purpose mark of data/<name>/ (instance/stopped-mark.ts), the one way every runtime keeps a stop
 * (`campus-sync stop`, the status page's Pause) across a supervisor restart: Docker keeps the exited container
 * beside it, Swarm its service scaled to 0, and here it is all there is, since the children die with the
 * supervisor. Not fatal when it cannot be written: the stop itself holds until this supervisor ends.
 */
async function setStoppedMark(ctx: ProcessContext, name: string, stopped: boolean): Promise<void> {
  const dir = instanceDir(ctx, name);
  try {
    if (stopped) {
      await mkdir(dir, { recursive: true });
      await markStoppedOnPurpose(dir, ctx.clock.now());
    } else await clearStoppedOnPurpose(dir);
  } catch (err) {
    const then = stopped ? 'a restarted supervisor starts it again' : 'a restarted supervisor leaves it stopped';
    ctx.logger.warn(`cannot ${stopped ? 'write' : 'remove'} ${join(dir, STOPPED_MARK_FILE)} (${describeError(err)}): ${then}`, { instance: name });
  }
}

/**
 * Starts `worker`'s child, replacing one of another spec; the same spec again only starts a stopped child. The
 * first create of a name in this supervisor's life, with data/<name>/ marked stopped on purpose, makes the entry
 * stopped, as Docker's exited container is found again after a supervisor restart: `start` (or a new spec) runs it.
 */
async function createEntry(ctx: ProcessContext, worker: DesiredWorker): Promise<void> {
  if (ctx.closing) throw new Error('the process runtime is closed');
  const dir = instanceDir(ctx, worker.name);
  if (!existsSync(ctx.cliPath)) throw new Error(`${ctx.cliPath} does not exist: run \`npm run build\` first`);
  const hash = processSpecHash(worker, ctx.cliPath);
  const existing = ctx.entries.get(worker.name);
  if (existing && existing.hash === hash) {
    if (!existing.wanted) {
      await setStoppedMark(ctx, worker.name, false);
      existing.wanted = true;
      spawnChild(ctx, existing);
    }
    return;
  }
  // Later creates (a new spec, or after `clean` removed it) make a new worker, which runs: as Docker's new
  // container clears the mark.
  const first = !ctx.seen.has(worker.name);
  ctx.seen.add(worker.name);
  const keepStopped = !existing && first && (await isStoppedOnPurpose(dir));
  if (existing) {
    await stopEntry(ctx, existing);
    ctx.entries.delete(worker.name);
    ctx.tracker.forget(worker.name);
  }
  if (!keepStopped) await setStoppedMark(ctx, worker.name, false);
  await mkdir(dir, { recursive: true });
  const e: Entry = {
    worker,
    hash,
    wanted: !keepStopped,
    child: null,
    lastPid: null,
    exited: Promise.resolve(),
    restartTimer: null,
    restartCount: 0,
    log: createLogWriter(join(dir, WORKER_LOG_FILE), ctx.opts.logMaxBytes ?? WORKER_LOG_MAX_BYTES, WORKER_LOG_KEEP),
    errors: createErrorFile({ path: join(dir, ERRORS_FILE), redact: (t) => t }),
  };
  ctx.entries.set(worker.name, e);
  if (keepStopped) {
    ctx.logger.info(`${worker.name} stays stopped: stopped on purpose (${STOPPED_MARK_FILE}); \`campus-sync start ${worker.name}\` starts it`, {
      instance: worker.name,
    });
    return;
  }
  spawnChild(ctx, e);
}

async function removeEntry(ctx: ProcessContext, target: WorkerRef): Promise<void> {
  // A process worker is one child per name: its id (the pid) names the same entry.
  const name = target.by === 'name' ? target.name : [...ctx.entries.values()].find((x) => entryId(x) === target.id)?.worker.name;
  if (name === undefined) return;
  const e = ctx.entries.get(name);
  if (!e) return;
  await stopEntry(ctx, e);
  if (ctx.entries.get(name) === e) ctx.entries.delete(name);
  ctx.tracker.forget(name);
}

/**
 * Workers as child processes of the supervisor (`node dist/cli.js worker --config <file> --json`), for a
 * host without Docker. The children belong to the supervisor: they are stopped when it closes and
 * killed if it exits, so a restarted supervisor starts each worker exactly once.
 */
export function createProcessRuntime(opts: ProcessRuntimeOptions): Runtime {
  const clock = opts.clock ?? systemClock;
  const ctx: ProcessContext = {
    opts,
    cliPath: resolve(opts.cliPath ?? defaultCliPath()),
    clock,
    logger: opts.logger,
    graceMs: opts.stopGraceMs ?? STOP_GRACE_MS,
    resetAfterMs: opts.backoff?.resetAfterMs ?? DEFAULT_RESET_AFTER_MS,
    tracker: createCrashTracker({ ...opts.backoff, clock }),
    entries: new Map(),
    closing: false,
    seen: new Set(),
  };

  // Last resort when the supervisor dies without close() (uncaught error, process.exit): kill at once,
  // since nothing can be awaited here. The worker's writes are crash-safe; an orphan syncing is not.
  const onProcessExit = (): void => {
    for (const e of ctx.entries.values()) e.child?.kill('SIGKILL');
  };
  process.on('exit', onProcessExit);

  return {
    kind: 'process',
    capabilities: { sharedWorkers: false, countsRestarts: false, needsRevival: false, sharedEngine: false },
    ping: async () => true,
    list: async () => listEntries(ctx),
    specHash: (w) => processSpecHash(w, ctx.cliPath),
    create: (worker) => createEntry(ctx, worker),
    remove: (target) => removeEntry(ctx, target),
    async start(name) {
      const e = mustGet(ctx, name);
      if (ctx.closing) throw new Error('the process runtime is closed');
      await setStoppedMark(ctx, name, false);
      e.wanted = true;
      if (e.child) return;
      if (e.restartTimer) clock.clearTimeout(e.restartTimer);
      e.restartTimer = null;
      spawnChild(ctx, e);
    },
    async stop(name) {
      const e = ctx.entries.get(name);
      if (!e) return;
      // Marked first, as the Docker runtime does: no moment where it is down without the mark.
      await setStoppedMark(ctx, name, true);
      await stopEntry(ctx, e);
    },
    async restart(name) {
      const e = mustGet(ctx, name);
      await setStoppedMark(ctx, name, false);
      await stopEntry(ctx, e);
      if (ctx.closing) return;
      e.wanted = true;
      e.restartCount++;
      spawnChild(ctx, e);
    },
    logs(name, logOpts = {}) {
      return followLog(join(instanceDir(ctx, name), WORKER_LOG_FILE), logOpts, clock);
    },
    async close() {
      ctx.closing = true;
      await Promise.all([...ctx.entries.values()].map((e) => stopEntry(ctx, e)));
      process.off('exit', onProcessExit);
    },
  };
}

interface LogWriter {
  write(chunk: Buffer): void;
  /** Resolves when every chunk written so far is on disk. */
  flush(): Promise<void>;
}

/** Appends in order, rotating `file` → `file.1` → … `file.<keep>` before a chunk would pass `maxBytes`. */
function createLogWriter(path: string, maxBytes: number, keep: number): LogWriter {
  let size: number | null = null;
  let chain: Promise<void> = Promise.resolve();
  const append = async (chunk: Buffer): Promise<void> => {
    if (size === null)
      size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
    if (size > 0 && size + chunk.length > maxBytes) {
      await rm(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
      await rename(path, `${path}.1`).catch(() => {});
      size = 0;
    }
    await appendFile(path, chunk, { mode: 0o644 });
    size += chunk.length;
  };
  return {
    write(chunk) {
      // A full disk must not crash the supervisor: the line is lost, the worker keeps running.
      chain = chain.then(() => append(chunk)).catch(() => {});
    },
    flush: () => chain,
  };
}

/** Lines of a log file, oldest first: the newest `tail` of them, then (follow) new ones as they come, like `tail -F`. */
async function* followLog(path: string, opts: LogOptions, clock: Clock): AsyncGenerator<string> {
  const initial = await readFile(path).catch(() => Buffer.alloc(0));
  let position = initial.length;
  let ino = await stat(path).then(
    (s) => s.ino,
    () => -1,
  );
  const lines = initial.toString('utf8').split('\n');
  // A trailing partial line is shown now when not following; when following it is completed first.
  let pending = lines.pop() ?? '';
  if (!opts.follow && pending !== '') {
    lines.push(pending);
    pending = '';
  }
  const shown = opts.tail !== undefined ? lines.slice(Math.max(0, lines.length - opts.tail)) : lines;
  for (const line of shown) yield line;
  if (!opts.follow) return;

  const readRange = async (file: string, from: number): Promise<Buffer> => {
    const handle = await open(file, 'r').catch(() => null);
    if (!handle) return Buffer.alloc(0);
    try {
      const { size } = await handle.stat();
      if (size <= from) return Buffer.alloc(0);
      const buf = Buffer.alloc(size - from);
      const { bytesRead } = await handle.read(buf, 0, buf.length, from);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };
  // Bytes, not characters, are counted: a UTF-8 character cut between two reads is decoded whole.
  const decoder = new StringDecoder('utf8');

  while (!opts.signal?.aborted) {
    await clock.sleep(FOLLOW_POLL_MS, opts.signal);
    if (opts.signal?.aborted) return;
    const s = await stat(path).catch(() => null);
    if (!s) continue;
    let text = '';
    if (s.ino !== ino || s.size < position) {
      // Rotated: finish the old file (now `.1`), then read the new one from its start.
      if (ino !== -1 && s.ino !== ino) text += decoder.write(await readRange(`${path}.1`, position));
      ino = s.ino;
      position = 0;
    }
    const fresh = await readRange(path, position);
    position += fresh.length;
    text += decoder.write(fresh);
    if (text === '') continue;
    const parts = (pending + text).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) yield line;
  }
}
