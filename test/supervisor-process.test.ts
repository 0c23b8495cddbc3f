import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { captureLogger } from '../src/supervisor/capture-logger.test-helper.js';
import type { Runtime } from '../src/supervisor/interface.js';
import { createProcessRuntime } from '../src/supervisor/process-runtime.js';
import { readSupervisorStatus } from '../src/supervisor/status.js';
import { createSupervisor, type Supervisor } from '../src/supervisor/supervisor.js';
import { API_KEY, API_SECRET, CALENDAR_ID, CLI, PASSWORD, makeWorkspace, nestedConfig, runCli, startCli, waitFor, type Workspace } from './helpers.js';

/** Small delays so a crash loop shows within a second or two; a minute of life resets the count. */
const BACKOFF = { baseDelayMs: 150, maxDelayMs: 3_000, crashLoopAfter: 3, resetAfterMs: 60_000 };
const courses = generateTimetable({ count: 40, start: '2025-09-01', seed: 11 });
const inWindow = (to: string) => courses.filter((c) => c.start.slice(0, 10) <= to).length;

/** Worker processes of this workspace, from `ps`: what really runs, whatever the runtime believes. */
function workerPids(ws: Workspace): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(` worker --config ${ws.configs}/`))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .sort((a, b) => a - b);
}
/** waitFor for async conditions: resolves with the first truthy value. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the supervisor with the process runtime', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let runtime: Runtime;
  let supervisor: Supervisor;
  let log = captureLogger();

  const config = (to: string) => nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to });
  const write = (name: string, text: string) => writeFile(join(ws.configs, `${name}.yml`), text);
  const eventsOf = (name: string) => ecal.events().filter((e) => e.reference?.startsWith(`campus-sync:${name}:`)).length;
  const worker = async (name: string) => (await runtime.list()).find((w) => w.name === name);
  const pidOf = async (name: string) => {
    const w = await worker(name);
    return w?.state === 'running' ? Number(w.id) : undefined;
  };
  const boot = async () => {
    log = captureLogger();
    runtime = createProcessRuntime({ configDir: ws.configs, dataDir: ws.data, cliPath: CLI, env: ws.env, logger: log.logger, backoff: BACKOFF });
    supervisor = createSupervisor({ runtime, configDir: ws.configs, dataDir: ws.data, logger: log.logger, debounceMs: 100, heartbeatMs: 500 });
    await supervisor.start();
  };

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    await write('alice', config('2025-09-07'));
    await write('bob', config('2025-09-30'));
    await boot();
  });
  afterAll(async () => {
    await supervisor?.stop({ removeWorkers: true });
    await mc?.close();
    await ecal?.close();
  });

  it('runs one worker per config, and each syncs', async () => {
    expect((await runtime.list()).map((w) => [w.name, w.state])).toEqual([
      ['alice', 'running'],
      ['bob', 'running'],
    ]);
    await waitFor(() => eventsOf('alice') === inWindow('2025-09-07') && eventsOf('bob') === courses.length, 30_000, 'both first syncs');
    expect(inWindow('2025-09-07')).toBeLessThan(courses.length);
    expect(workerPids(ws)).toHaveLength(2);
    const status = await readSupervisorStatus(ws.data);
    expect(status?.instances.map((i) => [i.name, i.state])).toEqual([
      ['alice', 'running'],
      ['bob', 'running'],
    ]);
    expect(log.lines.map((l) => l.message)).toEqual(expect.arrayContaining(['create alice: new config', 'create bob: new config']));
  });

  it('`campus-sync status` without --runtime asks the running supervisor, even where a Docker engine answers', async () => {
    await until('a heartbeat in status.json', async () => (await readSupervisorStatus(ws.data))?.runtime === 'process', 5_000);
    // CAMPUS_SYNC_RUNTIME unset: the auto choice, which probes Docker when no supervisor runs.
    const env = { ...ws.env, CAMPUS_SYNC_RUNTIME: '' };
    const auto = await runCli(['status', '--json'], env);
    expect(auto.code).toBe(0);
    const status = JSON.parse(auto.stdout) as { runtime: string; instances: { name: string; state: string }[] };
    expect(status.runtime).toBe('process');
    expect(status.instances.map((i) => [i.name, i.state])).toEqual([
      ['alice', 'running'],
      ['bob', 'running'],
    ]);
    // --runtime still forces one: a docker view where the engine answers, else a clear runtime error; never the process one.
    const forced = await runCli(['status', '--json', '--runtime', 'docker'], env);
    expect(forced.stdout === '' ? 'docker' : (JSON.parse(forced.stdout) as { runtime: string }).runtime).toBe('docker');
  }, 30_000);

  it('a new config gets a worker', async () => {
    await write('carol', config('2025-09-30'));
    await waitFor(() => eventsOf('carol') === courses.length, 30_000, "carol's sync");
    expect(await pidOf('carol')).toBeGreaterThan(0);
  });

  it('an edited config recreates its worker, which runs the new spec', async () => {
    const before = (await pidOf('alice'))!;
    const bob = await pidOf('bob');
    await write('alice', config('2025-09-30'));
    await waitFor(() => eventsOf('alice') === courses.length, 30_000, "alice's wider window");
    const after = await pidOf('alice');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
    expect(await pidOf('bob')).toBe(bob);
    expect(log.lines.some((l) => l.message === 'recreate alice: config changed')).toBe(true);
  });

  it('a deleted config loses its worker', async () => {
    const bob = (await pidOf('bob'))!;
    await rm(join(ws.configs, 'bob.yml'));
    await waitFor(() => !alive(bob), 20_000, 'bob to stop');
    expect(await worker('bob')).toBeUndefined();
  });

  it('a broken config is reported invalid; its worker and the others keep running', async () => {
    const carol = (await pidOf('carol'))!;
    const alice = (await pidOf('alice'))!;
    await write('carol', 'moncampus: [this is not yaml\n');
    const shown = await until('carol reported invalid', async () =>
      (await readSupervisorStatus(ws.data))?.instances.find((i) => i.name === 'carol' && i.state === 'invalid'),
    );
    expect(shown.configError).toMatch(/carol\.yml/);
    await supervisor.reconcileNow('test');
    expect(await pidOf('carol')).toBe(carol);
    expect(await pidOf('alice')).toBe(alice);
    const errors = await readFile(join(ws.data, 'carol', 'errors.log'), 'utf8');
    expect(errors.match(/ config \[config\.invalid\] /g)).toHaveLength(1);
    expect(log.lines.filter((l) => l.message.startsWith('config carol is invalid'))).toHaveLength(1);
    await write('carol', config('2025-09-30'));
    await waitFor(() => log.lines.some((l) => l.message === 'config carol is no longer invalid'), 10_000, 'carol fixed');
  });

  it('a supervisor restart leaves exactly one worker per config', async () => {
    await supervisor.stop();
    await waitFor(() => workerPids(ws).length === 0, 15_000, 'the children to stop with their supervisor');
    await boot();
    expect((await runtime.list()).map((w) => [w.name, w.state])).toEqual([
      ['alice', 'running'],
      ['carol', 'running'],
    ]);
    await supervisor.reconcileNow('again');
    expect(workerPids(ws)).toHaveLength(2);
  });

  it('a worker killed again and again is restarted with growing delays, and its crash loop is reported once', async () => {
    let last = 0;
    for (let i = 0; i < 4; i++) {
      const pid = await until('alice running again', async () => {
        const p = await pidOf('alice');
        return p !== last ? p : undefined;
      });
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !alive(pid), 5_000, 'the kill');
      last = pid;
    }
    await waitFor(() => log.lines.some((l) => /exited unexpectedly/.test(l.message) && l.meta?.delayMs === 1_200), 10_000, 'the fourth restart delay');
    const delays = log.lines.filter((l) => /^alice exited unexpectedly \(killed by SIGKILL\)/.test(l.message)).map((l) => l.meta?.delayMs);
    expect(delays).toEqual([150, 300, 600, 1_200]);
    const loops = log.lines.filter((l) => l.level === 'error' && /alice is crash-looping: exited 3 times/.test(l.message));
    expect(loops).toHaveLength(1);
    const errors = (await readFile(join(ws.data, 'alice', 'errors.log'), 'utf8')).split('\n').filter((l) => /crash-looping/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\S+Z run \[worker\.crashLooping\] .*alice is crash-looping/);
    const w = await until('alice restarted after its backoff', async () => {
      const x = await worker('alice');
      return x?.state === 'running' ? x : undefined;
    });
    expect(w.restartCount).toBe(4);
    expect(workerPids(ws)).toHaveLength(2);
  });

  it('stop({ removeWorkers }) leaves no child behind', async () => {
    const pids = workerPids(ws);
    expect(pids).toHaveLength(2);
    await supervisor.stop({ removeWorkers: true });
    expect(pids.some(alive)).toBe(false);
    expect(workerPids(ws)).toEqual([]);
    expect(await runtime.list()).toEqual([]);
  });
});

describe('a SIGKILLed supervisor (process runtime)', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  const lastRunDone = async (name: string): Promise<boolean> =>
    readFile(join(ws.data, name, 'last-run.json'), 'utf8').then(
      (t) => (JSON.parse(t) as { outcome: string }).outcome === 'success',
      () => false,
    );

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    for (const name of ['dora', 'eve'])
      await writeFile(
        join(ws.configs, `${name}.yml`),
        nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-09-30' }),
      );
  });
  afterAll(async () => {
    for (const pid of workerPids(ws)) process.kill(pid, 'SIGKILL');
    await mc?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
  });

  it('leaves no orphan: idle workers (writing nothing) and the API companion see their parent pipe close and exit', async () => {
    const sup = startCli(['supervise', '--runtime', 'process', '--json'], ws.env);
    const pids = await until(
      'both workers running',
      async () => {
        const p = workerPids(ws);
        return p.length === 2 && p;
      },
      20_000,
    );
    // Idle between runs, a worker writes nothing: no broken stdout pipe would ever tell it.
    await until('both first syncs done', async () => (await lastRunDone('dora')) && (await lastRunDone('eve')), 30_000);
    // The supervisor's children: the two workers and `campus-sync serve` (the API on a free port, PORT=0).
    const children = readFileSync(`/proc/${sup.child.pid}/task/${sup.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(children).toHaveLength(3);
    expect(children).toEqual(expect.arrayContaining(pids));
    // SIGKILL: no handler runs in the supervisor, nor its process.on('exit') that kills the children.
    sup.child.kill('SIGKILL');
    await sup.result;
    await waitFor(() => !children.some(alive), 20_000, 'the orphaned workers and API to exit');
  }, 60_000);

  it('a worker whose parent pipe closes finishes and exits 0, saying why', async () => {
    const out = join(ws.root, 'dora-alone.log');
    const fd = openSync(out, 'w');
    const child = spawn(process.execPath, [CLI, 'worker', 'dora', '--json'], { env: { ...ws.env, CAMPUS_SYNC_PARENT_PIPE: '1' }, stdio: ['pipe', fd, fd] });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until('the worker started', async () => (await readFile(out, 'utf8')).includes('worker started'), 15_000);
    child.stdin!.end();
    expect(await exited).toBe(0);
    expect(await readFile(out, 'utf8')).toContain('the supervisor is gone (its pipe closed): finishing the run in flight, then exiting');
  }, 30_000);
});
