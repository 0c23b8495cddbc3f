import { appendFile, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStoppedOnPurpose, STOPPED_MARK_FILE } from '../instance/index.js';
import { byName, type DesiredWorker, type Runtime } from './interface.js';
import { captureLogger, type Captured } from './capture-logger.test-helper.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { createProcessRuntime, defaultCliPath, processSpecHash, type ProcessRuntimeOptions } from './process-runtime.js';

/** A stand-in for `dist/cli.js worker`: what it does is written in its config file. */
const FAKE_CLI = `
import { readFileSync } from 'node:fs';
const file = process.argv[process.argv.indexOf('--config') + 1];
const mode = readFileSync(file, 'utf8').trim();
console.log(JSON.stringify({ msg: 'started', pid: process.pid, instance: process.env.CAMPUS_SYNC_INSTANCE, dataDir: process.env.CAMPUS_SYNC_DATA_DIR, configDir: process.env.CAMPUS_SYNC_CONFIG_DIR, runOnce: process.env.RUN_ONCE ?? null, args: process.argv.slice(2) }));
console.error('a line on stderr');
if (mode === 'crash') process.exit(3);
if (mode === 'ignore-term') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
else process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });
if (mode === 'chatty') setInterval(() => console.log('x'.repeat(100)), 2);
setInterval(() => {}, 1000);
`;

