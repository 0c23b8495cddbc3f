/**
 * The built demo (`node dist/demo/run-demo.js`) as a child process for the tests that need the real thing:
 * a temporary demo folder, PORT=0, its output collected to wait on, and the processes it started listed so
 * a test can prove Ctrl+C (SIGINT) leaves none behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
export const DEMO = join(ROOT, 'dist/demo/run-demo.js');
/** How often waitForOutput looks again: the demo prints a line a second at most. */
const OUTPUT_POLL_MS = 200;

/** `npm test` builds first; run alone after an edit of src/demo, a test builds what it runs. */
export async function ensureDemoBuilt(): Promise<void> {
  const srcDir = join(ROOT, 'src/demo');
  const stale = readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .some((f) => {
      const out = join(ROOT, 'dist/demo', f.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(join(srcDir, f)).mtimeMs;
    });
  if (!stale) return;
  // The modules only (under a second): dist/cli.js and the assets are `npm run build`'s, which the demo also runs.
  await run(process.execPath, [join(ROOT, 'scripts/build-modules.mjs')], { cwd: ROOT }).catch(() => {});
  if (!existsSync(DEMO)) throw new Error(`${DEMO} was not built`);
}

export interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

export async function processes(): Promise<Proc[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
  return stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
}

export function descendants(all: Proc[], root: number): Proc[] {
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

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface RunningDemo {
  /** The temporary demo folder (configs, data, the supervisor's log). */
  dir: string;
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr together. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** The exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** The processes under the demo now (the supervisor, its API and workers). */
  tree(): Promise<Proc[]>;
  /** Only for a test that failed half-way: kills what is left of `tree` and the demo, removes the folder. */
  cleanup(tree: Proc[]): Promise<void>;
}

/** Starts the built demo in a fresh temporary folder with PORT=0. */
export async function startDemo(): Promise<RunningDemo> {
  await ensureDemoBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'campus-sync-demo-e2e-'));
  const child = spawn(process.execPath, [DEMO, '--dir', dir], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    dir,
    child,
    output: () => output,
    async waitForOutput(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(output);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no ${pattern} in the demo's output within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, OUTPUT_POLL_MS));
      }
    },
    exited,
    tree: async () => descendants(await processes(), child.pid!),
    async cleanup(tree) {
      // The processes the test saw, and any started since (a worker the supervisor was starting when a test failed).
      const now = child.exitCode === null && child.signalCode === null ? descendants(await processes(), child.pid!) : [];
      for (const p of [...tree, ...now]) {
        try {
          if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
        } catch {
          // Gone between the check and the kill.
        }
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // A killed process's last write may still land while the folder is removed (ENOTEMPTY): a few more tries.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
