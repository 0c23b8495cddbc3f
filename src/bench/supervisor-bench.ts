/**
 * `npm run bench` (second part): 20 configs supervised on this machine, with the process runtime and with
 * the Docker runtime (the supervisor in a container, as compose.yml runs it). Prints: time from start until
 * every worker finished a first sync, time from a config edit until its worker runs the new spec, the
 * supervisor's resident memory, each worker's memory, and the image size. Figures, never assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EcalSim, MonCampusSim } from '../sim/index.js';
import { anonMbOf, docker, FLEET_ECAL, fleetPassword, lastRunOk, parseMiB, rssMbOf, startFleet, stats, type Fleet } from './fleet.js';
import { figure, reportTarget } from './targets.js';
import { WORKER_STATUS_FILE } from '../instance/index.js';

/**
 * The issue's size: 20 configs on this 2-core machine. SUPERVISOR_BENCH_CONFIGS=100 measures the supervisor with
 * as many configs as the Swarm target without a Swarm (SUPERVISOR_BENCH_RUNTIMES=process: that runtime only).
 */
const CONFIGS = Number(process.env.SUPERVISOR_BENCH_CONFIGS ?? 20);
const RUNTIMES = (process.env.SUPERVISOR_BENCH_RUNTIMES ?? 'process,docker').split(',').map((r) => r.trim());
/** Time for every first sync: three minutes for the 20 configs, proportionally more for more. */
const FIRST_SYNC_TIMEOUT_MS = Math.max(180_000, CONFIGS * 9_000);
/** A realistic month of courses each: the bench is about supervision, not about one sync's size. */
const COURSES_PER_CONFIG = 40;
const IMAGE = process.env.CAMPUS_SYNC_IMAGE || 'campus-sync:local';
const APP_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(APP_ROOT, 'dist/cli.js');
const SUPERVISOR_CONTAINER = 'campus-sync-bench-supervisor';
/** Issue 20: a worker asleep between runs may keep this much private memory (twenty of them on a Pi). */
const WORKER_IDLE_ANON_TARGET_MB = 25;
/**
 * How long after their first syncs the workers' private memory is read: V8's memory reducer shrinks a heap about
 * 8 s after its last busy phase (--gc-memory-reducer-start-delay-ms), and a worker sleeps hours between runs, so a
 * figure read before that is the end of a sync, not a worker between runs. As worker-memory-bench's IDLE_MS.
 */
const WORKER_IDLE_SETTLE_MS = 12_000;

type Setup = Fleet;

const names = Array.from({ length: CONFIGS }, (_, i) => `bench${String(i + 1).padStart(3, '0')}`);
const calendarOf = (i: number): string => (i + 1).toString(16).padStart(24, 'c');

async function setup(): Promise<Setup> {
  const s = await startFleet({ prefix: 'campus-sync-sbench-', names, courses: COURSES_PER_CONFIG, calendarOf });
  for (const [i, n] of names.entries()) await writeFile(join(s.configs, `${n}.yml`), configText(n, i, s.mc, s.ecal, '2026-07-31'), { mode: 0o644 });
  return s;
}

function configText(n: string, i: number, mc: MonCampusSim, ecal: EcalSim, to: string): string {
  return [
    `schedule: "0 0 1 1 *"`,
    'moncampus:',
    `  url: ${mc.url}`,
    `  casUrl: ${mc.casUrl}`,
    `  username: ${n}`,
    `  password: ${fleetPassword(n)}`,
    `  window: { from: "2025-09-01", to: "${to}" }`,
    'ecal:',
    `  url: ${ecal.url}`,
    `  apiKey: ${FLEET_ECAL.key}`,
    `  apiSecret: ${FLEET_ECAL.secret}`,
    `  calendarId: ${calendarOf(i)}`,
    '',
  ].join('\n');
}

