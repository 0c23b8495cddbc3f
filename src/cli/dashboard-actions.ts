import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_DIR_ENV, DATA_DIR_ENV, isValidInstanceName } from '../config/index.js';
import type { ActionResult, DashboardActions } from '../api/dashboard/index.js';
import { describeError, INTL_LOCALE, systemClock, translator, type Clock, type Locale } from '../lib/index.js';
import { askSupervisor } from './ask-supervisor.js';
import { stateWord } from './human.js';
import { APP_ROOT } from './runtime.js';

/**
 * A sync answers within this long in the usual case (a few seconds; a first sync of a long timetable, about a
 * minute). Past it the button answers "still running" and the run carries on: killing it mid-push would leave
 * half a plan applied, and the card shows its outcome when it ends.
 */
export const RUN_NOW_ANSWER_MS = 120_000;
/** A run that is still going after this long is stopped (SIGTERM): no dashboard click leaves a process forever. */
export const RUN_NOW_KILL_MS = 15 * 60_000;
/** Each channel has its own bounded retries; a test that takes longer than this is reported as hanging and stopped. */
export const NOTIFY_TEST_TIMEOUT_MS = 60_000;
/** A Docker restart is a stop (up to 10 s grace) and a start; the control client itself gives up at 30 s. */
export const RESTART_TIMEOUT_MS = 35_000;
/** What is kept of a child's output: a run's JSON with its plan is small; a flood of logs is cut. */
const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;

export interface DashboardActionsOptions {
  configDir: string;
  dataDir: string;
  /** The CLI the children run: dist/cli.js of this checkout by default. */
  cliPath?: string;
  /** The environment the children get (for `${VAR}` in configs); the dirs are set on top of it. */
  env?: NodeJS.ProcessEnv;
  runAnswerMs?: number;
  runKillMs?: number;
  notifyTimeoutMs?: number;
  restartTimeoutMs?: number;
  /** The deadlines' timers (default systemClock); the children themselves run on real time. */
  clock?: Clock;
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the answer deadline passed first: the child may still be running. */
  late: boolean;
  spawnError?: string;
}

/**
 * Runs `node <cli> <args>` as the owner of the instance's data folder when this process is root (the supervisor
 * container runs as root, workers as uid 1000): files a run creates there stay writable by the worker.
 */
async function runCli(
  o: Required<Pick<DashboardActionsOptions, 'configDir' | 'dataDir' | 'cliPath' | 'clock'>> & { env: NodeJS.ProcessEnv },
  name: string,
  args: string[],
  answerMs: number,
  killMs: number,
): Promise<ChildOutcome> {
  let ids: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const st = await stat(join(o.dataDir, name)).catch(() => stat(o.dataDir).catch(() => null));
    if (st && st.uid !== 0) ids = { uid: st.uid, gid: st.gid };
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [o.cliPath, ...args], {
      env: { ...o.env, [CONFIG_DIR_ENV]: o.configDir, [DATA_DIR_ENV]: o.dataDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(ids ?? {}),
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (r: ChildOutcome): void => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(answerTimer);
      resolve(r);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      // The end of stderr matters most (the final error line): keep the tail.
      stderr = (stderr + d).slice(-MAX_OUTPUT_BYTES);
    });
    const answerTimer = o.clock.setTimeout(() => finish({ code: null, signal: null, stdout, stderr, late: true }), answerMs);
    const killTimer = o.clock.setTimeout(() => child.kill('SIGTERM'), killMs, { unref: true });
    child.on('error', (err) => {
      o.clock.clearTimeout(killTimer);
      finish({ code: null, signal: null, stdout, stderr, late: false, spawnError: describeError(err) });
    });
    child.on('close', (code, signal) => {
      o.clock.clearTimeout(killTimer);
      finish({ code, signal, stdout, stderr, late: false });
    });
  });
}

/** The JSON objects a `--json` verb printed, one per line (log lines and partial lines are passed over). */
function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** The CLI's own error (`{"error": …}` on stderr in --json mode), else the last line of stderr. */
function cliError(r: ChildOutcome): string {
  if (r.spawnError) return `could not start the CLI: ${r.spawnError}`;
  const errors = jsonLines(r.stderr).filter((o) => typeof o.error === 'string' && o.level === undefined);
  const last = errors[errors.length - 1];
  if (last) return String(last.error).split('\n')[0] as string;
  if (r.signal) return `the CLI was stopped by ${r.signal}`;
  // A crash prints a stack and Node's version last: the `Error: …` line is the one that says something.
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^Node\.js v\d/.test(l));
  const line = lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines[lines.length - 1];
  return line ? line.slice(0, 500) : `the CLI exited with code ${r.code ?? '?'}`;
}

/** Whole seconds, for a deadline ("120"). */
const seconds = (ms: number): number => Math.round(ms / 1000);

interface RunJson {
  outcome?: unknown;
  durationMs?: unknown;
  courses?: unknown;
  error?: unknown;
  phase?: unknown;
  counts?: Record<string, unknown>;
}

