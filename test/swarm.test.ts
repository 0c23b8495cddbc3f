/**
 * The swarm runtime against a real single-node swarm: ONE file for everything that needs swarm mode, so no
 * other test file races `swarm init` / `swarm leave`. The real supervisor (createSupervisor) drives the
 * real swarm runtime; workers are Swarm services on the host network reaching the simulators on 127.0.0.1.
 * Everything is scoped to this run (label campus-sync.scope) and removed in afterAll; a swarm this file
 * started is left again, one that was already active is left as it was.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { captureLogger } from '../src/supervisor/capture-logger.test-helper.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SCOPE, type Runtime } from '../src/supervisor/interface.js';
import { createSupervisor, type Supervisor } from '../src/supervisor/supervisor.js';
import { prepareWorkerDataDir } from '../src/supervisor/docker-runtime.js';
import { externalSecretName } from '../src/supervisor/stack-static.js';
import { createSwarmRuntime } from '../src/supervisor/swarm-runtime.js';
import { describeWithDocker, dockerAvailable, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { eventsOf, makeDockerWorkspace } from './docker-supervisor-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, runCli, type Workspace } from './helpers.js';

const run = promisify(execFile);
const availability = await dockerAvailable();
const courses = generateTimetable({ count: 30, start: '2025-09-01', seed: 7 });
/** The periodic rescan notices a changed secret file (not in the watched directory itself) quickly. */
const RESCAN_MS = 1_000;
const SYNC_TIMEOUT_MS = 90_000;

/**
 * Swarm calls a task `running` only once its healthcheck has passed, and the image's HEALTHCHECK first probes
 * 30 s after the start (Dockerfile: a Pi's pace): that was most of this file's time (issue 19, CI time). The
 * template's own `healthcheck:` block, which users may write, overrides it (toHealthcheck → the service's
 * HealthCheck): a probe every 3 s here (each starts node in the container: every second would cost a core's fifth
 * per service), the rest as the image's. test/pi-path.test.ts and
 * test/docker-compose.test.ts keep the image's own.
 */
const QUICK_HEALTH_S = 3;
async function quickHealthTemplate(template: string): Promise<void> {
  const doc = parse(await readFile(template, 'utf8')) as { services: { worker: Record<string, unknown> } };
  // 20 tries: a minute of failed probes before Swarm kills a task as unhealthy, near the image's 3 × 30 s, so a
  // probe slowed by a busy machine never replaces a task under a test's feet.
  doc.services.worker.healthcheck = { interval: `${QUICK_HEALTH_S}s`, timeout: '30s', start_period: '60s', retries: 20 };
  await writeFile(template, stringify(doc));
}

interface SwarmTaskJson {
  ID: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  DesiredState: string;
}

