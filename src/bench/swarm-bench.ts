/**
 * `npm run bench` (last part): 100 configs on a single-node Docker Swarm through `campus-sync supervise
 * --runtime swarm` (one service, one Swarm config and one Swarm secret per config). Prints the time from the
 * supervisor's start until every service reported a first successful sync, the supervisor's memory while it
 * does that, what a worker container costs, and what these figures say about a 3-node Raspberry Pi 4 swarm.
 * Figures, never assertions. Initialises the swarm (`docker swarm init --advertise-addr 127.0.0.1`) when the
 * engine is not in one, and leaves it again at the end; everything it creates carries a scope of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { docker, FLEET_ECAL, fleetPassword, lastRunOk, parseMiB, processCpuSeconds, rssMbOf, startFleet, stats } from './fleet.js';
import { reportTarget } from './targets.js';

/** The size. */
const INSTANCES = Number(process.env.SWARM_BENCH_INSTANCES ?? 100);
/** A month of courses each: the bench is about scheduling a hundred services, not about one sync's size. */
const COURSES_PER_CONFIG = 40;
/** 100 containers starting on 2 shared cores: generous, the figure is what counts. */
const FIRST_SYNC_TIMEOUT_MS = 15 * 60_000;
const IMAGE = process.env.CAMPUS_SYNC_IMAGE || 'campus-sync:local';
/** Issue 20: a hundred classmates' services created and first-synced within this, creation bounded by the engine. */
const SWARM_FIRST_SYNC_TARGET_S = 45;
const APP_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(APP_ROOT, 'dist/cli.js');
const SCOPE = `swarm-bench-${process.pid}`;
/**
 * ASSUMPTIONS of the estimate, not measured here (no Pi on this machine): a Raspberry Pi 4 with 4 GB leaves
 * ~3.4 GB to containers once a Lite OS, dockerd and containerd run (~0.6 GB), and one of its Cortex-A72 cores
 * runs node at about a third of the speed of one core of this machine.
 */
const PI_FREE_MB = 3_400;
const PI_CORE_SPEED_VS_HERE = 1 / 3;
const PI_CORES = 4;
const PI_NODES = 3;

const names = Array.from({ length: INSTANCES }, (_, i) => `swarm${String(i + 1).padStart(3, '0')}`);
const calendarOf = (i: number): string => (i + 1).toString(16).padStart(24, 'd');
const passwordVar = (n: string): string => `PW_${n.toUpperCase()}`;

