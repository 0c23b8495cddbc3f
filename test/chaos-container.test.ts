/**
 * Chaos in a worker container: the worker the docker runtime makes from compose.template.yml (bridge
 * network, read-only, no capability, uid 1000, Docker's init, restart unless-stopped), killed with
 * `docker kill` at random moments and at exact points (an ECAL write before or after it takes effect, the
 * MonCampus login and fetch) under the faults of test/chaos.test.ts, with the timetable changing before every
 * start; restarted, and often killed again while it restarts. Each start runs a sync (runOnStart). Then
 * clean starts must converge within three, with no duplicate, the hand-made event untouched, every state file
 * readable, no secret in any output, and no start refused twice in a row by the run lock a killed container
 * left (its pid namespace is gone; its pids are reused at once by the restarted container).
 *
 * The simulators listen on the host's 127.0.0.1; the container reaches them through test/loopback-relay.ts
 * (its own 127.0.0.1, a Unix socket in a mounted folder, the host's 127.0.0.1): see there why not the
 * bridge's gateway. The containers are driven with dockerode directly, never by a supervisor.
 * Same switches as test/chaos.test.ts: CAMPUS_SYNC_CHAOS_RUNS (long version: a third of it, as container
 * starts cost seconds), CAMPUS_SYNC_CHAOS_SEED. Docker objects carry CAMPUS_SYNC_SCOPE's value (or "test").
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { silentLogger } from '../src/lib/index.js';
import { createPrng } from '../src/sim/prng.js';
import { createDockerRuntime, createLogDemuxer, statusOf } from '../src/supervisor/docker-runtime.js';
import { sha256 } from '../src/supervisor/desired.js';
import { containerName } from '../src/supervisor/template.js';
import { LOCK_FILE } from '../src/worker/lock.js';
import { createChaosPlanner, type RunPlan } from './chaos-plan.js';
import {
  bump,
  CHAOS_RUNS_ENV,
  CHAOS_SEED_ENV,
  faultCount,
  LOCK_REFUSAL,
  LOCK_TAKEOVER,
  MAX_CLEAN_RUNS,
  ours,
  startChaosRig,
  type ChaosRig,
} from './chaos-harness.js';
import { cleanupTestContainers, describeWithDocker, dockerAvailable, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { portOf, RELAY_MOUNT, startLoopbackRelay, type LoopbackRelay } from './loopback-relay.js';

const SEED = Number(process.env[CHAOS_SEED_ENV]) || 2222;
const LONG_RUNS = Number(process.env[CHAOS_RUNS_ENV]) || 0;
/** Starts of the container: a few in `npm test`; a third of the long version's runs. */
const STARTS = LONG_RUNS ? Math.max(8, Math.round(LONG_RUNS / 3)) : 6;
/** A start whose run is still going after this is killed too (a container start alone takes seconds on a Pi-sized box). */
const RUN_DEADLINE_MS = 30_000;
/** A clean start's run must finish within this. */
const CLEAN_RUN_DEADLINE_MS = 90_000;
/** How often a kill is followed by a restart killed again before its run ends (the Pi issue's case). */
const RESTART_KILL_SHARE = 0.5;
/** That second kill lands this soon after the restart: during node's start, the lock, the login. */
const RESTART_KILL_MAX_MS = 2_500;
/** …or this soon after it took its run lock. */
const RESTART_KILL_AFTER_LOCK_MAX_MS = 500;
/** The run lock appears at a run's start: looked for this often, so a kill "just after" is just after. */
const LOCK_POLL_MS = 25;
const TEMPLATE_PATH = resolve(import.meta.dirname, '../compose.template.yml');

const availability = await dockerAvailable();

