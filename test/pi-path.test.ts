/**
 * The Raspberry Pi path with the real engine, as a new user types it, with bash and Docker only: a fresh
 * clone, `node` removed from PATH, settings in .env, then
 *   ./campus-sync setup → add-config → up → first sync against the simulators (workers on host networking)
 *   → `docker kill` the worker mid-run (its run lock left behind) → the supervisor starts it again by itself
 *   and it syncs → `stop` keeps it stopped → down → nothing runs → up → the same containers, no duplicate.
 * Twice: with Debian's docker-compose v1 (what this host has), and with the Compose v2 plugin that
 * scripts/compose-v2-setup.sh installs in a DOCKER_CONFIG of its own (CAMPUS_SYNC_COMPOSE_V2_CONFIG, set by
 * .ci/run): the wrapper must pick `docker compose` there. The image is the one CI built
 * (CAMPUS_SYNC_TEST_IMAGE): setup runs with --no-image so the test takes a minute, not ten.
 * Isolated by a scope, a Compose project, a supervisor name and a port of its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { dockerAvailable, describeWithDocker, TEST_IMAGE } from './docker-helpers.js';
import { eventsOf, inspectOrNull, REPO, removeScoped, scopedWorkers } from './docker-supervisor-helpers.js';
import { answerOnTerminal, API_KEY, API_SECRET, CALENDAR_ID, PASSWORD } from './helpers.js';

const availability = await dockerAvailable();
const courses = generateTimetable({ count: 12, start: '2025-09-01', seed: 15 });
/** Slow simulators during the kill: the run then lasts seconds, and is caught holding its lock. */
const SLOW_MS = 1_500;
/**
 * The supervisor's heartbeat, set in .env (compose.yml passes CAMPUS_SYNC_HEARTBEAT_MS on): a third of the 15 s
 * default, so the revival and the two passes that must leave a stopped worker stopped take seconds, not half a
 * minute per leg, while staying well above a container's start on a loaded machine.
 */
const HEARTBEAT_MS = 5_000;

interface Run {
  code: number | null;
  out: string;
}

/** A port nothing listens on right now, for the dashboard's published port. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A PATH with every program of this one except node, npm, npx and corepack: a Pi with no Node. */
async function pathWithoutNode(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const name of names) {
      if (['node', 'npm', 'npx', 'corepack'].includes(name) || existsSync(join(dir, name))) continue;
      await symlink(join(d, name), join(dir, name)).catch(() => undefined);
    }
  }
  return dir;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 90_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The Compose v2 plugin's DOCKER_CONFIG (scripts/compose-v2-setup.sh prints it); the v2 leg needs it. */
const V2_CONFIG = process.env.CAMPUS_SYNC_COMPOSE_V2_CONFIG;

type Flavour = { compose: 'v1' } | { compose: 'v2'; dockerConfig: string };

piPath({ compose: 'v1' });
if (V2_CONFIG) piPath({ compose: 'v2', dockerConfig: V2_CONFIG });
else if (process.env.CI) {
  describe('the Raspberry Pi path with Compose v2', () => {
    it('needs the Compose v2 plugin (CI is set: not skipped)', () => {
      throw new Error('CAMPUS_SYNC_COMPOSE_V2_CONFIG is not set: run scripts/compose-v2-setup.sh and export the line it prints');
    });
  });
} else {
  console.log('pi path with Compose v2 skipped: CAMPUS_SYNC_COMPOSE_V2_CONFIG is not set (scripts/compose-v2-setup.sh prints it)');
  describe.skip('the Raspberry Pi path with Compose v2', () => it('needs scripts/compose-v2-setup.sh', () => undefined));
}

/**
 * One leg per Compose flavour. The two legs run side by side (`concurrent`): each has its own scope, Compose
 * project, supervisor name, free port, clone and simulators, and most of a leg is waiting on containers. A leg's
 * own steps stay in order (it.sequential): they share its clone and its `env`.
 */
