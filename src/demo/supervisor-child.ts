/**
 * `campus-sync supervise` as a child of the demo: the real CLI, so the demo runs exactly what a user runs.
 * It gets its own process group: a Ctrl+C in the terminal reaches only the demo, which then stops the
 * supervisor once, in order (workers, then the API); a second Ctrl+C kills the whole group at once.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
// Not re-exported by supervisor/index.ts; the same path the supervisor uses for its own workers and API.
import { defaultCliPath } from '../supervisor/process-runtime.js';
import { PARENT_PIPE_ENV } from '../worker/index.js';
import { systemClock, type Clock } from '../lib/index.js';

/** What `campus-sync serve` prints on stdout once it listens (src/cli/serve.ts). */
const API_LISTENING = /campus-sync API listening on (http:\/\/\S+)/;
/** Human log lines: `<time> <level> [instance] message`; the demo echoes the levels that need a look. */
const NOTEWORTHY = /^\S+ (warn|error) /;

/**
 * How long the demo waits for the API to say where it listens: the supervisor's first start (store migration, API)
 * takes seconds, a minute means it is stuck. The demo tests wait as long for the demo's dashboard line.
 */
export const API_WAIT_MS = 60_000;

export interface SupervisorChild {
  pid: number;
  /** The API's base URL once it listens; null if the supervisor exits first. */
  apiUrl: Promise<string | null>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** First stage: SIGTERM (the supervisor stops its workers and the API); SIGKILL of the whole group after graceMs. */
  stop(graceMs: number): Promise<number | null>;
  /** Second stage: SIGKILL to the supervisor and every process it started (they share its group). */
  kill(): void;
  /** True while a process of the supervisor's group is alive (the supervisor or one it started). */
  groupAlive(): boolean;
}

export interface SupervisorChildOptions {
  runtime: 'process' | 'docker';
  env: NodeJS.ProcessEnv;
  /** Every line the supervisor, its API and (process runtime) nothing else print. */
  logFile: string;
  /** Warnings and errors, for the console. */
  onNoteworthy: (line: string) => void;
  cliPath?: string;
  /** The stop's grace period runs on it (default systemClock). */
  clock?: Clock;
}

export function startSupervisorChild(opts: SupervisorChildOptions): SupervisorChild {
  // Docker workers outlive their supervisor by design; the demo's must go with it.
  const args = ['supervise', '--runtime', opts.runtime, ...(opts.runtime === 'docker' ? ['--remove-workers-on-exit'] : [])];
  // stdin: the parent pipe (PARENT_PIPE_ENV): a demo killed with SIGKILL takes its supervisor (and so its workers) along.
  const child = spawn(process.execPath, [opts.cliPath ?? defaultCliPath(), ...args], {
    env: { ...opts.env, [PARENT_PIPE_ENV]: '1' },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start `campus-sync supervise`');
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  let resolveUrl!: (url: string | null) => void;
  const apiUrl = new Promise<string | null>((resolve) => (resolveUrl = resolve));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      const url = API_LISTENING.exec(line)?.[1];
      if (url) resolveUrl(url);
      if (NOTEWORTHY.test(line)) opts.onNoteworthy(line);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      resolveUrl(null);
      log.end();
      resolve(code);
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const kill = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  const groupAlive = (): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    pid,
    apiUrl,
    exited,
    groupAlive,
    async stop(graceMs) {
      if (!gone) child.kill('SIGTERM');
      const clock = opts.clock ?? systemClock;
      const timer = clock.setTimeout(kill, graceMs);
      const code = await exited;
      clock.clearTimeout(timer);
      return code;
    },
    kill,
  };
}
