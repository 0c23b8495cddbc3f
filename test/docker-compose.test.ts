/**
 * Docker Compose (Debian's docker-compose 1.29) with the real engine:
 *  - the checked-in compose.yml, unchanged, from a temporary copy of the checkout's layout (compose.yml,
 *    compose.template.yml, configs/, data/): `up -d --no-build` starts the supervisor, which starts one
 *    worker per config; `down` stops it and (CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT=1) its workers;
 *  - `campus-sync generate-compose --static`: one service per config, brought up by Compose alone.
 * Only environment variables (and, for the supervisor's own network and a cleanup label, a small
 * override file) adapt them to the test: image campus-sync:local, host networking to reach the
 * simulators on 127.0.0.1, a scope of its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SCOPE } from '../src/supervisor/interface.js';
import { describeWithDocker, dockerAvailable, LABEL_TEST, removeContainersLabelled, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { configOf, eventsOf, inspectOrNull, REPO, removeScoped, scopedWorkers } from './docker-supervisor-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, nestedConfig, runCli, within } from './helpers.js';

const COMPOSE_API_KEY = 'compose-test-api-key-1';

/** A port nothing listens on right now, for the API's published port. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const availability = await dockerAvailable();
const courses = generateTimetable({ count: 30, start: '2025-09-01', seed: 5 });
const inWindow = (to: string): number => courses.filter((c) => c.start.slice(0, 10) <= to).length;
/** compose.yml's fixed container_name. */
const SUPERVISOR = 'campus-sync-supervisor';
/**
 * The whole up → sync → import → down test: ~13 s alone. It timed out at 180 s in 2 of 4 CI runs with no
 * word of where, so each step now has its own bound (below) and logs its time: the test's own timeout is
 * only their sum's backstop.
 */
const COMPOSE_UP_DOWN_TIMEOUT_MS = 300_000;
/** One HTTP probe of the published API: a connection docker-proxy accepted but cannot pass on must not hang the wait. */
const PROBE_TIMEOUT_MS = 5_000;
/** The image's `node` user, which the workers run as. */
const WORKER_UID = 1000;

