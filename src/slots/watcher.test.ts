import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { slotWatcherSchema } from '../config/index.js';
import type { Slot, SlotProvider } from './slot.js';
import { createSlotWatcher, diffSlots, emptySeenState, type SeenState } from './watcher.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const HOUR = 3_600_000;
const REALERT = 24 * HOUR;
const slot = (start: string, id = `t:${start}`): Slot => ({ id, start, label: start });
const A = slot('2026-03-10T09:00:00+01:00');
const B = slot('2026-03-11T09:00:00+01:00');
const C = slot('2026-03-12T09:00:00+01:00');
const T0 = new Date('2026-03-03T08:00:00Z');
const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR);

/** Runs checks in sequence, each time feeding the previous state. */
function run(steps: { at: Date; slots: Slot[] }[]): { fresh: string[][]; state: SeenState } {
  let state = emptySeenState();
  const fresh: string[][] = [];
  for (const step of steps) {
    const out = diffSlots(state, step.slots, step.at, REALERT);
    fresh.push(out.fresh.map((s) => s.start));
    state = out.next;
  }
  return { fresh, state };
}

describe('diffSlots', () => {
  it('records a baseline without alerting', () => {
    const { next, fresh } = diffSlots(emptySeenState(), [A, B], T0, REALERT);
    expect(fresh).toEqual([]);
    expect(next.baselineDone).toBe(true);
    expect(Object.keys(next.seen).sort()).toEqual([A.id, B.id]);
    expect(next.seen[A.id]).toEqual({ start: A.start, firstSeen: T0.toISOString(), lastSeen: T0.toISOString() });
  });

  it('alerts exactly the new slot, once', () => {
    const { fresh, state } = run([
      { at: at(0), slots: [A] },
      { at: at(1), slots: [A, B] },
      { at: at(2), slots: [A, B] },
    ]);
    expect(fresh).toEqual([[], [B.start], []]);
    expect(state.seen[B.id]?.lastAlerted).toBe(at(1).toISOString());
  });

  it('alerts a slot that comes back more than realertAfter after it was last seen', () => {
    const { fresh } = run([
      { at: at(0), slots: [A, B] },
      { at: at(1), slots: [B] },
      { at: at(25.5), slots: [A, B] },
    ]);
    expect(fresh).toEqual([[], [], [A.start]]);
  });

  it('does not alert a slot back after a brief gap', () => {
    const { fresh, state } = run([
      { at: at(0), slots: [A] },
      { at: at(1), slots: [] },
      { at: at(3), slots: [A] },
    ]);
    expect(fresh).toEqual([[], [], []]);
    expect(state.seen[A.id]?.goneSince).toBeUndefined();
  });

  it('keeps an absent slot with its lastSeen so the rule above works', () => {
    const { state } = run([
      { at: at(0), slots: [A] },
      { at: at(1), slots: [] },
      { at: at(2), slots: [] },
    ]);
    expect(state.seen[A.id]).toMatchObject({ lastSeen: at(0).toISOString(), goneSince: at(1).toISOString() });
  });

  it('does not take a long pause between checks for a disappearance', () => {
    // No check saw A gone: the watcher was simply not running.
    const { fresh } = run([
      { at: at(0), slots: [A] },
      { at: at(72), slots: [A] },
    ]);
    expect(fresh).toEqual([[], []]);
  });

  it('prunes slots whose start has passed and never alerts a past slot', () => {
    const past = slot('2026-03-03T10:00:00+01:00');
    const { fresh, state } = run([
      { at: at(0), slots: [past, A] },
      { at: at(2), slots: [A, slot('2026-03-03T07:00:00Z')] },
    ]);
    expect(fresh).toEqual([[], []]);
    expect(Object.keys(state.seen)).toEqual([A.id]);
  });

  it('alerts everything new after an empty baseline, sorted', () => {
    const { fresh } = run([
      { at: at(0), slots: [] },
      { at: at(1), slots: [C, A] },
    ]);
    expect(fresh).toEqual([[], [A.start, C.start]]);
  });
});

/** A provider whose answer the test sets. */
function scripted(initial: Slot[]): SlotProvider & { set(s: Slot[]): void; calls: number } {
  let current = initial;
  const p = {
    calls: 0,
    set: (s: Slot[]) => void (current = s),
    check: async () => {
      p.calls++;
      return { slots: current, requests: 1 };
    },
  };
  return p;
}

const config = slotWatcherSchema.parse({
  name: 'consulat',
  provider: 'clicrdv',
  url: 'https://www.clicrdv.com/api/v2/availabletimeslots?from={date}&apikey=abcd',
});