/** Re-checks a condition of real processes and files (children write on their own time) until it holds. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
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

interface Setup {
  root: string;
  configs: string;
  data: string;
  cli: string;
  runtime: Runtime;
  log: Captured;
  worker(name: string, mode: string): Promise<DesiredWorker>;
}

const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
});

async function setup(extra: Partial<ProcessRuntimeOptions> = {}): Promise<Setup> {
  const root = await mkdtemp(join(tmpdir(), 'cs-procrt-'));
  const configs = join(root, 'configs');
  const data = join(root, 'data');
  await mkdir(configs);
  const cli = join(root, 'fake-cli.mjs');
  await writeFile(cli, FAKE_CLI);
  const log = captureLogger();
  const runtime = createProcessRuntime({
    configDir: configs,
    dataDir: data,
    cliPath: cli,
    logger: log.logger,
    env: { ...process.env, RUN_ONCE: '1' },
    ...extra,
  });
  runtimes.push(runtime);
  return {
    root,
    configs,
    data,
    cli,
    runtime,
    log,
    async worker(name, mode) {
      const file = join(configs, `${name}.yml`);
      await writeFile(file, `${mode}\n`);
      return { name, configFile: file, configSha: `sha-${name}-${mode}` };
    },
  };
}

describe('the process runtime', () => {
  it('runs each worker as a child with its env, logs to worker.log, and obeys stop/start/restart/remove', async () => {
    const s = await setup();
    const alice = await s.worker('alice', 'run');
    await s.runtime.create(alice);
    const [w] = await s.runtime.list();
    expect(w).toMatchObject({ name: 'alice', state: 'running', configHash: s.runtime.specHash(alice), restartCount: 0 });
    const pid = Number(w!.id);
    expect(alive(pid)).toBe(true);

    const logFile = join(s.data, 'alice', 'worker.log');
    const started = await until('the start line', async () => {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.includes('a line on stderr') ? JSON.parse(text.split('\n')[0]!) : undefined;
    });
    expect(started).toEqual({
      msg: 'started',
      pid,
      instance: 'alice',
      dataDir: s.data,
      configDir: s.configs,
      runOnce: null,
      args: ['worker', '--config', alice.configFile, '--json'],
    });
    const tail: string[] = [];
    for await (const line of s.runtime.logs('alice', { tail: 1 })) tail.push(line);
    expect(tail).toEqual(['a line on stderr']);

    // The same spec again is done already: no second child.
    await s.runtime.create(alice);
    expect((await s.runtime.list()).map((x) => x.id)).toEqual([String(pid)]);

    await s.runtime.stop('alice');
    expect(alive(pid)).toBe(false);
    // stop() resolves once the child has exited: its exit is already recorded.
    expect(await s.runtime.list()).toMatchObject([{ name: 'alice', state: 'stopped', exitCode: 0 }]);

    await s.runtime.start('alice');
    const [again] = await s.runtime.list();
    expect(again!.state).toBe('running');
    expect(again!.id).not.toBe(String(pid));

    await s.runtime.restart('alice');
    const [restarted] = await s.runtime.list();
    expect(restarted).toMatchObject({ state: 'running', restartCount: 1 });
    expect(restarted!.id).not.toBe(again!.id);
    expect(alive(Number(again!.id))).toBe(false);

    await s.runtime.remove(byName('alice'));
    expect(await s.runtime.list()).toEqual([]);
    expect(alive(Number(restarted!.id))).toBe(false);
    await s.runtime.remove(byName('alice'));
    await expect(s.runtime.start('alice')).rejects.toThrow(/no worker named "alice"/);
  });

  it('a new spec for a running name replaces its child', async () => {
    const s = await setup();
    await s.runtime.create(await s.worker('alice', 'run'));
    const before = (await s.runtime.list())[0]!;
    const edited = { ...(await s.worker('alice', 'run')), configSha: 'sha-v2' };
    await s.runtime.create(edited);
    const after = await s.runtime.list();
    expect(after).toHaveLength(1);
    expect(after[0]!.configHash).toBe(s.runtime.specHash(edited));
    expect(after[0]!.configHash).not.toBe(before.configHash);
    expect(alive(Number(before.id))).toBe(false);
  });

  it('a stop is kept in data/<name>/ across runtimes: the next one creates the worker stopped, until start', async () => {
    const s = await setup();
    const alice = await s.worker('alice', 'run');
    const mark = join(s.data, 'alice', STOPPED_MARK_FILE);
    await s.runtime.create(alice);
    await s.runtime.stop('alice');
    expect(await isStoppedOnPurpose(join(s.data, 'alice'))).toBe(true);
    // Closing (the supervisor ending) is not a stop on purpose: the mark is left as it was, never added.
    await s.runtime.close();
    await expect(stat(mark)).resolves.toBeDefined();

    // The next supervisor's runtime: the same config is created stopped, with no child.
    const next = createProcessRuntime({ configDir: s.configs, dataDir: s.data, cliPath: s.cli, logger: s.log.logger });
    runtimes.push(next);
    await next.create(alice);
    expect(await next.list()).toMatchObject([{ name: 'alice', state: 'stopped', id: 'process:alice' }]);
    expect(s.log.lines.some((l) => l.message.startsWith('alice stays stopped: stopped on purpose'))).toBe(true);
    await next.start('alice');
    expect((await next.list())[0]!.state).toBe('running');
    expect(await isStoppedOnPurpose(join(s.data, 'alice'))).toBe(false);

    // A new spec of a stopped worker runs it, as Docker's new container does, and clears the mark.
    await next.stop('alice');
    await next.create({ ...alice, configSha: 'sha-v2' });
    expect((await next.list())[0]!.state).toBe('running');
    expect(await isStoppedOnPurpose(join(s.data, 'alice'))).toBe(false);
    // A restart clears it too, and without a mark a fresh runtime runs the worker.
    await next.stop('alice');
    await next.restart('alice');
    expect(await isStoppedOnPurpose(join(s.data, 'alice'))).toBe(false);
    // Removed (`clean`) and created again in the same runtime's life: a new worker, which runs, as a new container.
    await next.stop('alice');
    await next.remove(byName('alice'));
    await next.create(alice);
    expect((await next.list())[0]!.state).toBe('running');
    expect(await isStoppedOnPurpose(join(s.data, 'alice'))).toBe(false);
    const third = createProcessRuntime({ configDir: s.configs, dataDir: s.data, cliPath: s.cli, logger: s.log.logger });
    runtimes.push(third);
    await next.close();
    await third.create(alice);
    expect((await third.list())[0]!.state).toBe('running');
  });

  it('restarts a crashing child with growing delays and reports the crash loop once', async () => {
    const clock = fakeClock();
    const s = await setup({ clock, backoff: { baseDelayMs: 40, maxDelayMs: 2_000, crashLoopAfter: 3, resetAfterMs: 10_000 } });
    await s.runtime.create(await s.worker('bob', 'crash'));
    // Each crash schedules one restart timer: fire it once the child has died, five times.
    while ((await s.runtime.list())[0]!.restartCount < 5) {
      await clock.whenPending();
      await clock.nextAsync();
    }
    await clock.whenPending();
    await s.runtime.stop('bob');
    const delays = s.log.lines.filter((l) => l.level === 'warn' && /exited unexpectedly \(exit code 3\)/.test(l.message)).map((l) => l.meta?.delayMs);
    expect(delays.slice(0, 5)).toEqual([40, 80, 160, 320, 640]);
    const loops = s.log.lines.filter((l) => l.level === 'error');
    expect(loops).toHaveLength(1);
    expect(loops[0]!.message).toMatch(/^bob is crash-looping: exited 3 times in a row within 10 s of starting \(last: exit code 3\)/);
    const errors = (await readFile(join(s.data, 'bob', 'errors.log'), 'utf8')).trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\S+Z run \[worker\.crashLooping\] .*bob is crash-looping: exited 3 times/);
    const [w] = await s.runtime.list();
    expect(w!.state).toBe('stopped');
    const n = w!.restartCount;
    // The pending restart was cancelled: no timer is left, and time passing starts nothing.
    expect(clock.pendingTimers()).toBe(0);
    await clock.tickAsync(10_000);
    expect((await s.runtime.list())[0]!.restartCount).toBe(n);
  });

  it('stops in two stages: SIGKILL when SIGTERM is ignored for the grace period', async () => {
    const clock = fakeClock();
    const s = await setup({ clock, stopGraceMs: 400 });
    await s.runtime.create(await s.worker('carol', 'ignore-term'));
    const pid = Number((await s.runtime.list())[0]!.id);
    const logText = () => readFile(join(s.data, 'carol', 'worker.log'), 'utf8').catch(() => '');
    await until('the child to be listening', async () => (await logText()).includes('stderr'));
    const stopped = s.runtime.stop('carol');
    await clock.whenPending();
    await until('SIGTERM to be ignored', async () => (await logText()).includes('ignoring SIGTERM'));
    // Until the grace period is over, the child is left alone.
    await clock.tickAsync(399);
    expect(alive(pid)).toBe(true);
    await clock.tickAsync(1);
    await stopped;
    expect(alive(pid)).toBe(false);
    expect(await s.runtime.list()).toMatchObject([{ state: 'stopped', exitCode: 137 }]);
    expect(await readFile(join(s.data, 'carol', 'worker.log'), 'utf8')).toMatch(/ignoring SIGTERM/);
  });

  it('rotates worker.log, keeping two old files', async () => {
    const s = await setup({ logMaxBytes: 4_000 });
    await s.runtime.create(await s.worker('dan', 'chatty'));
    await until('two rotations', async () => (await readdir(join(s.data, 'dan'))).includes('worker.log.2'));
    await until('lines after the second rotation', async () => (await stat(join(s.data, 'dan', 'worker.log')).catch(() => null))?.size);
    await s.runtime.stop('dan');
    const files = (await readdir(join(s.data, 'dan'))).filter((f) => f.startsWith('worker.log')).sort();
    expect(files).toEqual(['worker.log', 'worker.log.1', 'worker.log.2']);
    for (const f of files) expect((await stat(join(s.data, 'dan', f))).size).toBeLessThanOrEqual(4_000);
  });

  it('follows the log like tail -F until the signal aborts, across a rotation', async () => {
    const s = await setup();
    const dir = join(s.data, 'erin');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'worker.log');
    await writeFile(file, 'one\ntwo\nthr');
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const line of s.runtime.logs('erin', { follow: true, tail: 1, signal: ac.signal })) seen.push(line);
    })();
    await until('the tail', () => seen.length === 1);
    expect(seen).toEqual(['two']);
    await appendFile(file, 'ee\nfour\n');
    await until('new lines', () => seen.length === 3);
    expect(seen).toEqual(['two', 'three', 'four']);
    // A rotation: what was appended to the old file before it moved is not lost.
    await appendFile(file, 'five\n');
    const { rename } = await import('node:fs/promises');
    await rename(file, `${file}.1`);
    await writeFile(file, 'six\n');
    await until('lines after the rotation', () => seen.length === 5);
    expect(seen.slice(3)).toEqual(['five', 'six']);
    ac.abort();
    await done;
    const all: string[] = [];
    for await (const line of s.runtime.logs('erin')) all.push(line);
    expect(all).toEqual(['six']);
  });

  it('close() stops every child; the spec hash depends on the config bytes and the program', async () => {
    const s = await setup();
    await s.runtime.create(await s.worker('f1', 'run'));
    await s.runtime.create(await s.worker('f2', 'ignore-term'));
    const pids = (await s.runtime.list()).map((w) => Number(w.id));
    expect(pids.every(alive)).toBe(true);
    await s.runtime.close();
    expect(pids.some(alive)).toBe(false);
    await expect(s.runtime.create(await s.worker('f3', 'run'))).rejects.toThrow(/closed/);

    const w: DesiredWorker = { name: 'a', configFile: '/c/a.yml', configSha: 'x' };
    expect(processSpecHash(w, '/p/cli.js')).toBe(processSpecHash({ ...w, configFile: '/other/a.yml' }, '/p/cli.js'));
    expect(processSpecHash(w, '/p/cli.js')).not.toBe(processSpecHash({ ...w, configSha: 'y' }, '/p/cli.js'));
    expect(processSpecHash(w, '/p/cli.js')).not.toBe(processSpecHash(w, '/q/cli.js'));
    expect(defaultCliPath()).toMatch(/dist\/cli\.js$/);
    expect(defaultCliPath('file:///app/dist/supervisor/process-runtime.js')).toBe('/app/dist/cli.js');
  });

  it('refuses to create a worker when the CLI is not built', async () => {
    const s = await setup({ cliPath: '/nonexistent/cli.js' });
    await expect(s.runtime.create(await s.worker('g', 'run'))).rejects.toThrow(/does not exist: run `npm run build` first/);
    expect(await s.runtime.ping()).toBe(true);
  });
});
