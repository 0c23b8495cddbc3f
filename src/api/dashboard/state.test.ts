import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openStore, type AlertRow, type Store } from '../../store/index.js';
import { tempDirs, type TempDirs } from '../test-support.test-helper.js';
import { createConfigSource } from './configs.js';
import { invalidYaml, PASSWORD, runRow, SECRETS, slotsOnlyYaml, timetableYaml, writeFiles } from './fixtures.test-helper.js';
import { alertViews, buildDashboardState, ERROR_LINES, honestState, PLOT_RUNS, type InstanceView } from './state.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';

const NOW = new Date('2025-03-20T09:00:00Z'); // 10:00 in Paris, a Thursday
const min = (m: number): Date => new Date(NOW.getTime() + m * 60_000);
const iso = (m: number): string => min(m).toISOString();

let dirs: TempDirs;
let store: Store;

beforeEach(async () => {
  dirs = await tempDirs('campus-sync-dashboard-state-');
  store = await openStore({ dataDir: dirs.dataDir });
  await writeFiles(dirs.configDir, { 'alice.yml': timetableYaml(), 'broken.yml': invalidYaml, 'watch.yml': slotsOnlyYaml });
});
afterEach(async () => {
  await store.close();
  await dirs.cleanup();
});

const build = () => buildDashboardState({ store, dataDir: dirs.dataDir, clock: fakeClock(NOW), configs: createConfigSource(dirs.configDir) });
const card = (s: Awaited<ReturnType<typeof build>>, name: string): InstanceView => s.instances.find((i) => i.name === name) as InstanceView;

/** data/.supervisor/status.json as the supervisor writes it. */
const supervisorStatus = (heartbeatAt: Date, instances: object[]) =>
  JSON.stringify({ pid: 42, runtime: 'process', startedAt: iso(-600), heartbeatAt: heartbeatAt.toISOString(), instances });

