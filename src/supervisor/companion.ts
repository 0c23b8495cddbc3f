import { spawn, type ChildProcess } from 'node:child_process';
import { describeError, PARENT_PIPE_ENV, silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { createCrashTracker, type CrashTrackerOptions } from './backoff.js';
import { defaultCliPath } from './process-runtime.js';

/**
 * A companion: one more `campus-sync <verb>` process the supervisor keeps running beside the workers (the
 * reporting API, `serve`). It runs in its own process so the supervisor's memory and event loop stay its own
 * and a crash of one cannot take the other down. Restarts are bounded and back off exactly like a worker's.
 */
export interface CompanionOptions {
  /** Name for log lines, e.g. "api". */
  name: string;
  /** CLI arguments, e.g. ['serve']. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  cliPath?: string;
  logger?: Logger;
  backoff?: CrashTrackerOptions;
  clock?: Clock;
}

export type CompanionState = 'starting' | 'running' | 'waiting' | 'stopping' | 'stopped';

/** Allowed moves; anything else is a bug, thrown at once. */
export const COMPANION_TRANSITIONS: Readonly<Record<CompanionState, readonly CompanionState[]>> = {
  starting: ['running', 'stopping'],
  running: ['waiting', 'stopping'],
  waiting: ['starting', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Two-stage stop: SIGTERM (the verb finishes what it is doing), then SIGKILL after this long. */
export const COMPANION_STOP_GRACE_MS = 10_000;

export interface Companion {
  state(): CompanionState;
  pid(): number | undefined;
  /** Stops it for good: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startCompanion(opts: CompanionOptions): Companion {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const cliPath = opts.cliPath ?? defaultCliPath();
  const tracker = createCrashTracker({ ...opts.backoff, clock });
  let state: CompanionState = 'starting';
  let child: ChildProcess | undefined;
  let timer: TimerHandle | undefined;
  let exited: Promise<void> = Promise.resolve();

  const move = (to: CompanionState): void => {
    if (!COMPANION_TRANSITIONS[state].includes(to)) throw new Error(`companion ${opts.name}: illegal move ${state} → ${to}`);
    state = to;
  };

  const launch = (): void => {
    // stdin: the parent pipe (PARENT_PIPE_ENV): the companion exits when this process dies, however it dies.
    const proc = spawn(process.execPath, [cliPath, ...opts.args], {
      env: { ...(opts.env ?? process.env), [PARENT_PIPE_ENV]: '1' },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    child = proc;
    tracker.onStarted(opts.name, clock.now());
    move('running');
    logger.info(`${opts.name} started (pid ${proc.pid ?? '?'}): campus-sync ${opts.args.join(' ')}`);
    exited = new Promise<void>((resolve) => {
      proc.once('error', (err) => logger.error(`${opts.name} could not start: ${describeError(err)}`));
      proc.once('close', (code, signal) => {
        child = undefined;
        resolve();
        if (state !== 'running') return;
        const d = tracker.onExit(opts.name, clock.now());
        const how = signal ? `signal ${signal}` : `code ${code ?? '?'}`;
        if (d.reportNow) logger.error(`${opts.name} keeps dying (${d.consecutive} times in a row): restarts now back off up to minutes`);
        logger.warn(`${opts.name} exited (${how}); restart in ${Math.round(d.delayMs / 1000)} s`);
        move('waiting');
        timer = clock.setTimeout(() => {
          timer = undefined;
          if (state !== 'waiting') return;
          move('starting');
          launch();
        }, d.delayMs);
      });
    });
  };

  launch();

  return {
    state: () => state,
    pid: () => child?.pid,
    async stop(graceMs = COMPANION_STOP_GRACE_MS) {
      if (state === 'stopping' || state === 'stopped') return exited;
      move('stopping');
      if (timer) clock.clearTimeout(timer);
      const proc = child;
      if (proc) {
        proc.kill('SIGTERM');
        const kill = clock.setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clock.clearTimeout(kill);
      }
      move('stopped');
    },
  };
}
