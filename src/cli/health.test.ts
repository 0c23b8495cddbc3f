import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { HEARTBEAT_STALE_MS, STATUS_FILE, SUPERVISOR_DIR as SUPERVISOR_WRITES } from '../supervisor/status.js';
import { checkHealth, healthVerb, INSTANCE_ENV, MAX_HEARTBEAT_AGE_MS, SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE } from './health.js';
import { UsageError, type Output } from './output.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const NOW = '2026-03-02T10:00:00.000Z';
const saved = { data: process.env.CAMPUS_SYNC_DATA_DIR, instance: process.env[INSTANCE_ENV] };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'campus-sync-health-'));
  process.env.CAMPUS_SYNC_DATA_DIR = dir;
  delete process.env[INSTANCE_ENV];
});

afterEach(() => {
  restore('CAMPUS_SYNC_DATA_DIR', saved.data);
  restore(INSTANCE_ENV, saved.instance);
  rmSync(dir, { recursive: true, force: true });
});

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

function writeWorker(name: string, status: unknown): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'worker.json'), typeof status === 'string' ? status : JSON.stringify(status));
}

function writeSupervisor(status: unknown): void {
  mkdirSync(join(dir, '.supervisor'), { recursive: true });
  writeFileSync(join(dir, '.supervisor', 'status.json'), typeof status === 'string' ? status : JSON.stringify(status));
}