describeWithDocker(availability, 'the swarm runtime (real single-node swarm)', (docker: Docker) => {
  const runId = `s${randomBytes(4).toString('hex')}`;
  /** A: password inline (the config is a secret); B: passwordFile + ${VAR} for the ECAL secret. */
  const [A, B, D] = ['a', 'b', 'd'].map((n) => `${runId}-${n}`) as [string, string, string];
  /** The `docker stack deploy` of a generated stack file: its own stack name, outside the supervisor's services. */
  const STACK = `cs${runId}`;
  const B_KEY_VAR = `CS_${runId.toUpperCase()}_ECAL_KEY`;
  const B_ECAL_VAR = `CS_${runId.toUpperCase()}_ECAL_SECRET`;
  const OLD_B_PASSWORD = 'old-B-pa55word';
  const NEW_B_PASSWORD = 'new-B-pa55word';
  let leaveSwarm = false;
  let mc: MonCampusSim;
  let mcB: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace & { template: string };
  let supervisor: Supervisor | null = null;
  let runtime: Runtime;
  const logs = captureLogger();
  const supervisorEnv: NodeJS.ProcessEnv = {};

  const makeRuntime = (): Runtime =>
    createSwarmRuntime({
      templatePath: ws.template,
      image: TEST_IMAGE,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      configDir: ws.configs,
      env: supervisorEnv,
      // Swarm restarts a killed task after this delay (the template's default is 10 s, for a Pi's sake).
      vars: { NETWORK_MODE: 'host', RESTART_DELAY: '1s' },
      supervisorId: runId,
      scope: runId,
      logger: logs.logger,
    });
  const startSupervisor = async (): Promise<Supervisor> => {
    runtime = makeRuntime();
    const s = createSupervisor({
      runtime,
      configDir: ws.configs,
      dataDir: ws.data,
      logger: logs.logger,
      env: supervisorEnv,
      rescanMs: RESCAN_MS,
      debounceMs: 100,
      heartbeatMs: 1_000,
      actionRetryBaseMs: 500,
    });
    await s.start();
    return s;
  };

  const configA = (): string =>
    [
      'timezone: Europe/Paris',
      'moncampus:',
      `  url: ${mc.url}`,
      `  casUrl: ${mc.casUrl}`,
      '  username: student',
      `  password: "${PASSWORD}"`,
      '  window: { from: "2025-09-01", to: "2025-09-30" }',
      'ecal:',
      `  url: ${ecal.url}`,
      `  apiKey: ${API_KEY}`,
      `  apiSecret: ${API_SECRET}`,
      `  calendarId: ${CALENDAR_ID}`,
      '',
    ].join('\n');
  const configB = (): string =>
    [
      'timezone: Europe/Paris',
      'moncampus:',
      `  url: ${mcB.url}`,
      `  casUrl: ${mcB.casUrl}`,
      '  username: bob',
      '  passwordFile: secrets/b.pw',
      '  window: { from: "2025-09-01", to: "2025-09-30" }',
      'ecal:',
      `  url: ${ecal.url}`,
      `  apiKey: \${${B_KEY_VAR}}`,
      `  apiSecret: \${${B_ECAL_VAR}}`,
      `  calendarId: ${CALENDAR_ID}`,
      '',
    ].join('\n');

  const service = async (name: string): Promise<Docker.Service | null> =>
    (await docker
      .getService(`campus-sync-${name}`)
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return null;
        throw err;
      })) as Docker.Service | null;
  const tasksOf = async (serviceId: string): Promise<SwarmTaskJson[]> =>
    (await docker.listTasks({ filters: { service: [serviceId] } } as never)) as unknown as SwarmTaskJson[];
  const runningTask = async (serviceId: string): Promise<SwarmTaskJson | undefined> => (await tasksOf(serviceId)).find((t) => t.Status.State === 'running');
  /** A task whose container is up (Swarm says `starting` until the healthcheck first passes). */
  const liveTask = async (serviceId: string): Promise<SwarmTaskJson | undefined> =>
    (await tasksOf(serviceId)).find((t) => t.DesiredState === 'running' && (t.Status.State === 'running' || t.Status.State === 'starting'));
  const objectsOf = async (name: string): Promise<{ configs: string[]; secrets: string[] }> => {
    const filters = { label: [`${LABEL_SCOPE}=${runId}`, `${LABEL_CONFIG}=${name}`] };
    const [configs, secrets] = await Promise.all([docker.listConfigs({ filters }), docker.listSecrets({ filters })]);
    return { configs: configs.map((c) => c.Spec?.Name ?? '').sort(), secrets: secrets.map((s) => s.Spec?.Name ?? '').sort() };
  };
  const mounted = (svc: Docker.Service): { configs: string[]; secrets: string[] } => {
    const c = (svc.Spec!.TaskTemplate as { ContainerSpec: { Configs?: { ConfigName: string }[]; Secrets?: { SecretName: string }[] } }).ContainerSpec;
    return { configs: (c.Configs ?? []).map((r) => r.ConfigName).sort(), secrets: (c.Secrets ?? []).map((r) => r.SecretName).sort() };
  };

  /** The worker's lines through the runtime (`docker service logs`), to show why a wait failed. */
  const serviceLogLines = async (name: string): Promise<string[]> => {
    const lines: string[] = [];
    try {
      for await (const line of runtime.logs(name, { tail: 40 })) lines.push(line);
    } catch (err) {
      lines.push(`(no logs: ${(err as Error).message})`);
    }
    return lines;
  };

  beforeAll(async () => {
    const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string } };
    if (info.Swarm?.LocalNodeState !== 'active') {
      await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      leaveSwarm = true;
    }
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    mcB = await startMonCampusSim({ users: { bob: OLD_B_PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeDockerWorkspace();
    await quickHealthTemplate(ws.template);
    supervisorEnv[B_KEY_VAR] = API_KEY;
    supervisorEnv[B_ECAL_VAR] = API_SECRET;
  });

  afterAll(async () => {
    await supervisor?.stop().catch(() => undefined);
    await run('docker', ['stack', 'rm', STACK]).catch(() => undefined);
    // Everything of this run, whatever failed: services first (they hold the objects), then the objects.
    const label = [`${LABEL_SCOPE}=${runId}`];
    for (const s of await docker.listServices({ filters: { label } }).catch(() => []))
      await docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined);
    for (const c of await docker.listConfigs({ filters: { label } }).catch(() => []))
      await docker
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined);
    for (const s of await docker.listSecrets({ filters: { label } }).catch(() => []))
      await docker
        .getSecret(s.ID)
        .remove()
        .catch(() => undefined);
    // Task containers go with their service, asynchronously: wait so the data dir is free to delete.
    await waitUntil('the task containers gone', async () => (await docker.listContainers({ all: true, filters: { label } })).length === 0, 30_000).catch(
      () => undefined,
    );
    await mc?.close();
    await mcB?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
    if (leaveSwarm) await run('docker', ['swarm', 'leave', '--force']);
  });

  it('creates one service per config, config and secrets as Swarm objects; every worker syncs into ECAL', async () => {
    await mkdir(join(ws.configs, 'secrets'), { recursive: true });
    await writeFile(join(ws.configs, 'secrets', 'b.pw'), `${OLD_B_PASSWORD}\n`);
    await writeFile(join(ws.configs, `${A}.yml`), configA());
    await writeFile(join(ws.configs, `${B}.yml`), configB());
    const t0 = Date.now();
    supervisor = await startSupervisor();

    const [a, b] = await Promise.all([service(A), service(B)]);
    expect(a && b).toBeTruthy();
    for (const [svc, name] of [
      [a!, A],
      [b!, B],
    ] as const) {
      expect(svc.Spec?.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: name, [LABEL_SCOPE]: runId });
      expect(svc.Spec?.Mode?.Replicated?.Replicas).toBe(1);
      const spec = svc.Spec?.TaskTemplate as {
        ContainerSpec: { Args: string[]; User: string; Mounts: { Type: string; Target: string }[]; Healthcheck?: { Interval?: number } };
        Networks: { Target: string }[];
      };
      expect(spec.ContainerSpec.Args).toEqual(['worker', name]);
      expect(spec.ContainerSpec.User).toBe('1000:1000');
      // The template's healthcheck block, in nanoseconds (the Engine reads our HealthCheck, and says Healthcheck).
      expect(spec.ContainerSpec.Healthcheck?.Interval).toBe(QUICK_HEALTH_S * 1e9);
      // The config's bind is replaced by the Swarm object; data/<name> stays a bind.
      expect(spec.ContainerSpec.Mounts.map((m) => `${m.Type}:${m.Target}`).sort()).toEqual([`bind:/data/${name}`, 'tmpfs:/tmp']);
      expect(spec.Networks.length).toBe(1);
    }
    // A holds its password in the text: the whole config is a secret, with one warning naming the config.
    expect(mounted(a!)).toEqual({ configs: [], secrets: [expect.stringMatching(new RegExp(`^campus-sync-${A}-config-[0-9a-f]{12}$`))] });
    expect(logs.lines.filter((l) => l.level === 'warn' && l.message.includes(`config ${A} holds secret values`))).toHaveLength(1);
    // B: the text is a config; each ${VAR} and the passwordFile are secrets.
    const mb = mounted(b!);
    expect(mb.configs).toEqual([expect.stringMatching(new RegExp(`^campus-sync-${B}-config-[0-9a-f]{12}$`))]);
    expect(mb.secrets).toHaveLength(3);
    expect(mb.secrets.filter((s) => s.includes('-env-'))).toHaveLength(2);
    expect(mb.secrets.filter((s) => s.includes('-file-b.pw-'))).toHaveLength(1);
    expect(logs.lines.some((l) => l.message.includes(`config ${B} holds secret values`))).toBe(false);
    expect(await objectsOf(B)).toEqual(mb);

    await waitUntil(
      'both first syncs in ECAL',
      async () => eventsOf(ecal, A) === courses.length && eventsOf(ecal, B) === courses.length,
      SYNC_TIMEOUT_MS,
      500,
    ).catch(async (err: unknown) => {
      for (const name of [A, B]) console.log(`[swarm] ${name}'s service logs:\n${(await serviceLogLines(name)).join('\n')}`);
      throw err;
    });
    console.log(`[swarm] supervisor start → 2 services synced: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(mcB.stats().logins).toBeGreaterThanOrEqual(1);

    // Swarm reports a task `starting` until the healthcheck first passes (quickHealthTemplate: a probe every 3 s).
    const actual = await waitUntil(
      'both services running (healthy)',
      async () => {
        const l = await runtime.list();
        return l.every((w) => w.state === 'running') && l.length === 2 && l;
      },
      90_000,
      1_000,
    );
    expect(actual.map((w) => w.name).sort()).toEqual([A, B]);
    expect(actual.map((w) => w.restartCount)).toEqual([0, 0]);
    expect(actual.every((w) => typeof w.node === 'string' && w.node.length > 0)).toBe(true);
    // `logs` reads the service's logs (all its tasks), one line per worker line.
    const lines = await serviceLogLines(A);
    expect(lines.some((l) => l.includes('"run success') && l.includes(`"instance":"${A}"`))).toBe(true);
  }, 150_000);

  it('the CLI finds the services by itself (`auto` on a manager with campus-sync services): status with each node, logs', async () => {
    const env = {
      ...process.env,
      ...supervisorEnv,
      CAMPUS_SYNC_CONFIG_DIR: ws.configs,
      CAMPUS_SYNC_DATA_DIR: ws.data,
      CAMPUS_SYNC_SCOPE: runId,
      CAMPUS_SYNC_TEMPLATE: ws.template,
      CAMPUS_SYNC_IMAGE: TEST_IMAGE,
      // No --runtime and no CAMPUS_SYNC_RUNTIME: auto must find the swarm.
      CAMPUS_SYNC_RUNTIME: '',
      NO_COLOR: '1',
    };
    const status = await runCli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { runtime: string; instances: { name: string; state: string; node?: string }[] };
    expect(parsed.runtime).toBe('swarm');
    const { stdout: nodeName } = await run('docker', ['info', '--format', '{{.Name}}']);
    expect(parsed.instances.map((i) => [i.name, i.state, i.node])).toEqual([
      [A, 'running', nodeName.trim()],
      [B, 'running', nodeName.trim()],
    ]);
    const text = await runCli(['status'], env);
    expect(text.stdout).toMatch(new RegExp(`${A}\\s+running\\s+on ${nodeName.trim()}, last run`));
    const tail = await runCli(['logs', A, '--tail', '3', '--json'], env);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.every((l) => l.includes(`"instance":"${A}"`))).toBe(true);
  });

  it('never puts a secret in the service spec: `docker service inspect` holds no password, key secret or ${VAR} value', async () => {
    for (const name of [A, B]) {
      const { stdout } = await run('docker', ['service', 'inspect', `campus-sync-${name}`]);
      for (const secret of [PASSWORD, OLD_B_PASSWORD, API_SECRET, API_KEY]) expect(stdout).not.toContain(secret);
      const env = (
        (JSON.parse(stdout) as { Spec: { TaskTemplate: { ContainerSpec: { Env: string[] } } } }[])[0]!.Spec.TaskTemplate.ContainerSpec.Env ?? []
      ).join('\n');
      expect(env).not.toContain(B_ECAL_VAR);
      expect(env).not.toContain(B_KEY_VAR);
      if (name === B) expect(env).toContain('CAMPUS_SYNC_SECRETS_DIR=/run/secrets');
    }
  });

  it('rotates a password: a changed passwordFile makes a new secret, the service is updated, the old secret removed, and the worker logs in with the new one', async () => {
    const before = (await service(B))!;
    const oldSecrets = mounted(before).secrets;
    const loginsBefore = mcB.stats().logins;
    const failedBefore = mcB.stats().failedLogins;
    mcB.setPassword('bob', NEW_B_PASSWORD);
    // The worker keeps its MonCampus session in data/<name>/: without this the new task would not log in at all.
    mcB.expireSessions();
    await writeFile(join(ws.configs, 'secrets', 'b.pw'), `${NEW_B_PASSWORD}\n`);

    const after = await waitUntil(
      'the service updated to a new secret',
      async () => {
        const s = await service(B);
        return s && s.Spec?.Labels?.[LABEL_CONFIG_HASH] !== before.Spec?.Labels?.[LABEL_CONFIG_HASH] && s;
      },
      30_000,
      250,
    );
    expect(after.ID).toBe(before.ID);
    const newSecrets = mounted(after).secrets;
    const gone = oldSecrets.filter((s) => !newSecrets.includes(s));
    expect(gone).toEqual([expect.stringContaining('-file-b.pw-')]);
    // The ${VAR} secrets did not change: same objects.
    expect(newSecrets.filter((s) => s.includes('-env-'))).toEqual(oldSecrets.filter((s) => s.includes('-env-')));
    await waitUntil('the old secret removed', async () => !(await objectsOf(B)).secrets.some((s) => gone.includes(s)), 30_000, 500);
    expect(await objectsOf(B)).toEqual(mounted(after));
    await waitUntil('a login with the new password', async () => mcB.stats().logins > loginsBefore, SYNC_TIMEOUT_MS, 500).catch(async (err: unknown) => {
      console.log(`[swarm] ${B}'s service logs:\n${(await serviceLogLines(B)).join('\n')}\nsim: ${JSON.stringify(mcB.stats())}`);
      throw err;
    });
    // The sim accepts only the new password now: every login since is with it.
    expect(mcB.stats().failedLogins).toBe(failedBefore);
  }, 150_000);

  it('adopts the running services after a supervisor restart: same service id and version, nothing recreated', async () => {
    const before = await Promise.all([service(A), service(B)]);
    await supervisor!.stop();
    const from = logs.lines.length;
    supervisor = await startSupervisor();
    const after = await Promise.all([service(A), service(B)]);
    expect(after.map((s) => [s?.ID, s?.Version?.Index])).toEqual(before.map((s) => [s?.ID, s?.Version?.Index]));
    expect(logs.lines.slice(from).filter((l) => /created service|updated service|adopted/.test(l.message))).toEqual([]);
    // B's task may still be `starting` (its healthcheck) after the rotation just before: neither is failing.
    const states = (await runtime.list()).map((w) => w.state);
    expect(states).toHaveLength(2);
    for (const state of states) expect(['running', 'starting']).toContain(state);
  });

  it('reschedules a killed task: Swarm starts a new task, and the runtime counts the restart', async () => {
    const svc = (await service(A))!;
    const task = await waitUntil('a running task', () => runningTask(svc.ID));
    const containerId = task.Status.ContainerStatus!.ContainerID!;
    await run('docker', ['kill', containerId]);
    const next = await waitUntil(
      'a new running task',
      async () => {
        const t = await runningTask(svc.ID);
        return t && t.ID !== task.ID && t;
      },
      60_000,
      500,
    );
    expect(next.Status.ContainerStatus?.ContainerID).not.toBe(containerId);
    const w = (await runtime.list()).find((x) => x.name === A)!;
    expect(w.state).toBe('running');
    expect(w.restartCount).toBeGreaterThanOrEqual(1);
    expect((await service(A))!.ID).toBe(svc.ID);
  }, 90_000);

  it('stop, start and restart: scale to 0, back to 1, and a forced new task', async () => {
    const svc = (await service(A))!;
    await runtime.stop(A);
    expect((await service(A))!.Spec?.Mode?.Replicated?.Replicas).toBe(0);
    // A worker caught in a run finishes it first (up to 9 s), Swarm kills it after the template's 15 s grace: on a
    // busy machine that has taken over 30 s.
    // Swarm removes the task it shut down (desired state `remove`, gone within a second): the newest task left is
    // the one killed in the test before (failed, exit 137), and the worker is still stopped. Waited on here so
    // that the state is read after the removal, not in the second before it.
    await waitUntil(
      `${A}'s stopped task removed`,
      async () => (await tasksOf(svc.ID)).every((t) => t.DesiredState !== 'running' && t.DesiredState !== 'remove'),
      60_000,
      250,
    );
    const stopped = (await runtime.list()).find((w) => w.name === A);
    expect(stopped?.state).toBe('stopped');
    await runtime.start(A);
    const started = await waitUntil(`${A} up again`, async () => liveTask(svc.ID), 60_000, 500);
    await runtime.restart(A);
    const restarted = await waitUntil(
      `${A}'s new task`,
      async () => {
        const t = await liveTask(svc.ID);
        return t && t.ID !== started.ID && t;
      },
      60_000,
      500,
    );
    expect(restarted.ID).not.toBe(started.ID);
    const after = (await service(A))!;
    expect(after.ID).toBe(svc.ID);
    // The config hash is unchanged: the supervisor keeps the service as it is.
    expect(after.Spec?.Labels?.[LABEL_CONFIG_HASH]).toBe(svc.Spec?.Labels?.[LABEL_CONFIG_HASH]);
    expect((await supervisor!.reconcileNow('test')).map((a) => a.kind)).toEqual(['keep', 'keep']);
  }, 150_000);

  it('removes the service and its objects when the config file is deleted', async () => {
    const svc = (await service(B))!;
    expect((await objectsOf(B)).secrets.length).toBeGreaterThan(0);
    await rm(join(ws.configs, `${B}.yml`));
    await waitUntil(`${B}'s service removed`, async () => (await service(B)) === null, 30_000, 250);
    await waitUntil(
      `${B}'s objects removed`,
      async () => {
        const o = await objectsOf(B);
        return o.configs.length === 0 && o.secrets.length === 0;
      },
      30_000,
      500,
    );
    expect(await service(A)).not.toBeNull();
    expect(svc.ID).toBeTruthy();
    // What it synced stays.
    expect(eventsOf(ecal, B)).toBe(courses.length);
  });

  it('`docker stack deploy` of a generated stack file runs the worker as a Swarm service, which syncs', async () => {
    const text = [
      'timezone: Europe/Paris',
      'moncampus:',
      `  url: ${mc.url}`,
      `  casUrl: ${mc.casUrl}`,
      '  username: student',
      '  passwordFile: secrets/d.pw',
      '  window: { from: "2025-09-01", to: "2025-09-30" }',
      'ecal:',
      `  url: ${ecal.url}`,
      '  apiKeyFile: secrets/d.key',
      `  apiSecret: \${D_ECAL_SECRET}`,
      `  calendarId: ${CALENDAR_ID}`,
      '',
    ].join('\n');
    // Outside configs/: this instance is the stack's, not the supervisor's.
    const dir = join(ws.root, 'stack-configs');
    await mkdir(join(dir, 'secrets'), { recursive: true });
    await writeFile(join(dir, `${D}.yml`), text);
    await writeFile(join(dir, 'secrets', 'd.pw'), `${PASSWORD}\n`);
    await writeFile(join(dir, 'secrets', 'd.key'), `${API_KEY}\n`);
    await prepareWorkerDataDir(ws.data, D, '1000:1000', logs.logger);
    // Generated by the CLI, as a user would: `campus-sync generate-compose --stack`, ${VAR} set in its environment.
    const file = join(ws.root, 'stack.yml');
    const generated = await runCli(['generate-compose', '--stack', '-o', file], {
      ...process.env,
      CAMPUS_SYNC_CONFIG_DIR: dir,
      CAMPUS_SYNC_DATA_DIR: ws.data,
      CAMPUS_SYNC_TEMPLATE: ws.template,
      CAMPUS_SYNC_IMAGE: TEST_IMAGE,
      CAMPUS_SYNC_WORKER_NETWORK: 'host',
      D_ECAL_SECRET: API_SECRET,
      NO_COLOR: '1',
    });
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toContain(`docker stack deploy -c ${file} campus-sync`);
    const stackFile = await readFile(file, 'utf8');
    expect(stackFile).not.toContain(API_SECRET);
    expect(stackFile).not.toContain(PASSWORD);
    // The external ${VAR} secret, made as the header says (labelled so afterAll finds it).
    const secretName = externalSecretName(D, 'D_ECAL_SECRET');
    expect(stackFile).toContain(`docker secret create ${secretName} -`);
    await new Promise<void>((resolveCreate, reject) => {
      const child = execFile('docker', ['secret', 'create', '--label', `${LABEL_SCOPE}=${runId}`, secretName, '-'], (err) =>
        err ? reject(err) : resolveCreate(),
      );
      child.stdin!.end(`${API_SECRET}\n`);
    });

    const deployed = await run('docker', ['stack', 'deploy', '-c', file, STACK]);
    expect(deployed.stdout).toContain(`Creating service ${STACK}_${D}`);
    const svc = (await docker.getService(`${STACK}_${D}`).inspect()) as Docker.Service;
    expect(svc.Spec?.Labels?.[LABEL_MANAGED]).toBeUndefined();
    expect(JSON.stringify(svc.Spec)).not.toContain(API_SECRET);
    await waitUntil(`${D} synced by the stack's service`, async () => eventsOf(ecal, D) === courses.length, SYNC_TIMEOUT_MS, 500).catch(
      async (err: unknown) => {
        const { stdout, stderr } = await run('docker', ['service', 'logs', '--tail', '30', `${STACK}_${D}`]).catch(
          (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
        );
        const ps = await run('docker', ['service', 'ps', '--no-trunc', `${STACK}_${D}`]).catch(() => ({ stdout: '' }));
        console.log(`[swarm] stack service logs:\n${stdout}${stderr}\n${ps.stdout}`);
        throw err;
      },
    );
    // The swarm runtime does not see the stack's service as one of its workers.
    expect((await runtime.list()).map((w) => w.name)).not.toContain(D);
    await run('docker', ['stack', 'rm', STACK]);
  }, 150_000);
});
