import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { generateTimetable, startDiscordSim, startEcalSim, startMonCampusSim, type DiscordSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { CONTROL_SOCKET, createProcessRuntime, createSupervisor, startControlServer, SUPERVISOR_DIR } from '../supervisor/index.js';
import { createDashboardActions } from './dashboard-actions.js';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const PASSWORD = 'Actions-pa55word!';
const ECAL_KEY = 'actions-ecal-key';
const ECAL_SECRET = 'actions-ecal-secret';
const CALENDAR = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const today = DateTime.now().setZone('Europe/Paris');

let root: string;
let configDir: string;
let dataDir: string;
let mc: MonCampusSim;
let ecal: EcalSim;
let discord: DiscordSim;
let webhookToken: string;

const env = (): NodeJS.ProcessEnv => ({ ...process.env, LOG_LEVEL: 'warn' });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cs-actions-'));
  configDir = join(root, 'configs');
  dataDir = join(root, 'data');
  await mkdir(configDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  const courses = generateTimetable({ count: 12, start: today.minus({ days: 2 }).toISODate() as string, seed: 5 });
  mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
  ecal = await startEcalSim({ keys: { [ECAL_KEY]: ECAL_SECRET }, calendars: [CALENDAR] });
  discord = await startDiscordSim();
  const hook = discord.createWebhook();
  webhookToken = hook.token;
  await writeFile(
    join(configDir, 'alice.yml'),
    [
      'moncampus:',
      `  url: ${mc.url}`,
      `  casUrl: ${mc.casUrl}`,
      '  username: student',
      `  password: "${PASSWORD}"`,
      '  window: {pastDays: 7, futureDays: 60}',
      'ecal:',
      `  url: ${ecal.url}`,
      `  apiKey: ${ECAL_KEY}`,
      `  apiSecret: ${ECAL_SECRET}`,
      `  calendarId: ${CALENDAR}`,
      'notify:',
      '  - name: team',
      '    type: discord-webhook',
      `    url: ${hook.url}`,
      '',
    ].join('\n'),
  );
  // Slots only, watching nothing reachable: a worker that idles (the restart test's subject).
  await writeFile(
    join(configDir, 'watch.yml'),
    ['slots:', '  - name: desk', '    provider: clicrdv', '    url: "http://127.0.0.1:9/x?from={date}"', '    schedule: "0 0 1 1 *"', ''].join('\n'),
  );
});
afterAll(async () => {
  await Promise.all([mc?.close(), ecal?.close(), discord?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('run now', () => {
  it('runs a real sync through the CLI and answers its outcome and counts', async () => {
    const actions = createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() });
    const r = await actions.runNow('alice', 'en');
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.message).toMatch(/^Run success: \d+ created, 0 updated, 0 deleted, 0 unchanged \(\d+ courses, [\d.]+ s\)$/);
    const created = Number(/(\d+) created/.exec(r.message)?.[1]);
    expect(created).toBeGreaterThan(0);
    expect(ecal.events()).toHaveLength(created);
    // The run wrote its files where the worker would: the importer takes it from there.
    expect(await readFile(join(dataDir, 'alice', 'runs.jsonl'), 'utf8')).toContain('"outcome":"success"');
    // A French page reads the same outcome in French, the duration with a decimal comma.
    const fr = await actions.runNow('alice', 'fr');
    expect(fr.message).toMatch(/^Synchronisation réussie : 0 créés, 0 mis à jour, 0 supprimés, \d+ inchangés \(\d+ cours, \d+,\d s\)$/);
  });

  it('says so when a run already holds the lock (the worker is syncing)', async () => {
    const lock = join(dataDir, 'alice', 'run.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
    try {
      const r = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).runNow('alice', 'en');
      expect(r).toEqual({ ok: false, message: `The run did not start: alice: a run is already in progress (pid ${process.pid})` });
    } finally {
      await rm(lock, { force: true });
    }
  });

  it('answers within its deadline even when the run takes longer', async () => {
    const clock = fakeClock();
    const answer = createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env(), runAnswerMs: 50, runKillMs: 20_000, clock }).runNow('alice', 'en');
    // The deadline passes on the clock while the child is still starting: the answer comes from it.
    await clock.whenPending();
    await clock.tickAsync(50);
    const r = await answer;
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/still going after 0 s/);
    // The run carried on without us; it ends on its own (and releases the lock).
    await expect
      .poll(
        () =>
          readFile(join(dataDir, 'alice', 'run.lock')).then(
            () => 'held',
            () => 'free',
          ),
        { timeout: 20_000 },
      )
      .toBe('free');
  });

  it('a config without a timetable is a clear refusal, and a bad CLI path too', async () => {
    const r = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).runNow('watch', 'en');
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^The run did not start: watch has no moncampus section/);
    const missing = await createDashboardActions({ configDir, dataDir, cliPath: join(root, 'nope.js'), env: env() }).runNow('alice', 'en');
    expect(missing.ok).toBe(false);
    expect(missing.message).toMatch(/Cannot find module/);
  });
});

