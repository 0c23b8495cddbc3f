/**
 * The supervisor (on the host, `node dist/cli.js supervise --runtime docker`) survives a Docker daemon
 * restart without anyone restarting the shared daemon: a Unix-socket proxy in this test stands for the
 * daemon (DOCKER_HOST=unix://<proxy>), "the daemon goes down" closes it (open connections destroyed,
 * socket file gone), "it comes back" listens again on the same path. While it is down the supervisor says
 * so ONCE, keeps retrying and stays up; once back it reconciles (a config added meanwhile gets its worker)
 * and leaves the worker that ran all along untouched.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { readSupervisorStatus } from '../src/supervisor/status.js';
import { RUNTIME_RETRY_MAX_MS } from '../src/supervisor/supervisor.js';
import { describeWithDocker, dockerAvailable, waitUntil } from './docker-helpers.js';
import { configOf, dockerEnv, makeDockerWorkspace, removeScoped, scopedWorkers } from './docker-supervisor-helpers.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, nestedConfig, startCli, type CliResult, type Workspace } from './helpers.js';

const availability = await dockerAvailable();
/** Fast beats: the status file (runtimeError) is rewritten on it (production: 15 s). */
const HEARTBEAT_MS = 300;
/** First retry delay for the unreachable engine (production: 1 s); it still doubles up to the 30 s cap. */
const RUNTIME_RETRY_MS = 200;
/** Failed pings (one debug line each) before the daemon comes back: ~3 s down, past four doublings of the retry delay. */
const RETRIES_WHILE_DOWN = 5;

interface LogLine {
  level?: string;
  message?: string;
  timestamp?: string;
}

/** A stand-in for the daemon's socket: every connection piped to the real engine, closable and reopenable on the same path. */
interface DaemonProxy {
  /** Connections accepted since the first start (proof the supervisor talks through it). */
  accepted(): number;
  start(): Promise<void>;
  /** Stops listening, destroys the open connections (as a dying daemon does) and removes the socket file. */
  stop(): Promise<void>;
}

function createDaemonProxy(path: string, upstreamPath: string): DaemonProxy {
  let server: Server | null = null;
  const open = new Set<Socket>();
  let accepted = 0;
  return {
    accepted: () => accepted,
    async start() {
      await rm(path, { force: true });
      const s = createServer((client) => {
        accepted++;
        const upstream = connect(upstreamPath);
        const pair = [client, upstream];
        for (const sock of pair) {
          open.add(sock);
          const drop = (): void => {
            for (const x of pair) {
              x.destroy();
              open.delete(x);
            }
          };
          sock.on('error', drop);
          sock.on('close', drop);
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(path, () => {
          s.off('error', reject);
          resolve();
        });
      });
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const sock of open) sock.destroy();
      open.clear();
      await closed;
      await rm(path, { force: true });
    },
  };
}

