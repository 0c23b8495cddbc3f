// `npm test` after the build: the vitest projects of vitest.config.ts in concurrent vitest processes: `shared`
// (the files that never touch the Docker engine) in one, and the two lanes of engine files, `exclusive` and
// `exclusive-2` (each lane's files one at a time; the lanes never share anything on the engine, see
// vitest.config.ts), in another, one lane after the other (PROCESSES below says why). One vitest process runs
// projects of different maxWorkers one after the other (its groups), so the engine files used to start only when
// every `shared` file was done; here the whole run takes about as long as the longer process (issue 19).
//
// Usage: node scripts/run-tests.mjs [vitest options and filters] [--reporter=… --outputFile=…]
//   Each project's own progress and summary are printed as it runs (the project's name starts each file's line).
//   --reporter/--outputFile options are for the whole run: every project's results are merged (vitest's blob
//   reports, --merge-reports) and handed to those reporters, e.g. --reporter=json --outputFile=vitest.json.
//   Any other argument (a file filter, -t …) goes to every project; with --project, vitest runs just as asked.
//   CAMPUS_SYNC_TEST_ENGINE_READY=<file>: the engine lanes start once this file exists and says 0 (the exit status of
//   whatever makes the engine and the image ready: .ci/run builds the image in the background and writes it there),
//   while `shared` starts at once; any other status fails the lanes without running them.
// Exit status: non-zero when any project or the merge fails.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const NETNS = join(ROOT, 'scripts', 'netns-run.mjs');
/** Where each project's blob report goes until the merge (vitest's own default folder for blobs). */
const BLOBS = join(ROOT, '.vitest-reports');
/**
 * The vitest processes started at once, each with its projects of vitest.config.ts (a process runs its projects
 * one after the other). By default the two lanes of engine files share one process, so they run one after the
 * other beside `shared`: measured in CI on the 2-core machine with the three side by side (2026-12-07), the lanes
 * took 558 and 599 s, `shared` 759 s (665 s before), and three engine tests timed out stopping containers and
 * scaling services on an engine that busy. CAMPUS_SYNC_TEST_LANES=parallel runs the lanes side by side (a machine
 * with more cores: the lanes share nothing on the engine).
 */
const PROCESSES = process.env.CAMPUS_SYNC_TEST_LANES === 'parallel' ? [['shared'], ['exclusive'], ['exclusive-2']] : [['shared'], ['exclusive', 'exclusive-2']];
/** The projects that need the Docker engine and the project image (vitest.config.ts's lanes). */
const ENGINE_PROJECTS = new Set(['exclusive', 'exclusive-2']);
/** How often the status file is looked for: the image takes tens of seconds to build, a second late costs nothing. */
const READY_POLL_MS = 1_000;
/** The longest wait for it: a cold machine's image build (its own npm ci) takes minutes, not half an hour. */
const READY_TIMEOUT_MS = 30 * 60_000;

const args = process.argv.slice(2);
const isReportOption = (a) => /^--(reporter|outputFile)([.=]|$)/.test(a);
// `--reporter json` (with a space) takes the next argument as its value.
const forMerge = [];
const forProjects = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (!isReportOption(a)) forProjects.push(a);
  else if (a.includes('=') || args[i + 1] === undefined || args[i + 1].startsWith('-')) forMerge.push(a);
  else forMerge.push(a, args[++i]);
}

/**
 * Runs vitest with these arguments, its output straight to ours; resolves to its exit code. `prefix`: a command
 * that runs it (scripts/netns-run.mjs and its options).
 */
