/**
 * What the supervisor benchmarks share: a fleet of instances (configs/ and data/ in a temporary folder, one
 * MonCampus user and one ECAL calendar each, on the simulators), reading whether a worker finished a sync,
 * and the memory figures of processes and containers.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { LAST_RUN_FILE } from '../instance/index.js';

const run = promisify(execFile);

export interface Fleet {
  root: string;
  configs: string;
  data: string;
  mc: MonCampusSim;
  ecal: EcalSim;
}

/** The ECAL key pair every fleet config uses. */
export const FLEET_ECAL = { key: 'bench-key', secret: 'bench-secret' } as const;
export const fleetPassword = (name: string): string => `pw-${name}-secret`;

/** Temporary configs/ and data/, and simulators knowing every name (`courses` courses each, the same for all). */
export async function startFleet(opts: { prefix: string; names: readonly string[]; courses: number; calendarOf: (i: number) => string }): Promise<Fleet> {
  const root = await mkdtemp(join(tmpdir(), opts.prefix));
  const configs = join(root, 'configs');
  const data = join(root, 'data');
  await mkdir(configs, { recursive: true });
  await mkdir(data, { recursive: true });
  const users = Object.fromEntries(opts.names.map((n) => [n, fleetPassword(n)]));
  const mc = await startMonCampusSim({ users, courses: generateTimetable({ count: opts.courses, start: '2025-09-01', seed: 1 }) });
  const ecal = await startEcalSim({ keys: { [FLEET_ECAL.key]: FLEET_ECAL.secret }, calendars: opts.names.map((_, i) => opts.calendarOf(i)) });
  return { root, configs, data, mc, ecal };
}

/** The worker's last run succeeded (and finished at or after `after`, epoch ms). */
export async function lastRunOk(data: string, name: string, after = 0): Promise<boolean> {
  try {
    const r = JSON.parse(await readFile(join(data, name, LAST_RUN_FILE), 'utf8')) as { outcome: string; finishedAt: string };
    return r.outcome === 'success' && Date.parse(r.finishedAt) >= after;
  } catch {
    return false;
  }
}

export async function docker(...args: string[]): Promise<string> {
  return (await run('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

/** A process's resident set in MB (NaN once it is gone). */
export const rssMbOf = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};

/** A process's private (anonymous) resident memory in MB: what one more worker adds, the shared node binary aside. */
export const anonMbOf = (pid: number): number => {
  try {
    return Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every architecture Node runs on). */
const USER_HZ = 100;

/**
 * CPU seconds (user + system) a running process has used, from /proc/<pid>/stat; with `children`, those of its
 * children it has waited for (cutime + cstime). NaN once the process is gone.
 */
export function processCpuSeconds(pid: number | 'self', { children = false } = {}): number {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and
    // 13th, cutime and cstime the two after.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    const first = children ? 13 : 11;
    return (Number(fields[first]) + Number(fields[first + 1])) / USER_HZ;
  } catch {
    return NaN;
  }
}

/** `docker stats` memory text (`35.2MiB`, `1.1GiB`, `512KiB`) in MB. */
export function parseMiB(text: string): number {
  const m = /([\d.]+)\s*([KMG]i?B)/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2]!.startsWith('G') ? n * 1024 : m[2]!.startsWith('K') ? n / 1024 : n;
}

export function stats(values: number[]): { min: number; max: number; mean: number } {
  if (values.length === 0) return { min: NaN, max: NaN, mean: NaN };
  return { min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length };
}