describe('the dashboard state', () => {
  it('lists every config; an invalid one is invalid with its error and never a secret', async () => {
    const s = await build();
    expect(s.instances.map((i) => i.name)).toEqual(['alice', 'broken', 'watch']);
    const broken = card(s, 'broken');
    expect(broken.state).toBe('invalid');
    expect(broken.configError).toMatch(/^broken\.yml: .*colour/s);
    expect(broken.configError).not.toContain(dirs.root);
    // The same for a French page and an English one, the server's folder taken out of each.
    expect(broken.configErrorIn?.en).toBe(broken.configError);
    expect(broken.configErrorIn?.fr).toMatch(/^broken\.yml: colour: clé inconnue/m);
    expect(broken.configErrorIn?.fr).not.toContain(dirs.root);
    expect(JSON.stringify(s)).not.toContain(PASSWORD);
    for (const secret of SECRETS) expect(JSON.stringify(s)).not.toContain(secret);
    expect(card(s, 'alice')).toMatchObject({ timezone: 'Europe/Paris', schedule: '46 6-18 * * *', timetable: true, channels: ['discord'] });
    expect(card(s, 'watch')).toMatchObject({ timetable: false, schedule: null, channels: [] });
  });

  it('takes states from a fresh supervisor heartbeat, and from the worker files when it is stale', async () => {
    await writeFiles(dirs.dataDir, {
      '.supervisor/status.json': supervisorStatus(min(-0.5), [
        { name: 'alice', state: 'crash-looping', restartCount: 4, node: 'pi-2' },
        { name: 'watch', state: 'stopped', restartCount: 0 },
        { name: 'broken', state: 'invalid', restartCount: 0, configError: 'x' },
      ]),
      'alice/worker.json': JSON.stringify({ pid: 1, state: 'idle', nextRun: iso(46), updatedAt: iso(-14) }),
    });
    let s = await build();
    expect(s.supervisor).toMatchObject({ running: true, runtime: 'process' });
    expect(card(s, 'alice')).toMatchObject({
      state: 'crash-looping',
      stateSource: 'supervisor',
      restartCount: 4,
      node: 'pi-2',
      nextRun: iso(46),
      syncing: false,
    });
    expect(card(s, 'watch').state).toBe('stopped');
    expect(card(s, 'watch').node).toBeUndefined();

    // Past the heartbeat limit the supervisor is gone; the worker files speak.
    await writeFiles(dirs.dataDir, {
      '.supervisor/status.json': supervisorStatus(min(-2), [{ name: 'alice', state: 'crash-looping', restartCount: 4 }]),
      'watch/worker.json': JSON.stringify({ pid: 2, state: 'stopped', nextRun: null, updatedAt: iso(-30) }),
    });
    s = await build();
    expect(s.supervisor).toMatchObject({ running: false, heartbeatAt: iso(-2) });
    // An idle worker with its next run ahead is alive (but alice never fetched her timetable yet: it says so);
    // a stopped one is stopped.
    expect(card(s, 'alice')).toMatchObject({ state: 'never-synced', stateSource: 'worker', restartCount: 0 });
    expect(card(s, 'watch')).toMatchObject({ state: 'stopped', stateSource: 'worker' });
    expect(card(s, 'broken').state).toBe('invalid');

    // An idle worker whose next run passed long ago is not running any more; a sync in progress is.
    await writeFiles(dirs.dataDir, { 'alice/worker.json': JSON.stringify({ pid: 1, state: 'idle', nextRun: iso(-30), updatedAt: iso(-90) }) });
    expect(card(await build(), 'alice').state).toBe('unknown');
    await writeFiles(dirs.dataDir, { 'alice/worker.json': JSON.stringify({ pid: 1, state: 'running', nextRun: null, updatedAt: iso(-1) }) });
    expect(card(await build(), 'alice')).toMatchObject({ state: 'never-synced', syncing: true });
    await writeFiles(dirs.dataDir, { 'alice/worker.json': '{"pid": 1, "sta' });
    expect(card(await build(), 'alice')).toMatchObject({ state: 'unknown', stateSource: 'none' });
  });

  it('has the last run, and the last PLOT_RUNS runs oldest first, from the store; run errors redacted', async () => {
    for (let i = 0; i < PLOT_RUNS + 5; i++) await store.insertRun(runRow('alice', min(-60 * (PLOT_RUNS + 5 - i)), { durationMs: 1000 + i, created: i }));
    await store.insertRun(runRow('alice', min(-5), { outcome: 'failed', phase: 'login', error: `login refused for ${PASSWORD}`, created: 0 }));
    const s = await build();
    const alice = card(s, 'alice');
    expect(alice.lastRun).toMatchObject({ outcome: 'failed', phase: 'login', startedAt: iso(-5) });
    expect(alice.lastRun?.error).toBe('login refused for [REDACTED]');
    expect(alice.runs).toHaveLength(PLOT_RUNS);
    expect(alice.runs[alice.runs.length - 1]?.startedAt).toBe(iso(-5));
    const starts = alice.runs.map((r) => Date.parse(r.startedAt));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(card(s, 'watch').lastRun).toBeNull();
  });

  it('shows the newest errors.log lines first, redacted, from the tail of a long file', async () => {
    const old = Array.from({ length: 2000 }, (_, i) => `2025-03-01T00:00:00.000Z push old line ${i} ${'x'.repeat(20)}`);
    const recent = [
      '2025-03-20T08:00:00.000Z login MonCampus refused the password',
      `2025-03-20T08:30:00.000Z push ECAL said 401 for key ${PASSWORD}`,
      `2025-03-20T08:40:00.000Z push [push.failed] une modification ECAL a échoué : key ${PASSWORD}`,
      'a line in some other format',
    ];
    await writeFiles(dirs.dataDir, { 'alice/errors.log': [...old, ...recent, ''].join('\n') });
    const errors = card(await build(), 'alice').errors;
    expect(errors).toHaveLength(ERROR_LINES);
    expect(errors[0]).toEqual({ at: null, phase: null, code: null, message: 'a line in some other format' });
    // A worker's line: its English code apart, its sentence in the config's language.
    expect(errors[1]).toEqual({
      at: '2025-03-20T08:40:00.000Z',
      phase: 'push',
      code: 'push.failed',
      message: 'une modification ECAL a échoué : key [REDACTED]',
    });
    expect(errors[2]).toEqual({ at: '2025-03-20T08:30:00.000Z', phase: 'push', code: null, message: 'ECAL said 401 for key [REDACTED]' });
    expect(errors[3]?.phase).toBe('login');
    expect(errors[4]?.message).toMatch(/^old line 1999 /);
  });

  it('lists the classes of the coming week from the start of today, the one in progress included', async () => {
    await store.replaceEvents('alice', [
      { instance: 'alice', reference: 'r-yesterday', ecalId: null, title: 'Hier', start: iso(-24 * 60), end: iso(-24 * 60 + 90), lastChange: iso(-9999) },
      { instance: 'alice', reference: 'r-done', ecalId: null, title: 'Ce matin', start: iso(-120), end: iso(-30), lastChange: iso(-9999) },
      { instance: 'alice', reference: 'r-now', ecalId: null, title: 'En cours', start: iso(-30), end: iso(60), lastChange: iso(-9999) },
      { instance: 'alice', reference: 'r-3d', ecalId: null, title: 'Dans trois jours', start: iso(3 * 1440), end: iso(3 * 1440 + 90), lastChange: iso(-9999) },
      { instance: 'alice', reference: 'r-2d', ecalId: null, title: 'Dans deux jours', start: iso(2 * 1440), end: iso(2 * 1440 + 90), lastChange: iso(-9999) },
      { instance: 'alice', reference: 'r-9d', ecalId: null, title: 'Trop loin', start: iso(9 * 1440), end: iso(9 * 1440 + 90), lastChange: iso(-9999) },
    ]);
    const alice = card(await build(), 'alice');
    expect(alice.upcoming.map((c) => c.title)).toEqual(['En cours', 'Dans deux jours', 'Dans trois jours']);
    expect(alice.upcomingMore).toBe(0);
  });

  it('shows each watcher with the slots it sees now and its last alert', async () => {
    const entry = (start: string, extra: object = {}) => ({ start, firstSeen: iso(-300), lastSeen: iso(-3), ...extra });
    await writeFiles(dirs.dataDir, {
      'alice/slots/consulat.json': JSON.stringify({
        version: 1,
        baselineDone: true,
        seen: {
          'c:1': entry(iso(1440)),
          'c:0': entry(iso(60), { lastAlerted: iso(-200) }),
          'c:past': entry(iso(-10)),
          'c:gone': entry(iso(2880), { lastSeen: iso(-60), goneSince: iso(-2) }),
        },
      }),
    });
    const alert = (alertId: string, kind: string, summary: string, createdAt: string, channel = 'discord') =>
      store.upsertAlert({
        alertId,
        instance: 'alice',
        kind,
        severity: 'info',
        channel,
        summary,
        createdAt,
        deliveredAt: createdAt,
        attempts: 1,
        lastError: null,
      });
    await alert('a1', 'slot.new', '1 new slot(s): consulat', iso(-120));
    await alert('a1', 'slot.new', '1 new slot(s): consulat', iso(-120), 'mail');
    await alert('a2', 'slot.new', '2 new slot(s): other-consulat', iso(-10));
    await alert('a3', 'sync.failed', 'run failed: consulat', iso(-5));
    const [w] = card(await build(), 'alice').watchers;
    expect(w).toMatchObject({ name: 'consulat', provider: 'clicrdv', timezone: 'Europe/Paris', slotCount: 2, checkedAt: iso(-2), lastAlertAt: iso(-120) });
    expect(w?.slots).toEqual([{ start: iso(60) }, { start: iso(1440) }]);

    // No alert in the store yet (not imported): the state file's own record of it.
    await store.close();
    store = await openStore({ dataDir: join(dirs.root, 'other') });
    expect(card(await build(), 'alice').watchers[0]?.lastAlertAt).toBe(iso(-200));
  });
});