describeWithDocker(availability, `chaos: a worker container killed ${STARTS} times under faults (seed ${SEED})`, (docker: Docker) => {
  const scope = `${process.env.CAMPUS_SYNC_SCOPE || 'test'}-chaos-${randomBytes(3).toString('hex')}`;
  // Container names are global on an engine: the instance name is unique to this run.
  const instance = `chaos${randomBytes(3).toString('hex')}`;
  let rig: ChaosRig;
  let relay: LoopbackRelay;
  let container: Docker.Container;

  /** A copy of the product's template, with the relay as entrypoint and its folder mounted; everything else as shipped. */
  const writeTemplate = async (file: string): Promise<void> => {
    const doc = parseDocument(await readFile(TEMPLATE_PATH, 'utf8'));
    doc.setIn(['services', 'worker', 'entrypoint'], relay.entrypoint);
    const volumes = doc.getIn(['services', 'worker', 'volumes']) as { add(v: unknown): void };
    volumes.add(`${relay.dir}:${RELAY_MOUNT}:ro`);
    await writeFile(file, doc.toString());
  };

  beforeAll(async () => {
    rig = await startChaosRig(SEED, instance);
    relay = await startLoopbackRelay([portOf(rig.mc.casUrl), portOf(rig.mc.url), portOf(rig.ecal.url)]);
    console.log(
      `chaos (container): seed ${SEED}, ${STARTS} starts, scope ${scope} (replay with ${CHAOS_SEED_ENV}=${SEED}${LONG_RUNS ? ` ${CHAOS_RUNS_ENV}=${LONG_RUNS}` : ''})`,
    );
  });
  afterAll(async () => {
    await cleanupTestContainers(docker, scope);
    await relay?.close();
    await rig?.close();
  });

  const runsFile = () => join(rig.dir, 'runs.jsonl');
  const errorsFile = () => join(rig.dir, 'errors.log');
  const lineCount = async (file: string, pattern?: RegExp): Promise<number> =>
    (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '' && (!pattern || pattern.test(l))).length;
  const isRunning = async (): Promise<boolean> => (await container.inspect()).State.Running;

  /** docker kill; true when it killed a running container. Resolves once the container has stopped. */
  const dockerKill = async (): Promise<boolean> => {
    let killed = true;
    try {
      await container.kill();
    } catch (err) {
      // 409: not running (its run had ended and something else stopped it); 404 would be a bug.
      if (statusOf(err) !== 409) throw err;
      killed = false;
    }
    await container.wait({ condition: 'not-running' });
    if (killed) rig.tally.killed++;
    return killed;
  };

  /** Starts the container (304: Docker's restart manager was first). */
  const start = async (): Promise<void> => {
    try {
      await container.start();
    } catch (err) {
      if (statusOf(err) !== 304) throw err;
    }
  };

  /** Docker's RFC 3339 times drop trailing zeros of the nanoseconds: padded, they compare as text. */
  const timeKey = (line: string): string => {
    const m = /^([^ .Z]+)(?:\.(\d+))?Z /.exec(line);
    return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}` : '';
  };
  /** The container's log lines not read yet (each line carries its time: the logs of every start accumulate). */
  let logsSince = '';
  const newLogs = async (): Promise<string> => {
    const buf = (await container.logs({ stdout: true, stderr: true, timestamps: true, follow: false })) as unknown as Buffer;
    const split = createLogDemuxer();
    const lines = [...split.push(buf), ...split.end()].filter((l) => timeKey(l) > logsSince);
    if (lines.length) logsSince = timeKey(lines.at(-1)!);
    return lines.map((l) => l.slice(l.indexOf(' ') + 1)).join('\n');
  };

  /**
   * One start of the worker under `plan`: resolves once its run ended (a record, or a refusal) or it was
   * killed, and the container is down again (killed at the end if it still runs: a power cut while idle).
   */
  const chaoticStart = async (plan: RunPlan, first: boolean): Promise<void> => {
    const { tally } = rig;
    rig.applyPlan(plan);
    const runsBefore = await lineCount(runsFile());
    const refusalsBefore = await lineCount(errorsFile(), /\[run\.refused\]/);
    let dead = false;
    const kill = async (): Promise<void> => {
      if (dead) return;
      dead = true;
      await dockerKill();
    };
    rig.current = { plan, kill, fired: false };
    if (first) {
      const rt = createDockerRuntime({
        docker,
        templatePath: join(rig.ws.root, 'template.yml'),
        image: TEST_IMAGE,
        hostConfigDir: rig.ws.configs,
        hostDataDir: rig.ws.data,
        localDataDir: rig.ws.data,
        vars: { NETWORK_MODE: 'bridge' },
        supervisorId: scope,
        scope,
        logger: silentLogger,
      });
      const text = await readFile(join(rig.ws.configs, `${instance}.yml`), 'utf8');
      await rt.create({ name: instance, configFile: join(rig.ws.configs, `${instance}.yml`), configSha: sha256(text) });
      await rt.close();
      container = docker.getContainer(containerName(instance));
      expect((await container.inspect()).HostConfig.NetworkMode).toBe('bridge');
    } else {
      await start();
    }
    // A random moment of the run: counted from when it holds its lock (node's start in a container takes seconds).
    let timer: NodeJS.Timeout | undefined;
    if (plan.kill.kind === 'random') {
      const afterMs = plan.kill.afterMs;
      void lockTaken().then(() => (timer = setTimeout(() => void kill().then(() => bump(tally.killedAt, 'random, while it runs')), afterMs)));
    }
    const ended = await waitUntil(
      'the run to end',
      async () =>
        dead || (await lineCount(runsFile())) > runsBefore || (await lineCount(errorsFile(), /\[run\.refused\]/)) > refusalsBefore || !(await isRunning()),
      RUN_DEADLINE_MS,
      100,
    ).catch(() => false);
    clearTimeout(timer);
    rig.current = undefined;
    if (!dead && (await isRunning())) {
      dead = true;
      if (await dockerKill()) bump(tally.killedAt, ended ? 'idle, after its run' : 'deadline');
    }
    await container.wait({ condition: 'not-running' });
    rig.countLoggedFaults();
  };

  /** Resolves once the worker holds its run lock (or its container stopped, or never). */
  const lockTaken = (): Promise<unknown> =>
    waitUntil(
      'the run lock',
      async () =>
        (await stat(join(rig.dir, LOCK_FILE)).then(
          () => true,
          () => false,
        )) || !(await isRunning()),
      RUN_DEADLINE_MS,
      LOCK_POLL_MS,
    ).catch(() => undefined);

  /**
   * A restart killed again before its run could end: while node starts, or just after the run took its lock.
   * Either way the lock the kills left must not refuse the next start.
   */
  const restartKilled = async (afterMs: number, afterLock: boolean): Promise<void> => {
    await start();
    if (afterLock) await lockTaken();
    await new Promise((r) => setTimeout(r, afterMs));
    if (await dockerKill()) bump(rig.tally.killedAt, afterLock ? 'again, just after the restart took the lock' : 'again, while the restart starts');
  };

  it(
    'stays sound under docker kill, restarts and faults, then converges within three clean starts',
    async () => {
      const { tally } = rig;
      await writeTemplate(join(rig.ws.root, 'template.yml'));
      const planner = createChaosPlanner(SEED);
      const random = createPrng(SEED ^ 0xc0de);
      let refusedBefore = false;
      let records = 0;
      const afterStart = async (label: string): Promise<void> => {
        tally.runs++;
        const now = await lineCount(runsFile());
        bump(tally.outcomes, now > records ? 'run recorded' : 'killed before its record');
        records = now;
        const out = await newLogs();
        rig.outputs.push(out);
        const refused = LOCK_REFUSAL.test(out);
        if (refused) tally.lockRefusals++;
        tally.lockTakeovers += (out.match(LOCK_TAKEOVER) ?? []).length;
        expect(refused && refusedBefore, `${label}: refused twice in a row by a stale lock`).toBe(false);
        refusedBefore = refused;
        tally.damagedNotices += (out.match(/was damaged/g) ?? []).length;
        await rig.checkInvariants(label);
      };
      for (let i = 0; i < STARTS; i++) {
        const plan = planner.next(rig.courses);
        await chaoticStart(plan, i === 0);
        await afterStart(`start ${i} (${plan.kill.kind}; ${plan.changes.join(', ')})`);
        if (random() < RESTART_KILL_SHARE) {
          const afterLock = random() < 0.5;
          await restartKilled(Math.floor(random() * (afterLock ? RESTART_KILL_AFTER_LOCK_MAX_MS : RESTART_KILL_MAX_MS)), afterLock);
          await afterStart(`start ${i}, restart killed again`);
        }
      }

      // Always one kill with the lock held, whatever the timing did above: the first clean start must take it over.
      await restartKilled(0, true);
      await afterStart('the last kill, holding the lock');
      // One more change, then clean starts: no fault, no kill; each start runs a sync, then the container stops.
      planner.next(rig.courses);
      rig.calm();
      let clean = 0;
      while (!rig.converged() && clean < MAX_CLEAN_RUNS) {
        const before = await lineCount(runsFile());
        await start();
        await waitUntil('a clean run', async () => (await lineCount(runsFile())) > before, CLEAN_RUN_DEADLINE_MS, 100);
        await container.stop();
        clean++;
        const out = await newLogs();
        rig.outputs.push(out);
        expect(LOCK_REFUSAL.test(out), `clean start ${clean} refused by a stale lock`).toBe(false);
        tally.lockTakeovers += (out.match(LOCK_TAKEOVER) ?? []).length;
        await rig.checkInvariants(`clean start ${clean}`);
      }
      if (!rig.converged()) {
        console.log(`chaos (container): ${rig.explain()}`);
        console.log(rig.outputs.slice(-clean).join('\n---\n').slice(-4000));
      }
      const summary = { seed: SEED, starts: STARTS, ...tally, cleanRunsToConverge: clean, events: ours(rig.ecal, instance).length };
      console.log(`chaos (container) summary: ${JSON.stringify(summary)}`);
      expect(rig.converged(), `not converged after ${clean} clean starts`).toBe(true);
      expect(clean).toBeGreaterThanOrEqual(1);
      expect(clean).toBeLessThanOrEqual(MAX_CLEAN_RUNS);
      // Kills that hit a running worker: every start ends in one unless its container had already stopped.
      expect(tally.killed).toBeGreaterThanOrEqual(STARTS);
      expect(faultCount(tally)).toBeGreaterThan(0);
      // The containers ran the worker (through the relay), and kills left locks that the next start took over.
      expect(tally.outcomes['run recorded'] ?? 0).toBeGreaterThan(0);
      expect(tally.lockTakeovers).toBeGreaterThan(0);
      await rig.checkNoSecret();
    },
    120_000 + STARTS * 2 * RUN_DEADLINE_MS,
  );
});
