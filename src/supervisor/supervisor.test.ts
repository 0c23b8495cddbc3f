import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock, type FakeClock } from '../lib/fake-clock.test-helper.js';
import { captureLogger } from './capture-logger.test-helper.js';
import type { ActualWorker, DesiredWorker, Runtime } from './interface.js';
import { readSupervisorStatus } from './status.js';
import { createSupervisor, RUNTIME_RETRY_MAX_MS, type Supervisor, type SupervisorOptions } from './supervisor.js';

const VALID = (user: string) => `moncampus:\n  username: ${user}\n  password: "pw-${user}-1234"\n`;
async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Moves the supervisor's clock by `stepMs` until `fn` holds: a timer's reconcile reads the config directory
 * (real file I/O), so the next timer it sets exists only once that I/O is done.
 */
async function untilTicking(clock: FakeClock, what: string, fn: () => boolean | Promise<boolean>, stepMs: number): Promise<void> {
  await until(what, async () => {
    if (await fn()) return true;
    await clock.tickAsync(stepMs);
    return false;
  });
}

/** An in-memory stand-in for Docker: what a runtime is, by the interface, with switches to make it fail. */
function memoryRuntime() {
  const workers: ActualWorker[] = [];
  const calls: string[] = [];
  const ctl = {
    reachable: true,
    failCreate: new Map<string, number>(),
    /** While set, list() waits for it: a reconcile held in flight until the test lets it go. */
    listGate: null as Promise<void> | null,
    active: 0,
    maxActive: 0,
    closed: false,
  };
  let nextId = 1;
  const runtime: Runtime = {
    kind: 'docker',
    capabilities: { sharedWorkers: true, countsRestarts: true, needsRevival: true, sharedEngine: true },
    ping: async () => ctl.reachable,
    async list() {
      ctl.active++;
      ctl.maxActive = Math.max(ctl.maxActive, ctl.active);
      try {
        if (ctl.listGate !== undefined && ctl.listGate !== null) await ctl.listGate;
        if (!ctl.reachable) throw new Error('connect ECONNREFUSED /var/run/docker.sock');
        return workers.map((w) => ({ ...w }));
      } finally {
        ctl.active--;
      }
    },
    specHash: (w: DesiredWorker) => `spec:${w.configSha}`,
    async create(w) {
      calls.push(`create ${w.name}`);
      const left = ctl.failCreate.get(w.name) ?? 0;
      if (left > 0) {
        ctl.failCreate.set(w.name, left - 1);
        throw new Error(`no such image for ${w.name}`);
      }
      workers.push({
        name: w.name,
        id: `c${nextId++}`,
        configHash: `spec:${w.configSha}`,
        state: 'running',
        restartCount: 0,
        startedAt: new Date().toISOString(),
      });
    },
    async remove(ref) {
      const nameOrId = ref.by === 'name' ? ref.name : ref.id;
      calls.push(`remove ${nameOrId}`);
      for (let i = workers.length - 1; i >= 0; i--) if (ref.by === 'name' ? workers[i]!.name === ref.name : workers[i]!.id === ref.id) workers.splice(i, 1);
    },
    start: async () => {},
    stop: async () => {},
    restart: async () => {},
    async *logs() {},
    close: async () => {
      ctl.closed = true;
    },
  };
  return { runtime, workers, calls, ctl };
}

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

async function setup(extra: Partial<SupervisorOptions> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'cs-super-'));
  const configs = join(root, 'configs');
  const data = join(root, 'data');
  await mkdir(configs);
  const mem = memoryRuntime();
  const log = captureLogger();
  // The supervisor's timers (retries, heartbeat) run on this clock; the config watcher reacts to real file events.
  const clock = fakeClock();
  const make = () => {
    const s = createSupervisor({ runtime: mem.runtime, configDir: configs, dataDir: data, logger: log.logger, debounceMs: 30, env: {}, clock, ...extra });
    supervisors.push(s);
    return s;
  };
  const write = (name: string, text: string) => writeFile(join(configs, `${name}.yml`), text);
  return { root, configs, data, mem, log, make, write, clock };
}

