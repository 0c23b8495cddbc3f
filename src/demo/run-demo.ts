/**
 * `npm run demo`: the whole mission visible with no account anywhere. Starts every outside service as a
 * simulator on 127.0.0.1 (world.ts), writes the demo configs, and runs the real `campus-sync supervise`
 * on them (process runtime; `--docker` for containers), which starts the workers and the reporting API
 * with its dashboard. Then it prints what lands in the simulated ECAL and Discord as it happens, opening
 * a new appointment slot and moving a class now and then. Ctrl+C stops everything it started.
 *
 *   node dist/demo/run-demo.js [--docker] [--dir <folder>]   (env: CAMPUS_SYNC_DEMO_DIR, PORT)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { CONFIG_DIR_ENV, DATA_DIR_ENV } from '../config/index.js';
import { instanceFile, STATE_FILE } from '../instance/index.js';
import { describeError } from '../lib/index.js';
import { prepareDemoDir, writeDemoConfigs } from './demo-dir.js';
import { dockerProblem } from './docker-check.js';
import { choosePort } from './port.js';
import { createEcalReporter, discordLines } from './report.js';
import { API_WAIT_MS, startSupervisorChild } from './supervisor-child.js';
import { BOOKING_TYPE, startDemoWorld, ZONE } from './world.js';

/** A new slot per watcher this often: enough time to read the alert before the next one. */
const SLOT_EVERY_MS = 25_000;
/** A class moves this often, so a run with one update shows between the slot alerts. */
const MOVE_EVERY_MS = 45_000;
/** Someone writes in the reporting channel this often: it shows on the dashboard within a second. */
const REPORT_EVERY_MS = 20_000;
/** How often the demo looks at the simulators. */
const TICK_MS = 1_000;
/** Workers get 12 s and the API 10 s after SIGTERM, in parallel; past this the whole group is killed. */
const SUPERVISOR_STOP_GRACE_MS = 20_000;
/** `npm run` forwards the terminal's Ctrl+C to the demo, which already got it: a repeat this soon is that echo. */
const SIGNAL_ECHO_MS = 500;
/** The settings the demo's supervisor must not inherit from the caller's shell (they point at real things). */
const NOT_INHERITED = [
  'API_KEYS',
  'API_KEYS_FILE',
  'DATABASE_URL',
  'DISCORD_BOT_TOKEN',
  'DISCORD_GUILD_ID',
  'DISCORD_CHANNEL_IDS',
  'PUBLIC_URL',
  'CAMPUS_SYNC_API',
  'CAMPUS_SYNC_RUNTIME',
  'CAMPUS_SYNC_INSTANCE',
  'CAMPUS_SYNC_IN_CONTAINER',
  'CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT',
  'CAMPUS_SYNC_HOST_CONFIG_DIR',
  'CAMPUS_SYNC_HOST_DATA_DIR',
  'CAMPUS_SYNC_MONCAMPUS_URL',
  'CAMPUS_SYNC_CAS_URL',
  'CAMPUS_SYNC_ECAL_URL',
  'RUN_ONCE',
];
/** Docker labels the demo's workers with it: a real deployment's supervisor on the same engine never sees them. */
const DOCKER_SCOPE = 'campus-sync-demo';

const USAGE = 'usage: npm run demo [-- --docker] [-- --dir <folder>]   (default folder: demo-data/, env CAMPUS_SYNC_DEMO_DIR; PORT)';
const say = (text: string): void => void process.stdout.write(`${text}\n`);
const event = (text: string): void => say(`${DateTime.now().toFormat('HH:mm:ss')}  ${text}`);
const fail = (text: string): never => {
  process.stderr.write(`demo: ${text}\n`);
  process.exit(1);
};

