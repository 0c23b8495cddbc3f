import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/index.js';
import { ConfigError } from '../src/lib/index.js';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { captureLogger } from '../src/supervisor/capture-logger.test-helper.js';
import type { Runtime } from '../src/supervisor/interface.js';
import { createProcessRuntime } from '../src/supervisor/process-runtime.js';
import { readSupervisorStatus } from '../src/supervisor/status.js';
import { createSupervisor, type Supervisor } from '../src/supervisor/supervisor.js';
import { baseLines, FUZZ_SECRETS, fuzzSeed, hostileCase, writeCase, type BaseUrls, type HostileCase } from './fuzz-configs.js';
import { CLI, makeWorkspace, runCli, type Workspace } from './helpers.js';

/**
 * Hostile configs, generated: every one is refused with exit 2 and a message naming the file (and the
 * key, and the line, when one is to blame), with no stack trace and no secret, within bounded time and
 * memory; a live supervisor reports each as invalid and its other workers run on untouched.
 * CAMPUS_SYNC_FUZZ_SEED replays a run; CAMPUS_SYNC_FUZZ_RUNS makes it longer.
 */
const SEED = fuzzSeed();
const RUNS = Number(process.env.CAMPUS_SYNC_FUZZ_RUNS) || 150;
/** Files per batch through the CLI and the supervisor (each batch is one scan of a folder); more in a long run. */
const BATCH = Math.min(RUNS, RUNS > 150 ? 200 : 40);
/** Generous for a Pi: the worst case (a 3 MB file) is refused unread in milliseconds here. */
const MAX_CASE_MS = 3_000;
/** The heap `validate` may use: enough for any accepted config, far too little to parse a hostile one whole. */
const CLI_HEAP_MB = 64;
const STACK_TRACE = /\n\s+at .+[:(]\d+/;

console.log(`fuzz-config: seed ${SEED}, ${RUNS} runs (replay with CAMPUS_SYNC_FUZZ_SEED=${SEED})`);

/** What every refusal must look like, whoever refused it. */
function checkMessage(message: string, file: string, c: HostileCase): void {
  const name = basename(file);
  expect(message, c.kind).toContain(name);
  if (c.key !== undefined) expect(message, c.kind).toContain(c.key);
  if (c.line) expect(message, c.kind).toMatch(new RegExp(`${name.replace('.', '\\.')}:\\d+:`));
  expect(message, c.kind).not.toMatch(STACK_TRACE);
  for (const secret of FUZZ_SECRETS) expect(message, c.kind).not.toContain(secret);
}

const urls: BaseUrls = { moncampusUrl: 'http://127.0.0.1:9/mc', casUrl: 'http://127.0.0.1:9/cas/login', ecalUrl: 'http://127.0.0.1:9/ecal' };

describe(`fuzz: hostile configs through the loader (seed ${SEED})`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'campus-sync-fuzz-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the base config is valid: each failure below is the mutation's doing", async () => {
    const file = await writeCase(dir, 'base', { kind: 'base', bytes: Buffer.from(baseLines(urls).join('\n')) });
    expect((await loadConfigFile(file, { env: {} })).name).toBe('base');
  });

  it(`refuses each generated case with a ConfigError naming the file and the key (${RUNS} cases)`, async () => {
    let n = 0;
    let slowest = 0;
    const kinds = new Set<string>();
    const perKind: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(hostileCase(urls), async (c) => {
        const sub = join(dir, `run-${n++}`);
        await mkdir(sub);
        const file = await writeCase(sub, 'hostile', c);
        const started = performance.now();
        const error = await loadConfigFile(file, { env: {} }).then(
          () => undefined,
          (err: unknown) => err,
        );
        const took = performance.now() - started;
        expect(error, `${c.kind} was accepted`).toBeInstanceOf(ConfigError);
        checkMessage((error as Error).message, file, c);
        expect(took, c.kind).toBeLessThan(MAX_CASE_MS);
        kinds.add(c.kind.replace(/-.*/, ''));
        perKind[c.kind] = (perKind[c.kind] ?? 0) + 1;
        slowest = Math.max(slowest, took);
        await rm(sub, { recursive: true, force: true });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fuzz-config summary: ${RUNS} cases, ${Object.keys(perKind).length} kinds, slowest ${Math.round(slowest)} ms: ${JSON.stringify(perKind)}`);
    // The generator reached every family (a seed that did not would test less than it claims).
    if (RUNS >= 100)
      expect([...kinds].sort()).toEqual([
        'alias',
        'config',
        'control',
        'deep',
        'enum',
        'huge',
        'long',
        'not',
        'number',
        'secret',
        'syntax',
        'type',
        'unknown',
        'utf8',
      ]);
  }, 120_000);
});

describe(`fuzz: hostile configs through \`validate\` and a live supervisor (seed ${SEED})`, () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let cases: HostileCase[];
  const live: BaseUrls = { moncampusUrl: '', casUrl: '', ecalUrl: '' };

  beforeAll(async () => {
    const courses = generateTimetable({ count: 12, start: '2025-09-01', seed: 5 });
    mc = await startMonCampusSim({ users: { student: FUZZ_SECRETS[0]! }, courses });
    ecal = await startEcalSim({ keys: { 'test-key-0123': FUZZ_SECRETS[1]! }, calendars: ['aaaaaaaaaaaaaaaaaaaaaaaa'] });
    Object.assign(live, { moncampusUrl: mc.url, casUrl: mc.casUrl, ecalUrl: ecal.url });
    ws = await makeWorkspace();
    cases = fc.sample(hostileCase(live), { seed: SEED, numRuns: BATCH });
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
  });

  it(`validate <folder>: exit 2, one refusal per hostile file naming it, within ${CLI_HEAP_MB} MB of heap`, async () => {
    const folder = join(ws.root, 'validate');
    await mkdir(folder);
    await writeCase(folder, 'good', { kind: 'base', bytes: Buffer.from(baseLines(live).join('\n')) });
    const files = await Promise.all(cases.map((c, i) => writeCase(folder, `h${String(i).padStart(2, '0')}`, c)));
    const started = performance.now();
    const r = await runCli(['validate', folder, '--json'], { ...ws.env, NODE_OPTIONS: `--max-old-space-size=${CLI_HEAP_MB}` });
    const took = performance.now() - started;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    const results = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; valid: boolean; error?: string });
    expect(results.find((x) => x.file.endsWith('good.yml'))?.valid).toBe(true);
    cases.forEach((c, i) => {
      const file = files[i]!;
      const result = results.find((x) => basename(x.file) === basename(file));
      expect(result?.valid, `${c.kind} in ${basename(file)}`).toBe(false);
      checkMessage(result?.error ?? '', file, c);
    });
    for (const secret of FUZZ_SECRETS) expect(r.stdout + r.stderr).not.toContain(secret);
    expect(took).toBeLessThan(BATCH * MAX_CASE_MS);
  }, 120_000);

  it('a live supervisor reports each hostile config invalid, names it, leaks nothing, and the good worker runs on', async () => {
    const log = captureLogger();
    const runtime: Runtime = createProcessRuntime({ configDir: ws.configs, dataDir: ws.data, cliPath: CLI, env: ws.env, logger: log.logger });
    const supervisor: Supervisor = createSupervisor({
      runtime,
      configDir: ws.configs,
      dataDir: ws.data,
      logger: log.logger,
      debounceMs: 100,
      heartbeatMs: 300,
    });
    try {
      await writeCase(ws.configs, 'good', { kind: 'base', bytes: Buffer.from(baseLines(live).join('\n')) });
      await supervisor.start();
      const goodPid = async () => (await runtime.list()).find((w) => w.name === 'good' && w.state === 'running')?.id;
      await until(
        async () => (await readFile(join(ws.data, 'good', 'last-run.json'), 'utf8').catch(() => '')).includes('"success"'),
        30_000,
        "the good worker's first sync",
      );
      const pid = await goodPid();
      expect(pid).toBeDefined();
      const synced = ecal.events().length;

      const files = await Promise.all(cases.map((c, i) => writeCase(ws.configs, `h${String(i).padStart(2, '0')}`, c)));
      const names = files.map((f) => basename(f, '.yml'));
      const status = await until(
        async () => {
          const s = await readSupervisorStatus(ws.data);
          const invalid = s?.instances.filter((i) => i.state === 'invalid').map((i) => i.name) ?? [];
          return s && names.every((n) => invalid.includes(n)) ? s : undefined;
        },
        30_000,
        'every hostile config reported invalid',
      );
      cases.forEach((c, i) => {
        const inst = status.instances.find((x) => x.name === names[i]);
        checkMessage(inst?.configError ?? '', files[i]!, c);
      });
      // The good worker: same process, still running, its events untouched, no worker for any hostile file.
      expect(await goodPid()).toBe(pid);
      expect((await runtime.list()).map((w) => w.name)).toEqual(['good']);
      expect(ecal.events()).toHaveLength(synced);
      const said = JSON.stringify(log.lines) + (await readFile(join(ws.data, '.supervisor', 'status.json'), 'utf8'));
      for (const secret of FUZZ_SECRETS) expect(said).not.toContain(secret);
      expect(said).not.toMatch(/\\n\s+at .+:\d+/);
    } finally {
      await supervisor.stop({ removeWorkers: true });
    }
  }, 120_000);
});

async function until<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
