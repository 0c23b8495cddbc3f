/**
 * The supervisor IN A CONTAINER against the real engine, set up as compose.yml does (image campus-sync:local,
 * `supervise --runtime docker`, the Docker socket mounted, configs/ and data/ at the same path inside and
 * out, root with CHOWN/DAC_OVERRIDE/FOWNER only, host networking so its workers reach the simulators on
 * 127.0.0.1). It must keep one worker container per config through adds, edits, removals, a broken
 * config, a crash-looping worker, a supervisor replacement (adoption), and the host CLI's verbs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { silentLogger } from '../src/lib/index.js';
import { sha256 } from '../src/supervisor/desired.js';
import { createDockerRuntime } from '../src/supervisor/docker-runtime.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SCOPE } from '../src/supervisor/interface.js';
import { readSupervisorStatus, type SupervisorStatus } from '../src/supervisor/status.js';
import { LABEL_CONFIG_SHA } from '../src/supervisor/template.js';
import { describeWithDocker, dockerAvailable, LABEL_TEST, removeContainersLabelled, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import {
  configOf,
  containerLines,
  dockerEnv,
  eventsOf,
  inspectOrNull,
  jsonLines,
  makeDockerWorkspace,
  removeScoped,
  scopedWorkers,
} from './docker-supervisor-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, nestedConfig, runCli, type Workspace } from './helpers.js';

const availability = await dockerAvailable();
const courses = generateTimetable({ count: 40, start: '2025-09-01', seed: 11 });
const inWindow = (to: string): number => courses.filter((c) => c.start.slice(0, 10) <= to).length;
/** Fast beats: the crash-loop check and the status file run on it (production: 15 s). */
const HEARTBEAT_MS = 500;
/** Restarts the crash-loop test waits for: five pauses make Docker's doubling stand out of the machine's noise. */
const MIN_RESTARTS_FOR_BACKOFF = 5;

interface StatusJson {
  runtime: string;
  supervisor?: { pid: number };
  instances: { name: string; state: string; configError?: string; lastRun?: { outcome: string } }[];
}