/** A pid that existed a moment ago and has exited (reaped), so nothing answers to it. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not spawn a child');
  return child.pid;
}

const worker = (over: Record<string, unknown> = {}) => ({
  pid: process.pid,
  state: 'idle',
  schedule: '46 6-18 * * *',
  timezone: 'Europe/Paris',
  nextRun: '2026-03-02T10:46:00.000Z',
  updatedAt: NOW,
  ...over,
});

describe('health of a worker', () => {
  it('is healthy when idle or running with a live pid', async () => {
    writeWorker('alice', worker());
    const idle = await checkHealth({ name: 'alice' });
    expect(idle).toMatchObject({ healthy: true, role: 'worker', name: 'alice', file: join(dir, 'alice', 'worker.json') });
    expect(idle.reason).toContain('next run 2026-03-02T10:46:00.000Z');

    writeWorker('alice', worker({ state: 'running' }));
    expect(await checkHealth({ name: 'alice' })).toMatchObject({
      healthy: true,
      reason: `worker alice running (pid ${process.pid}), next run 2026-03-02T10:46:00.000Z`,
    });
  });

  it('takes the name from CAMPUS_SYNC_INSTANCE, and an argument over it', async () => {
    writeWorker('bob', worker());
    process.env[INSTANCE_ENV] = 'bob';
    expect(await checkHealth()).toMatchObject({ healthy: true, role: 'worker', name: 'bob' });
    expect(await checkHealth({ name: 'carol' })).toMatchObject({ healthy: false, name: 'carol' });
  });

  it('is unhealthy while stopping or stopped, or in a state it does not know', async () => {
    for (const state of ['stopping', 'stopped']) {
      writeWorker('alice', worker({ state }));
      expect(await checkHealth({ name: 'alice' })).toMatchObject({ healthy: false, reason: `worker alice is ${state} (pid ${process.pid})` });
    }
    writeWorker('alice', worker({ state: 'dancing' }));
    expect((await checkHealth({ name: 'alice' })).reason).toBe('worker alice is in unknown state "dancing"');
  });

  it('is unhealthy when its process is gone', async () => {
    const pid = deadPid();
    writeWorker('alice', worker({ pid }));
    expect(await checkHealth({ name: 'alice' })).toMatchObject({ healthy: false, reason: `worker alice says idle but its process ${pid} is gone` });
  });

  it('counts a pid owned by another user (EPERM) as alive', async () => {
    // pid 1 exists everywhere; a non-root test run gets EPERM for it, a root one gets no error: alive either way.
    writeWorker('alice', worker({ pid: 1 }));
    expect((await checkHealth({ name: 'alice' })).healthy).toBe(true);
  });

  it('is unhealthy without a status file, or with one it cannot read', async () => {
    const missing = await checkHealth({ name: 'alice' });
    expect(missing.healthy).toBe(false);
    expect(missing.reason).toMatch(/^no worker status at .*alice\/worker\.json: worker alice has not started$/);

    writeWorker('alice', '{"pid": 12, "state": "idle"');
    expect((await checkHealth({ name: 'alice' })).reason).toMatch(/^unknown status format in .*worker\.json: not JSON$/);

    writeWorker('alice', { pid: 'twelve', state: 'idle' });
    expect((await checkHealth({ name: 'alice' })).reason).toMatch(/^unknown worker status format in .*: expected \{pid, state, …\}$/);
  });

  it('refuses a crafted instance name from the environment without reading anything', async () => {
    process.env[INSTANCE_ENV] = '../etc';
    expect(await checkHealth()).toMatchObject({ healthy: false, reason: `${INSTANCE_ENV}="../etc" is not a config name` });
  });
});

describe('health of the supervisor', () => {
  const clock = fakeClock(NOW);
  const beatAgo = (ms: number) => ({ pid: 7, heartbeatAt: new Date(Date.parse(NOW) - ms).toISOString() });

  it('reads the file the supervisor writes, with the same staleness limit', () => {
    expect([SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE, MAX_HEARTBEAT_AGE_MS]).toEqual([SUPERVISOR_WRITES, STATUS_FILE, HEARTBEAT_STALE_MS]);
  });

  it('is healthy while its heartbeat is younger than 90 s', async () => {
    writeSupervisor(beatAgo(12_000));
    expect(await checkHealth({ clock })).toMatchObject({
      healthy: true,
      role: 'supervisor',
      file: join(dir, '.supervisor', 'status.json'),
      reason: 'supervisor heartbeat 12 s ago (pid 7)',
    });
    writeSupervisor(beatAgo(MAX_HEARTBEAT_AGE_MS));
    expect((await checkHealth({ clock })).healthy).toBe(true);
  });

  it('is unhealthy once the heartbeat is older than 90 s', async () => {
    writeSupervisor(beatAgo(MAX_HEARTBEAT_AGE_MS + 1_000));
    expect(await checkHealth({ clock })).toMatchObject({ healthy: false, reason: 'supervisor heartbeat is 91 s old (limit 90 s, pid 7)' });
  });

  it('accepts extra fields and an offset time, and refuses a heartbeat from the future', async () => {
    writeSupervisor({ pid: 7, heartbeatAt: '2026-03-02T11:59:30+02:00', workers: 3, runtime: 'docker' });
    expect(await checkHealth({ clock })).toMatchObject({ healthy: true, reason: 'supervisor heartbeat 30 s ago (pid 7)' });
    writeSupervisor(beatAgo(-60_000));
    expect((await checkHealth({ clock })).reason).toMatch(/^supervisor heartbeat .* is in the future$/);
  });

  it('is unhealthy without a status file, and says so when the format is unknown', async () => {
    expect((await checkHealth({ clock })).reason).toMatch(/^no supervisor status at .*\.supervisor\/status\.json: the supervisor has not written a heartbeat$/);
    for (const bad of [{ pid: 7 }, { pid: 7, heartbeatAt: 'yesterday' }, { heartbeatAt: NOW }, [1, 2]]) {
      writeSupervisor(bad);
      const report = await checkHealth({ clock });
      expect(report.healthy).toBe(false);
      expect(report.reason).toMatch(/^unknown supervisor status format in .*: expected \{pid, heartbeatAt \(ISO time\)\}$/);
    }
  });

  it('answers within its time limit when reading the status file blocks', async () => {
    mkdirSync(join(dir, '.supervisor'));
    const fifo = join(dir, '.supervisor', 'status.json');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here: nothing can block a plain file read
    }
    try {
      let answered = false;
      const checked = checkHealth({ clock, timeoutMs: 200 }).finally(() => (answered = true));
      await clock.whenPending();
      await clock.tickAsync(199);
      expect(answered).toBe(false);
      await clock.tickAsync(1);
      expect(await checked).toMatchObject({ healthy: false, reason: `no answer within 200 ms reading ${fifo}` });
    } finally {
      await releaseFifoReader(fifo);
    }
  });
});

/**
 * Opening a FIFO's writing end releases a read blocked in libuv's thread pool. That read may not have reached
 * its open() yet on a busy machine (ENXIO: no reader): try again until it has, or it would block for good.
 */