describe('test notification', () => {
  it('sends one message per channel through the CLI and reports each, with no secret', async () => {
    const before = discord.messages().length;
    const r = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).testNotification('alice', 'en');
    expect(r).toEqual({ ok: true, message: 'Test notification sent to 1 of 1 channel(s).', details: ['✓ team (discord-webhook): sent'] });
    const fr = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).testNotification('alice', 'fr');
    expect(fr).toEqual({ ok: true, message: 'Notification de test envoyée à 1 canal(aux) sur 1.', details: ['✓ team (discord-webhook): envoyé'] });
    expect(discord.messages()).toHaveLength(before + 2);
    expect(JSON.stringify(r)).not.toContain(webhookToken);
  });

  it('a failing channel is reported as failed', async () => {
    const hook = discord.createWebhook();
    discord.deleteWebhook(hook.id);
    const cfg = (await readFile(join(configDir, 'alice.yml'), 'utf8')).replace(/url: http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/\S+/, `url: ${hook.url}`);
    await writeFile(join(configDir, 'gone.yml'), cfg);
    const r = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).testNotification('gone', 'en');
    expect(r.ok).toBe(false);
    expect(r.message).toBe('Test notification sent to 0 of 1 channel(s).');
    expect(r.details?.[0]).toMatch(/^✗ team \(discord-webhook\): /);
    expect(JSON.stringify(r)).not.toContain(hook.token);
    await rm(join(configDir, 'gone.yml'));
  });

  it('no channel: says why nothing was sent', async () => {
    const r = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).testNotification('watch', 'en');
    expect(r).toEqual({ ok: false, message: 'No test was sent: watch has no notify: section' });
    // In the page's language around the CLI's own words (its --json output is English).
    const fr = await createDashboardActions({ configDir, dataDir, cliPath: CLI, env: env() }).testNotification('watch', 'fr');
    expect(fr).toEqual({ ok: false, message: 'Aucun test envoyé : watch has no notify: section' });
  });
});

describe('restart', () => {
  it('without a supervisor: a clear error, at once', async () => {
    // The clock never moves: the answer comes from the missing socket, not from the time limit.
    const clock = fakeClock();
    const r = await createDashboardActions({ configDir, dataDir: join(root, 'no-supervisor'), clock }).restart('alice', 'en');
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^No supervisor is running/);
    expect(clock.pendingTimers()).toBe(0);
    const fr = await createDashboardActions({ configDir, dataDir: join(root, 'no-supervisor'), clock }).restart('alice', 'fr');
    expect(fr.message).toMatch(/^Aucun superviseur ne tourne : rien ne répond/);
  });

  it('through a real supervisor’s control socket: the worker process is replaced', async () => {
    const dir = join(root, 'sup');
    const cfgs = join(dir, 'configs');
    const data = join(dir, 'data');
    await mkdir(cfgs, { recursive: true });
    await writeFile(join(cfgs, 'watch.yml'), await readFile(join(configDir, 'watch.yml'), 'utf8'));
    const runtime = createProcessRuntime({ configDir: cfgs, dataDir: data, cliPath: CLI, env: env(), logger: silentLogger, stopGraceMs: 2_000 });
    const supervisor = createSupervisor({ runtime, configDir: cfgs, dataDir: data, logger: silentLogger, debounceMs: 100, heartbeatMs: 500 });
    await supervisor.start();
    const control = await startControlServer({
      socketPath: join(data, SUPERVISOR_DIR, CONTROL_SOCKET),
      runtime,
      reconcileNow: (why) => supervisor.reconcileNow(why),
      logger: silentLogger,
    });
    try {
      const workerPid = async (): Promise<number | undefined> =>
        JSON.parse(await readFile(join(data, 'watch', 'worker.json'), 'utf8').catch(() => '{}')).pid as number | undefined;
      await expect.poll(workerPid, { timeout: 15_000 }).toBeTypeOf('number');
      const before = await workerPid();
      const actions = createDashboardActions({ configDir: cfgs, dataDir: data });
      expect(await actions.restart('watch', 'en')).toEqual({ ok: true, message: 'The worker of watch was restarted.' });
      await expect.poll(workerPid, { timeout: 15_000 }).not.toBe(before);
      const unknown = await actions.restart('nobody', 'en');
      expect(unknown.ok).toBe(false);
      expect(unknown.message).toMatch(/^The supervisor has no worker for nobody \(no worker named nobody\)/);
    } finally {
      await control.close();
      await supervisor.stop({ removeWorkers: true });
      await runtime.close();
    }
  });
});