/** A run's record (`run-once --json`) as the card says it, in `locale` (the run's own error as the CLI wrote it). */
function describeRun(r: RunJson, locale: Locale): ActionResult {
  const t = translator(locale);
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  const c = r.counts ?? {};
  const outcome = String(r.outcome);
  // One decimal, with the locale's decimal sign ("2,5 s" / "2.5 s").
  const duration = new Intl.NumberFormat(INTL_LOCALE[locale], { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n(r.durationMs) / 1000);
  const summary = t('dashboard.result.runSummary', {
    created: n(c.created),
    updated: n(c.updated),
    deleted: n(c.deleted),
    unchanged: n(c.unchanged),
    courses: n(r.courses),
    seconds: duration,
  });
  const details: string[] = [];
  if (n(c.adopted) > 0) details.push(t('dashboard.result.adopted', { count: n(c.adopted) }));
  if (n(c.failed) > 0) details.push(t('dashboard.result.failed', { count: n(c.failed) }));
  if (typeof r.error === 'string' && r.error !== '') details.push(`${typeof r.phase === 'string' ? r.phase : 'run'}: ${r.error}`);
  const message = t('dashboard.result.run', { outcome: stateWord('outcome', outcome, locale), summary });
  return { ok: outcome === 'success', message, ...(details.length ? { details } : {}) };
}

/**
 * The dashboard's buttons, done the way a person at the shell would: `campus-sync run-once <name> --json`,
 * `campus-sync notify test <name> --json` as child processes (their failures stay theirs, and the run lock
 * keeps a run from overlapping the worker's), and the restart through the running supervisor's control socket.
 */
export function createDashboardActions(opts: DashboardActionsOptions): DashboardActions {
  const o = {
    configDir: opts.configDir,
    dataDir: opts.dataDir,
    cliPath: opts.cliPath ?? join(APP_ROOT, 'dist', 'cli.js'),
    env: opts.env ?? process.env,
    clock: opts.clock ?? systemClock,
  };
  const check = (name: string): void => {
    // The dashboard checks names already; a name also becomes a path and an argument here.
    if (!isValidInstanceName(name)) throw new Error(`"${name}" is not an instance name`);
  };

  return {
    async runNow(name, locale) {
      check(name);
      const t = translator(locale);
      const answerMs = opts.runAnswerMs ?? RUN_NOW_ANSWER_MS;
      const r = await runCli(o, name, ['run-once', name, '--json'], answerMs, opts.runKillMs ?? RUN_NOW_KILL_MS);
      if (r.late) return { ok: true, message: t('dashboard.result.runStill', { seconds: seconds(answerMs) }) };
      const record = jsonLines(r.stdout).find((l) => 'outcome' in l && 'counts' in l) as RunJson | undefined;
      if (record) return describeRun(record, locale);
      return { ok: false, message: t('dashboard.result.runNotStarted', { error: cliError(r) }) };
    },

    async restart(name, locale) {
      check(name);
      const t = translator(locale);
      const answer = await askSupervisor(o.dataDir, `/workers/${name}/restart`, { timeoutMs: opts.restartTimeoutMs ?? RESTART_TIMEOUT_MS, clock: o.clock });
      if (answer.kind === 'ok') return { ok: true, message: t('dashboard.result.restarted', { name }) };
      if (answer.kind === 'no-supervisor') return { ok: false, message: t('dashboard.result.noSupervisor') };
      if (answer.kind === 'unanswered') return { ok: false, message: t('dashboard.result.restartUnconfirmed', { error: answer.error }) };
      if (answer.kind === 'no-worker') return { ok: false, message: t('dashboard.result.noWorker', { name, why: answer.why }) };
      return { ok: false, message: t('dashboard.result.restartFailed', { name, why: answer.why }) };
    },

    async testNotification(name, locale) {
      check(name);
      const t = translator(locale);
      const timeoutMs = opts.notifyTimeoutMs ?? NOTIFY_TEST_TIMEOUT_MS;
      // Killed at the deadline: a test message has nothing to finish.
      const r = await runCli(o, name, ['notify', 'test', name, '--json'], timeoutMs, timeoutMs);
      const channels = jsonLines(r.stdout).filter((l) => typeof l.channel === 'string' && typeof l.ok === 'boolean');
      if (r.late && channels.length === 0) return { ok: false, message: t('dashboard.result.testNoAnswer', { seconds: seconds(timeoutMs) }) };
      if (channels.length === 0) return { ok: false, message: t('dashboard.result.testNotSent', { error: cliError(r) }) };
      const sent = channels.filter((c) => c.ok === true).length;
      const details = channels.map(
        (c) =>
          `${c.ok === true ? '✓' : '✗'} ${String(c.channel)} (${String(c.type)}): ${c.ok === true ? t('dashboard.result.channelSent') : String(c.error ?? 'failed')}`,
      );
      if (r.late) details.push(t('dashboard.result.testStopped', { seconds: seconds(timeoutMs) }));
      return { ok: sent === channels.length && !r.late, message: t('dashboard.result.testSent', { sent, count: channels.length }), details };
    },
  };
}