function vitest(vitestArgs, env = process.env, prefix = []) {
  return new Promise((resolve) => {
    const command = [...prefix, process.execPath, VITEST, ...vitestArgs];
    const child = spawn(command[0], command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      console.error(`[run-tests] cannot start vitest: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// A project asked for by name: that one alone, in one vitest process, as `npx vitest run` would.
if (args.some((a) => /^--project([=]|$)/.test(a))) process.exit(await vitest(['run', ...args]));

/**
 * Resolves once CAMPUS_SYNC_TEST_ENGINE_READY's file says the engine is ready (at once when it is not set), to null
 * then, or to why the engine tests cannot run.
 */
async function engineReady() {
  const file = process.env.CAMPUS_SYNC_TEST_ENGINE_READY;
  if (!file) return null;
  const started = Date.now();
  for (;;) {
    const status = await readFile(file, 'utf8').catch((err) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    if (status !== null) {
      const waited = `${Math.round((Date.now() - started) / 1000)} s`;
      if (status.trim() === '0') {
        console.log(`[run-tests] the engine is ready (${file}): the engine lanes start, after ${waited} of waiting`);
        return null;
      }
      return `the engine is not ready: ${file} says exit ${status.trim()} after ${waited} (its log says why)`;
    }
    if (Date.now() - started > READY_TIMEOUT_MS) return `the engine is not ready: no ${file} after ${READY_TIMEOUT_MS / 60_000} min`;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

/**
 * `shared` in a network namespace of its own (scripts/netns-run.mjs says why: the page tests then use the headless
 * shell, a fifth less CPU), with PostgreSQL's port of the test database reachable in it, where this machine can
 * (root); CAMPUS_SYNC_TEST_NETNS=off keeps it on the host's network. Returns the command prefix, [] for none.
 */
function isolation(projects) {
  if (!projects.includes('shared') || process.env.CAMPUS_SYNC_TEST_NETNS === 'off') return [];
  const check = spawnSync(process.execPath, [NETNS, '--check'], { stdio: 'ignore' });
  if (check.status !== 0) {
    console.log('[run-tests] shared runs on the host network (no network namespace here: needs root): the page tests use the full browser');
    return [];
  }
  const db = process.env.CAMPUS_SYNC_TEST_DATABASE_URL ? new URL(process.env.CAMPUS_SYNC_TEST_DATABASE_URL) : null;
  const forwards = db && db.hostname === '127.0.0.1' ? ['--forward', db.port || '5432'] : [];
  console.log(`[run-tests] shared runs in a network namespace of its own${forwards.length ? ` (PostgreSQL's ${forwards[1]} forwarded)` : ''}`);
  return [process.execPath, NETNS, ...forwards, '--'];
}

/** A process's exit status when its projects could not run (said when it happened). */
const NOT_RUN = 'not run';

/** One vitest process for these projects; the engine's wait first when they need it. */
async function runProcess(projects, args, env) {
  if (projects.some((p) => ENGINE_PROJECTS.has(p))) {
    const notReady = await engineReady();
    if (notReady) {
      console.error(`[run-tests] project ${projects.join(' + ')} not run: ${notReady}`);
      return NOT_RUN;
    }
  }
  return vitest(args, env, isolation(projects));
}

await rm(BLOBS, { recursive: true, force: true });
await mkdir(BLOBS, { recursive: true });
// `npm test` has just built dist/assets/: the global setup need not bundle them again, and two processes
// rewriting the same files at once could let a test read one half-written.
const env = { ...process.env, CAMPUS_SYNC_TEST_ASSETS_BUILT: '1' };
// A CA bundle the machine may set for its own needs (this one sets the whole system bundle, for its npm proxy): the
// tests only ever talk to 127.0.0.1, and every node process they start (hundreds: the CLI, workers, supervisors)
// parsed it at start, ~45 ms of CPU each (`node -e 0`: 0.06 -> 0.11 s). The tests that need one (STARTTLS to a
// local SMTP server) pass their own.
delete env.NODE_EXTRA_CA_CERTS;
const codes = await Promise.all(
  PROCESSES.map((projects) =>
    runProcess(
      projects,
      [
        'run',
        ...projects.flatMap((project) => ['--project', project]),
        // A filter that matches no file of one project is not a failure of the run.
        '--passWithNoTests',
        '--reporter=default',
        '--reporter=blob',
        `--outputFile.blob=${join(BLOBS, `${projects.join('+')}.json`)}`,
        ...forProjects,
      ],
      env,
    ),
  ),
);
PROCESSES.forEach((projects, i) => {
  if (codes[i] !== 0 && codes[i] !== NOT_RUN) console.error(`[run-tests] project ${projects.join(' + ')}: vitest exited with ${codes[i]}`);
});
let merged = 0;
if (forMerge.length > 0) merged = await vitest(['run', `--merge-reports=${BLOBS}`, '--passWithNoTests', ...forMerge], env);
await rm(BLOBS, { recursive: true, force: true });
process.exit(codes.some((c) => c !== 0) || merged !== 0 ? 1 : 0);