function piPath(flavour: Flavour): void {
  describeWithDocker(availability, `the Raspberry Pi path: ./campus-sync with bash and Docker only (Compose ${flavour.compose})`, legBody(flavour), {
    concurrent: true,
  });
}

function legBody(flavour: Flavour): (docker: Docker) => void {
  return (docker: Docker) => {
    const id = randomBytes(3).toString('hex');
    const scope = `${process.env.CAMPUS_SYNC_SCOPE || 'test'}-pi${id}`;
    const supervisor = `campus-sync-supervisor-${scope}`;
    const name = `pi${id}`;
    let root: string;
    let clone: string;
    let env: NodeJS.ProcessEnv;
    let mc: MonCampusSim;
    let ecal: EcalSim;

    /** `./campus-sync …` in the clone, as its user types it (cwd elsewhere: it must not matter). */
    const wrapper = (args: string[], input?: string): Promise<Run> =>
      new Promise((resolve, reject) => {
        const child = spawn(join(clone, 'campus-sync'), args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.stdin.end(input ?? '');
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out }));
      });
    const lastRun = async (): Promise<{ outcome: string; startedAt: string } | null> =>
      JSON.parse(await readFile(join(clone, 'data', name, 'last-run.json'), 'utf8').catch(() => 'null')) as { outcome: string; startedAt: string } | null;
    const running = async (): Promise<string[]> => (await docker.listContainers({ filters: { label: [`campus-sync.scope=${scope}`] } })).map((c) => c.Id);

    beforeAll(async () => {
      mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
      ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
      root = await mkdtemp(join(tmpdir(), 'campus-sync-pi-'));
      clone = join(root, 'campus-sync');
      const cloned = await new Promise<Run>((resolve) => {
        const child = spawn('git', ['clone', '-q', REPO, clone], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(cloned.code, cloned.out).toBe(0);
      // What a user puts in .env: the wrapper and Compose both read it. Here also what isolates the test.
      await writeFile(
        join(clone, '.env'),
        [
          `CAMPUS_SYNC_IMAGE=${TEST_IMAGE}`,
          `CAMPUS_SYNC_SCOPE=${scope}`,
          `COMPOSE_PROJECT_NAME=csync${scope.replace(/[^a-z0-9]/g, '')}`,
          `CAMPUS_SYNC_SUPERVISOR_NAME=${supervisor}`,
          `CAMPUS_SYNC_PORT=${await freePort()}`,
          '# The simulators listen on the host loopback.',
          'CAMPUS_SYNC_WORKER_NETWORK=host',
          `# The supervisor's pass (default 15 s): the revival after the kill and "stop stays stopped" wait on it.`,
          `CAMPUS_SYNC_HEARTBEAT_MS=${HEARTBEAT_MS}`,
          '',
        ].join('\n'),
      );
      const bin = await pathWithoutNode(join(root, 'bin'));
      env = { PATH: bin, HOME: root, LANG: 'C.UTF-8', ...(flavour.compose === 'v2' ? { DOCKER_CONFIG: flavour.dockerConfig } : {}) };
    });

    afterAll(async () => {
      if (clone) await wrapper(['down']).catch(() => undefined);
      await docker
        .getContainer(supervisor)
        .remove({ force: true })
        .catch(() => undefined);
      await removeScoped(docker, scope);
      await mc?.close();
      await ecal?.close();
      if (root) await rm(root, { recursive: true, force: true });
    });

    it.sequential('from a fresh clone without node: setup, add-config, up, sync, kill mid-run, back by itself, stop stays stopped, down, up', {
      timeout: 480_000,
    }, async () => {
      // About two minutes on a quiet machine; a loaded CI box has taken over four.
      const t0 = Date.now();
      // How long each step took, for whoever makes this test faster.
      const step = (what: string): void => console.log(`pi path: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const node = spawn('sh', ['-c', 'command -v node'], { env });
      const nodeFound = await new Promise<number | null>((r) => node.on('close', r));
      expect(nodeFound, 'node must not be on PATH').not.toBe(0);

      const setup = await wrapper(['setup', '--no-image']);
      expect(setup.code, setup.out).toBe(0);
      // Setup says which Compose it found: the v2 plugin when DOCKER_CONFIG holds it, else Debian's v1.
      expect(setup.out).toMatch(
        flavour.compose === 'v2'
          ? /compose: Docker Compose version v?2\.\S+ \(the v2 plugin; already installed\)/
          : /compose: docker-compose 1\.\S+ \(v1; already installed\)/,
      );

      // add-config by flags, as a script would (the terminal dialogue is test/cli-config.test.ts's), with
      // where MonCampus (timetable host, CAS) and ECAL are: the simulators.
      const add = await wrapper([
        'add-config',
        name,
        '--no-input',
        '--moncampus-url',
        mc.url,
        '--cas-url',
        mc.casUrl,
        '--username',
        'student',
        '--password',
        PASSWORD,
        '--calendar-id',
        CALENDAR_ID,
        '--api-key',
        API_KEY,
        '--api-secret',
        API_SECRET,
        '--ecal-url',
        ecal.url,
        '--from',
        '2025-09-01',
        '--to',
        '2025-12-31',
      ]);
      expect(add.code, add.out).toBe(0);
      const doc = parse(await readFile(join(clone, 'configs', `${name}.yml`), 'utf8')) as { moncampus: Record<string, unknown>; ecal: Record<string, unknown> };
      expect(doc).toMatchObject({ moncampus: { url: mc.url, casUrl: mc.casUrl }, ecal: { url: ecal.url } });

      step('setup and add-config');
      const up = await wrapper(['up']);
      expect(up.code, up.out).toBe(0);
      step('up');
      const sup = (await inspectOrNull(docker, supervisor))!;
      // The Compose that made it (its label): the wrapper took the v2 plugin when it was there, v1 otherwise.
      expect(sup.Config.Labels['com.docker.compose.version']).toMatch(flavour.compose === 'v2' ? /^v?2\./ : /^1\./);
      // No ${PWD}: the supervisor's folders are bind mounts of the clone, found from its own mounts.
      expect(sup.Mounts.map((m) => `${m.Source}:${m.Destination}`)).toEqual(expect.arrayContaining([`${clone}/configs:/config`, `${clone}/data:/data`]));
      const first = await until('the first sync', async () => ((await lastRun())?.outcome === 'success' ? lastRun() : null));
      step('first sync');
      expect(eventsOf(ecal, name)).toBe(courses.filter((c) => c.start.slice(0, 10) <= '2025-12-31').length);
      const key = await wrapper(['api-key']);
      expect(key.code, key.out).toBe(0);
      const printed = /^[A-Za-z0-9_-]{32}$/m.exec(key.out)?.[0];
      expect(printed, key.out).toBeDefined();
      // Printed once in the supervisor's log when it was made, with the URL to open.
      const log = (await docker.getContainer(supervisor).logs({ stdout: true, stderr: true })).toString();
      expect(log.split(printed!).length - 1).toBe(1);
      expect(log).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);

      // Mid-run: slow simulators, a restart (the worker syncs at start), its lock present, then SIGKILL.
      mc.setLatency(SLOW_MS);
      ecal.setLatency(SLOW_MS);
      const [worker] = await scopedWorkers(docker, scope);
      expect(worker).toBeDefined();
      await docker.getContainer(worker!.Id).restart({ t: 5 });
      const lock = join(clone, 'data', name, 'run.lock');
      await until('a run holding its lock', async () => existsSync(lock), 30_000, 20);
      await docker.getContainer(worker!.Id).kill();
      const killedAt = new Date();
      step('killed mid-run');
      expect(existsSync(lock), 'the killed run left its lock behind').toBe(true);
      mc.setLatency(0);
      ecal.setLatency(0);
      // Docker does not restart a container killed by hand (it counts as a manual stop): the supervisor does,
      // at its next heartbeat (HEARTBEAT_MS here, 15 s by default), and says why. Nobody starts it here.
      expect((await docker.getContainer(worker!.Id).inspect()).State.Running).toBe(false);
      // Within a minute: a lock misjudged as live would refuse the run, and the worker retries only after
      // REFUSED_RETRY_MS (110 s).
      const again = await until(
        'a sync after the kill',
        async () => {
          const r = await lastRun();
          return r && r.outcome === 'success' && Date.parse(r.startedAt) > killedAt.getTime() ? r : null;
        },
        60_000,
      );
      step('synced again after the kill');
      expect(Date.parse(again.startedAt)).toBeGreaterThan(Date.parse(first.startedAt));
      // The worker writes last-run.json, then releases its lock (src/worker/run.ts): gone a moment later.
      await until('the lock released after that run', async () => !existsSync(lock), 5_000, 20);
      const status = await wrapper(['status']);
      expect(status.out).toMatch(new RegExp(`${name}\\s+running`));
      const errors = await readFile(join(clone, 'data', name, 'errors.log'), 'utf8').catch(() => '');
      expect(errors).not.toMatch(/\[run\.refused\]/);
      const supLog = (await docker.getContainer(supervisor).logs({ stdout: true, stderr: true })).toString();
      expect(supLog).toMatch(new RegExp(`${name} stopped on its own: killed by SIGKILL \\(exit code 137\\)`));
      expect(supLog).toMatch(new RegExp(`${name} started again`));
      step('stop: stays stopped');

      // Stopped on purpose: two supervisor heartbeats later it is still stopped, and no revival was logged.
      const stop = await wrapper(['stop', name]);
      expect(stop.code, stop.out).toBe(0);
      const beats = async (): Promise<string | undefined> =>
        (JSON.parse(await readFile(join(clone, 'data', '.supervisor', 'status.json'), 'utf8').catch(() => '{}')) as { heartbeatAt?: string }).heartbeatAt;
      for (let i = 0; i < 2; i++) {
        const before = await beats();
        await until('a supervisor heartbeat', async () => (await beats()) !== before, 40_000, 250);
      }
      expect((await docker.getContainer(worker!.Id).inspect()).State.Running).toBe(false);
      const revivals = (await docker.getContainer(supervisor).logs({ stdout: true, stderr: true })).toString().split(`${name} stopped on its own`).length - 1;
      expect(revivals).toBe(1);
      const start = await wrapper(['start', name]);
      expect(start.code, start.out).toBe(0);
      step('stopped and started');
      // The other everyday verbs, in the image too: logs (one readable line per event), errors, restart.
      const logs = await wrapper(['logs', name, '--tail', '20']);
      expect(logs.code, logs.out).toBe(0);
      expect(logs.out).toMatch(new RegExp(`\\[${name}\\] `));
      expect(logs.out).not.toMatch(/^\{"/m);
      const errs = await wrapper(['errors', name]);
      expect(errs.code, errs.out).toBe(0);
      const restart = await wrapper(['restart', name]);
      expect(restart.code, restart.out).toBe(0);
      step('logs, errors, restart');

      // down stops what up started; up brings the same containers back.
      const ids = (await scopedWorkers(docker, scope)).map((w) => w.Id);
      const down = await wrapper(['down']);
      expect(down.code, down.out).toBe(0);
      expect(await running()).toEqual([]);
      expect(await inspectOrNull(docker, supervisor)).toBeNull();
      step('down');
      const up2 = await wrapper(['up']);
      expect(up2.code, up2.out).toBe(0);
      step('up again');
      await until('the worker running again', async () => (await running()).length === 1);
      expect((await scopedWorkers(docker, scope)).map((w) => w.Id)).toEqual(ids);
      expect(await running()).toEqual(ids);
    });
    // Compose plays no part in these two: they are registered once, in the v1 run (not skipped in the v2 one).
    const onlyOnce = flavour.compose === 'v1' ? it.sequential : null;
    onlyOnce?.(
      'add-config in the image: on a terminal with the secrets unseen; its file belongs to who typed it (under sudo, the sudo user)',
      { timeout: 120_000 },
      async () => {
        // A clone of its own: no supervisor there to start workers for these configs.
        const other = join(root, 'campus-sync-tty');
        const cloned = spawn('git', ['clone', '-q', REPO, other], { stdio: 'ignore' });
        expect(await new Promise((r) => cloned.on('close', r))).toBe(0);
        await writeFile(join(other, '.env'), `CAMPUS_SYNC_IMAGE=${TEST_IMAGE}\n`);
        // On a real terminal the wrapper runs the image with -t (the hidden password prompt needs one).
        const dialogue: [RegExp, string][] = [
          [/Config name[^\n]*: $/, 'tty'],
          [/School[^\n]*: $/, 'wis'],
          [/MonCampus username[^\n]*: $/, 'tty.user'],
          [/MonCampus password[^\n]*: $/, 'Tty-Secret-7'],
          [/ECAL calendar id[^\n]*: $/, ''],
          [/Time zone[^\n]*: $/, ''],
          [/Schedule[^\n]*: $/, ''],
        ];
        const { code, text } = await answerOnTerminal(`${join(other, 'campus-sync')} add-config`, dialogue, { env, cwd: root });
        expect(code, text).toBe(0);
        expect(text).toContain('tty.user');
        expect(text).not.toContain('Tty-Secret-7');
        const file = join(other, 'configs', 'tty.yml');
        expect(parse(await readFile(file, 'utf8'))).toMatchObject({
          moncampus: { url: 'https://ws-edt-cd.wigorservices.net', username: 'tty.user', password: 'Tty-Secret-7' },
        });
        expect((await stat(file)).mode & 0o077).toBe(0);

        // Under sudo the image runs as the user who ran sudo: the file is theirs (setup gives them configs/).
        if (process.getuid?.() !== 0) return;
        const sudoUser = 4321;
        await chown(join(other, 'configs'), sudoUser, sudoUser);
        const bySudo = spawn(
          join(other, 'campus-sync'),
          ['add-config', 'sudoed', '--no-input', '--school', 'ipi', '--username', 'u', '--password', 'Sudo-Secret-1'],
          {
            cwd: root,
            env: { ...env, SUDO_UID: String(sudoUser), SUDO_GID: String(sudoUser), SUDO_USER: 'someone' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let said = '';
        bySudo.stderr.on('data', (d: Buffer) => (said += d.toString()));
        expect(await new Promise((r) => bySudo.on('close', r)), said).toBe(0);
        const st = await stat(join(other, 'configs', 'sudoed.yml'));
        expect([st.uid, st.gid]).toEqual([sudoUser, sudoUser]);
      },
    );

    onlyOnce?.('setup without network and without node says why the image cannot be built, and what to do', async () => {
      // A registry name that cannot resolve: what a Pi without network meets pulling node:22-bookworm-slim.
      const saved = env;
      env = { ...saved, NODE_IMAGE: 'registry.invalid/node:22-bookworm-slim', CAMPUS_SYNC_IMAGE: `campus-sync:${scope}-never` };
      try {
        const setup = await wrapper(['setup']);
        expect(setup.code).toBe(1);
        expect(setup.out).toMatch(
          /cannot build the image: the base image registry\.invalid\/node:22-bookworm-slim could not be downloaded \(Docker said: .*registry\.invalid/,
        );
        expect(setup.out).toMatch(/What to do: connect this machine to the internet and run \.\/campus-sync setup again/);
      } finally {
        env = saved;
      }
    });
  };
}
