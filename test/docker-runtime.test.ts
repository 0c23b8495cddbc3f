/**
 * The docker runtime against a real Docker engine and the project image: workers created from
 * compose.template.yml run `worker <name>` against the MonCampus/ECAL simulators on 127.0.0.1
 * (NETWORK_MODE=host), with the labels, hash and hardening read back from the engine.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RemoteError, silentLogger } from '../src/lib/index.js';
import { startEcalSim, startMonCampusSim, generateTimetable, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { createDockerRuntime } from '../src/supervisor/docker-runtime.js';
import { scanConfigs } from '../src/supervisor/desired.js';
import {
  byId,
  byName,
  LABEL_CONFIG,
  LABEL_CONFIG_HASH,
  LABEL_MANAGED,
  LABEL_SUPERVISOR,
  type DesiredWorker,
  type Runtime,
} from '../src/supervisor/interface.js';
import { planReconcile } from '../src/supervisor/reconcile.js';
import { LABEL_CONFIG_SHA } from '../src/supervisor/template.js';
import { sha256 } from '../src/supervisor/desired.js';
import { cleanupTestContainers, describeWithDocker, dockerAvailable, execIn, LABEL_TEST, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, ecalKeys, expectedKeys, makeWorkspace, nestedConfig, writeConfig, type Workspace } from './helpers.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../compose.template.yml');
const execFileAsync = promisify(execFile);
const availability = await dockerAvailable();

describeWithDocker(availability, 'docker runtime (real engine)', (docker: Docker) => {
  // Unique per run: names never collide with another run's containers, and cleanup finds exactly ours.
  const runId = `test-${randomBytes(4).toString('hex')}`;
  const nameA = `${runId}-a`;
  const nameBad = `${runId}-bad`;
  const courses = generateTimetable({ count: 12, start: '2025-09-01', seed: 7 });
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let rt: Runtime;
  let workerA: DesiredWorker;

  const desired = async (name: string, text: string): Promise<DesiredWorker> => {
    const configFile = await writeConfig(ws, name, text);
    return { name, configFile, configSha: sha256(text) };
  };
  const inspectOf = (name: string) => docker.getContainer(`campus-sync-${name}`).inspect();

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    rt = createDockerRuntime({
      docker,
      templatePath: TEMPLATE_PATH,
      image: TEST_IMAGE,
      hostConfigDir: ws.configs,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      vars: { NETWORK_MODE: 'host' },
      supervisorId: runId,
      logger: silentLogger,
    });
    workerA = await desired(nameA, nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
  });

  afterAll(async () => {
    await rt?.close();
    await cleanupTestContainers(docker, runId);
    await mc?.close();
    await ecal?.close();
  });

  it('ping answers true', async () => {
    expect(await rt.ping()).toBe(true);
  });

  it('create starts a running worker with the labels and the spec hash, and list reports it', async () => {
    await rt.create(workerA);
    const info = await inspectOf(nameA);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({
      [LABEL_MANAGED]: 'true',
      [LABEL_CONFIG]: nameA,
      [LABEL_CONFIG_HASH]: rt.specHash(workerA),
      [LABEL_CONFIG_SHA]: workerA.configSha,
      [LABEL_SUPERVISOR]: runId,
    });
    expect(info.Config.Cmd).toEqual(['worker', nameA]);
    const listed = (await rt.list()).find((w) => w.name === nameA);
    expect(listed).toMatchObject({ id: info.Id, configHash: rt.specHash(workerA), state: 'running', restartCount: 0, supervisor: runId });
    expect(listed?.startedAt).toMatch(/^\d{4}-/);
    // The template keeps the image's HEALTHCHECK: list reports Docker's health status when there is one.
    const image = await docker.getImage(TEST_IMAGE).inspect();
    if (image.Config.Healthcheck?.Test?.length) expect(['starting', 'healthy', 'unhealthy']).toContain(listed?.health);
    else expect(listed?.health).toBeUndefined();
  });

  it('the worker syncs the simulated timetable into the ECAL simulator from inside the container', async () => {
    await waitUntil('the worker to create every event in ECAL', async () => ecal.events().length === courses.length, 45_000);
    expect(ecalKeys(ecal.events())).toEqual(expectedKeys(courses));
  });

  it('data/<name>/ belongs to uid 1000 and the worker writes its files there', async () => {
    const dir = join(ws.data, nameA);
    const st = await stat(dir);
    expect([st.uid, st.gid]).toEqual([1000, 1000]);
    await waitUntil(
      'last-run.json',
      async () =>
        stat(join(dir, 'last-run.json')).then(
          () => true,
          () => false,
        ),
      30_000,
    );
    const lastRun = JSON.parse(await readFile(join(dir, 'last-run.json'), 'utf8')) as { outcome: string };
    expect(lastRun.outcome).toBe('success');
    expect((await stat(join(dir, 'last-run.json'))).uid).toBe(1000);
  });

  it("a config using ${VAR} for its password runs with the supervisor's value, never in the container env", async () => {
    const nameEnv = `${runId}-env`;
    const text = nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31', password: '${TEST_MC_PASSWORD}' });
    await writeConfig(ws, nameEnv, text);
    const { desired: found } = await scanConfigs(ws.configs, { TEST_MC_PASSWORD: PASSWORD });
    const w = found.find((d) => d.name === nameEnv)!;
    expect(w.resolvedConfig).toContain(PASSWORD);
    await rt.create(w);
    const dir = join(ws.data, nameEnv);
    await waitUntil(
      'the worker to sync with the resolved password',
      async () => {
        const last = await readFile(join(dir, 'last-run.json'), 'utf8').catch(() => '');
        return last.includes('"outcome": "success"');
      },
      45_000,
    );
    const resolved = await stat(join(dir, 'config.resolved.yml'));
    expect([resolved.uid, resolved.mode & 0o777]).toEqual([1000, 0o600]);
    const info = await inspectOf(nameEnv);
    expect((info.Config.Env ?? []).join('\n')).not.toContain(PASSWORD);
    // The password changes in the supervisor's environment: a new spec, so the worker is recreated.
    const again = (await scanConfigs(ws.configs, { TEST_MC_PASSWORD: 'another-password' })).desired.find((d) => d.name === nameEnv)!;
    expect(rt.specHash(again)).not.toBe(rt.specHash(w));
    await rt.remove(byName(nameEnv));
  });

  it('a worker whose login is refused appends to errors.log on the host', async () => {
    const bad = await desired(
      nameBad,
      nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31', password: 'wrong-password' }),
    );
    await rt.create(bad);
    const file = join(ws.data, nameBad, 'errors.log');
    const text = await waitUntil('errors.log', async () => readFile(file, 'utf8').catch(() => ''), 30_000);
    expect(text).toMatch(/login/);
    expect(text).not.toContain('wrong-password');
    expect((await stat(file)).uid).toBe(1000);
    await rt.remove(byName(nameBad));
  });

  it('logs: the worker lines as JSON, with the instance; follow streams until aborted', async () => {
    const lines: string[] = [];
    for await (const line of rt.logs(nameA, { tail: 200 })) lines.push(line);
    const parsed = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as { instance?: string; message?: string }];
      } catch {
        return [];
      }
    });
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.every((p) => p.instance === nameA)).toBe(true);
    expect(lines.join('\n')).not.toContain(PASSWORD);

    const ac = new AbortController();
    const followed: string[] = [];
    const reader = (async () => {
      for await (const line of rt.logs(nameA, { follow: true, tail: 0, signal: ac.signal })) followed.push(line);
    })();
    // A line written to the container's stdout (PID 1's, the log pipe) arrives through the open stream.
    // Written until it arrives: on a loaded machine the stream may attach after the first write.
    const info = await inspectOf(nameA);
    const line = JSON.stringify({ instance: nameA, message: 'followed line' });
    for (let i = 0; i < 20 && followed.length === 0; i++) {
      await execIn(docker, info.Id, ['node', '-e', `require('fs').writeFileSync('/proc/1/fd/1', ${JSON.stringify(`${line}\n`)})`]);
      await waitUntil('the followed line', async () => followed.length > 0, 1_000).catch(() => {});
    }
    await waitUntil('followed lines', async () => followed.length > 0, 2_000);
    // Aborting ends the followed stream: the reader returns (a hang fails on the test's timeout).
    ac.abort();
    await reader;
    expect(followed.some((l) => l.includes(nameA))).toBe(true);
  });

  it('the hardening is what the engine runs (docker inspect, and from inside the container)', async () => {
    const info = await inspectOf(nameA);
    expect(info.Config.User).toBe('1000:1000');
    expect(info.HostConfig.ReadonlyRootfs).toBe(true);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3' } });
    expect(info.HostConfig.RestartPolicy).toMatchObject({ Name: 'unless-stopped' });
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.HostConfig.Tmpfs).toEqual({ '/tmp': 'size=16m' });
    expect(info.Mounts.map((m) => `${m.Destination}:${m.RW ? 'rw' : 'ro'}`).sort()).toEqual([`/config/${nameA}.yml:ro`, `/data/${nameA}:rw`]);
    // No secret in the env: the config file carries them.
    const env = (info.Config.Env ?? []).join('\n');
    for (const secret of [PASSWORD, API_KEY, API_SECRET]) expect(env).not.toContain(secret);

    const probe = [
      "const fs = require('node:fs');",
      "const status = fs.readFileSync('/proc/self/status', 'utf8');",
      "const field = (k) => (status.match(new RegExp('^' + k + ':\\\\s*(\\\\S+)', 'm')) || [])[1];",
      "let rootWrite = 'ok'; try { fs.writeFileSync('/app/probe', 'x'); } catch (e) { rootWrite = e.code; }",
      "let tmpWrite = 'ok'; try { fs.writeFileSync('/tmp/probe', 'x'); } catch (e) { tmpWrite = e.code; }",
      'console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), capEff: field("CapEff"), noNewPrivs: field("NoNewPrivs"), rootWrite, tmpWrite }));',
    ].join('\n');
    const r = await execIn(docker, info.Id, ['node', '-e', probe]);
    expect(r.exitCode, r.output).toBe(0);
    expect(JSON.parse(r.output.trim())).toEqual({ uid: 1000, gid: 1000, capEff: '0000000000000000', noNewPrivs: '1', rootWrite: 'EROFS', tmpWrite: 'ok' });
  });

  it('create again with the same spec adopts the running container (409), nothing is recreated', async () => {
    const before = await inspectOf(nameA);
    await rt.create(workerA);
    const after = await inspectOf(nameA);
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(
      planReconcile({ desired: [workerA], invalid: [], actual: (await rt.list()).filter((w) => w.name === nameA), specHash: (w) => rt.specHash(w) }),
    ).toEqual([{ kind: 'keep', name: nameA, reason: 'unchanged' }]);
  });

  it('a duplicate of a name (another container with the same config label) is removed by id, the worker stays', async () => {
    const main = await inspectOf(nameA);
    const dup = await docker.createContainer({
      name: `${runId}-dup`,
      Image: TEST_IMAGE,
      Cmd: ['--help'],
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: nameA, [LABEL_CONFIG_HASH]: 'stale', [LABEL_SUPERVISOR]: runId },
    });
    const actual = (await rt.list()).filter((w) => w.name === nameA);
    expect(actual.map((w) => w.id).sort()).toEqual([main.Id, dup.id].sort());
    const plan = planReconcile({ desired: [workerA], invalid: [], actual, specHash: (w) => rt.specHash(w) });
    expect(plan).toEqual([
      { kind: 'remove', name: nameA, id: dup.id, reason: 'duplicate worker' },
      { kind: 'keep', name: nameA, reason: 'unchanged' },
    ]);
    await rt.remove(byId(dup.id));
    await expect(dup.inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await inspectOf(nameA)).State.Running).toBe(true);
  });

  it('an edited config changes the hash: planReconcile says recreate, and create replaces the container', async () => {
    const before = await inspectOf(nameA);
    const edited = await desired(
      nameA,
      `${nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' })}runOnStart: false\n`,
    );
    expect(rt.specHash(edited)).not.toBe(rt.specHash(workerA));
    const plan = planReconcile({ desired: [edited], invalid: [], actual: (await rt.list()).filter((w) => w.name === nameA), specHash: (w) => rt.specHash(w) });
    expect(plan).toEqual([{ kind: 'recreate', worker: edited, reason: 'config changed' }]);
    await rt.create(edited);
    const after = await inspectOf(nameA);
    expect(after.Id).not.toBe(before.Id);
    expect(after.Config.Labels?.[LABEL_CONFIG_HASH]).toBe(rt.specHash(edited));
    expect(after.State.Running).toBe(true);
    await expect(docker.getContainer(before.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    workerA = edited;
  });

  it('a rebuilt image (same name, new build) marks the worker outdated: planReconcile recreates it on the new build', async () => {
    // A tag of this run, built twice FROM the test image: two builds, one name.
    const tag = `campus-sync-test-rebuilt:${runId}`;
    const build = async (n: number): Promise<string> => {
      const dir = await mkdtemp(join(tmpdir(), 'cs-rebuild-'));
      await writeFile(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nLABEL ${LABEL_TEST}=${runId} campus-sync.test-build=${n}\n`);
      await execFileAsync('docker', ['build', '-q', '-t', tag, dir]);
      await rm(dir, { recursive: true, force: true });
      return (await docker.getImage(tag).inspect()).Id;
    };
    const first = await build(1);
    const other = createDockerRuntime({
      docker,
      templatePath: TEMPLATE_PATH,
      image: tag,
      hostConfigDir: ws.configs,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      vars: { NETWORK_MODE: 'host' },
      supervisorId: runId,
      logger: silentLogger,
    });
    const name = `${runId}-rebuilt`;
    const w = await desired(name, nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-09-30' }));
    try {
      await other.create(w);
      const mine = async () => (await other.list()).find((x) => x.name === name);
      expect((await mine())?.imageOutdated).toBeUndefined();
      const second = await build(2);
      expect(second).not.toBe(first);
      const outdated = (await mine())!;
      expect(outdated.imageOutdated).toBe(true);
      const plan = planReconcile({ desired: [w], invalid: [], actual: [outdated], specHash: (d) => other.specHash(d) });
      expect(plan).toEqual([{ kind: 'recreate', worker: w, reason: 'image rebuilt' }]);
      await other.remove(byName(name));
      await other.create(w);
      const fresh = (await mine())!;
      expect(fresh.imageOutdated).toBeUndefined();
      expect((await docker.getContainer(fresh.id).inspect()).Image).toBe(second);
    } finally {
      await other.remove(byName(name)).catch(() => undefined);
      await other.close();
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getImage(first)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('stop twice (304 is fine), list shows it exited, start brings it back', async () => {
    // Node installs its SIGTERM handler once started; a stop before that would be a plain kill (exit 143).
    await waitUntil('the recreated worker to start', async () => {
      for await (const line of rt.logs(nameA, { tail: 50 })) if (line.includes('worker started')) return true;
      return false;
    });
    await rt.stop(nameA);
    await rt.stop(nameA);
    const stopped = (await rt.list()).find((w) => w.name === nameA);
    expect(stopped?.state).toBe('exited');
    expect(stopped?.exitCode).toBe(0);
    expect(stopped?.finishedAt).toMatch(/^\d{4}-/);
    await rt.start(nameA);
    await rt.start(nameA);
    expect((await rt.list()).find((w) => w.name === nameA)?.state).toBe('running');
  });

  it('a container with our name that campus-sync did not create is never touched', async () => {
    const name = `${runId}-squat`;
    const squatter = await docker.createContainer({ name: `campus-sync-${name}`, Image: TEST_IMAGE, Cmd: ['--help'], Labels: { [LABEL_TEST]: runId } });
    const w = await desired(name, nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
    await expect(rt.create(w)).rejects.toThrow(/exists that campus-sync did not create/);
    await expect(rt.remove(byName(name))).rejects.toBeInstanceOf(RemoteError);
    expect((await squatter.inspect()).Id).toBe(squatter.id);
    expect((await rt.list()).some((x) => x.name === name)).toBe(false);
  });

  it('a missing image is a clear, non-retryable error', async () => {
    const other = createDockerRuntime({
      docker,
      templatePath: TEMPLATE_PATH,
      image: 'campus-sync-missing:nope',
      hostConfigDir: ws.configs,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      supervisorId: runId,
      logger: silentLogger,
    });
    const w = await desired(`${runId}-noimg`, nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
    const err = await other.create(w).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/image campus-sync-missing:nope not found/);
  });

  it('remove stops and removes; a second remove (404) is fine; start on a missing worker says so', async () => {
    await rt.remove(byName(nameA));
    await rt.remove(byName(nameA));
    await expect(inspectOf(nameA)).rejects.toMatchObject({ statusCode: 404 });
    expect((await rt.list()).some((w) => w.name === nameA)).toBe(false);
    await expect(rt.start(nameA)).rejects.toThrow(/no worker container campus-sync-/);
    // The data stays: removing a worker never deletes what it synced.
    expect((await stat(join(ws.data, nameA, 'last-run.json'))).isFile()).toBe(true);
  });

  it('afterAll leaves nothing behind (checked here for the runtime-created ones)', async () => {
    await cleanupTestContainers(docker, runId);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_SUPERVISOR}=${runId}`] } });
    expect(left).toEqual([]);
  });
});
