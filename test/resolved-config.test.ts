/**
 * A power cut under the Docker runtime: a worker whose config uses ${VAR} reads data/<name>/config.resolved.yml,
 * which the supervisor wrote when it created the worker. Found empty, cut short, full of NUL bytes or valid YAML
 * of the wrong shape, the worker fails at every restart while its spec hash still matches. The supervisor's next
 * reconcile (its start after the reboot) finds that the file's sha256 is not the configSha the worker was made
 * for: it sets the file aside, writes it again, restarts the worker, says so once in its log and errors.log,
 * and the worker syncs again. Real engine, real image, simulators on 127.0.0.1 (host network, as
 * test/docker-runtime.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { captureLogger } from '../src/supervisor/capture-logger.test-helper.js';
import { sha256 } from '../src/supervisor/desired.js';
import { createDockerRuntime, RESOLVED_CONFIG_FILE } from '../src/supervisor/docker-runtime.js';
import { createSupervisor, type Supervisor } from '../src/supervisor/supervisor.js';
import { containerName } from '../src/supervisor/template.js';
import { cleanupTestContainers, describeWithDocker, dockerAvailable, TEST_IMAGE, waitUntil } from './docker-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, makeWorkspace, nestedConfig, PASSWORD, writeConfig, type Workspace } from './helpers.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../compose.template.yml');
const DAMAGES = ['empty', 'truncated', 'nul-filled', 'wrong-shape'] as const;
const availability = await dockerAvailable();

function damaged(original: Buffer, damage: (typeof DAMAGES)[number]): Buffer {
  switch (damage) {
    case 'empty':
      return Buffer.alloc(0);
    case 'truncated':
      // Cut inside the ECAL section: what is left is YAML, but not a whole config.
      return original.subarray(0, original.indexOf('  apiSecret:'));
    case 'nul-filled':
      return Buffer.alloc(original.length);
    case 'wrong-shape':
      return Buffer.from('- a list\n- not a config\n');
  }
}

describeWithDocker(availability, 'config.resolved.yml damaged by a power cut (docker runtime, real engine)', (docker: Docker) => {
  const scope = `${process.env.CAMPUS_SYNC_SCOPE || 'test'}-resolved-${randomBytes(3).toString('hex')}`;
  const name = `resolved${randomBytes(3).toString('hex')}`;
  const courses = generateTimetable({ count: 6, start: '2025-09-01', seed: 11 });
  const log = captureLogger();
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let sup: Supervisor;
  const dir = () => join(ws.data, name);
  const file = () => join(dir(), RESOLVED_CONFIG_FILE);
  const container = () => docker.getContainer(containerName(name));
  const lastRun = async (): Promise<{ outcome: string; finishedAt: string } | null> =>
    JSON.parse(await readFile(join(dir(), 'last-run.json'), 'utf8').catch(() => 'null')) as { outcome: string; finishedAt: string } | null;
  /** Waits for the restarted worker's successful sync, one that finished after `lastBefore`. */
  const syncedAfter = (lastBefore: string) =>
    waitUntil(
      'a sync after the repair',
      async () => {
        const r = await lastRun();
        return r !== null && r.finishedAt > lastBefore && r.outcome === 'success';
      },
      60_000,
    );

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    await writeConfig(
      ws,
      name,
      nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-10-31', password: '${TEST_MC_PASSWORD}' }),
    );
    const runtime = createDockerRuntime({
      docker,
      templatePath: TEMPLATE_PATH,
      image: TEST_IMAGE,
      hostConfigDir: ws.configs,
      hostDataDir: ws.data,
      localDataDir: ws.data,
      vars: { NETWORK_MODE: 'host' },
      supervisorId: scope,
      scope,
      logger: log.logger,
    });
    sup = createSupervisor({ runtime, configDir: ws.configs, dataDir: ws.data, logger: log.logger, env: { TEST_MC_PASSWORD: PASSWORD }, supervisorId: scope });
    await sup.reconcileNow('start');
    await waitUntil('the first sync', async () => (await lastRun())?.outcome === 'success', 60_000);
  });
  afterAll(async () => {
    await sup?.stop();
    await cleanupTestContainers(docker, scope);
    await mc?.close();
    await ecal?.close();
  });

  for (const damage of DAMAGES) {
    it(`${damage}: the worker fails on it; the next reconcile sets it aside, writes it again, restarts the worker, says so once`, async () => {
      const good = await readFile(file());
      const sha = (await container().inspect()).Config.Labels['campus-sync.config-sha'];
      expect(sha256(good)).toBe(sha);
      // The power cut: the file damaged in place, then the host (and Docker with it) comes back: the worker restarts on it.
      const hurt = damaged(good, damage);
      await writeFile(file(), hurt);
      const before = await container().inspect();
      await container().restart();
      await waitUntil('the worker to fail on its damaged config', async () => (await container().inspect()).RestartCount > before.RestartCount, 60_000);
      const aside0 = new Set((await readdir(dir())).filter((f) => f.startsWith(`${RESOLVED_CONFIG_FILE}.damaged-`)));
      const said0 = log.lines.length;
      const lastBefore = (await lastRun())!.finishedAt;

      // The supervisor's reconcile (at its start after the reboot, or any rescan).
      await sup.reconcileNow('after the power cut');
      const said = log.lines.slice(said0).filter((l) => l.message.includes(`${file()} was damaged`));
      expect(said, JSON.stringify(log.lines.slice(said0))).toHaveLength(1);
      expect(said[0]!.level).toBe('warn');
      expect(said[0]!.message).toContain('restarted to read it');
      // Set aside (copied, never deleted): the damaged bytes are still there, as private as before.
      const aside = (await readdir(dir())).filter((f) => f.startsWith(`${RESOLVED_CONFIG_FILE}.damaged-`) && !aside0.has(f));
      expect(aside).toHaveLength(1);
      expect(await readFile(join(dir(), aside[0]!))).toEqual(hurt);
      expect(said[0]!.message).toContain(aside[0]);
      // Written again: the very config the worker was made for, private to the worker's user.
      const now = await readFile(file());
      expect(sha256(now)).toBe(sha);
      const st = await stat(file());
      expect([st.uid, st.mode & 0o777]).toEqual([1000, 0o600]);
      // Named once in errors.log, with no secret in it or in the log.
      const errorsLog = await readFile(join(dir(), 'errors.log'), 'utf8');
      expect(errorsLog.split('\n').filter((l) => l.includes(`${file()} was damaged`) && l.includes(aside[0]!))).toHaveLength(1);
      expect(errorsLog).not.toContain(PASSWORD);
      expect(JSON.stringify(log.lines)).not.toContain(PASSWORD);
      // The restarted worker reads it and syncs again; the next reconcile has nothing to say.
      await syncedAfter(lastBefore);
      const said1 = log.lines.length;
      await sup.reconcileNow('rescan');
      expect(log.lines.slice(said1).filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    }, 180_000);
  }

  it('missing when the worker restarts: Docker makes a directory in its place; the next reconcile removes it and writes the file again', async () => {
    const sha = (await container().inspect()).Config.Labels['campus-sync.config-sha'];
    await rm(file());
    // What the engine does with a bind whose source is missing (the reason the repair never leaves the path
    // empty): it makes a directory there, then cannot mount it on the config file, and the worker stays down.
    const restarted = await container()
      .restart()
      .then(
        () => 'restarted',
        (err: unknown) => String(err),
      );
    expect(restarted).toMatch(/not a directory/);
    expect((await stat(file())).isDirectory()).toBe(true);
    expect((await container().inspect()).State.Running).toBe(false);
    const lastBefore = (await lastRun())!.finishedAt;
    const said0 = log.lines.length;

    await sup.reconcileNow('after the power cut');
    const said = log.lines.slice(said0).filter((l) => l.message.includes(`${file()} was missing`));
    expect(said, JSON.stringify(log.lines.slice(said0))).toHaveLength(1);
    expect(said[0]!.message).toContain('restarted to read it');
    expect(sha256(await readFile(file()))).toBe(sha);
    await syncedAfter(lastBefore);
  }, 180_000);
});