describe('createSlotWatcher', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slots-watcher-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('baselines, alerts new slots, survives a restart and alerts again what was never committed', async () => {
    const stateFile = join(dir, 'a', 'slots', 'consulat.json');
    const clock = fakeClock(T0);
    const provider = scripted([A]);
    const watcher = createSlotWatcher({ config, stateFile, provider, clock });

    const first = await watcher.check();
    expect(first).toMatchObject({ fresh: [], all: [A], baseline: true, requests: 1 });
    // Nothing to alert: written without waiting for the caller.
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as SeenState;
    expect(saved.baselineDone).toBe(true);

    clock.advance(HOUR);
    provider.set([A, B]);
    const second = await watcher.check();
    expect(second.fresh).toEqual([B]);
    expect(second.baseline).toBe(false);
    await second.commit();

    clock.advance(HOUR);
    expect((await watcher.check()).fresh).toEqual([]);

    // Restart: a new watcher reads the file.
    const restarted = createSlotWatcher({ config, stateFile, provider, clock });
    expect((await restarted.check()).fresh).toEqual([]);

    // C is found, but the process dies before the alert is queued: no commit.
    clock.advance(HOUR);
    provider.set([A, B, C]);
    expect((await restarted.check()).fresh).toEqual([C]);
    const afterCrash = createSlotWatcher({ config, stateFile, provider, clock });
    const again = await afterCrash.check();
    expect(again.fresh).toEqual([C]);
    // The same process, too, alerts it again until it is committed.
    expect((await afterCrash.check()).fresh).toEqual([C]);
    await again.commit();
    await again.commit();
    expect((await afterCrash.check()).fresh).toEqual([]);
  });

  it('does not let a late commit of an older check overwrite a newer one', async () => {
    const stateFile = join(dir, 'stale.json');
    const clock = fakeClock(T0);
    const provider = scripted([]);
    const watcher = createSlotWatcher({ config, stateFile, provider, clock });
    await watcher.check();
    provider.set([A]);
    const older = await watcher.check();
    provider.set([A, B]);
    const newer = await watcher.check();
    expect(newer.fresh).toEqual([A, B]);
    await newer.commit();
    await older.commit();
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as SeenState;
    expect(Object.keys(saved.seen).sort()).toEqual([A.id, B.id]);
    expect((await createSlotWatcher({ config, stateFile, provider, clock }).check()).fresh).toEqual([]);
  });

  it('peeks without writing state', async () => {
    const stateFile = join(dir, 'peek.json');
    const watcher = createSlotWatcher({ config, stateFile, provider: scripted([B, A]), clock: fakeClock(T0) });
    expect(await watcher.peek()).toEqual({ all: [A, B], requests: 1 });
    await expect(stat(stateFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('alerts only slots that pass the filter, judged in the watcher zone', async () => {
    const stateFile = join(dir, 'filter.json');
    const filtered = slotWatcherSchema.parse({ ...config, filter: { weekdays: ['wed'] }, timezone: 'Europe/Paris' });
    const provider = scripted([]);
    const clock = fakeClock(T0);
    const watcher = createSlotWatcher({ config: filtered, stateFile, provider, clock });
    await watcher.check();
    provider.set([A, B, C]);
    const out = await watcher.check();
    expect(out.fresh).toEqual([B]);
    expect(out.all).toEqual([B]);
  });

  it('starts a new baseline over an unreadable state file instead of failing or alerting everything', async () => {
    const stateFile = join(dir, 'corrupt.json');
    await writeFile(stateFile, '{"version": 1, "seen": ');
    const watcher = createSlotWatcher({ config, stateFile, provider: scripted([A]), clock: fakeClock(T0) });
    expect(await watcher.check()).toMatchObject({ fresh: [], baseline: true });
    expect((JSON.parse(await readFile(stateFile, 'utf8')) as SeenState).baselineDone).toBe(true);
  });

  it('re-alerts after realertAfter from the config', async () => {
    const stateFile = join(dir, 'realert.json');
    const short = slotWatcherSchema.parse({ ...config, realertAfter: '30m' });
    const provider = scripted([A]);
    const clock = fakeClock(T0);
    const watcher = createSlotWatcher({ config: short, stateFile, provider, clock });
    await watcher.check();
    clock.advance(10 * 60_000);
    provider.set([]);
    await watcher.check();
    clock.advance(40 * 60_000);
    provider.set([A]);
    const back = await watcher.check();
    expect(back.fresh).toEqual([A]);
    await back.commit();
  });
});

describe('createSlotWatcher with its own provider', () => {
  let server: Server;
  let base = '';
  let answer: unknown = { status: 'success', data: {} };
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('builds the provider from the config and uses the caller zone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slots-own-'));
    try {
      const cal = slotWatcherSchema.parse({ name: 'appel', provider: 'calcom', eventTypeId: 9, url: base });
      const clock = fakeClock(T0);
      const watcher = createSlotWatcher({ config: cal, stateFile: join(dir, 'appel.json'), clock, timezone: 'America/Montreal' });
      await watcher.check();
      answer = { status: 'success', data: { '2026-03-04': [{ start: '2026-03-04T15:00:00.000Z' }] } };
      const out = await watcher.check();
      expect(out.fresh).toEqual([{ id: 'calcom:9:2026-03-04T15:00:00Z', start: '2026-03-04T10:00:00-05:00', label: 'mer. 4 mars 10:00' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
