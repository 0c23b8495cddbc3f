import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import type { EcalSimEvent, SimCourseSpec } from '../src/sim/index.js';
import { freePort } from './slots-helpers.js';

export const CLI = resolve(import.meta.dirname, '../dist/cli.js');
export const CALENDAR_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';
export const API_KEY = 'test-key-0123';
export const API_SECRET = 'test-secret-4567';
export const PASSWORD = 'Corr3ct-Horse!';

export interface Workspace {
  root: string;
  configs: string;
  data: string;
  env: NodeJS.ProcessEnv;
}

export async function makeWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'campus-sync-e2e-'));
  const configs = join(root, 'configs');
  const data = join(root, 'data');
  await mkdir(configs);
  return {
    root,
    configs,
    data,
    // PORT=0: a supervisor started by a test runs the reporting API on a free port, never a fixed one.
    env: { ...process.env, CAMPUS_SYNC_CONFIG_DIR: configs, CAMPUS_SYNC_DATA_DIR: data, NO_COLOR: '1', LOG_FORMAT: 'text', PORT: '0' },
  };
}

export async function writeConfig(ws: Workspace, name: string, yaml: string): Promise<string> {
  const file = join(ws.configs, `${name}.yml`);
  await writeFile(file, yaml);
  return file;
}

/** Without `casUrl` the worker discovers the CAS from the timetable host, as a config written from the README does. */
export function nestedConfig(o: {
  casUrl?: string;
  url: string;
  ecalUrl: string;
  from: string;
  to: string;
  username?: string;
  password?: string;
  maxDeleteShare?: number;
}): string {
  return [
    'timezone: Europe/Paris',
    'moncampus:',
    `  url: ${o.url}`,
    ...(o.casUrl ? [`  casUrl: ${o.casUrl}`] : []),
    `  username: ${o.username ?? 'student'}`,
    `  password: "${o.password ?? PASSWORD}"`,
    '  window:',
    `    from: "${o.from}"`,
    `    to: "${o.to}"`,
    'ecal:',
    `  url: ${o.ecalUrl}`,
    `  apiKey: ${API_KEY}`,
    `  apiSecret: ${API_SECRET}`,
    `  calendarId: ${CALENDAR_ID}`,
    ...(o.maxDeleteShare !== undefined ? [`  maxDeleteShare: ${o.maxDeleteShare}`] : []),
    '',
  ].join('\n');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A node program (`args[0]`, a script) with its arguments, its output collected to its end. */
export function startNode(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<CliResult> } {
  return startNode([CLI, ...args], env);
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).result;
}

/**
 * What ECAL should hold for a timetable, derived from the simulator's course specs (Paris wall clock),
 * independently of our normaliser: one event per distinct course, keyed by date+time+title.
 */
export function expectedKeys(courses: SimCourseSpec[]): string[] {
  const keys = new Set<string>();
  for (const c of courses) {
    const s = DateTime.fromISO(c.start, { zone: 'Europe/Paris' });
    const e = DateTime.fromISO(c.end, { zone: 'Europe/Paris' });
    const title = c.comment && c.comment.toUpperCase() !== 'COMMENTAIRE' ? c.comment : (c.subject ?? c.title.replace(/^G\d+\s+/, ''));
    keys.add(`${s.toFormat('yyyy-MM-dd HH:mm')}-${e.toFormat('HH:mm')} ${title}`);
  }
  return [...keys].sort();
}

export function ecalKeys(events: EcalSimEvent[]): string[] {
  return events.map((e) => `${e.startDate} ${normTime(e.startTime)}-${normTime(e.endTime)} ${e.name}`).sort();
}

const normTime = (t: string | undefined): string => (t ?? '').slice(0, 5);

/** References used more than once: a duplicate in ECAL. */
export function duplicateReferences(events: EcalSimEvent[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) if (e.reference) seen.set(e.reference, (seen.get(e.reference) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([r]) => r);
}

export const writesIn = (requests: { method: string }[]): number => requests.filter((r) => r.method !== 'GET').length;

/**
 * `promise` (an exit, a close, an answer), or an error naming `what` once `deadlineMs` has passed without it:
 * the bound of a promise such as "exits within 10 s", checked on the event rather than by timing it.
 */
export async function within<T>(promise: Promise<T>, deadlineMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Runs `command` on a real terminal (`script` gives it a pty, as a person at the keyboard has) and types each
 * answer once its question is on the screen, so the terminal's echo is what the program chose (secrets: off).
 * Resolves with everything the terminal showed and the exit code.
 */
export function answerOnTerminal(
  command: string,
  dialogue: [RegExp, string][],
  opts: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<{ code: number | null; text: string }> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const pending = [...dialogue];
  let text = '';
  let seen = 0;
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    const next = pending[0];
    if (next?.[0].test(text.slice(seen))) {
      seen = text.length;
      pending.shift();
      child.stdin.write(`${next[1]}\r`);
      if (pending.length === 0) child.stdin.end();
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, text })));
}

/** Condition polls (not timing windows): resolves with the first truthy value `fn` gives. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `campus-sync supervise --runtime process` (serve beside it, a worker per config) with the dashboard on a free port
 * of 127.0.0.1 behind `dashboardKey`; resolves once its API answers /health.
 */
export async function startProcessSupervisor(ws: Workspace, dashboardKey: string): Promise<{ supervisor: ReturnType<typeof startCli>; base: string }> {
  const port = await freePort();
  const env = { ...ws.env, CAMPUS_SYNC_RUNTIME: 'process', PORT: String(port), HOST: '127.0.0.1', API_KEY: dashboardKey, LOG_LEVEL: 'warn' };
  const supervisor = startCli(['supervise', '--runtime', 'process'], env);
  const base = `http://127.0.0.1:${port}`;
  await until('the API', () =>
    fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    ),
  );
  return { supervisor, base };
}