describeWithDocker(availability, 'the supervisor in a container (real engine)', (docker: Docker) => {
  // One scope per run: this supervisor sees only its own workers, whatever else runs on the engine.
  const runId = `t${randomBytes(4).toString('hex')}`;
  const [A, B, C, CRASH] = ['a', 'b', 'c', 'crash'].map((n) => `${runId}-${n}`) as [string, string, string, string];
  const supervisorName = `campus-sync-${runId}-supervisor`;
  const cname = (name: string): string => `campus-sync-${name}`;
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace & { template: string };
  let env: Record<string, string>;
  let supervisor: Docker.Container | null = null;

  const config = (to: string, extra = ''): string => `${nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to })}${extra}`;
  const write = (name: string, text: string): Promise<void> => writeFile(join(ws.configs, `${name}.yml`), text);
  const cli = (...args: string[]) => runCli([...args, '--runtime', 'docker'], { ...process.env, ...env, NO_COLOR: '1', LOG_FORMAT: 'text' });
  const statusJson = async (): Promise<StatusJson> => {
    const r = await cli('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const stateOf = async (name: string): Promise<string | undefined> => (await statusJson()).instances.find((i) => i.name === name)?.state;
  const running = async (name: string): Promise<Docker.ContainerInspectInfo | false> => {
    const info = await inspectOrNull(docker, cname(name));
    return info?.State.Running ? info : false;
  };

  /** The supervisor container as compose.yml runs it; another one (name, data dir) for the two-supervisors test. */
  const startSupervisor = async (other?: { name: string; data: string; id: string }): Promise<Docker.Container> => {
    const data = other?.data ?? ws.data;
    const binds = ['/var/run/docker.sock:/var/run/docker.sock', `${ws.configs}:${ws.configs}:ro`, `${data}:${data}`, `${ws.template}:${ws.template}:ro`];
    const c = await docker.createContainer({
      name: other?.name ?? supervisorName,
      Image: TEST_IMAGE,
      Cmd: ['supervise', '--runtime', 'docker'],
      User: '0:0',
      // debug: the supervisor logs each reconcile, which the tests wait for.
      Env: Object.entries({
        ...env,
        CAMPUS_SYNC_DATA_DIR: data,
        ...(other ? { CAMPUS_SYNC_SUPERVISOR_ID: other.id } : {}),
        CAMPUS_SYNC_HEARTBEAT_MS: String(HEARTBEAT_MS),
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
      }).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_TEST]: runId },
      HostConfig: {
        NetworkMode: 'host',
        Binds: binds,
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': '' },
        CapDrop: ['ALL'],
        CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'],
        SecurityOpt: ['no-new-privileges:true'],
        Init: true,
        Memory: 160 * 1024 * 1024,
      },
    });
    await c.start();
    return c;
  };
  const stopSupervisor = async (): Promise<void> => {
    if (!supervisor) return;
    await supervisor.stop({ t: 10 }).catch(() => undefined);
    await supervisor.remove({ force: true }).catch(() => undefined);
    supervisor = null;
  };
  /** The status the supervisor in the container wrote, once it is from this container (not the previous one). */
  const statusSince = async (startedAfter: number): Promise<SupervisorStatus | null> => {
    const s = await readSupervisorStatus(ws.data);
    return s && Date.parse(s.startedAt) >= startedAfter ? s : null;
  };
  /** Resolves once the supervisor has planned a reconcile for a change made after `since` (its debug line). */
  const reconciledAfter = (since: number, reason = 'config change') =>
    waitUntil(`a reconcile (${reason}) after the change`, async () => {
      const lines = jsonLines(await containerLines(docker, supervisorName));
      return lines.some((l) => l.message?.startsWith(`reconcile (${reason})`) && Date.parse(l.timestamp ?? '') >= since - 5);
    });

  /**
   * Resolves once the supervisor writing `data`'s status.json has beaten `n` more times (each beat rewrites
   * heartbeatAt; read more often than it beats, so every change seen is at least one beat).
   */
  const heartbeats = async (n: number, data = ws.data): Promise<void> => {
    let last = (await readSupervisorStatus(data))?.heartbeatAt;
    let seen = 0;
    await waitUntil(
      `${n} more heartbeats in ${data}`,
      async () => {
        const now = (await readSupervisorStatus(data))?.heartbeatAt;
        if (now !== last) {
          seen++;
          last = now;
        }
        return seen >= n;
      },
      30_000,
      HEARTBEAT_MS / 5,
    );
  };

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeDockerWorkspace();
    env = dockerEnv(ws, runId);
  });

  afterAll(async () => {
    // Whatever failed: no supervisor, no worker of this run left on the engine.
    await stopSupervisor();
    await removeContainersLabelled(docker, LABEL_TEST, runId);
    await removeScoped(docker, runId);
    await mc?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
  });

  it('spawns one worker container per config, and every worker syncs into the ECAL simulator', async () => {
    await write(A, config('2025-09-07'));
    await write(B, config('2025-09-30'));
    const t0 = Date.now();
    supervisor = await startSupervisor();
    const info = await supervisor.inspect();
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.Config.User).toBe('0:0');

    const workers = await waitUntil('both workers running', async () => {
      const w = await scopedWorkers(docker, runId);
      return w.length === 2 && w.every((i) => i.State.Running) && w;
    });
    expect(workers.map((w) => [w.Name, configOf(w)])).toEqual([
      [`/${cname(A)}`, A],
      [`/${cname(B)}`, B],
    ]);
    for (const w of workers) {
      expect(w.Config.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_SCOPE]: runId });
      expect(w.Config.Cmd).toEqual(['worker', configOf(w)]);
      expect(w.HostConfig.NetworkMode).toBe('host');
      expect(w.Config.User).toBe('1000:1000');
    }
    await waitUntil('both first syncs', async () => eventsOf(ecal, A) === inWindow('2025-09-07') && eventsOf(ecal, B) === courses.length, 45_000);
    expect(inWindow('2025-09-07')).toBeLessThan(courses.length);
    console.log(`[docker-supervisor] supervisor start → both configs synced: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const status = await waitUntil('the supervisor status', () => statusSince(t0 - 1000));
    expect(status.runtime).toBe('docker');
    expect(status.instances.map((i) => [i.name, i.state])).toEqual([
      [A, 'running'],
      [B, 'running'],
    ]);
  });

  it('a config ADDED gets a new worker container, which syncs', async () => {
    const others = (await scopedWorkers(docker, runId)).map((w) => w.Id);
    await write(C, config('2025-09-30'));
    const c = await waitUntil(`${C}'s container`, () => running(C));
    expect(c.Config.Labels?.[LABEL_CONFIG]).toBe(C);
    await waitUntil(`${C}'s sync`, async () => eventsOf(ecal, C) === courses.length, 45_000);
    // The others were left alone.
    expect((await scopedWorkers(docker, runId)).filter((w) => w.Id !== c.Id).map((w) => w.Id)).toEqual(others);
  });

  it('a config EDITED recreates its container (new id, new hash) running the new spec; the others stay', async () => {
    const before = (await running(A)) as Docker.ContainerInspectInfo;
    const b = (await running(B)) as Docker.ContainerInspectInfo;
    expect(before).toBeTruthy();
    const text = config('2025-09-30');
    const t0 = Date.now();
    await write(A, text);
    const after = await waitUntil(`${A} recreated`, async () => {
      const info = await running(A);
      return info && info.Id !== before.Id && info;
    });
    const seconds = (Date.now() - t0) / 1000;
    console.log(`[docker-supervisor] config edit → new container running: ${seconds.toFixed(2)} s`);
    expect(after.Config.Labels?.[LABEL_CONFIG_HASH]).not.toBe(before.Config.Labels?.[LABEL_CONFIG_HASH]);
    expect(after.Config.Labels?.[LABEL_CONFIG_SHA]).toBe(sha256(text));
    expect(await inspectOrNull(docker, before.Id)).toBeNull();
    // The new spec runs: the wider window lands in ECAL.
    await waitUntil(`${A}'s wider window in ECAL`, async () => eventsOf(ecal, A) === courses.length, 45_000);
    expect(((await running(B)) as Docker.ContainerInspectInfo).Id).toBe(b.Id);
  });

  it('a config REMOVED loses its container', async () => {
    const b = (await running(B)) as Docker.ContainerInspectInfo;
    await rm(join(ws.configs, `${B}.yml`));
    await waitUntil(`${B}'s container removed`, async () => (await inspectOrNull(docker, b.Id)) === null, 30_000);
    expect((await scopedWorkers(docker, runId)).map(configOf)).toEqual([A, C]);
    // What it synced stays.
    expect(eventsOf(ecal, B)).toBe(courses.length);
  });

  it('CAMPUS_SYNC_SCOPE: a managed container of another scope (or none) is never taken for an orphan', async () => {
    const foreign = `${runId}-foreign`;
    const c = await docker.createContainer({
      name: cname(foreign),
      Image: TEST_IMAGE,
      Cmd: ['--help'],
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: foreign, [LABEL_CONFIG_HASH]: 'x', [LABEL_TEST]: runId },
    });
    const t0 = Date.now();
    await writeFile(join(ws.configs, 'poke.txt'), String(t0));
    await reconciledAfter(t0);
    await heartbeats(1);
    expect((await c.inspect()).Id).toBe(c.id);
    // And the other way round: an unscoped runtime (e.g. the real supervisor on this box) does not list ours.
    const unscoped = createDockerRuntime({
      docker,
      templatePath: ws.template,
      image: TEST_IMAGE,
      hostConfigDir: ws.configs,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      logger: silentLogger,
    });
    const names = (await unscoped.list()).map((w) => w.name);
    expect(names).toContain(foreign);
    expect(names).not.toContain(A);
    await unscoped.close();
    await c.remove({ force: true });
  });

  it('a config made INVALID: the worker keeps running untouched, status says invalid, errors.log has a config line', async () => {
    const before = (await running(C)) as Docker.ContainerInspectInfo;
    const t0 = Date.now();
    await write(C, 'moncampus: [this is not yaml\n');
    await reconciledAfter(t0);
    const shown = await waitUntil(`${C} invalid in status --json`, async () =>
      (await statusJson()).instances.find((i) => i.name === C && i.state === 'invalid'),
    );
    expect(shown.configError).toMatch(new RegExp(`${C}\\.yml`));
    const errorsFile = join(ws.data, C, 'errors.log');
    const errors = await readFile(errorsFile, 'utf8');
    expect(errors.match(/^\S+ config .*\.yml/gm)).toHaveLength(1);
    // Written by the supervisor (root in its container), but the worker (uid 1000) must go on appending to it.
    expect((await stat(errorsFile)).uid).toBe(1000);
    const after = (await running(C)) as Docker.ContainerInspectInfo;
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.RestartCount).toBe(before.RestartCount);
  });

  it('a config invalid from the start gets no worker; once fixed, its worker owns the errors.log the supervisor began', async () => {
    const D = `${runId}-d`;
    await write(D, 'moncampus:\n  username: x\n');
    const errorsFile = join(ws.data, D, 'errors.log');
    await waitUntil(`${D}'s config line`, async () => / config /.test(await readFile(errorsFile, 'utf8').catch(() => '')));
    expect(await inspectOrNull(docker, cname(D))).toBeNull();
    await write(D, config('2025-09-07'));
    await waitUntil(`${D}'s worker`, () => running(D));
    // data/<name>/ was the supervisor's (root) until the worker got it, errors.log with it.
    const [dir, file] = await Promise.all([stat(join(ws.data, D)), stat(errorsFile)]);
    expect([dir.uid, file.uid]).toEqual([1000, 1000]);
    await rm(join(ws.configs, `${D}.yml`));
    await waitUntil(`${D}'s container removed`, async () => (await inspectOrNull(docker, cname(D))) === null);
  });

  it('a worker that dies at start is restarted by Docker with growing delays and reported ONCE as crash-looping', async () => {
    // Valid for the supervisor, which sees the whole configs/ folder; the worker only gets its own
    // config file mounted, so the relative passwordFile is missing there and it exits 2 at once.
    await writeFile(join(ws.configs, 'crash-pw.txt'), `${PASSWORD}\n`);
    // Removed whatever happens below: a crash-looping worker left behind is counted by the next tests.
    onTestFinished(async () => {
      await rm(join(ws.configs, `${CRASH}.yml`), { force: true });
      await waitUntil(`${CRASH}'s container removed`, async () => (await inspectOrNull(docker, cname(CRASH))) === null, 30_000);
    });
    const text = config('2025-09-30').replace(`  password: "${PASSWORD}"`, '  passwordFile: crash-pw.txt');
    expect(text).toContain('passwordFile');
    const since = Math.floor(Date.now() / 1000) - 1;
    await write(CRASH, text);
    const errorsFile = join(ws.data, CRASH, 'errors.log');
    const line = await waitUntil(
      'the crash-looping line',
      async () => (await readFile(errorsFile, 'utf8').catch(() => '')).match(/^.* run .*crash-looping.*$/m)?.[0],
      30_000,
    );
    expect(line).toMatch(new RegExp(`${CRASH} is crash-looping: restarted \\d+ times \\(last exit code 2\\)`));
    const reportedAt = (await inspectOrNull(docker, cname(CRASH)))!.RestartCount;
    await waitUntil('status --json to say crash-looping', async () => (await stateOf(CRASH)) === 'crash-looping', 20_000, 300);
    // Two more crashes after the report: still one line.
    await waitUntil('two more restarts', async () => ((await inspectOrNull(docker, cname(CRASH)))?.RestartCount ?? 0) >= reportedAt + 2, 30_000);
    await heartbeats(2);
    const all = await readFile(errorsFile, 'utf8');
    expect(all.match(/crash-looping/g)).toHaveLength(1);

    // Docker's own backoff: the pause between a death and the next start keeps growing.
    const id = (await inspectOrNull(docker, cname(CRASH)))!.Id;
    const pausesSoFar = async (): Promise<number[]> => {
      const pauses: number[] = [];
      let lastDie: number | undefined;
      for (const e of await engineEvents(docker, id, since)) {
        if (e.Action === 'die') lastDie = e.timeNano;
        if (e.Action === 'start' && lastDie !== undefined) pauses.push((e.timeNano - lastDie) / 1e6);
      }
      return pauses;
    };
    // RestartCount counts a restart once Docker decides it, before its pause: the last start may still be to come.
    const delays = await waitUntil(
      `${MIN_RESTARTS_FOR_BACKOFF} restarts in the engine's events`,
      async () => {
        const pauses = await pausesSoFar();
        return pauses.length >= MIN_RESTARTS_FOR_BACKOFF ? pauses : undefined;
      },
      30_000,
    );
    console.log(`[docker-supervisor] Docker restart delays (ms): ${delays.map((d) => d.toFixed(0)).join(', ')}`);
    expect(delays.length).toBeGreaterThanOrEqual(MIN_RESTARTS_FOR_BACKOFF);
    // Docker's documented schedule (docs.docker.com, "Restart policies": "an increasing delay, double the
    // previous delay, starting at 100 milliseconds"): the i-th pause is at least 100 ms × 2^i. What a loaded
    // machine adds (the container's start, ~1 s on CI) only lengthens pauses, so these are lower bounds, and
    // the growth from first to last must be at least half the schedule's: a constant delay fails it. Over
    // five pauses that growth is 1.5 s: the load's share varies by a few hundred ms from pause to pause (with
    // four, 0.7 s, a CI run saw 281 ms of growth where 350 were asked).
    const scheduleMs = (i: number) => 100 * 2 ** i;
    for (const [i, d] of delays.entries()) expect(d, `pause ${i}`).toBeGreaterThanOrEqual(0.95 * scheduleMs(i));
    const last = delays.length - 1;
    expect(delays[last]! - delays[0]!).toBeGreaterThanOrEqual(0.5 * (scheduleMs(last) - scheduleMs(0)));
  });

  it('CLI on the host: status, stop (stays stopped), start, restart, logs', async () => {
    const status = await statusJson();
    expect(status.runtime).toBe('docker');
    expect(status.supervisor).toBeDefined();
    const a = status.instances.find((i) => i.name === A);
    expect(a).toMatchObject({ state: 'running', lastRun: { outcome: 'success' } });
    const human = await cli('status');
    expect(human.stdout).toMatch(new RegExp(`^${A}\\s+running\\s+last run .+ success`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^${C}\\s+invalid`, 'm'));

    const before = (await running(A)) as Docker.ContainerInspectInfo;
    const stopped = await cli('stop', A);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`stop ${A}`);
    let info = (await inspectOrNull(docker, before.Id))!;
    expect(info.State.Status).toBe('exited');
    // A reconcile (a change in configs/) and a few heartbeats later it is still stopped, same container.
    const t0 = Date.now();
    await writeFile(join(ws.configs, 'poke.txt'), String(t0));
    await reconciledAfter(t0);
    await heartbeats(3);
    info = (await inspectOrNull(docker, before.Id))!;
    expect(info.State.Status).toBe('exited');
    expect(await stateOf(A)).toBe('stopped');

    const started = await cli('start', A);
    expect(started.code, started.stderr).toBe(0);
    info = (await inspectOrNull(docker, before.Id))!;
    expect(info.State.Running).toBe(true);
    expect(await stateOf(A)).toBe('running');

    const restarted = await cli('restart', A);
    expect(restarted.code, restarted.stderr).toBe(0);
    const again = (await inspectOrNull(docker, before.Id))!;
    expect(again.State.Running).toBe(true);
    expect(again.State.StartedAt > info.State.StartedAt).toBe(true);

    await waitUntil(`${A} to log again after the restart`, async () => {
      const r = await cli('logs', A, '--tail', '500', '--json');
      return jsonLines(r.stdout.split('\n')).filter((l) => l.message?.startsWith('worker started')).length >= 3;
    });
    const logs = await cli('logs', A, '--tail', '500', '--json');
    expect(logs.code, logs.stderr).toBe(0);
    const parsed = jsonLines(logs.stdout.split('\n').filter(Boolean));
    expect(parsed.length).toBe(logs.stdout.split('\n').filter(Boolean).length);
    expect(parsed.every((l) => l.instance === A)).toBe(true);
    expect(logs.stdout).not.toContain(PASSWORD);

    const missing = await cli('stop', `${runId}-nope`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no worker named ${runId}-nope`);
  });

  it('a SECOND supervisor on the same engine and scope stands back while the first runs: nothing created or removed, it says why', async () => {
    const before = await scopedWorkers(docker, runId);
    expect(before.length).toBeGreaterThan(0);
    // The first supervisor labels its workers with its hostname (on the host network, the host's name).
    const firstId = (await supervisor!.inspect()).Config.Hostname;
    expect(before.every((w) => w.Config.Labels?.['campus-sync.supervisor'] === firstId)).toBe(true);
    const name = `${supervisorName}-2`;
    const data = join(ws.root, 'data-second');
    await mkdir(data, { recursive: true });
    // Another installation: its own data dir and id (as a supervisor on another host reaching this engine would have).
    const second = await startSupervisor({ name, data, id: 'second-installation' });
    try {
      const refusal = await waitUntil('the second supervisor to stand back', async () =>
        jsonLines(await containerLines(docker, name)).find(
          (l) => l.level === 'error' && l.message?.startsWith(`another campus-sync supervisor (${firstId}) manages workers on this Docker engine`),
        ),
      );
      expect(refusal.message).toMatch(/--take-over; nothing is created or removed until then$/);
      await waitUntil('its status to say why', async () => (await readSupervisorStatus(data))?.runtimeError?.includes(firstId) ?? false);
      await heartbeats(2, data);
      const lines = jsonLines(await containerLines(docker, name)).map((l) => l.message ?? '');
      expect(lines.filter((m) => /^(create|recreate|remove) /.test(m))).toEqual([]);
      expect((await scopedWorkers(docker, runId)).map((w) => [w.Id, w.State.StartedAt])).toEqual(before.map((w) => [w.Id, w.State.StartedAt]));
    } finally {
      await second.remove({ force: true }).catch(() => undefined);
    }
  });

  it('a new supervisor container ADOPTS the running workers: same ids, no duplicate, no restart', async () => {
    const before = await scopedWorkers(docker, runId);
    expect(before.map(configOf)).toEqual([A, C]);
    await stopSupervisor();
    expect(await inspectOrNull(docker, supervisorName)).toBeNull();
    // Workers outlive their supervisor (no --remove-workers-on-exit).
    expect((await scopedWorkers(docker, runId)).map((w) => w.Id)).toEqual(before.map((w) => w.Id));

    const t0 = Date.now();
    supervisor = await startSupervisor();
    // A heartbeat may write the status before the first reconcile has listed anything: wait for the instances.
    // A cold start of the supervisor's container then its first reconcile: ~2 s alone, over 30 s once in CI beside
    // the shared files (2026-12-07), hence room to 90 s (and the test's own timeout below).
    const status = await waitUntil(
      'the new supervisor to reconcile',
      async () => {
        const s = await statusSince(t0 - 1000);
        return s && s.instances.length === 2 && s;
      },
      90_000,
    );
    expect(status.instances.map((i) => [i.name, i.state])).toEqual([
      [A, 'running'],
      [C, 'invalid'],
    ]);
    await reconciledAfter(t0, 'start');
    await heartbeats(2);
    const after = await scopedWorkers(docker, runId);
    expect(after.map((w) => [configOf(w), w.Id, w.State.StartedAt, w.RestartCount])).toEqual(
      before.map((w) => [configOf(w), w.Id, w.State.StartedAt, w.RestartCount]),
    );
    const lines = jsonLines(await containerLines(docker, supervisorName)).map((l) => l.message ?? '');
    expect(lines.filter((m) => /^(create|recreate|remove) /.test(m))).toEqual([]);
  }, 150_000);

  it('clean removes every worker; the supervisor recreates the configured ones at its next reconcile', async () => {
    const before = await scopedWorkers(docker, runId);
    const r = await cli('clean');
    expect(r.code, r.stderr).toBe(0);
    for (const w of before) {
      expect(r.stdout).toContain(`removed ${configOf(w)}`);
      expect(await inspectOrNull(docker, w.Id)).toBeNull();
    }
    const t0 = Date.now();
    await writeFile(join(ws.configs, 'poke.txt'), String(t0));
    // C's config is invalid: only A comes back.
    const a = await waitUntil(`${A} recreated`, () => running(A));
    expect(before.map((w) => w.Id)).not.toContain(a.Id);
    await reconciledAfter(t0);
    expect((await scopedWorkers(docker, runId)).map(configOf)).toEqual([A]);
  });
});

interface EngineEvent {
  Action: string;
  timeNano: number;
}

/** The engine's start/die events of one container since `since` (unix seconds) until now. */
async function engineEvents(docker: Docker, id: string, since: number): Promise<EngineEvent[]> {
  const stream = (await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { container: [id], event: ['start', 'die'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as EngineEvent)
    .sort((a, b) => a.timeNano - b.timeNano);
}
