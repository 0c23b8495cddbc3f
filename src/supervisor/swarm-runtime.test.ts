import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, silentLogger } from '../lib/index.js';
import { captureLogger } from './capture-logger.test-helper.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SUPERVISOR, type DesiredWorker } from './interface.js';
import { createSwarmRuntime, newestTask, toActualWorker, type SwarmRuntimeOptions } from './swarm-runtime.js';

const HASH = 'h'.repeat(64);

const service = (over: { replicas?: number; force?: number; hash?: string } = {}) => ({
  ID: 'svc1',
  Spec: {
    Name: 'campus-sync-alice',
    Labels: { [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: 'alice', [LABEL_CONFIG_HASH]: over.hash ?? HASH, [LABEL_SUPERVISOR]: 'host-1' },
    Mode: { Replicated: { Replicas: over.replicas ?? 1 } },
    TaskTemplate: { ForceUpdate: over.force ?? 0 } as never,
  },
});

let seq = 0;
const task = (state: string, at: string, over: { hash?: string; force?: number; exit?: number } = {}) => ({
  ID: `t${++seq}`,
  ServiceID: 'svc1',
  NodeID: 'node1',
  CreatedAt: at,
  Version: { Index: seq },
  Spec: { ForceUpdate: over.force ?? 0, ContainerSpec: { Labels: { [LABEL_CONFIG_HASH]: over.hash ?? HASH } } },
  Status: { State: state, Timestamp: at.replace(':00.', ':05.'), ...(over.exit !== undefined ? { ContainerStatus: { ExitCode: over.exit } } : {}) },
});

describe('toActualWorker (a service and its tasks as the supervisor sees a worker)', () => {
  it('running: the newest task runs; its start time, no restart yet', () => {
    const w = toActualWorker(service(), [task('running', '2026-01-01T10:00:00.000Z', { exit: 0 })]);
    expect(w).toEqual({
      name: 'alice',
      id: 'svc1',
      configHash: HASH,
      state: 'running',
      restartCount: 0,
      startedAt: '2026-01-01T10:00:05.000Z',
      supervisor: 'host-1',
    });
  });

  it('counts the failed tasks of the current version only, and says restarting between a crash and the next task', () => {
    const tasks = [
      task('failed', '2026-01-01T09:00:00.000Z', { hash: 'old', exit: 1 }),
      task('failed', '2026-01-01T10:00:00.000Z', { exit: 1 }),
      task('failed', '2026-01-01T10:01:00.000Z', { exit: 137 }),
      task('ready', '2026-01-01T10:02:00.000Z'),
    ];
    const w = toActualWorker(service(), tasks);
    expect(w.state).toBe('restarting');
    expect(w.restartCount).toBe(2);
    expect(w.exitCode).toBe(137);
    // Its container is up, the healthcheck pending: starting, not restarting.
    expect(toActualWorker(service(), [...tasks.slice(0, 3), task('starting', '2026-01-01T10:02:00.000Z')]).state).toBe('starting');
    // The newest task failed and the service still wants one: restarting too.
    expect(toActualWorker(service(), tasks.slice(0, 3)).state).toBe('restarting');
    // A restart (force update) starts a new version: its tasks count from zero.
    expect(toActualWorker(service({ force: 1 }), [...tasks, task('running', '2026-01-01T10:03:00.000Z', { force: 1 })]).restartCount).toBe(0);
  });

  it('starting: a first task on its way (and Swarm keeps a task `starting` until its healthcheck passes)', () => {
    expect(toActualWorker(service(), [task('starting', '2026-01-01T10:00:00.000Z')]).state).toBe('starting');
    expect(toActualWorker(service(), [task('pending', '2026-01-01T10:00:00.000Z')]).state).toBe('starting');
    expect(toActualWorker(service(), []).state).toBe('starting');
  });

  it('exited / stopped: scaled to 0, or the task completed', () => {
    const shut = task('shutdown', '2026-01-01T10:00:00.000Z', { exit: 0 });
    const w = toActualWorker(service({ replicas: 0 }), [shut]);
    expect(w.state).toBe('stopped');
    expect(w.finishedAt).toBe('2026-01-01T10:00:05.000Z');
    expect(w.exitCode).toBe(0);
    expect(toActualWorker(service({ replicas: 0 }), []).state).toBe('stopped');
    expect(toActualWorker(service(), [task('complete', '2026-01-01T10:00:00.000Z', { exit: 0 })]).state).toBe('exited');
    // Scaled to 0, the task shut down is removed: the newest left may be one that failed earlier. Still a stop.
    const killed = toActualWorker(service({ replicas: 0 }), [task('failed', '2026-01-01T10:00:00.000Z', { exit: 137 })]);
    expect([killed.state, killed.exitCode]).toEqual(['stopped', 137]);
  });

  it('picks the newest task by creation time, then by store version', () => {
    const a = task('running', '2026-01-01T10:00:00.000Z');
    const b = task('running', '2026-01-01T10:00:00.000Z');
    const c = task('failed', '2026-01-01T09:00:00.000Z');
    expect(newestTask([a, c, b])?.ID).toBe(b.ID);
    expect(newestTask([])).toBeUndefined();
  });
});

describe('createSwarmRuntime: the spec hash (synchronous, from the files; no engine call)', () => {
  let dir: string;
  // Nothing listens there: any engine call would fail, and none is expected here.
  const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });
  const secret = 'S3cr3t-value!';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cs-swarm-runtime-'));
    await mkdir(join(dir, 'configs', 'secrets'), { recursive: true });
    await copyFile(resolve(import.meta.dirname, '../../compose.template.yml'), join(dir, 'template.yml'));
    await writeFile(join(dir, 'configs', 'alice.yml'), 'moncampus:\n  passwordFile: secrets/pw\necal:\n  apiSecret: ${ALICE_SECRET}\n');
    await writeFile(join(dir, 'configs', 'secrets', 'pw'), 'pw-one\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const runtime = (over: Partial<SwarmRuntimeOptions> = {}) =>
    createSwarmRuntime({
      docker,
      templatePath: join(dir, 'template.yml'),
      image: 'campus-sync:local',
      hostDataDir: join(dir, 'data'),
      localDataDir: join(dir, 'data'),
      configDir: join(dir, 'configs'),
      env: { ALICE_SECRET: secret },
      logger: silentLogger,
      ...over,
    });
  const worker = (over: Partial<DesiredWorker> = {}): DesiredWorker => ({
    name: 'alice',
    configFile: join(dir, 'configs', 'alice.yml'),
    configSha: 'a'.repeat(64),
    envVars: ['ALICE_SECRET'],
    secretFiles: ['secrets/pw'],
    ...over,
  });

  it('changes when a *File secret or a ${VAR} value changes, and not otherwise', async () => {
    const rt = runtime();
    expect(rt.kind).toBe('swarm');
    const base = rt.specHash(worker());
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(rt.specHash(worker())).toBe(base);
    expect(runtime({ env: { ALICE_SECRET: 'another' } }).specHash(worker())).not.toBe(base);
    await writeFile(join(dir, 'configs', 'secrets', 'pw'), 'pw-two\n');
    const rotated = rt.specHash(worker());
    expect(rotated).not.toBe(base);
    await writeFile(join(dir, 'configs', 'secrets', 'pw'), 'pw-one\n');
    expect(rt.specHash(worker())).toBe(base);
    // Scope and supervisor id are not part of the hash (another supervisor adopts the service).
    expect(runtime({ scope: 'x', supervisorId: 'y' }).specHash(worker())).toBe(base);
    await rt.close();
  });

  it('an unreadable secret file: a hash no service has (so the plan acts on it), and a ConfigError naming the config and path on create', async () => {
    const rt = runtime();
    const w = worker({ secretFiles: ['secrets/missing'] });
    expect(rt.specHash(w)).toMatch(/^unusable:[0-9a-f]{12}$/);
    const err = await rt.create(w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('config alice: cannot read the secret file secrets/missing (ENOENT)');
  });

  it('warns once per config whose text is itself a secret, naming the config and never a value', async () => {
    const captured = captureLogger();
    const rt = runtime({ logger: captured.logger });
    await writeFile(join(dir, 'configs', 'bob.yml'), `moncampus:\n  password: ${secret}\n`);
    const w = worker({ name: 'bob', configFile: join(dir, 'configs', 'bob.yml'), envVars: [], secretFiles: [], inlineSecrets: true });
    // The engine is not there: create fails after preparing, but the warning is said first, once.
    await rt.create(w).catch(() => undefined);
    await rt.create(w).catch(() => undefined);
    const warnings = captured.lines.filter((l) => l.level === 'warn' && l.message.includes('holds secret values'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('config bob');
    expect(warnings[0]!.message).toMatch(/\$\{VAR\} or the \*File keys/);
    expect(JSON.stringify(captured.lines)).not.toContain(secret);
  });
});