async function waitAll(data: string, after: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const done = await Promise.all(names.map((n) => lastRunOk(data, n, after)));
    if (done.every(Boolean)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`only ${done.filter(Boolean).length}/${CONFIGS} workers synced in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Edits one config and waits until a worker with a new pid (process) or container (docker) runs it. */
async function editLatency(s: Setup, identity: () => Promise<string | null>): Promise<number> {
  const before = await identity();
  const t0 = performance.now();
  await writeFile(join(s.configs, `${names[0]}.yml`), configText(names[0]!, 0, s.mc, s.ecal, '2026-06-30'));
  for (;;) {
    const now = await identity();
    if (now && now !== before) return performance.now() - t0;
    if (performance.now() - t0 > 60_000) throw new Error('the edited config was not picked up in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Proportional set size: the process's private pages plus its share of pages mapped by several processes
 * (the node binary and ICU data, mapped by every worker). What one more worker really costs a host.
 */
const pssMbOf = (pid: number): number => {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Row {
  runtime: string;
  firstSyncS: number;
  editS: number;
  supervisorMb: number;
  workerMb: { min: number; max: number; mean: number };
  /** Process runtime only: proportional set size of the workers. */
  workerPssMb?: { min: number; max: number; mean: number };
  /** Process runtime only: private memory of the idle workers after their first sync. */
  workerIdleAnonMb?: { min: number; max: number; mean: number };
}

async function benchProcess(): Promise<Row> {
  const s = await setup();
  // The reporting API (the supervisor's companion process) is measured by api-bench; here only supervisor and workers.
  const env = { ...process.env, CAMPUS_SYNC_CONFIG_DIR: s.configs, CAMPUS_SYNC_DATA_DIR: s.data, LOG_LEVEL: 'warn', CAMPUS_SYNC_API: 'off' };
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [CLI, 'supervise', '--runtime', 'process'], { env, stdio: 'ignore' });
  let peakSupervisor = 0;
  const sampler = setInterval(() => (peakSupervisor = Math.max(peakSupervisor, rssMbOf(child.pid!) || 0)), 100);
  try {
    const firstSync = await waitAll(s.data, started, FIRST_SYNC_TIMEOUT_MS);
    const workerPids = childPids(child.pid!);
    const workers = workerPids.map(rssMbOf).filter(Number.isFinite);
    const workersPss = workerPids.map(pssMbOf).filter(Number.isFinite);
    const pidOf = async (): Promise<string | null> => {
      try {
        const w = JSON.parse(await readFile(join(s.data, names[0]!, WORKER_STATUS_FILE), 'utf8')) as { pid: number; state: string };
        return w.state === 'idle' || w.state === 'running' ? String(w.pid) : null;
      } catch {
        return null;
      }
    };
    const synced = performance.now();
    const edit = await editLatency(s, pidOf);
    await sleep(Math.max(0, synced + WORKER_IDLE_SETTLE_MS - performance.now()));
    // The edited worker's first process is gone by now (its figure is NaN): the other 19, idle since their sync.
    const workersAnon = workerPids.map(anonMbOf).filter(Number.isFinite);
    return {
      runtime: 'process',
      firstSyncS: firstSync / 1000,
      editS: edit / 1000,
      supervisorMb: peakSupervisor,
      workerMb: stats(workers),
      workerPssMb: stats(workersPss),
      workerIdleAnonMb: stats(workersAnon),
    };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    await s.mc.close();
    await s.ecal.close();
    await rm(s.root, { recursive: true, force: true });
  }
}

async function removeBenchContainers(): Promise<void> {
  const ids = (await docker('ps', '-aq', '--filter', 'label=campus-sync.managed=true', '--filter', 'name=campus-sync-bench')).split('\n').filter(Boolean);
  const sup = (await docker('ps', '-aq', '--filter', `name=${SUPERVISOR_CONTAINER}`)).split('\n').filter(Boolean);
  if (ids.length + sup.length > 0) await docker('rm', '-f', ...ids, ...sup);
}

async function benchDocker(): Promise<Row | string> {
  try {
    await docker('info', '--format', '{{.ServerVersion}}');
  } catch {
    return 'Docker engine not reachable: docker runtime not measured';
  }
  try {
    await docker('image', 'inspect', IMAGE);
  } catch {
    return `image ${IMAGE} missing (bash scripts/docker-setup.sh builds it): docker runtime not measured`;
  }
  await removeBenchContainers();
  const s = await setup();
  // The workers run as uid 1000: their data dirs are created by the supervisor, the configs must be readable.
  const started = Date.now();
  await docker(
    'run',
    '-d',
    '--name',
    SUPERVISOR_CONTAINER,
    '--network',
    'host',
    '--user',
    '0:0',
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-v',
    `${s.configs}:${s.configs}:ro`,
    '-v',
    `${s.data}:${s.data}`,
    '-v',
    `${join(APP_ROOT, 'compose.template.yml')}:/app/compose.template.yml:ro`,
    '-e',
    `CAMPUS_SYNC_CONFIG_DIR=${s.configs}`,
    '-e',
    `CAMPUS_SYNC_DATA_DIR=${s.data}`,
    '-e',
    'CAMPUS_SYNC_API=off',
    '-e',
    `CAMPUS_SYNC_IMAGE=${IMAGE}`,
    '-e',
    'CAMPUS_SYNC_WORKER_NETWORK=host',
    '-e',
    'LOG_LEVEL=warn',
    IMAGE,
    'supervise',
    '--runtime',
    'docker',
  );
  try {
    const firstSync = await waitAll(s.data, started, 300_000);
    const lines = (await docker('stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}')).split('\n');
    const memOf = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => parseMiB(l.split(' ')[1] ?? ''));
    const supervisorMb = memOf(`${SUPERVISOR_CONTAINER} `)[0] ?? NaN;
    const workers = names.flatMap((n) => memOf(`campus-sync-${n} `));
    const idOf = async (): Promise<string | null> => {
      const out = await docker('ps', '-q', '--filter', `name=^campus-sync-${names[0]}$`, '--filter', 'status=running').catch(() => '');
      return out || null;
    };
    const edit = await editLatency(s, idOf);
    return { runtime: 'docker', firstSyncS: firstSync / 1000, editS: edit / 1000, supervisorMb, workerMb: stats(workers) };
  } finally {
    await removeBenchContainers();
    await s.mc.close();
    await s.ecal.close();
    await rm(s.root, { recursive: true, force: true }).catch(() => {});
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first');
  const rows: Row[] = [];
  const notes: string[] = [];
  if (RUNTIMES.includes('process')) rows.push(await benchProcess());
  const d = RUNTIMES.includes('docker') ? await benchDocker() : 'docker runtime not measured (SUPERVISOR_BENCH_RUNTIMES)';
  if (typeof d === 'string') notes.push(d);
  else rows.push(d);
  let imageMb = NaN;
  try {
    imageMb = Number(await docker('image', 'inspect', IMAGE, '--format', '{{.Size}}')) / 1e6;
  } catch {
    notes.push(`image ${IMAGE}: not built`);
  }
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '—');
  const costOf = (r: Row): string => {
    const m = r.workerPssMb ?? r.workerMb;
    return `${f(m.min)} / ${f(m.mean)} / ${f(m.max)} MB ${m.max <= 80 ? '(met)' : '(NOT met)'}`;
  };
  const out = [
    `supervisor — ${CONFIGS} configs of ${COURSES_PER_CONFIG} courses each on this machine (simulators on 127.0.0.1)`,
    '',
    '| runtime | all first syncs done | config edit → new spec running (target ≤ 5 s) | supervisor memory (target ≤ 80 MB) | worker resident set min / mean / max | what a worker costs the host, min / mean / max (target ≤ 80 MB) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.runtime} | ${f(r.firstSyncS)} s | ${f(r.editS, 2)} s ${r.editS <= 5 ? '(met)' : '(NOT met)'} | ${f(r.supervisorMb)} MB ${r.supervisorMb <= 80 ? '(met)' : '(NOT met)'} | ` +
        `${r.workerPssMb ? `${f(r.workerMb.min)} / ${f(r.workerMb.mean)} / ${f(r.workerMb.max)} MB` : '—'} | ${costOf(r)} |`,
    ),
    '',
    `image ${IMAGE}: ${f(imageMb)} MB`,
    "What a worker costs the host: process runtime = proportional set size (private pages plus its share of the pages every worker maps: the node binary and ICU data, which the resident set counts in full for each process); docker = what `docker stats` reports (the cgroup's usage less page cache).",
    ...notes,
    '',
    'targets:',
    ...rows.flatMap((r) => [
      reportTarget({
        area: 'supervisor',
        what: `${r.runtime} runtime: config edit → new spec running`,
        ours: figure(r.editS, 's', 2),
        target: '≤ 5 s',
        met: r.editS <= 5,
      }),
      reportTarget({
        area: 'supervisor',
        what: `${r.runtime} runtime: supervisor memory with ${CONFIGS} configs`,
        ours: figure(r.supervisorMb, 'MB'),
        target: '≤ 80 MB',
        met: r.supervisorMb <= 80,
      }),
      reportTarget({
        area: 'worker memory',
        what: `${r.runtime} runtime: what a worker costs the host (${r.workerPssMb ? 'proportional set size' : 'docker stats'}, worst of ${CONFIGS})`,
        ours: figure((r.workerPssMb ?? r.workerMb).max, 'MB'),
        target: '≤ 80 MB',
        met: (r.workerPssMb ?? r.workerMb).max <= 80,
      }),
    ]),
    ...rows.flatMap((r) =>
      r.workerIdleAnonMb
        ? [
            reportTarget({
              area: 'worker memory',
              what: `private memory of an idle worker between runs, ${WORKER_IDLE_SETTLE_MS / 1000} s after its first sync (worst of ${CONFIGS - 1}: one was edited)`,
              ours: figure(r.workerIdleAnonMb.max, 'MB'),
              target: `≤ ${WORKER_IDLE_ANON_TARGET_MB} MB`,
              met: r.workerIdleAnonMb.max <= WORKER_IDLE_ANON_TARGET_MB,
              // Seen 2026-12-07 in about half the runs: one worker (another each time) 25.7–26.4 MB, the rest 22.1–22.6.
              ...(r.workerIdleAnonMb.max > WORKER_IDLE_ANON_TARGET_MB && {
                note: `${figure(r.workerIdleAnonMb.max - WORKER_IDLE_ANON_TARGET_MB, 'MB')} over, by the worst; the ${CONFIGS - 1} idle workers ${figure(r.workerIdleAnonMb.min, 'MB')} to ${figure(r.workerIdleAnonMb.max, 'MB')}, mean ${figure(r.workerIdleAnonMb.mean, 'MB')}: one worker (another each run) stays ~3.5 MB above the others, not traced yet`,
              }),
            }),
          ]
        : [],
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
