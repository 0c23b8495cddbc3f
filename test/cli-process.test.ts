import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE } from '../src/instance/index.js';
import { startEcalSim, startMonCampusSim, generateTimetable, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { formatWhen, translator } from '../src/lib/index.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, makeWorkspace, nestedConfig, runCli, startCli, writeConfig, type Workspace } from './helpers.js';

/** The supervisor's pass period here: short, so "it stays stopped" is seen over two passes in about a second. */
const HEARTBEAT_MS = 500;

/**
 * Each test is a chain of `node dist/cli.js` processes (the stop/start test spawns twelve): 9 s alone, 40-60 s
 * in CI beside the other files, where a CLI process's start costs several times its CPU (60 s timed out once).
 */
const CLI_CHAIN_TIMEOUT_MS = 150_000;

interface StatusJson {
  runtime: string;
  supervisor?: { pid: number };
  instances: { name: string; state: string; lastRun?: { outcome: string } }[];
}

describe('the management verbs with the process runtime', { timeout: CLI_CHAIN_TIMEOUT_MS }, () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let env: NodeJS.ProcessEnv;
  let supervisor: ReturnType<typeof startCli>;

  const status = async (): Promise<StatusJson> => {
    const r = await runCli(['status', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const stateOf = async (name: string): Promise<string | undefined> => (await status()).instances.find((i) => i.name === name)?.state;
  /** The heartbeat time in the supervisor's status file (read directly: a CLI call per look would be slow). */
  const heartbeatAt = async (): Promise<string | undefined> =>
    readFile(join(ws.data, SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE), 'utf8').then(
      (text) => (JSON.parse(text) as { heartbeatAt?: string }).heartbeatAt,
      () => undefined,
    );
  /** The supervisor's next pass after `since`: each heartbeat (every HEARTBEAT_MS here) revives what crashed and rewrites the status. */
  const nextBeat = async (since: string | undefined): Promise<string | undefined> => {
    let beat: string | undefined;
    await vi.waitFor(
      async () => {
        beat = await heartbeatAt();
        expect(beat).toBeDefined();
        expect(beat).not.toBe(since);
      },
      { timeout: 20_000, interval: 50 },
    );
    return beat;
  };

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: generateTimetable({ count: 20, start: '2025-09-01', seed: 5 }) });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    env = { ...ws.env, CAMPUS_SYNC_RUNTIME: 'process', CAMPUS_SYNC_HEARTBEAT_MS: String(HEARTBEAT_MS) };
    await writeConfig(ws, 'ivy', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2026-07-31' }));
    supervisor = startCli(['supervise'], env);
  });
  afterAll(async () => {
    supervisor?.child.kill('SIGTERM');
    await supervisor?.result;
    await mc?.close();
    await ecal?.close();
  });

  it('status shows the worker running and its first sync', async () => {
    let s: StatusJson | undefined;
    for (let i = 0; i < 100; i++) {
      s = await status();
      if (s.instances[0]?.lastRun?.outcome === 'success') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(s?.runtime).toBe('process');
    expect(s?.supervisor?.pid).toBe(supervisor.child.pid);
    expect(s?.instances).toMatchObject([{ name: 'ivy', state: 'running', lastRun: { outcome: 'success' } }]);
    expect(ecal.events()).toHaveLength(20);
  });

  it("status and list speak LANG's language, every time in the config's zone and never an ISO Z; --json stays ISO", async () => {
    const raw = (await runCli(['status', '--json'], { ...env, LC_ALL: 'fr_FR.UTF-8' })).stdout;
    const finishedAt = (JSON.parse(raw) as { instances: { lastRun: { finishedAt: string } }[] }).instances[0]?.lastRun.finishedAt ?? '';
    expect(finishedAt).toMatch(/Z$/);
    const fr = await runCli(['status'], { ...env, LC_ALL: 'fr_FR.UTF-8' });
    const en = await runCli(['status'], { ...env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' });
    expect(fr.code, fr.stderr).toBe(0);
    expect(en.code, en.stderr).toBe(0);
    expect(fr.stdout).toContain(`dernière synchro ${formatWhen(finishedAt, 'Europe/Paris', 'fr')} ${translator('fr')('dashboard.outcome.success')}`);
    expect(fr.stdout).toContain('environnement process, superviseur pid');
    expect(en.stdout).toContain(`last run ${formatWhen(finishedAt, 'Europe/Paris', 'en')} success`);
    for (const out of [fr.stdout, en.stdout]) expect(out).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    const list = await runCli(['list'], { ...env, LANG: 'fr_FR.UTF-8' });
    // The worker may have run again since (its schedule goes on): the last run's time as status says it now.
    const latest = (JSON.parse((await runCli(['status', '--json'], env)).stdout) as { instances: { lastRun: { finishedAt: string } }[] }).instances[0]?.lastRun
      .finishedAt;
    const shown = [...new Set([finishedAt, latest ?? finishedAt])].map((at) => formatWhen(at, 'Europe/Paris', 'fr').replace(/\./g, '\\.')).join('|');
    expect(list.stdout).toMatch(new RegExp(`^ivy\\s+valide\\s+dernière synchro (${shown}) `, 'm'));
    expect(list.stdout).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  it('stop keeps it stopped, start and restart bring it back, logs shows its lines', async () => {
    expect((await runCli(['stop', 'ivy'], env)).code).toBe(0);
    expect(await stateOf('ivy')).toBe('stopped');
    // Two passes of the supervisor later, it has not brought it back.
    await nextBeat(await nextBeat(await heartbeatAt()));
    expect(await stateOf('ivy')).toBe('stopped');
    expect((await runCli(['start', 'ivy'], env)).code).toBe(0);
    expect(await stateOf('ivy')).toBe('running');
    expect((await runCli(['restart'], env)).code).toBe(0);
    expect(await stateOf('ivy')).toBe('running');
    const logs = await runCli(['logs', 'ivy', '--tail', '50'], env);
    expect(logs.code).toBe(0);
    // One readable line per event: local time, level, [instance]; --json keeps the lines as written.
    // The time in the shell's language ("Sun 1 Mar" / "dim. 1 mars"), to the second.
    expect(logs.stdout).toMatch(/^\S+ \d{1,2} \S+ \d\d:\d\d:\d\d info {2}\[ivy\] /m);
    const raw = await runCli(['logs', 'ivy', '--tail', '50', '--json'], env);
    expect(raw.stdout).toMatch(/"instance":"ivy"/);
    const unknown = await runCli(['stop', 'nobody'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no worker named nobody/);
  });

  it('clean removes the workers and the supervisor starts them again from scratch', async () => {
    const before = (await status()).instances.find((i) => i.name === 'ivy');
    expect(before?.state).toBe('running');
    const r = await runCli(['clean'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed ivy/);
    let state: string | undefined;
    for (let i = 0; i < 50 && state !== 'running'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      await runCli(['status'], env); // a reconcile is due from the removal; status reads what it wrote
      state = await stateOf('ivy');
    }
    expect(state).toBe('running');
  });

  it('SIGTERM stops the supervisor and its workers', async () => {
    supervisor.child.kill('SIGTERM');
    const r = await supervisor.result;
    expect(r.code).toBe(0);
    const s = await status();
    expect(s.supervisor).toBeUndefined();
  });
});
