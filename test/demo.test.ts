/**
 * `npm run demo` end to end: the built demo as a user runs it (simulators, configs, the real supervisor
 * with the process runtime, its workers and API), in a temporary demo folder with PORT=0. Waits for the
 * printed dashboard URL, a timetable landing in the simulated ECAL and a slot alert reaching the
 * simulated Discord; then Ctrl+C (SIGINT) must stop it all with exit code 0 and leave no process behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const DEMO = join(ROOT, 'dist/demo/run-demo.js');

/** `npm test` builds first; run alone after an edit of src/demo, this file builds what it runs. */
async function ensureBuilt(): Promise<void> {
  const srcDir = join(ROOT, 'src/demo');
  const stale = readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .some((f) => {
      const out = join(ROOT, 'dist/demo', f.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(srcDir, f)).mtimeMs;
    });
  if (!stale) return;
  // tsc still emits when another folder has a type error; what matters here is the demo's output.
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT }).catch(() => {});
  if (!existsSync(DEMO)) throw new Error(`${DEMO} was not built`);
}

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}
async function processes(): Promise<Proc[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
  return stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
}
function descendants(all: Proc[], root: number): Proc[] {
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of all.filter((x) => x.ppid === parent)) {
      out.push(p);
      queue.push(p.pid);
    }
  }
  return out;
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo', () => {
  let dir: string;
  let demo: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let tree: Proc[] = [];

  const waitForOutput = async (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(output);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${pattern} in the demo's output within ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'campus-sync-demo-e2e-'));
    demo = spawn(process.execPath, [DEMO, '--dir', dir], { cwd: ROOT, env: { ...process.env, PORT: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    demo.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    exited = new Promise((r) => demo.once('exit', (code) => r(code)));
  }, 60_000);

  afterAll(async () => {
    // Only if the test failed half-way: nothing of this run may outlive it.
    for (const p of tree) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
    if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the dashboard, shows the timetables in ECAL and a slot alert in Discord; Ctrl+C leaves nothing running', async () => {
    const url = (await waitForOutput(/Dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\//, 30_000))[1]!;
    const apiKey = (await waitForOutput(/API key:\s+(\S+)/, 1_000))[1]!;
    await waitForOutput(/alice: \d+ events in ECAL \(\d+ created\)/, 30_000);
    await waitForOutput(/bob: \d+ events in ECAL/, 10_000);
    await waitForOutput(/Discord #\S+ received: "1 new slot\(s\)/, 30_000);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { instances: { name: string }[] };
    expect(body.instances.map((i) => i.name).sort()).toEqual(['alice', 'bob', 'office-hours']);
    // The printed key is the one the API takes.
    expect((await fetch(`${url}/v1/instances`, { headers: { 'x-api-key': apiKey } })).status).toBe(200);

    // The supervisor, its API and one worker per config, all under the demo.
    tree = descendants(await processes(), demo.pid!);
    expect(tree.filter((p) => p.args.includes('supervise --runtime process'))).toHaveLength(1);
    expect(tree.filter((p) => p.args.includes(' serve'))).toHaveLength(1);
    expect(tree.filter((p) => p.args.includes(` worker --config ${dir}`))).toHaveLength(3);

    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped: nothing of the demo is left running/);
    expect(tree.filter((p) => alive(p.pid))).toEqual([]);
    expect((await processes()).filter((p) => p.args.includes(dir))).toEqual([]);
  }, 60_000);
});