describe('the supervisor', () => {
  it('adopts workers that run the right spec, creates the missing, removes orphans, and writes status.json', async () => {
    const t = await setup();
    await t.write('alice', VALID('alice'));
    await t.write('bob', VALID('bob'));
    // What a previous supervisor left: alice with the right hash, an orphan.
    const probe = t.make();
    await probe.stop();
    t.mem.ctl.closed = false;
    const { scanConfigs } = await import('./desired.js');
    const alice = (await scanConfigs(t.configs, {})).desired.find((d) => d.name === 'alice')!;
    t.mem.workers.push({ name: 'alice', id: 'old-alice', configHash: `spec:${alice.configSha}`, state: 'running', restartCount: 2 });
    t.mem.workers.push({ name: 'zoe', id: 'old-zoe', configHash: 'spec:x', state: 'running', restartCount: 0 });

    const s = t.make();
    await s.start();
    expect(t.mem.calls).toEqual(['create bob', 'remove zoe']);
    expect(t.mem.workers.map((w) => w.id)).toEqual(['old-alice', 'c1']);
    const infos = t.log.lines.filter((l) => l.level === 'info').map((l) => l.message);
    expect(infos).toEqual(expect.arrayContaining(['create bob: new config', 'remove zoe: config removed']));

    const status = await readSupervisorStatus(t.data);
    expect(status).toMatchObject({
      pid: process.pid,
      runtime: 'docker',
      instances: [
        { name: 'alice', state: 'running', restartCount: 2 },
        { name: 'bob', state: 'running' },
      ],
    });
    expect(s.status()).toEqual(status);

    // Level-based: nothing changed, nothing done.
    const again = await s.reconcileNow('test');
    expect(again.map((a) => a.kind)).toEqual(['keep', 'keep']);
    expect(t.mem.calls).toHaveLength(2);
  });

  it("stands back while another supervisor's workers are on the engine, adopts them once it is gone or with takeOver", async () => {
    const t = await setup({ supervisorId: 'me' });
    const other = { alive: 'alive' as 'alive' | 'gone' | 'unknown' };
    t.mem.runtime.supervisorLiveness = async () => other.alive;
    await t.write('alice', VALID('alice'));
    await t.write('bob', VALID('bob'));
    t.mem.workers.push({ name: 'zoe', id: 'their-zoe', configHash: 'spec:x', state: 'running', restartCount: 0, supervisor: '0123456789ab' });
    const s = t.make();
    await s.start();
    // Nothing created, nothing removed: zoe is another supervisor's.
    expect(t.mem.calls).toEqual([]);
    const errors = t.log.lines.filter((l) => l.level === 'error').map((l) => l.message);
    expect(errors).toEqual([
      expect.stringMatching(
        /another campus-sync supervisor \(0123456789ab\) manages workers on this Docker engine.*--take-over; nothing is created or removed until then$/,
      ),
    ]);
    expect((await readSupervisorStatus(t.data))?.runtimeError).toMatch(/another campus-sync supervisor \(0123456789ab\)/);
    await s.reconcileNow('rescan');
    expect(t.log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    // Its container stopped: an earlier life of this supervisor, whose workers are adopted (or removed, if orphans).
    other.alive = 'gone';
    await s.reconcileNow('rescan');
    expect(t.mem.calls).toEqual(['create alice', 'create bob', 'remove zoe']);
    expect((await readSupervisorStatus(t.data))?.runtimeError).toBeUndefined();
    expect(t.log.lines.map((l) => l.message)).toContain('adopting the workers of 0123456789ab (no longer running)');
  });

  it("takes over a live supervisor's workers only when told to", async () => {
    const t = await setup({ supervisorId: 'me', takeOver: true });
    t.mem.runtime.supervisorLiveness = async () => 'unknown';
    await t.write('alice', VALID('alice'));
    t.mem.workers.push({ name: 'zoe', id: 'their-zoe', configHash: 'spec:x', state: 'running', restartCount: 0, supervisor: 'pi-garage' });
    await t.make().start();
    expect(t.mem.calls).toEqual(['create alice', 'remove zoe']);
  });

  it('follows the config directory: add, edit, delete', async () => {
    const t = await setup();
    const s = t.make();
    await s.start();
    await t.write('carol', VALID('carol'));
    await until('carol created', () => t.mem.workers.some((w) => w.name === 'carol'));
    const first = t.mem.workers.find((w) => w.name === 'carol')!;
    await t.write('carol', `${VALID('carol')}runOnStart: false\n`);
    await until('carol recreated', () => t.mem.workers.some((w) => w.name === 'carol' && w.id !== first.id));
    expect(t.mem.calls).toEqual(['create carol', 'remove carol', 'create carol']);
    await rm(join(t.configs, 'carol.yml'));
    await until('carol removed', () => t.mem.workers.length === 0);
    await until('status without carol', async () => (await readSupervisorStatus(t.data))?.instances.length === 0);
  });

  it('leaves the worker of an invalid config running and reports the error once per change', async () => {
    const t = await setup();
    await t.write('dave', VALID('dave'));
    const s = t.make();
    await s.start();
    const id = t.mem.workers[0]!.id;
    await t.write('dave', 'moncampus: [broken\n');
    for (let i = 0; i < 3; i++) await s.reconcileNow('rescan');
    expect(t.mem.workers.map((w) => w.id)).toEqual([id]);
    const status = await readSupervisorStatus(t.data);
    expect(status?.instances).toMatchObject([{ name: 'dave', state: 'invalid', configError: expect.stringMatching(/dave\.yml/) }]);
    const reported = () => t.log.lines.filter((l) => /^config dave is invalid/.test(l.message));
    await until('one report', () => reported().length === 1);
    for (let i = 0; i < 2; i++) await s.reconcileNow('rescan');
    expect(reported()).toHaveLength(1);
    const errorsLog = () => readFile(join(t.data, 'dave', 'errors.log'), 'utf8').then((x) => x.trim().split('\n'));
    expect(await errorsLog()).toHaveLength(1);
    expect((await errorsLog())[0]).toMatch(/^\S+Z config .*dave\.yml/);
    // Another error text is another report.
    await t.write('dave', `${VALID('dave')}colour: blue\n`);
    await s.reconcileNow('rescan');
    await s.reconcileNow('rescan');
    expect(reported()).toHaveLength(2);
    expect(await errorsLog()).toHaveLength(2);
    expect((await errorsLog())[1]).not.toContain('pw-dave-1234');
    // errors.log speaks the default locale (French), the log stays English; the key path is the same in both.
    expect((await errorsLog())[1]).toMatch(/ \[config\.invalid\] la config ne peut pas être chargée : \S*dave\.yml: colour: clé inconnue$/);
    expect(reported()[1]?.message).toMatch(/dave\.yml: colour: unknown key$/);
    // Fixed: the worker is recreated from the new file.
    await t.write('dave', `${VALID('dave')}runOnStart: false\n`);
    await s.reconcileNow('fixed');
    expect(t.log.lines.some((l) => l.message === 'config dave is no longer invalid')).toBe(true);
    expect(t.mem.workers).toHaveLength(1);
    expect(t.mem.workers[0]!.id).not.toBe(id);
  });

  it('an unreachable runtime is logged once, retried with backoff, and reconciled when back', async () => {
    const t = await setup({ runtimeRetryBaseMs: 30 });
    await t.write('erin', VALID('erin'));
    t.mem.ctl.reachable = false;
    const s = t.make();
    await s.start();
    // Retries at 30, 60, 120 ms: each is one more attempt, never one more log line.
    await t.clock.tickAsync(300);
    const down = t.log.lines.filter((l) => /runtime unreachable/.test(l.message));
    expect(down).toHaveLength(1);
    expect((await readSupervisorStatus(t.data))?.instances).toMatchObject([{ name: 'erin', state: 'missing' }]);
    t.mem.ctl.reachable = true;
    await untilTicking(t.clock, 'erin created after the runtime came back', () => t.mem.workers.length === 1, RUNTIME_RETRY_MAX_MS);
    expect(t.log.lines.filter((l) => /runtime reachable again/.test(l.message))).toHaveLength(1);
  });

  it('a failing action is logged and retried later without stopping the others', async () => {
    const t = await setup({ actionRetryBaseMs: 100 });
    await t.write('fay', VALID('fay'));
    await t.write('gus', VALID('gus'));
    t.mem.ctl.failCreate.set('fay', 2);
    const s = t.make();
    await s.start();
    expect(t.mem.workers.map((w) => w.name)).toEqual(['gus']);
    expect(t.log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'create fay failed (attempt 1): no such image for fay; retrying in 0 s',
    ]);
    // A rescan before the retry time does not hammer the runtime.
    await s.reconcileNow('rescan');
    expect(t.mem.calls.filter((c) => c === 'create fay')).toHaveLength(1);
    await untilTicking(t.clock, 'the second attempt failed', () => t.log.lines.some((l) => l.message.startsWith('create fay failed (attempt 2)')), 100);
    expect(t.mem.calls.filter((c) => c === 'create fay')).toHaveLength(2);
    await untilTicking(t.clock, 'fay created after two failures', () => t.mem.workers.some((w) => w.name === 'fay'), 200);
    expect(t.mem.calls.filter((c) => c === 'create fay')).toHaveLength(3);
  });

  it('never runs two reconciles at once; asks during one collapse into one more', async () => {
    const t = await setup();
    await t.write('hal', VALID('hal'));
    const s = t.make();
    await s.start();
    let release!: () => void;
    t.mem.ctl.listGate = new Promise((r) => (release = r));
    const before = t.log.lines.length;
    const asked = Promise.all([1, 2, 3, 4, 5].map((i) => s.reconcileNow(`ask ${i}`)));
    // The first reconcile is in flight (in list) while the other four ask.
    await until('the first reconcile to list', () => t.mem.ctl.active === 1);
    release();
    const results = await asked;
    expect(t.mem.ctl.maxActive).toBe(1);
    expect(results.every((r) => Array.isArray(r))).toBe(true);
    const reconciles = t.log.lines.slice(before).filter((l) => /^reconcile \(/.test(l.message));
    expect(reconciles.map((l) => l.message)).toEqual(['reconcile (ask 1): 1 action(s)', 'reconcile (ask 2): 1 action(s)']);
  });

  it('beats: status.json is rewritten every heartbeatMs; stop({removeWorkers}) removes every worker and closes the runtime', async () => {
    const t = await setup({ heartbeatMs: 40 });
    await t.write('ivy', VALID('ivy'));
    await t.write('jon', VALID('jon'));
    const s = t.make();
    await s.start();
    const first = (await readSupervisorStatus(t.data))!.heartbeatAt;
    await t.clock.tickAsync(40);
    await until('a later heartbeat', async () => (await readSupervisorStatus(t.data))!.heartbeatAt > first, 2_000);
    await s.stop({ removeWorkers: true });
    expect(t.mem.workers).toEqual([]);
    expect(t.mem.ctl.closed).toBe(true);
    const calls = t.mem.calls.length;
    await t.write('kim', VALID('kim'));
    await t.clock.tickAsync(60_000);
    expect(t.mem.calls).toHaveLength(calls);
  });
});

describe('crash loops of a runtime that restarts its workers itself (Docker)', () => {
  it('are reported once per episode, not once per crash', async () => {
    const t = await setup({ heartbeatMs: 20 });
    await t.write('dora', VALID('dora'));
    const s = t.make();
    await s.start();
    const dora = t.mem.workers.find((w) => w.name === 'dora')!;
    const crashLines = async () =>
      (await readFile(join(t.data, 'dora', 'errors.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('crash-looping'));
    for (let i = 1; i <= 6; i++) {
      dora.restartCount = i;
      dora.state = 'restarting';
      dora.exitCode = 1;
      await t.clock.tickAsync(40); // a couple of heartbeats per crash
    }
    await until('the crash loop reported', async () => (await crashLines()).length > 0);
    await t.clock.tickAsync(60);
    expect(await crashLines()).toHaveLength(1);
    expect((await crashLines())[0]).toMatch(/ run \[worker\.crashLooping\] .*dora is crash-looping: restarted \d+ times \(last exit code 1\)/);
    expect(t.log.lines.filter((l) => l.level === 'error' && l.message.includes('crash-looping'))).toHaveLength(1);
  });
});

describe("a kept worker's files on this host (runtime.repairFiles)", () => {
  it('are checked at each reconcile; a repair is said in the log and errors.log, a failed check logged without stopping the reconcile', async () => {
    const t = await setup();
    await t.write('alice', VALID('alice'));
    await t.write('bob', VALID('bob'));
    const checked: string[] = [];
    t.mem.runtime.repairFiles = async (w) => {
      checked.push(`${w.name} ${w.configSha.slice(0, 8)}`);
      if (w.name === 'bob') throw new Error('EACCES reading config.resolved.yml');
      return checked.filter((c) => c.startsWith('alice')).length === 2 ? '/data/alice/config.resolved.yml was damaged (empty): set aside' : undefined;
    };
    const s = t.make();
    await s.start(); // creates both: nothing kept, nothing checked
    expect(checked).toEqual([]);
    expect((await s.reconcileNow('rescan')).map((a) => a.kind)).toEqual(['keep', 'keep']);
    expect((await s.reconcileNow('rescan')).map((a) => a.kind)).toEqual(['keep', 'keep']);
    expect(checked.map((c) => c.split(' ')[0])).toEqual(['alice', 'bob', 'alice', 'bob']);
    const warns = t.log.lines.filter((l) => l.message.includes('was damaged'));
    expect(warns.map((l) => l.level)).toEqual(['warn']);
    expect(await readFile(join(t.data, 'alice', 'errors.log'), 'utf8')).toMatch(
      / state \[file\.damaged\] .*\/data\/alice\/config\.resolved\.yml was damaged \(empty\)/,
    );
    expect(t.log.lines.filter((l) => l.level === 'error' && l.message.startsWith('cannot check the files of bob'))).toHaveLength(2);
  });
});
