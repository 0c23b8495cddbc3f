/**
 * `npm run bench`: campus-sync against the simulators with 20 ms of latency per request and a 400-course
 * year, next to the Python original's strategy re-enacted on the same simulators. Prints figures side by
 * side; targets are checked and reported, never asserted in a test (shared, noisy machines).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEcalSim, startMonCampusSim, generateTimetable, type EcalSim, type MonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { runOriginalStrategy } from './original-strategy.js';
import { figure, reportTarget } from './targets.js';

/** The conditions: a school year of 400 courses, 20 ms added to every request. */
const COURSES = 400;
const LATENCY_MS = 20;
const CHANGES = 5;
const KEY = 'bench-key';
const SECRET = 'bench-secret';
const USER = 'student';
const PASSWORD = 'bench-password';
const CALENDAR = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const FROM = '2025-09-01';
const TO = '2026-07-31';

const HERE = import.meta.dirname;
const CLI = resolve(HERE, '../cli.js');
const RSS_HOOK = resolve(HERE, 'report-rss.js');

interface Figures {
  requests: number;
  moncampus: number;
  ecal: number;
  writes: number;
  logins: number;
  ms: number;
  rssMb?: number;
}

/** Issue 20: what one more worker may add to a Pi during a sync (its private memory; the node binary's pages are shared). */
const WORKER_SYNC_ANON_TARGET_MB = 30;

const DRIFT = 'full check (--verify), 1 event deleted by hand in ECAL';

function measure(mc: MonCampusSim, ecal: EcalSim, ms: number): Figures {
  return {
    requests: mc.requests.length + ecal.requests.length,
    moncampus: mc.requests.length,
    ecal: ecal.requests.length,
    writes: ecal.requests.filter((r) => r.method !== 'GET').length,
    logins: mc.requests.filter((r) => r.host === 'cas' && r.method === 'POST').length,
    ms,
  };
}

async function runCampusSync(env: NodeJS.ProcessEnv, extra: string[] = []): Promise<{ ms: number; runMs: number; rssKb: number; anonKb: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', RSS_HOOK, CLI, 'run-once', 'bench', '--json', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`campus-sync run-once failed (${code}): ${err}`);
  const record = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { durationMs: number };
  const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(err);
  const anon = /BENCH_PEAK_ANON_KB=(\d+)/.exec(err);
  return { ms, runMs: record.durationMs, rssKb: rss ? Number(rss[1]) : NaN, anonKb: anon ? Number(anon[1]) : NaN };
}

/** The runs both strategies go through, in order, each with what changes before it and campus-sync's extra flags. */
function scenarios(mc: MonCampusSim, ecal: () => EcalSim, changed: SimCourseSpec[]): [string, () => void, string[]][] {
  return [
    ['first sync', () => {}, []],
    ['steady state', () => {}, []],
    // Drift: an event deleted by hand in ECAL. The steady run does not list ECAL; the scheduled (or asked-for) check repairs it.
    [DRIFT, () => void ecal().removeEvent(ecal().events()[0]!.id), ['--verify']],
    [`after ${CHANGES} changes`, () => mc.setCourses(changed), []],
  ];
}

function change(courses: SimCourseSpec[], n: number): SimCourseSpec[] {
  const step = Math.floor(courses.length / n);
  return courses.map((c, i) => (i % step === 0 && i / step < n ? { ...c, room: `${c.room ?? ''} (moved)` } : c));
}

