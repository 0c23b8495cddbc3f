import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorkerSpec, loadWorkerTemplateSync } from '../supervisor/template.js';
import { writeSupervisorStatus } from '../supervisor/status.js';
import { APP_ROOT, dockerSettings, parseRuntimeChoice, runtimeOfRunningSupervisor, templateVars } from './runtime.js';

describe('templateVars: the worker template placeholders from the supervisor environment', () => {
  it('takes CAMPUS_SYNC_TEMPLATE_<NAME> and CAMPUS_SYNC_WORKER_NETWORK; never the four the supervisor fills', () => {
    expect(
      templateVars({
        CAMPUS_SYNC_TEMPLATE_MEM_LIMIT: '96m',
        CAMPUS_SYNC_TEMPLATE_RESTART_DELAY: '30s',
        CAMPUS_SYNC_TEMPLATE_IMAGE: 'evil:latest',
        CAMPUS_SYNC_TEMPLATE_lower: 'x',
        CAMPUS_SYNC_TEMPLATE: '/elsewhere/compose.template.yml',
        CAMPUS_SYNC_WORKER_NETWORK: 'host',
        HOME: '/root',
      }),
    ).toEqual({ MEM_LIMIT: '96m', RESTART_DELAY: '30s', NETWORK_MODE: 'host' });
  });

  it('reaches the rendered worker: a smaller memory limit and a longer Swarm restart delay', () => {
    const s = dockerSettings({ CAMPUS_SYNC_TEMPLATE_MEM_LIMIT: '96m', CAMPUS_SYNC_TEMPLATE_RESTART_DELAY: '30s' });
    const spec = buildWorkerSpec({
      template: loadWorkerTemplateSync(join(APP_ROOT, 'compose.template.yml')),
      name: 'alice',
      configSha: 'a'.repeat(64),
      image: s.image,
      configFileHost: '/srv/configs/alice.yml',
      dataDirHost: '/srv/data/alice',
      vars: s.vars,
    });
    expect(spec.createOptions.HostConfig?.Memory).toBe(96 * 1024 * 1024);
    expect(spec.service.deploy?.restart_policy?.delay).toBe('30s');
  });
});

describe('parseRuntimeChoice', () => {
  it('takes the flag, else CAMPUS_SYNC_RUNTIME (empty counts as unset), else auto', () => {
    expect(parseRuntimeChoice('swarm')).toBe('swarm');
    const before = process.env.CAMPUS_SYNC_RUNTIME;
    try {
      process.env.CAMPUS_SYNC_RUNTIME = '';
      expect(parseRuntimeChoice(undefined)).toBe('auto');
      process.env.CAMPUS_SYNC_RUNTIME = 'process';
      expect(parseRuntimeChoice(undefined)).toBe('process');
    } finally {
      if (before === undefined) delete process.env.CAMPUS_SYNC_RUNTIME;
      else process.env.CAMPUS_SYNC_RUNTIME = before;
    }
    expect(() => parseRuntimeChoice('kubernetes')).toThrow(/--runtime takes auto, docker, process or swarm, not "kubernetes"/);
  });
});

describe('runtimeOfRunningSupervisor: status and logs look where the running supervisor works', () => {
  const status = (runtime: 'docker' | 'process' | 'swarm', heartbeatAt: string) => ({
    pid: 1234,
    runtime,
    startedAt: '2026-01-01T10:00:00Z',
    heartbeatAt,
    instances: [],
  });
  it('auto takes the runtime of a supervisor with a fresh heartbeat; a stale or absent one means probing; a flag wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'campus-sync-rt-'));
    const now = new Date('2026-01-01T10:05:00Z');
    expect(await runtimeOfRunningSupervisor('auto', dir, now)).toEqual({ choice: 'auto', from: 'probe' });
    await writeSupervisorStatus(dir, status('process', '2026-01-01T10:04:50Z'));
    expect(await runtimeOfRunningSupervisor('auto', dir, now)).toEqual({ choice: 'process', from: 'supervisor' });
    expect(await runtimeOfRunningSupervisor('docker', dir, now)).toEqual({ choice: 'docker', from: 'asked' });
    await writeSupervisorStatus(dir, status('swarm', '2026-01-01T10:00:00Z'));
    expect(await runtimeOfRunningSupervisor('auto', dir, now)).toEqual({ choice: 'auto', from: 'probe' });
    await rm(dir, { recursive: true, force: true });
  });
});