async function releaseFifoReader(fifo: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || attempt > 100_000) throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('the health verb', () => {
  function recorder(json = false): Output & { lines: string[]; errors: string[]; results: unknown[] } {
    const rec = {
      json,
      lines: [] as string[],
      errors: [] as string[],
      results: [] as unknown[],
      line: (t: string) => void rec.lines.push(t),
      error: (t: string) => void rec.errors.push(t),
      result: (value: unknown, human: () => void) => {
        rec.results.push(value);
        if (!json) human();
      },
      green: (t: string) => t,
      red: (t: string) => t,
      yellow: (t: string) => t,
      dim: (t: string) => t,
    };
    return rec;
  }

  it('exits 0 with a healthy line, 1 with the reason on stderr', async () => {
    writeWorker('alice', worker());
    const ok = recorder();
    expect(await healthVerb({ args: ['alice'], values: {}, out: ok })).toBe(0);
    expect(ok.lines).toEqual([`healthy: worker alice idle (pid ${process.pid}), next run 2026-03-02T10:46:00.000Z`]);

    const bad = recorder();
    expect(await healthVerb({ args: [], values: {}, out: bad })).toBe(1);
    expect(bad.errors[0]).toMatch(/^unhealthy: no supervisor status at /);
  });

  it('gives the whole report in JSON mode', async () => {
    const out = recorder(true);
    expect(await healthVerb({ args: [], values: { json: true }, out })).toBe(1);
    expect(out.results).toEqual([expect.objectContaining({ healthy: false, role: 'supervisor', file: join(dir, '.supervisor', 'status.json') })]);
  });

  it('treats a bad argument as a usage error', async () => {
    await expect(healthVerb({ args: ['Not A Name'], values: {}, out: recorder() })).rejects.toThrow(UsageError);
    await expect(healthVerb({ args: ['a', 'b'], values: {}, out: recorder() })).rejects.toThrow(UsageError);
  });
});

describe('dist/health.js, the image HEALTHCHECK', () => {
  const ENTRY = resolve(import.meta.dirname, '../../dist/health.js');
  const probe = (env: Record<string, string>) =>
    spawnSync(process.execPath, [ENTRY], {
      env: { PATH: process.env.PATH ?? '', CAMPUS_SYNC_DATA_DIR: dir, ...env },
      encoding: 'utf8',
    });
  /** Every module URL the entry loads, logged by a module-load hook (synchronously: the probe exits at once). */
  function loadedModules(env: Record<string, string>): string[] {
    const log = join(dir, 'loaded.txt');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
    );
    const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    const run = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, ENTRY], {
      env: { PATH: process.env.PATH ?? '', CAMPUS_SYNC_DATA_DIR: dir, ...env },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }

  it('answers like `health`: exit 0 with the worker healthy, 1 (never 2) otherwise, one line', () => {
    writeWorker('alice', worker());
    const ok = probe({ CAMPUS_SYNC_INSTANCE: 'alice' });
    expect([ok.status, ok.stdout.trim()]).toEqual([0, expect.stringMatching(/^healthy: worker alice idle \(pid \d+\), next run /)]);
    const missing = probe({ CAMPUS_SYNC_INSTANCE: 'bob' });
    expect([missing.status, missing.stderr.trim()]).toEqual([1, expect.stringMatching(/^unhealthy: no worker status at .*bob\/worker\.json/)]);
    const supervisor = probe({});
    expect([supervisor.status, supervisor.stderr.trim()]).toEqual([1, expect.stringMatching(/^unhealthy: no supervisor status at /)]);
  });

  it('loads neither zod nor the CLI (what every probe would pay for)', () => {
    writeWorker('alice', worker());
    const modules = loadedModules({ CAMPUS_SYNC_INSTANCE: 'alice' });
    expect(modules.some((m) => m.endsWith('/dist/cli/health-probe.js'))).toBe(true);
    expect(modules.filter((m) => /\/node_modules\/|\/dist\/cli\/(index|main|output|locale)\.js$|\/dist\/lib\/index\.js$/.test(m))).toEqual([]);
  });
});