let values: { docker?: boolean; dir?: string; help?: boolean } = {};
try {
  ({ values } = parseArgs({ options: { docker: { type: 'boolean' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (values.help) {
  say(USAGE);
  process.exit(0);
}
const runtime = values.docker ? 'docker' : 'process';
const root = resolve(values.dir ?? process.env.CAMPUS_SYNC_DEMO_DIR ?? resolve(import.meta.dirname, '../../demo-data'));
const dirs = await prepareDemoDir(root).catch((err: unknown) => fail(describeError(err)));
const show = (p: string): string => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || '.');
const image = process.env.CAMPUS_SYNC_IMAGE || 'campus-sync:local';
if (runtime === 'docker') {
  const problem = await dockerProblem(image);
  if (problem) fail(`--docker: ${problem}`);
}

const world = await startDemoWorld();
await writeDemoConfigs(dirs.configs, world.configs);
const apiKey = `demo-${randomBytes(12).toString('base64url')}`;
const env: NodeJS.ProcessEnv = { ...process.env };
for (const key of NOT_INHERITED) delete env[key];
Object.assign(env, {
  [CONFIG_DIR_ENV]: dirs.configs,
  [DATA_DIR_ENV]: dirs.data,
  API_KEY: apiKey,
  PORT: await choosePort(process.env.PORT),
  HOST: '127.0.0.1',
  LOG_FORMAT: 'text',
  NO_COLOR: '1',
  // The API reads the simulated reporting channel live through the Gateway simulator.
  ...world.ingestEnv,
  // Host networking: the workers' 127.0.0.1 is the simulators' 127.0.0.1.
  ...(runtime === 'docker' ? { CAMPUS_SYNC_WORKER_NETWORK: 'host', CAMPUS_SYNC_SCOPE: DOCKER_SCOPE, CAMPUS_SYNC_IMAGE: image } : {}),
});

say('campus-sync demo: everything runs on this machine against simulators, no account anywhere. Ctrl+C stops it all.\n');
say('Simulators (127.0.0.1, generated data):');
for (const s of world.students) say(`  MonCampus  ${s.name}: ${s.moncampus.url} (CAS ${s.moncampus.casUrl}), ${s.courses.length} classes around today`);
say(`  ECAL       ${world.ecal.url}/apiv2/, one calendar per student`);
say(`  ClicRDV    ${world.clicrdv.url}   Cal.com ${world.calcom.url}   Discord ${world.discord.url}`);
say(
  `Configs:    ${show(dirs.configs)}/ (${Object.keys(world.configs)
    .map((n) => `${n}.yml`)
    .join(', ')})`,
);
say(`Supervisor: ${runtime} runtime${runtime === 'docker' ? ` (image ${image}, host network)` : ''}; its log: ${show(dirs.log)}\n`);

const supervisor = startSupervisorChild({ runtime, env, logFile: dirs.log, onNoteworthy: (line) => event(`supervisor: ${line}`) });
// Last resort (an uncaught error, a second Ctrl+C): the supervisor's group dies with the demo.
process.on('exit', () => supervisor.kill());

let stopping = false;
let firstSignalAt = 0;
let ticker: NodeJS.Timeout | undefined;
const shutdown = async (why: string, code: number): Promise<void> => {
  stopping = true;
  clearInterval(ticker);
  event(`${why}: stopping the supervisor (its workers and the API), then the simulators…`);
  const supervisorCode = await supervisor.stop(SUPERVISOR_STOP_GRACE_MS);
  if (supervisor.groupAlive()) {
    event('warning: processes started by the supervisor outlived it: killing them');
    supervisor.kill();
  }
  await world.close();
  event(`stopped${supervisorCode === 0 ? '' : ` (the supervisor exited with ${supervisorCode ?? 'a signal'})`}: nothing of the demo is left running.`);
  process.exit(code || (supervisorCode === 0 ? 0 : 1));
};
const onSignal = (sig: NodeJS.Signals): void => {
  if (!stopping) {
    firstSignalAt = Date.now();
    void shutdown(sig, 0);
    return;
  }
  if (Date.now() - firstSignalAt < SIGNAL_ECHO_MS) return;
  event(`${sig} again: killing everything now`);
  supervisor.kill();
  if (runtime === 'docker') say(`  worker containers may remain: docker rm -f $(docker ps -aq --filter label=campus-sync.scope=${DOCKER_SCOPE})`);
  process.exit(1);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
void supervisor.exited.then((code) => {
  if (!stopping) void shutdown(`the supervisor exited on its own (code ${code ?? 'signal'}; see ${show(dirs.log)})`, 1);
});

const url = await Promise.race([supervisor.apiUrl, new Promise<null>((r) => setTimeout(r, API_WAIT_MS, null).unref())]);
if (!stopping) {
  if (url) {
    say(`Dashboard:  ${url}/${await notServed(`${url}/`)}`);
    say(`API key:    ${apiKey}   (the dashboard asks for it; the API wants it as the x-api-key header)`);
    const booking = `${url}/book/${BOOKING_TYPE}`;
    say(`Booking:    ${booking}${(await notServed(booking)) || '   (a visitor books into the simulated Cal.com)'}`);
    say(`API docs:   ${url}/docs      Health: ${url}/health\n`);
  } else {
    event(`the API did not say where it listens within ${API_WAIT_MS / 1000} s; see ${show(dirs.log)}`);
  }
  say(`Watch: the timetables landing in ECAL, then a new slot every ${SLOT_EVERY_MS / 1000} s per watcher and its alert in Discord.`);
  say(
    `A student writes in Discord's reporting channel every ${REPORT_EVERY_MS / 1000} s: the dashboard shows it within a second (live, through the Gateway).\n`,
  );
  ticker = setInterval(watchWorld(), TICK_MS);
}

/** '' when the API serves the page, else a note saying so (a build without that page says 404). */
async function notServed(page: string): Promise<string> {
  const status = await fetch(page, { redirect: 'manual' }).then(
    (r) => r.status,
    () => 0,
  );
  return status === 404 || status === 0 ? `   (not served by this build: ${status === 0 ? 'no answer' : '404'})` : '';
}

/** Whether an instance's timetable-change baseline is recorded (its state.json, written by its worker). */
function baselined(instance: string): boolean {
  try {
    return readFileSync(instanceFile(dirs.data, instance, STATE_FILE), 'utf8').includes('"baseline"');
  } catch {
    return false;
  }
}

/** One look at the simulators per call: what landed in ECAL and Discord, and the next change to make. */
function watchWorld(): () => void {
  const reportEcal = createEcalReporter(world.students);
  let discordSeen = 0;
  let slotsOpened = 0;
  const lastOpened = new Map<string, number>();
  let lastMove = Date.now();
  let moves = 0;
  let lastReport = 0;
  let reports = 0;
  return () => {
    const now = Date.now();
    if (now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now;
      event(`Discord #reporting: ${world.postReport(reports++)}`);
    }
    for (const line of reportEcal(world.ecal.events(), DateTime.now().setZone(ZONE).toFormat("yyyy-MM-dd'T'HH:mm"))) event(line);
    const messages = world.discord.messages();
    for (const line of discordLines(messages.slice(discordSeen), world.webhooks)) event(line);
    discordSeen = messages.length;
    for (const w of world.watchers) {
      const key = `${w.instance}/${w.watcher}`;
      // The watcher's seen-set (worker.ts: data/<name>/slots/<watcher>.json) exists once its first check
      // recorded what was open; a slot opened before that would be part of the baseline, never alerted.
      if (!existsSync(join(dirs.data, w.instance, 'slots', `${w.watcher}.json`))) continue;
      if (now - (lastOpened.get(key) ?? 0) < SLOT_EVERY_MS) continue;
      lastOpened.set(key, now);
      const when = world.openSlot(w, slotsOpened++);
      event(`${w.provider === 'clicrdv' ? 'ClicRDV' : 'Cal.com'}: a new slot opens, ${when} (watched by ${key})`);
    }
    // The first move waits for the first student's baseline (worker/changes.ts, kept in state.json after the first
    // successful sync): a class moved before it would be part of the baseline, never announced.
    if (moves === 0 ? baselined(world.students[0]!.name) : now - lastMove >= MOVE_EVERY_MS) {
      lastMove = now;
      event(`MonCampus: ${world.moveClass(++moves)}; the next sync updates it in place and announces it`);
    }
  };
}