/** Removes the bench's services, then its configs and secrets (Swarm refuses to remove objects still in use). */
async function removeScope(): Promise<void> {
  const filter = `label=campus-sync.scope=${SCOPE}`;
  const services = (await docker('service', 'ls', '-q', '--filter', filter).catch(() => '')).split('\n').filter(Boolean);
  if (services.length) await docker('service', 'rm', ...services).catch(() => '');
  // Tasks shut down asynchronously; their objects are free once the containers are gone.
  for (let i = 0; i < 60; i++) {
    const left = await docker('ps', '-aq', '--filter', filter).catch(() => '');
    if (!left) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  for (const kind of ['secret', 'config']) {
    const ids = (await docker(kind, 'ls', '-q', '--filter', filter).catch(() => '')).split('\n').filter(Boolean);
    if (ids.length) await docker(kind, 'rm', ...ids).catch(() => '');
  }
}

/** What a signal must undo: set once the bench has started its supervisor, run at most once. */
let stopEverything: () => Promise<void> = async () => {};

/**
 * CPU seconds a container has used since it started, from its cgroup (v1 with the cgroupfs driver, as on this
 * machine, or v2); NaN where neither file is readable (another driver: the figure is then not given).
 */
function containerCpuSeconds(id: string): number {
  const candidates = [
    { file: `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, parse: (t: string) => Number(t) / 1e9 },
    { file: `/sys/fs/cgroup/docker/${id}/cpu.stat`, parse: (t: string) => Number(/usage_usec (\d+)/.exec(t)?.[1] ?? NaN) / 1e6 },
    { file: `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, parse: (t: string) => Number(/usage_usec (\d+)/.exec(t)?.[1] ?? NaN) / 1e6 },
  ];
  for (const c of candidates) {
    try {
      return c.parse(readFileSync(c.file, 'utf8'));
    } catch {
      // next layout
    }
  }
  return NaN;
}

interface Result {
  firstSyncS: number;
  /** CPU the worker containers used until every first sync was done (start, sync, HEALTHCHECK probes): the floor of the wall time is this ÷ cores. */
  workerCpuS: number;
  synced: number;
  supervisorPeakMb: number;
  /** CPU seconds the supervisor used until every first sync was done (creating the services, watching them). */
  supervisorCpuS: number;
  supervisorEndMb: number;
  workerMb: { min: number; mean: number; max: number; n: number };
  services: number;
}

async function bench(): Promise<Result> {
  const { root, configs, data, mc, ecal } = await startFleet({ prefix: 'campus-sync-swarm-bench-', names, courses: COURSES_PER_CONFIG, calendarOf });
  // Passwords as ${VAR}, the form the README recommends on a swarm: each becomes a Swarm secret.
  const secrets: Record<string, string> = {};
  for (const [i, n] of names.entries()) {
    secrets[passwordVar(n)] = fleetPassword(n);
    await writeFile(
      join(configs, `${n}.yml`),
      [
        'schedule: "0 0 1 1 *"',
        'moncampus:',
        `  url: ${mc.url}`,
        `  casUrl: ${mc.casUrl}`,
        `  username: ${n}`,
        `  password: \${${passwordVar(n)}}`,
        '  window: { from: "2025-09-01", to: "2026-07-31" }',
        'ecal:',
        `  url: ${ecal.url}`,
        '  apiKeyFile: ecal-key.txt',
        '  apiSecretFile: ecal-secret.txt',
        `  calendarId: ${calendarOf(i)}`,
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
  }
  await writeFile(join(configs, 'ecal-key.txt'), `${FLEET_ECAL.key}\n`, { mode: 0o644 });
  await writeFile(join(configs, 'ecal-secret.txt'), `${FLEET_ECAL.secret}\n`, { mode: 0o644 });
  const env = {
    ...process.env,
    ...secrets,
    CAMPUS_SYNC_CONFIG_DIR: configs,
    CAMPUS_SYNC_DATA_DIR: data,
    CAMPUS_SYNC_SCOPE: SCOPE,
    CAMPUS_SYNC_WORKER_NETWORK: 'host',
    CAMPUS_SYNC_IMAGE: IMAGE,
    CAMPUS_SYNC_API: 'off',
    LOG_LEVEL: 'warn',
  };
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [CLI, 'supervise', '--runtime', 'swarm'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const closed = new Promise((r) => child.on('close', r));
  let cleaning: Promise<void> | undefined;
  // Once only: a signal can arrive while the `finally` below is already cleaning up.
  stopEverything = () =>
    (cleaning ??= (async () => {
      child.kill('SIGTERM');
      await closed;
      await removeScope();
      await mc.close();
      await ecal.close();
      await rm(root, { recursive: true, force: true }).catch(() => {});
    })());
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMbOf(child.pid!) || 0)), 250);
  let lastReport = 0;
  try {
    let synced = 0;
    for (;;) {
      synced = (await Promise.all(names.map((n) => lastRunOk(data, n)))).filter(Boolean).length;
      const elapsed = performance.now() - t0;
      if (synced === INSTANCES || elapsed > FIRST_SYNC_TIMEOUT_MS) break;
      if (elapsed - lastReport > 15_000) {
        lastReport = elapsed;
        process.stderr.write(`swarm bench: ${synced}/${INSTANCES} first syncs after ${Math.round(elapsed / 1000)} s\n`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const firstSyncS = (performance.now() - t0) / 1000;
    const ids = (await docker('ps', '-q', '--no-trunc', '--filter', `label=campus-sync.scope=${SCOPE}`)).split('\n').filter(Boolean);
    const workerCpuS = ids.map(containerCpuSeconds).reduce((a, b) => a + b, 0);
    const supervisorEndMb = rssMbOf(child.pid!);
    const supervisorCpuS = processCpuSeconds(child.pid!);
    const lines = (await docker('stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}')).split('\n');
    const workers = lines
      .filter((l) => l.startsWith('campus-sync-swarm'))
      .map((l) => parseMiB(l.split(' ')[1] ?? ''))
      .filter(Number.isFinite);
    const services = (await docker('service', 'ls', '-q', '--filter', `label=campus-sync.scope=${SCOPE}`)).split('\n').filter(Boolean).length;
    return {
      firstSyncS,
      workerCpuS,
      synced,
      supervisorPeakMb: peak,
      supervisorCpuS,
      supervisorEndMb,
      workerMb: { ...stats(workers), n: workers.length },
      services,
    };
  } finally {
    clearInterval(sampler);
    await stopEverything();
  }
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first');
  try {
    await docker('image', 'inspect', IMAGE);
  } catch {
    const why = `no Docker engine, or image ${IMAGE} missing: bash scripts/docker-setup.sh`;
    process.stdout.write(`swarm: not measured (${why})\n`);
    reportTarget({
      area: 'swarm',
      what: `${INSTANCES} services: every first sync done`,
      ours: '—',
      target: `≤ ${SWARM_FIRST_SYNC_TARGET_S} s`,
      met: null,
      note: why,
    });
    return;
  }
  const state = await docker('info', '--format', '{{.Swarm.LocalNodeState}}');
  const initialised = state !== 'active';
  if (initialised) await docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
  const leave = async () => {
    if (initialised) await docker('swarm', 'leave', '--force').catch(() => '');
  };
  // Stopped by a signal (Ctrl-C, `kill`, bench/all.ts passing one on): a `finally` would not run, and the
  // supervisor left behind would keep re-creating 100 services in whatever uses the engine next (it broke a
  // CI run once). Stop it, remove what the bench made, leave the Swarm it joined, then exit.
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`swarm bench: ${signal}: stopping the supervisor, removing the bench's services${initialised ? ', leaving the Swarm' : ''}\n`);
    void stopEverything()
      .finally(leave)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let r: Result;
  try {
    r = await bench();
  } finally {
    await leave();
  }
  const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '—');
  // Memory is what bounds a Pi: workers sleep between syncs, and a sync is a few seconds of one core.
  // Between every worker at its peak at once (the largest seen) and the mean: both said.
  const perNodeByMemory = Math.floor(PI_FREE_MB / r.workerMb.max);
  const perNodeByMean = Math.floor(PI_FREE_MB / r.workerMb.mean);
  const syncCpuS = (r.firstSyncS * cpus().length) / INSTANCES;
  const out = [
    `swarm — ${INSTANCES} configs on a single-node swarm (this machine: ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GB), supervisor with the swarm runtime, workers on the host network reaching the simulators on 127.0.0.1`,
    '',
    '| services | first syncs done | time until every service reported a first successful sync | supervisor resident memory, peak / at the end | supervisor CPU until then | worker container memory min / mean / max (docker stats) |',
    '|---|---|---|---|---|---|',
    `| ${r.services} | ${r.synced}/${INSTANCES} | ${f(r.firstSyncS)} s | ${f(r.supervisorPeakMb)} / ${f(r.supervisorEndMb)} MB | ${f(r.supervisorCpuS)} s | ${f(r.workerMb.min)} / ${f(r.workerMb.mean)} / ${f(r.workerMb.max)} MB (${r.workerMb.n} containers) |`,
    '',
    `Estimate for a ${PI_NODES}-node swarm of Raspberry Pi 4 (4 GB, ${PI_CORES} cores; assumed, not measured: ~${fmtInt(PI_FREE_MB)} MB free per node, a core ~${f(1 / PI_CORE_SPEED_VS_HERE, 0)}× slower than one here): ${fmtInt(PI_FREE_MB)} MB for workers per node at ${f(r.workerMb.max)} MB a worker (the largest seen) to ${f(r.workerMb.mean)} MB (the mean) → ${perNodeByMemory}–${perNodeByMean} workers a node, ~${perNodeByMemory * PI_NODES}–${perNodeByMean * PI_NODES} on ${PI_NODES} nodes (less the supervisor's ${f(r.supervisorPeakMb, 0)} MB on the manager). CPU: the ${INSTANCES} cold starts and first syncs took at most ~${f(syncCpuS, 2)} core-seconds each here (wall time × cores ÷ instances); at ~${f(1 / PI_CORE_SPEED_VS_HERE, 0)}× slower cores a Pi node does one in ~${f(syncCpuS / PI_CORE_SPEED_VS_HERE, 1)} core-seconds, so ~${perNodeByMemory} hourly syncs spread over a node's ${PI_CORES} cores use ~${f(((perNodeByMemory * syncCpuS) / PI_CORE_SPEED_VS_HERE / (PI_CORES * 3600)) * 100, 1)} % of it: memory, not CPU, is the limit. A simultaneous cold start of all of them takes longer on a Pi (image on SD card, ${PI_CORES} slow cores).`,
  ];
  out.push(
    '',
    'targets:',
    reportTarget({
      area: 'swarm',
      what: `${INSTANCES} services: every first sync done`,
      ours: `${f(r.firstSyncS)} s (${r.synced}/${INSTANCES})`,
      target: `≤ ${SWARM_FIRST_SYNC_TARGET_S} s`,
      met: r.synced === INSTANCES && r.firstSyncS <= SWARM_FIRST_SYNC_TARGET_S,
      ...(Number.isFinite(r.workerCpuS) && {
        note: `the workers used ${f(r.workerCpuS)} s of CPU in all (${f(r.workerCpuS / INSTANCES, 2)} s each: node's start, the first sync, the probes), so on ${cpus().length} CPUs no schedule can finish under ${f(r.workerCpuS / cpus().length)} s`,
      }),
    }),
    reportTarget({
      area: 'swarm',
      what: `supervisor memory with ${INSTANCES} services (peak)`,
      ours: `${f(r.supervisorPeakMb)} MB`,
      target: '≤ 80 MB',
      met: r.supervisorPeakMb <= 80,
    }),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

await main();