describe('honestState', () => {
  const failed = {
    startedAt: '',
    finishedAt: '',
    durationMs: 1,
    outcome: 'failed',
    courses: 0,
    created: 0,
    updated: 0,
    deleted: 0,
    phase: 'login',
    error: 'MonCampus refused the password',
    adopted: 0,
    failed: 0,
  };
  const ok = { ...failed, outcome: 'success', phase: null, error: null };

  it('is running only when the worker runs and its runs work', () => {
    expect(honestState('running', { lastRun: ok, timetable: true })).toEqual({ state: 'running' });
    expect(honestState('running', { lastRun: failed, timetable: true })).toEqual({ state: 'failing', reason: 'login: MonCampus refused the password' });
    expect(honestState('running', { lastRun: ok, timetable: true, runRefused: { reason: 'a run of pid 7 holds the lock' } })).toEqual({
      state: 'failing',
      reason: 'runs refused: a run of pid 7 holds the lock',
    });
  });

  it('says never synced for a timetable never fetched, and leaves other states as decided', () => {
    expect(honestState('running', { lastRun: null, timetable: true })).toEqual({ state: 'never-synced' });
    expect(honestState('running', { lastRun: null, timetable: false })).toEqual({ state: 'running' });
    for (const s of ['stopped', 'crash-looping', 'invalid', 'missing', 'starting', 'unknown'] as const) {
      expect(honestState(s, { lastRun: failed, timetable: true })).toEqual({ state: s });
    }
    expect(honestState('failing', { lastRun: ok, timetable: true })).toEqual({ state: 'failing' });
  });
});

describe('alertViews', () => {
  const row = (over: Partial<AlertRow>): AlertRow => ({
    id: 1,
    alertId: 'a',
    instance: 'alice',
    kind: 'slot.new',
    severity: 'info',
    channel: 'discord',
    summary: 'one',
    createdAt: '2025-03-20T08:00:00.000Z',
    deliveredAt: null,
    attempts: 0,
    lastError: null,
    ...over,
  });
  it('is one view per alert, newest first, delivered only when every channel took it', () => {
    const views = alertViews([
      row({ alertId: 'a', channel: 'discord', deliveredAt: '2025-03-20T08:00:01.000Z' }),
      row({ alertId: 'a', channel: 'mail', deliveredAt: null, lastError: 'SMTP 421', attempts: 2 }),
      row({ alertId: 'b', summary: 'two', createdAt: '2025-03-20T09:00:00.000Z', deliveredAt: '2025-03-20T09:00:01.000Z' }),
      row({ alertId: 'c', summary: 'three', createdAt: '2025-03-20T07:00:00.000Z' }),
    ]);
    expect(views.map((v) => `${v.title}:${v.delivery}`)).toEqual(['two:delivered', 'one:failing', 'three:pending']);
  });
});
