import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { ActualWorker, Runtime } from './interface.js';
import {
  buildInstances,
  collectStatus,
  instanceStatus,
  isHeartbeatFresh,
  readSupervisorStatus,
  statusFilePath,
  workerState,
  writeSupervisorStatus,
  type SupervisorStatus,
} from './status.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const actual = (name: string, state: ActualWorker['state'], restartCount = 0): ActualWorker => ({
  name,
  id: `id-${name}`,
  configHash: 'h',
  state,
  restartCount,
});

const listOnly = (workers: ActualWorker[] | Error, kind: Runtime['kind'] = 'docker'): Runtime => ({
  kind,
  capabilities: { sharedWorkers: kind !== 'process', countsRestarts: kind !== 'process', needsRevival: kind === 'docker', sharedEngine: kind === 'docker' },
  ping: async () => !(workers instanceof Error),
  list: async () => {
    if (workers instanceof Error) throw workers;
    return workers;
  },
  specHash: () => 'h',
  create: async () => {},
  remove: async () => {},
  start: async () => {},
  stop: async () => {},
  restart: async () => {},
  async *logs() {},
  close: async () => {},
});

async function workspace() {
  const root = await mkdtemp(join(tmpdir(), 'cs-status-'));
  const configs = join(root, 'configs');
  const data = join(root, 'data');
  await mkdir(configs);
  await mkdir(join(data, 'alice'), { recursive: true });
  await writeFile(join(configs, 'alice.yml'), 'moncampus:\n  username: a\n  password: "pw-aaaa"\n');
  await writeFile(join(configs, 'bob.yml'), 'nope: [\n');
  await writeFile(
    join(data, 'alice', 'last-run.json'),
    JSON.stringify({
      instance: 'alice',
      outcome: 'success',
      finishedAt: '2025-03-01T10:00:05.000Z',
      counts: { created: 3, updated: 1, adopted: 0, deleted: 0, unchanged: 7, skipped: 0, failed: 0 },
    }),
  );
  await writeFile(join(data, 'alice', 'worker.json'), JSON.stringify({ pid: 1, state: 'idle', nextRun: '2025-03-01T10:46:00.000Z' }));
  return { root, configs, data };
}

