/**
 * `npm run bench`: every benchmark in one run, then one table of every target side by side with the original
 * tool's strategy where the bench re-enacts it, each with ✓/✗ (issue 20). The detailed tables of each part
 * are printed as they finish. `--readme` also rewrites README.md's performance summary between its
 * `bench:summary` markers from this run's figures. Targets are reported, never asserted.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TARGETS_FILE_ENV, type BenchTarget } from './targets.js';

/** The parts, in the order a reader meets them: a sync, then many workers, then the reporting side. */
const PARTS = ['sync-bench.js', 'worker-memory-bench.js', 'supervisor-bench.js', 'slots-bench.js', 'api-bench.js', 'swarm-bench.js'] as const;
/** Issue 20: the whole run stays short enough to run before every performance change. */
const WHOLE_RUN_TARGET_S = 300;
const README = resolve(import.meta.dirname, '../../README.md');
export const SUMMARY_START = '<!-- bench:summary:start -->';
export const SUMMARY_END = '<!-- bench:summary:end -->';

async function runPart(script: string, targetsFile: string): Promise<number> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, script)], {
    env: { ...process.env, [TARGETS_FILE_ENV]: targetsFile },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // A signal to the driver alone (`kill <pid>`, a CI timeout) is passed on, so the part cleans up what it
  // started (the swarm part's supervisor, services and Swarm) before the driver goes.
  let stopped = false;
  const forward = (signal: NodeJS.Signals) => {
    stopped = true;
    child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const s of signals) process.on(s, forward);
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? 1)));
  for (const s of signals) process.off(s, forward);
  // Stopped by a signal: so is the whole run, once the part has cleaned up, with the conventional status.
  if (stopped) {
    process.stderr.write(`bench: stopped by a signal during ${script}\n`);
    process.exit(130);
  }
  return code;
}

/** The summary table (markdown), from the targets every part recorded. */
export function summaryTable(targets: readonly BenchTarget[]): string {
  const mark = (t: BenchTarget): string => (t.met === null ? '— not measured' : t.met ? '✓' : '✗');
  const cell = (s: string | undefined): string => (s ?? '').replace(/\|/g, '\\|');
  return [
    '| area | measure | campus-sync | original strategy | target | |',
    '|---|---|---|---|---|---|',
    ...targets.map(
      (t) =>
        `| ${cell(t.area)} | ${cell(t.what)}${t.note ? ` (${cell(t.note)})` : ''} | ${cell(t.ours)} | ${cell(t.original ?? '—')} | ${cell(t.target)} | ${mark(t)} |`,
    ),
  ].join('\n');
}

/**
 * The whole run's row: met or not, and when not, where the time went (each part's seconds, the longest first)
 * so the miss has its reason in figures, as every other row's has.
 */
export function wholeRunTarget(wallS: number, partSeconds: readonly { part: string; seconds: number }[]): BenchTarget {
  const met = wallS <= WHOLE_RUN_TARGET_S;
  const byTime = [...partSeconds].sort((a, b) => b.seconds - a.seconds);
  const parts = byTime.map((p) => `${p.part.replace(/-bench\.js$/, '')} ${p.seconds.toFixed(0)} s`).join(', ');
  return {
    area: 'bench',
    what: 'the whole `npm run bench`',
    ours: `${wallS.toFixed(0)} s`,
    target: `≤ ${WHOLE_RUN_TARGET_S} s`,
    met,
    ...(met || byTime.length === 0
      ? {}
      : { note: `${(wallS - WHOLE_RUN_TARGET_S).toFixed(0)} s over; the parts: ${parts} (each part's own row says why it takes what it takes)` }),
  };
}

export function replaceSummary(readme: string, summary: string): string {
  const a = readme.indexOf(SUMMARY_START);
  const b = readme.indexOf(SUMMARY_END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${SUMMARY_START} … ${SUMMARY_END} section`);
  return `${readme.slice(0, a + SUMMARY_START.length)}\n${summary}\n${readme.slice(b)}`;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'campus-sync-bench-all-'));
  const targetsFile = join(dir, 'targets.jsonl');
  await writeFile(targetsFile, '');
  const failed: string[] = [];
  // BENCH_PARTS=sync,api runs only those parts (while working on one of them); the summary then says less.
  const only = process.env.BENCH_PARTS?.split(',').map((p) => `${p.trim()}-bench.js`);
  const partSeconds: { part: string; seconds: number }[] = [];
  for (const part of PARTS.filter((p) => !only || only.includes(p))) {
    process.stdout.write(`\n## ${part.replace(/\.js$/, '')}\n\n`);
    const started = performance.now();
    const code = await runPart(part, targetsFile);
    partSeconds.push({ part, seconds: (performance.now() - started) / 1000 });
    if (code !== 0) failed.push(`${part} exited with ${code}`);
  }
  const wallS = (performance.now() - t0) / 1000;
  const targets = (await readFile(targetsFile, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as BenchTarget);
  targets.push(wholeRunTarget(wallS, partSeconds));
  await rm(dir, { recursive: true, force: true });
  const met = targets.filter((t) => t.met === true).length;
  const missed = targets.filter((t) => t.met === false).length;
  const machine = `${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GB, load average ${loadavg()[0]!.toFixed(1)} at the end`;
  const summary = [
    `${new Date().toISOString().slice(0, 10)}, ${machine}: ${met} targets met, ${missed} missed, ${targets.length - met - missed} not measured.`,
    '',
    summaryTable(targets),
  ].join('\n');
  process.stdout.write(`\n## Summary\n\n${summary}\n`);
  for (const f of failed) process.stdout.write(`\n${f}\n`);
  if (process.argv.includes('--readme')) {
    await writeFile(README, replaceSummary(await readFile(README, 'utf8'), summary));
    process.stdout.write('\nREADME.md: performance summary rewritten from this run\n');
  }
  if (failed.length > 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