describeWithDocker(availability, 'the supervisor across a Docker daemon restart (host CLI, proxied socket)', (docker: Docker) => {
  // Own scope: this supervisor sees, and this file cleans, only these containers.
  const scope = `r${randomBytes(4).toString('hex')}`;
  const [A, B] = ['a', 'b'].map((n) => `${scope}-${n}`) as [string, string];
  const courses = generateTimetable({ count: 10, start: '2025-09-01', seed: 5 });
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace & { template: string };
  let proxyPath: string;
  let proxy: DaemonProxy | null = null;
  let child: ChildProcess | null = null;
  let result: Promise<CliResult> | null = null;
  let stderr = '';

  const config = (): string => nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-12-31' });
  const write = (name: string): Promise<void> => writeFile(join(ws.configs, `${name}.yml`), config());
  /** The supervisor's JSON log lines so far (stderr). */
  const logLines = (): LogLine[] =>
    stderr.split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
  const messages = (re: RegExp): LogLine[] => logLines().filter((l) => re.test(l.message ?? ''));
  const workerOf = async (name: string): Promise<Docker.ContainerInspectInfo | undefined> =>
    (await scopedWorkers(docker, scope)).find((w) => configOf(w) === name);
  const alive = (): boolean => child !== null && child.exitCode === null && child.signalCode === null;
  const unreachableLines = (): LogLine[] => messages(/runtime unreachable/);

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeDockerWorkspace();
    proxyPath = join(ws.root, 'docker-proxy.sock');
    const modemSocket = (docker.modem as { socketPath?: unknown }).socketPath;
    proxy = createDaemonProxy(proxyPath, typeof modemSocket === 'string' ? modemSocket : '/var/run/docker.sock');
  });

  afterAll(async () => {
    // Whatever failed: supervisor stopped, proxy closed, no container of this scope left on the engine.
    if (child && alive()) {
      child.kill('SIGTERM');
      const exited = await Promise.race([result, new Promise((r) => setTimeout(() => r(null), 20_000))]);
      if (!exited && alive()) child.kill('SIGKILL');
    }
    await proxy?.stop();
    await removeScoped(docker, scope);
    await mc?.close();
    await ecal?.close();
    if (ws) await rm(ws.root, { recursive: true, force: true });
  });

  it('one config: the supervisor, talking to the engine through the proxy (DOCKER_HOST), runs its worker', async () => {
    await write(A);
    await proxy!.start();
    const env = {
      ...process.env,
      ...dockerEnv(ws, scope),
      DOCKER_HOST: `unix://${proxyPath}`,
      CAMPUS_SYNC_HEARTBEAT_MS: String(HEARTBEAT_MS),
      CAMPUS_SYNC_RUNTIME_RETRY_MS: String(RUNTIME_RETRY_MS),
      // debug: each failed ping is one line, which counts the retries.
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
      NO_COLOR: '1',
    };
    const started = startCli(['supervise', '--runtime', 'docker'], env);
    child = started.child;
    result = started.result;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

    const a = await waitUntil('worker A running', async () => {
      const w = await workerOf(A);
      return w?.State.Running && w;
    });
    expect(a.Config.Cmd).toEqual(['worker', A]);
    // The only engine this supervisor knows is the proxy: it must have gone through it.
    expect(proxy!.accepted()).toBeGreaterThan(0);
    await waitUntil('the first reconcile done', async () => messages(/^reconcile \(start\)/).length > 0);
    expect(unreachableLines()).toEqual([]);
  });

  it('daemon down: a config added meanwhile, ONE "runtime unreachable" line over several retries, the supervisor stays up', async () => {
    const before = (await workerOf(A))!;
    await proxy!.stop();
    const downAt = Date.now();
    await write(B);

    await waitUntil('the runtime-unreachable line', async () => unreachableLines().length > 0, 10_000);
    // The ping failures name the proxy's socket (the endpoint the runtime was given), one per attempt.
    const failedPings = (): number => messages(new RegExp(`Docker engine unreachable at ${proxyPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).length;
    await waitUntil(`${RETRIES_WHILE_DOWN} retries while down`, async () => failedPings() >= RETRIES_WHILE_DOWN, 15_000);
    const line = unreachableLines();
    expect(line).toHaveLength(1);
    expect(line[0]!.level).toBe('error');
    expect(line[0]!.message).toMatch(/^docker runtime unreachable: .*retrying with backoff/);
    expect(alive()).toBe(true);

    // status.json says why (the supervisor is alive, the runtime is not).
    const status = await waitUntil('status.json with the runtime error', async () => {
      const s = await readSupervisorStatus(ws.data);
      return s?.runtimeError !== undefined && s;
    });
    expect(status.runtimeError).toMatch(/does not answer its ping/);
    expect(Date.parse(status.heartbeatAt)).toBeGreaterThanOrEqual(downAt - 1000);

    // Nothing was created behind the daemon's back, and the running worker was left alone.
    expect(await workerOf(B)).toBeUndefined();
    const a = (await workerOf(A))!;
    expect([a.Id, a.State.Running, a.State.StartedAt]).toEqual([before.Id, true, before.State.StartedAt]);
  });

  it('daemon back: "reachable again" within the backoff cap, the new config gets its worker, the first one is not recreated', async () => {
    const before = (await workerOf(A))!;
    const pingsBeforeUp = messages(/Docker engine unreachable at /).length;
    await proxy!.start();
    const upAt = Date.now();

    await waitUntil('the reachable-again line', async () => messages(/runtime reachable again/).length > 0, RUNTIME_RETRY_MAX_MS + 5_000, 50);
    const reconnectMs = Date.now() - upAt;
    const b = await waitUntil('worker B running', async () => {
      const w = await workerOf(B);
      return w?.State.Running && w;
    });
    const workerBMs = Date.now() - upAt;
    console.log(`daemon back: supervisor reconnected in ${reconnectMs} ms, worker B running after ${workerBMs} ms (${pingsBeforeUp} failed pings while down)`);
    expect(reconnectMs).toBeLessThan(RUNTIME_RETRY_MAX_MS);
    expect(b.Config.Cmd).toEqual(['worker', B]);

    const a = (await workerOf(A))!;
    expect([a.Id, a.State.Running, a.State.StartedAt, a.RestartCount]).toEqual([before.Id, true, before.State.StartedAt, before.RestartCount]);
    expect((await scopedWorkers(docker, scope)).map(configOf)).toEqual([A, B]);
    // Only B was acted on: no recreate or remove of A in the log.
    expect(messages(new RegExp(`^(recreate|remove) ${A}\\b`))).toEqual([]);
    expect(unreachableLines()).toHaveLength(1);
    await waitUntil('status.json without the runtime error', async () => {
      const s = await readSupervisorStatus(ws.data);
      return s !== null && s.runtimeError === undefined && s.instances.some((i) => i.name === B);
    });
    expect(alive()).toBe(true);
  });

  it('SIGTERM: the supervisor exits 0 and leaves its workers running (the next one adopts them)', async () => {
    child!.kill('SIGTERM');
    const r = await result!;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const workers = await scopedWorkers(docker, scope);
    expect(workers.map((w) => [configOf(w), w.State.Running])).toEqual([
      [A, true],
      [B, true],
    ]);
  });
});