describe('status', () => {
  it('maps runtime states to status words', () => {
    expect(workerState(undefined)).toBe('missing');
    expect(workerState(actual('a', 'running'))).toBe('running');
    expect(workerState(actual('a', 'restarting', 1))).toBe('starting');
    expect(workerState(actual('a', 'restarting', 3))).toBe('crash-looping');
    expect(workerState(actual('a', 'created'))).toBe('starting');
    expect(workerState(actual('a', 'exited'))).toBe('stopped');
    expect(workerState(actual('a', 'dead'))).toBe('stopped');
  });

  it('reads the last run and the next run from the instance data files', async () => {
    const ws = await workspace();
    expect(await instanceStatus({ name: 'alice', dataDir: ws.data, actual: actual('alice', 'running', 1) })).toEqual({
      name: 'alice',
      state: 'running',
      restartCount: 1,
      lastRun: {
        outcome: 'success',
        finishedAt: '2025-03-01T10:00:05.000Z',
        counts: { created: 3, updated: 1, adopted: 0, deleted: 0, unchanged: 7, skipped: 0, failed: 0 },
      },
      nextRun: '2025-03-01T10:46:00.000Z',
    });
    expect(await instanceStatus({ name: 'carol', dataDir: ws.data })).toEqual({ name: 'carol', state: 'missing', restartCount: 0 });
    // A swarm worker says which node it runs on.
    expect(await instanceStatus({ name: 'carol', dataDir: ws.data, actual: { ...actual('carol', 'running', 0), node: 'pi-3' } })).toEqual({
      name: 'carol',
      state: 'running',
      restartCount: 0,
      node: 'pi-3',
    });
    expect(await instanceStatus({ name: '../etc', dataDir: ws.data, configError: 'bad name' })).toEqual({
      name: '../etc',
      state: 'invalid',
      configError: 'bad name',
      restartCount: 0,
    });
  });

  it('a running worker whose runs the lock refuses is "failing", with the reason', async () => {
    const ws = await workspace();
    const refused = { reason: 'alice: a run is already in progress (pid 7)', since: '2025-03-01T10:46:00.000Z' };
    await writeFile(join(ws.data, 'alice', 'worker.json'), JSON.stringify({ pid: 1, state: 'idle', nextRun: null, runRefused: refused }));
    const s = await instanceStatus({ name: 'alice', dataDir: ws.data, actual: actual('alice', 'running') });
    expect(s.state).toBe('failing');
    expect(s.reason).toBe('runs refused since 2025-03-01T10:46:00.000Z: alice: a run is already in progress (pid 7)');
    // A stopped container stays "stopped": its old refusal is history.
    expect((await instanceStatus({ name: 'alice', dataDir: ws.data, actual: actual('alice', 'exited') })).state).toBe('stopped');
  });

  it('an invalid config is "invalid" even while its old worker runs', async () => {
    const ws = await workspace();
    const list = await buildInstances({
      desired: ['alice'],
      invalid: [{ name: 'bob', error: 'bob.yml: broken' }],
      actual: [actual('bob', 'running'), actual('zoe', 'running')],
      dataDir: ws.data,
    });
    expect(list.map((i) => [i.name, i.state, i.configError])).toEqual([
      ['alice', 'missing', undefined],
      ['bob', 'invalid', 'bob.yml: broken'],
    ]);
  });

  it('round-trips status.json and judges the heartbeat', async () => {
    const ws = await workspace();
    expect(await readSupervisorStatus(ws.data)).toBeNull();
    const status: SupervisorStatus = {
      pid: 42,
      runtime: 'process',
      startedAt: '2025-03-01T10:00:00.000Z',
      heartbeatAt: '2025-03-01T10:00:30.000Z',
      instances: [{ name: 'alice', state: 'running', restartCount: 0 }],
    };
    await writeSupervisorStatus(ws.data, status);
    expect(statusFilePath(ws.data)).toBe(join(ws.data, '.supervisor', 'status.json'));
    expect(await readSupervisorStatus(ws.data)).toEqual(status);
    expect(isHeartbeatFresh(status, new Date('2025-03-01T10:02:00.000Z'))).toBe(true);
    expect(isHeartbeatFresh(status, new Date('2025-03-01T10:02:00.001Z'))).toBe(false);
    await writeFile(statusFilePath(ws.data), '{"pid": "x"}');
    expect(await readSupervisorStatus(ws.data)).toBeNull();
  });

  it('collectStatus works without a supervisor: configs + runtime + data files', async () => {
    const ws = await workspace();
    const st = await collectStatus({ configDir: ws.configs, dataDir: ws.data, runtime: listOnly([actual('alice', 'running'), actual('zoe', 'exited')]) });
    expect(st.supervisor).toBeUndefined();
    expect(st.orphans).toEqual(['zoe']);
    expect(st.instances.map((i) => [i.name, i.state])).toEqual([
      ['alice', 'running'],
      ['bob', 'invalid'],
    ]);
    expect(st.instances[0]!.lastRun?.counts.created).toBe(3);
    const down = await collectStatus({ configDir: ws.configs, dataDir: ws.data, runtime: listOnly(new Error('connect ENOENT /var/run/docker.sock')) });
    expect(down.runtimeError).toMatch(/ENOENT/);
    expect(down.instances.map((i) => i.state)).toEqual(['missing', 'invalid']);
  });

  it('collectStatus takes process workers’ states from a running supervisor (they are its children)', async () => {
    const ws = await workspace();
    const clock = fakeClock('2025-03-01T10:01:00.000Z');
    await writeSupervisorStatus(ws.data, {
      pid: 7,
      runtime: 'process',
      startedAt: '2025-03-01T10:00:00.000Z',
      heartbeatAt: '2025-03-01T10:00:50.000Z',
      instances: [{ name: 'alice', state: 'crash-looping', restartCount: 4 }],
    });
    const st = await collectStatus({ configDir: ws.configs, dataDir: ws.data, runtime: listOnly([], 'process'), clock });
    expect(st.supervisor).toEqual({ pid: 7, heartbeatAt: '2025-03-01T10:00:50.000Z', startedAt: '2025-03-01T10:00:00.000Z' });
    expect(st.instances[0]).toMatchObject({ name: 'alice', state: 'crash-looping', restartCount: 4 });
    clock.advance(120_000);
    const stale = await collectStatus({ configDir: ws.configs, dataDir: ws.data, runtime: listOnly([], 'process'), clock });
    expect(stale.supervisor).toBeUndefined();
    expect(stale.instances[0]!.state).toBe('missing');
  });
});