/** The original's strategy on fresh simulators with the same latency, its figures put beside ours. */
async function runOriginalScenarios(
  year: SimCourseSpec[],
  changed: SimCourseSpec[],
  results: Record<string, { ours: Figures; original: Figures }>,
): Promise<void> {
  const mc = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: year, latencyMs: LATENCY_MS });
  const ecal = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CALENDAR], latencyMs: LATENCY_MS });
  const opts = {
    moncampus: { url: mc.url, casUrl: mc.casUrl, username: USER, password: PASSWORD },
    ecal: { url: ecal.url, apiKey: KEY, apiSecret: SECRET, calendarId: CALENDAR },
    window: { from: `${FROM}T00:00:00+02:00`, to: `${TO}T00:00:00+02:00` },
    listRange: { startDate: FROM, endDate: TO },
    timezone: 'Europe/Paris',
  };
  for (const [name, prepare] of scenarios(mc, () => ecal, changed)) {
    prepare();
    mc.resetLog();
    ecal.resetLog();
    const t0 = performance.now();
    await runOriginalStrategy(opts);
    const entry = results[name];
    if (entry) entry.original = measure(mc, ecal, performance.now() - t0);
  }
  await mc.close();
  await ecal.close();
}

async function main(): Promise<void> {
  const year = generateTimetable({ count: COURSES, start: FROM, seed: 2025 });
  const changed = change(year, CHANGES);
  const root = await mkdtemp(join(tmpdir(), 'campus-sync-bench-'));
  const results: Record<string, { ours: Figures; original: Figures }> = {};
  let rssKb = 0;
  let anonKb = 0;
  let firstRunMs = 0;

  // campus-sync: the real CLI in its own process, as a worker runs it.
  {
    const mc = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses: year, latencyMs: LATENCY_MS });
    const ecal = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CALENDAR], latencyMs: LATENCY_MS });
    const configs = join(root, 'configs');
    await mkdir(configs, { recursive: true });
    await writeFile(
      join(configs, 'bench.yml'),
      [
        'moncampus:',
        `  url: ${mc.url}`,
        `  casUrl: ${mc.casUrl}`,
        `  username: ${USER}`,
        `  password: ${PASSWORD}`,
        `  window: { from: "${FROM}", to: "${TO}" }`,
        'ecal:',
        `  url: ${ecal.url}`,
        `  apiKey: ${KEY}`,
        `  apiSecret: ${SECRET}`,
        `  calendarId: ${CALENDAR}`,
        'ics: { enabled: true }',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, CAMPUS_SYNC_CONFIG_DIR: configs, CAMPUS_SYNC_DATA_DIR: join(root, 'data'), LOG_LEVEL: 'warn' };
    for (const [name, prepare, extra] of scenarios(mc, () => ecal, changed)) {
      prepare();
      mc.resetLog();
      ecal.resetLog();
      const r = await runCampusSync(env, extra);
      results[name] = { ours: { ...measure(mc, ecal, r.runMs), rssMb: r.rssKb / 1024 }, original: undefined as unknown as Figures };
      rssKb = Math.max(rssKb, r.rssKb);
      anonKb = Math.max(anonKb, r.anonKb);
      if (name === 'first sync') firstRunMs = r.runMs;
      process.stderr.write(`campus-sync ${name}: ${Math.round(r.runMs)} ms in the run, ${Math.round(r.ms)} ms with process start\n`);
    }
    // 429s during a first sync: bounded concurrency backs off and still lands everything.
    await ecal.close();
    const ecal429 = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CALENDAR], latencyMs: LATENCY_MS, seed: 429 });
    const yml = await readFile(join(configs, 'bench.yml'), 'utf8');
    await writeFile(join(configs, 'bench.yml'), yml.replace(ecal.url, ecal429.url));
    await rm(join(root, 'data'), { recursive: true, force: true });
    mc.setCourses(year);
    ecal429.injectFailures({ status: 429, rate: 0.05, count: 1000, methods: ['POST'] });
    mc.resetLog();
    const r429 = await runCampusSync(env);
    const landed = ecal429.events().length;
    const retried = ecal429.requests.filter((q) => q.status === 429).length;
    results['first sync, 5% of POSTs answer 429'] = {
      ours: { ...measure(mc, ecal429, r429.runMs), rssMb: r429.rssKb / 1024 },
      original: { requests: NaN, moncampus: NaN, ecal: NaN, writes: NaN, logins: NaN, ms: NaN },
    };
    process.stderr.write(`with 429s: ${landed}/${year.length} events landed, ${retried} answers were 429\n`);
    await ecal429.close();
    await mc.close();
  }

  await runOriginalScenarios(year, changed, results);

  const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '—');
  const lines = [
    `campus-sync vs the Python original's strategy — ${COURSES} courses, ${LATENCY_MS} ms per request (simulators on 127.0.0.1)`,
    '',
    '| run | campus-sync requests (MonCampus + ECAL) | writes | logins | time | original requests | writes | logins | time | requests ratio |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, { ours, original }] of Object.entries(results)) {
    lines.push(
      `| ${name} | ${ours.requests} (${ours.moncampus} + ${ours.ecal}) | ${ours.writes} | ${ours.logins} | ${fmt(ours.ms / 1000, 2)} s | ` +
        `${fmt(original.requests)} (${fmt(original.moncampus)} + ${fmt(original.ecal)}) | ${fmt(original.writes)} | ${fmt(original.logins)} | ${fmt(original.ms / 1000, 2)} s | ` +
        `${fmt(original.requests / ours.requests, 1)}× |`,
    );
  }
  const steady = results['steady state']!;
  const changes = results[`after ${CHANGES} changes`]!;
  const drift = results[DRIFT]!;
  lines.push(
    '',
    `worker peak resident memory: ${fmt(rssKb / 1024, 1)} MB, of which private (anonymous) at most ${fmt(anonKb / 1024, 1)} MB; the rest is the node binary's and ICU's file-backed pages, shared by every worker on a host`,
    '',
    'targets:',
    reportTarget({
      area: 'sync',
      what: `first sync of ${COURSES} events`,
      ours: figure(firstRunMs / 1000, 's', 2),
      original: figure(results['first sync']!.original.ms / 1000, 's', 2),
      target: '< 2.5 s',
      met: firstRunMs < 2500,
    }),
    reportTarget({
      area: 'sync',
      what: 'steady state, requests (the floor: the timetable fetch alone)',
      ours: `${steady.ours.requests} (${steady.ours.moncampus} MonCampus + ${steady.ours.ecal} ECAL), ${steady.ours.logins} logins`,
      original: `${steady.original.requests}, ${steady.original.logins} logins`,
      target: '1 request, no login',
      met: steady.ours.requests === 1 && steady.ours.logins === 0,
    }),
    reportTarget({
      area: 'sync',
      what: 'steady state, time',
      ours: figure(steady.ours.ms / 1000, 's', 2),
      original: figure(steady.original.ms / 1000, 's', 2),
      target: '≤ the original',
      met: steady.ours.ms <= steady.original.ms,
    }),
    reportTarget({
      area: 'sync',
      what: `${CHANGES} changes → writes`,
      ours: `${changes.ours.writes}`,
      original: `${changes.original.writes}`,
      target: `${CHANGES}`,
      met: changes.ours.writes === CHANGES,
    }),
    reportTarget({
      area: 'sync',
      what: 'drift (1 event deleted by hand in ECAL) repaired by the next full check',
      ours: `${drift.ours.writes} write(s), ${drift.ours.requests} requests`,
      target: '1 write',
      met: drift.ours.writes === 1,
    }),
    reportTarget({
      area: 'worker memory',
      what: `private (anonymous) peak through a first sync of ${COURSES} courses`,
      ours: figure(anonKb / 1024, 'MB'),
      target: `≤ ${WORKER_SYNC_ANON_TARGET_MB} MB`,
      met: anonKb / 1024 <= WORKER_SYNC_ANON_TARGET_MB,
      note: `resident set ${figure(rssKb / 1024, 'MB')}, of which the rest is the node binary's and ICU's pages, shared by every worker on a host`,
    }),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  await rm(root, { recursive: true, force: true });
}

await main();