/** `work` bounded by `boundMs` and named when late; its time logged so a slow CI run shows which step was slow. */
async function step<T>(what: string, boundMs: number, work: Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await within(work, boundMs, `[docker-compose] ${what}`);
  } finally {
    console.log(`[docker-compose] ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

interface Run {
  code: number | null;
  out: string;
}

/**
 * docker-compose on the files in `dir` (the `-f` names are taken in it), run from ANOTHER folder and without
 * PWD, as sudo or cron run it: compose.yml's paths are relative to the file, so neither may matter.
 */
function compose(dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const absolute = args.map((a, i) => (args[i - 1] === '-f' ? join(dir, a) : a));
  const { PWD: _dropped, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn('docker-compose', absolute, { cwd: tmpdir(), env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const composeInstalled = await new Promise<boolean>((resolve) => {
  const child = spawn('docker-compose', ['version'], { stdio: 'ignore' });
  child.on('error', () => resolve(false));
  child.on('close', (code) => resolve(code === 0));
});

describeWithDocker(
  availability.ok && !composeInstalled
    ? { ok: false, reason: 'docker-compose is not installed: compose tests skipped (apt-get install docker-compose)' }
    : availability,
  'docker-compose with the real engine',
  (docker: Docker) => {
    const runId = `c${randomBytes(4).toString('hex')}`;
    const project = `csync${runId}`;
    const staticProject = `csyncstatic${runId}`;
    const [A, B] = [`${runId}-a`, `${runId}-b`];
    const [S1, S2] = [`${runId}-s1`, `${runId}-s2`];
    let mc: MonCampusSim;
    let ecal: EcalSim;
    let root: string;
    let checkout: string;
    let staticDir: string;

    const config = (to: string): string => nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to });
    let apiPort = 0;
    const composeEnv = (): Record<string, string> => ({
      CAMPUS_SYNC_PORT: String(apiPort),
      API_KEY: COMPOSE_API_KEY,
      CAMPUS_SYNC_IMAGE: TEST_IMAGE,
      CAMPUS_SYNC_WORKER_NETWORK: 'host',
      CAMPUS_SYNC_SCOPE: runId,
      CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT: '1',
    });

    beforeAll(async () => {
      apiPort = await freePort();
      mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
      ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
      root = await mkdtemp(join(tmpdir(), 'campus-sync-compose-'));
      checkout = join(root, 'checkout');
      staticDir = join(root, 'static');
      for (const d of [checkout, staticDir]) {
        await mkdir(join(d, 'configs'), { recursive: true });
        await mkdir(join(d, 'data'), { recursive: true });
      }
    });

    afterAll(async () => {
      // Whatever failed: Compose's containers (and networks) down, then anything of this run by label or name.
      if (checkout)
        await compose(checkout, ['-p', project, '-f', 'compose.yml', '-f', 'compose.test.yml', 'down', '-t', '5'], composeEnv()).catch(() => undefined);
      if (staticDir) await compose(staticDir, ['-p', staticProject, '-f', 'compose.static.yml', 'down', '-t', '5']).catch(() => undefined);
      await removeContainersLabelled(docker, LABEL_TEST, runId);
      await removeScoped(docker, runId);
      for (const name of [S1, S2])
        await docker
          .getContainer(`campus-sync-${name}`)
          .remove({ force: true })
          .catch(() => undefined);
      await mc?.close();
      await ecal?.close();
      if (root) await rm(root, { recursive: true, force: true });
    });

    // Up, two syncs, the API's import, status and down: ~13 s alone; over a minute beside the other lane's chaos files.
    it('`docker-compose up -d` with the checked-in compose.yml: the supervisor starts one worker per config and they sync; `down` stops it all', {
      timeout: COMPOSE_UP_DOWN_TIMEOUT_MS,
    }, async () => {
      await copyFile(join(REPO, 'compose.yml'), join(checkout, 'compose.yml'));
      await copyFile(join(REPO, 'compose.template.yml'), join(checkout, 'compose.template.yml'));
      // Only what the test needs on top: a label for cleanup. compose.yml itself is used as checked in (its API
      // port published on the host's loopback, on a free port here).
      await writeFile(join(checkout, 'compose.test.yml'), ['services:', '  supervisor:', '    labels:', `      ${LABEL_TEST}: ${runId}`, ''].join('\n'));
      await writeFile(join(checkout, 'configs', `${A}.yml`), config('2025-09-10'));
      await writeFile(join(checkout, 'configs', `${B}.yml`), config('2025-09-30'));
      const existing = await inspectOrNull(docker, SUPERVISOR);
      // A leftover of an earlier test run that was killed is removed; a real supervisor is never touched.
      if (existing?.Config.Labels?.[LABEL_TEST]) await docker.getContainer(existing.Id).remove({ force: true });
      else expect(existing, `a container named ${SUPERVISOR} already runs on this engine (not a test's): the test would replace it`).toBeNull();
      const imageBefore = (await docker.getImage(TEST_IMAGE).inspect()).Id;

      const t0 = Date.now();
      const up = await step(
        'compose up',
        90_000,
        compose(checkout, ['-p', project, '-f', 'compose.yml', '-f', 'compose.test.yml', 'up', '-d', '--no-build'], composeEnv()),
      );
      expect(up.code, up.out).toBe(0);
      expect(up.out).not.toMatch(/Building|Pulling/);
      expect((await docker.getImage(TEST_IMAGE).inspect()).Id).toBe(imageBefore);

      const sup = (await inspectOrNull(docker, SUPERVISOR))!;
      expect(sup.Config.Labels).toMatchObject({ 'com.docker.compose.project': project, [LABEL_TEST]: runId });
      expect(sup.Config.Cmd).toEqual(['supervise', '--runtime', 'docker']);
      expect(sup.Config.User).toBe('0:0');
      expect(sup.HostConfig.ReadonlyRootfs).toBe(true);
      // The checkout's folders, relative to compose.yml (no ${PWD}); the supervisor finds their host paths
      // from these mounts, and the workers below get those host paths.
      expect(sup.Mounts.map((m) => `${m.Source}:${m.Destination}`).sort()).toEqual(
        [
          `${checkout}/compose.template.yml:/app/compose.template.yml`,
          `${checkout}/configs:/config`,
          `${checkout}/data:/data`,
          '/var/run/docker.sock:/var/run/docker.sock',
        ].sort(),
      );
      expect(sup.Config.Env).toEqual(
        expect.arrayContaining(['CAMPUS_SYNC_CONFIG_DIR=/config', `CAMPUS_SYNC_SCOPE=${runId}`, 'CAMPUS_SYNC_WORKER_NETWORK=host']),
      );

      const workers = await step(
        'both workers running',
        75_000,
        waitUntil(
          'both workers running',
          async () => {
            const w = await scopedWorkers(docker, runId);
            return w.length === 2 && w.every((i) => i.State.Running) && w;
          },
          60_000,
        ),
      );
      expect(workers.map(configOf)).toEqual([A, B]);
      for (const w of workers)
        expect(w.Mounts.map((m) => m.Source).sort()).toEqual([`${checkout}/configs/${configOf(w)}.yml`, `${checkout}/data/${configOf(w)}`]);
      await step(
        'both syncs',
        60_000,
        waitUntil('both syncs', async () => eventsOf(ecal, A) === inWindow('2025-09-10') && eventsOf(ecal, B) === courses.length, 45_000),
      );
      console.log(`[docker-compose] compose up → both configs synced: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      // The reporting API runs beside the supervisor, published on the host's loopback: it imported both runs.
      const api = `http://127.0.0.1:${apiPort}`;
      const health = await step(
        'the API answers /health',
        45_000,
        waitUntil('the API answers /health', async () => {
          const r = await fetch(`${api}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => null);
          return r?.status === 200 && ((await r.json()) as { instances: { name: string; lastRun: { outcome: string } | null }[] });
        }),
      );
      expect(health.instances.map((i) => i.name).sort()).toEqual([A, B].sort());
      expect((await fetch(`${api}/v1/instances`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })).status).toBe(401);
      const runs = await step(
        'the runs imported',
        45_000,
        waitUntil('the runs imported', async () => {
          const r = await fetch(`${api}/v1/instances/${A}/runs`, { headers: { 'x-api-key': COMPOSE_API_KEY }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
          const body = (await r.json()) as { items: { outcome: string; created: number }[] };
          return body.items.length > 0 && body.items;
        }),
      );
      expect(runs[0]?.outcome).toBe('success');

      // The status the supervisor keeps is readable on the host, through the same paths.
      const status = await step(
        'campus-sync status',
        30_000,
        runCli(['status', '--json', '--runtime', 'docker'], {
          ...process.env,
          CAMPUS_SYNC_CONFIG_DIR: join(checkout, 'configs'),
          CAMPUS_SYNC_DATA_DIR: join(checkout, 'data'),
          CAMPUS_SYNC_SCOPE: runId,
        }),
      );
      expect(status.code, status.stderr).toBe(0);
      const parsed = JSON.parse(status.stdout) as { supervisor?: unknown; instances: { name: string; state: string }[] };
      expect(parsed.supervisor).toBeDefined();
      expect(parsed.instances.map((i) => [i.name, i.state])).toEqual([
        [A, 'running'],
        [B, 'running'],
      ]);

      const down = await step('compose down', 60_000, compose(checkout, ['-p', project, '-f', 'compose.yml', '-f', 'compose.test.yml', 'down'], composeEnv()));
      expect(down.code, down.out).toBe(0);
      expect(await inspectOrNull(docker, SUPERVISOR)).toBeNull();
      // CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT=1: the supervisor removed its workers on the way out.
      expect(await scopedWorkers(docker, runId)).toEqual([]);
      for (const w of workers) expect(await inspectOrNull(docker, w.Id)).toBeNull();
    });

    it('`generate-compose --static` output runs with Compose alone: one container per config, they sync; `down` removes them', async () => {
      const configs = join(staticDir, 'configs');
      const data = join(staticDir, 'data');
      await writeFile(join(configs, `${S1}.yml`), config('2025-09-05'));
      await writeFile(join(configs, `${S2}.yml`), config('2025-09-20'));
      const file = join(staticDir, 'compose.static.yml');
      const gen = await runCli(['generate-compose', '--static', '-o', file], {
        ...process.env,
        CAMPUS_SYNC_CONFIG_DIR: configs,
        CAMPUS_SYNC_DATA_DIR: data,
        CAMPUS_SYNC_IMAGE: TEST_IMAGE,
        CAMPUS_SYNC_TEMPLATE: join(REPO, 'compose.template.yml'),
        CAMPUS_SYNC_WORKER_NETWORK: 'host',
        NO_COLOR: '1',
      });
      expect(gen.code, gen.stderr).toBe(0);
      const text = await readFile(file, 'utf8');
      expect(text).toContain(`container_name: campus-sync-${S1}`);
      expect(text).toContain('network_mode: host');
      // As the file's header says: data/<name>/ made and given to the workers' user first.
      for (const name of [S1, S2]) {
        await mkdir(join(data, name));
        await chown(join(data, name), WORKER_UID, WORKER_UID);
      }

      const up = await compose(staticDir, ['-p', staticProject, '-f', 'compose.static.yml', 'up', '-d']);
      expect(up.code, up.out).toBe(0);
      expect(up.out).not.toMatch(/Building|Pulling/);
      const workers = await waitUntil('both static workers running', async () => {
        const infos = await Promise.all([S1, S2].map((n) => inspectOrNull(docker, `campus-sync-${n}`)));
        return infos.every((i) => i?.State.Running) && (infos as Docker.ContainerInspectInfo[]);
      });
      for (const w of workers) {
        expect(w.Config.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', 'com.docker.compose.project': staticProject });
        expect(w.Config.Labels?.[LABEL_CONFIG_HASH]).toMatch(/^[0-9a-f]{64}$/);
        expect(w.Config.Labels?.[LABEL_SCOPE]).toBeUndefined();
        expect(w.Config.User).toBe('1000:1000');
        expect(w.HostConfig.NetworkMode).toBe('host');
      }
      await waitUntil('both static syncs', async () => eventsOf(ecal, S1) === inWindow('2025-09-05') && eventsOf(ecal, S2) === inWindow('2025-09-20'), 45_000);
      expect(inWindow('2025-09-05')).toBeLessThan(inWindow('2025-09-20'));

      const down = await compose(staticDir, ['-p', staticProject, '-f', 'compose.static.yml', 'down']);
      expect(down.code, down.out).toBe(0);
      for (const w of workers) expect(await inspectOrNull(docker, w.Id)).toBeNull();
    });
  },
);
