import { describe, expect, it } from 'vitest';

import { createCrashTracker, CRASH_TRANSITIONS } from './backoff.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const T0 = '2025-03-01T10:00:00.000Z';
const setup = (opts: Parameters<typeof createCrashTracker>[0] = {}) => {
  const clock = fakeClock(T0);
  return { clock, tracker: createCrashTracker({ clock, ...opts }) };
};

describe('the crash tracker', () => {
  it('doubles the delay per quick crash, capped', () => {
    const { clock, tracker } = setup({ baseDelayMs: 1_000, maxDelayMs: 5_000, crashLoopAfter: 10 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      tracker.onStarted('alice', clock.now());
      clock.advance(500);
      const d = tracker.onExit('alice', clock.now());
      expect(d.restartAt.getTime() - clock.now().getTime()).toBe(d.delayMs);
      delays.push(d.delayMs);
      clock.advance(d.delayMs);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('reports a crash loop exactly once per episode, when the count reaches crashLoopAfter', () => {
    const { clock, tracker } = setup({ crashLoopAfter: 3 });
    const seen = [];
    for (let i = 0; i < 5; i++) {
      tracker.onStarted('alice', clock.now());
      clock.advance(1_000);
      const d = tracker.onExit('alice', clock.now());
      seen.push([d.consecutive, d.crashLooping, d.reportNow, tracker.state('alice')]);
    }
    expect(seen).toEqual([
      [1, false, false, 'backing-off'],
      [2, false, false, 'backing-off'],
      [3, true, true, 'crash-looping'],
      [4, true, false, 'crash-looping'],
      [5, true, false, 'crash-looping'],
    ]);
    // Still crash-looping while it runs again, until it has run long enough.
    tracker.onStarted('alice', clock.now());
    expect(tracker.state('alice')).toBe('crash-looping');
    clock.advance(60_000);
    expect(tracker.state('alice')).toBe('ok');
    expect(tracker.consecutive('alice')).toBe(0);
    // A new episode is reported again.
    const again = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(100);
      again.push(tracker.onExit('alice', clock.now()).reportNow);
      tracker.onStarted('alice', clock.now());
    }
    expect(again).toEqual([false, false, true]);
  });

  it('a worker that ran longer than resetAfterMs starts the count again', () => {
    const { clock, tracker } = setup({ baseDelayMs: 1_000, resetAfterMs: 60_000 });
    tracker.onStarted('alice', clock.now());
    clock.advance(10);
    expect(tracker.onExit('alice', clock.now()).delayMs).toBe(1_000);
    tracker.onStarted('alice', clock.now());
    clock.advance(10);
    expect(tracker.onExit('alice', clock.now()).delayMs).toBe(2_000);
    tracker.onStarted('alice', clock.now());
    clock.advance(60_000);
    const d = tracker.onExit('alice', clock.now());
    expect([d.delayMs, d.consecutive, d.crashLooping]).toEqual([1_000, 1, false]);
  });

  it('onHealthy ends an episode; forget drops everything; names are independent', () => {
    const { clock, tracker } = setup({ crashLoopAfter: 2 });
    tracker.onExit('alice', clock.now());
    tracker.onExit('alice', clock.now());
    tracker.onExit('bob', clock.now());
    expect([tracker.state('alice'), tracker.state('bob'), tracker.state('carol')]).toEqual(['crash-looping', 'backing-off', 'ok']);
    tracker.onHealthy('alice');
    expect(tracker.state('alice')).toBe('ok');
    expect(tracker.onExit('alice', clock.now()).consecutive).toBe(1);
    tracker.forget('bob');
    expect(tracker.state('bob')).toBe('ok');
    expect(tracker.onExit('bob', clock.now()).delayMs).toBe(1_000);
  });

  it('starting after a backoff is ok again; the state table allows every move the tracker makes', () => {
    const { clock, tracker } = setup();
    tracker.onExit('alice', clock.now());
    expect(tracker.state('alice')).toBe('backing-off');
    tracker.onStarted('alice', clock.now());
    expect(tracker.state('alice')).toBe('ok');
    for (const [from, moves] of Object.entries(CRASH_TRANSITIONS)) expect(Object.keys(moves).length, from).toBeGreaterThan(0);
  });

  it('the state table allows only real moves: a crash loop is left by a long run or a health check, never by one more death', () => {
    expect(CRASH_TRANSITIONS['crash-looping'].exit).toBeUndefined();
    expect(CRASH_TRANSITIONS['backing-off']['ran-long']).toBeUndefined();
    expect(CRASH_TRANSITIONS['crash-looping'].started).toBe('crash-looping');
    // Every state the table names can be reached and left.
    const targets = new Set(Object.values(CRASH_TRANSITIONS).flatMap((m) => Object.values(m)));
    expect([...targets].sort()).toEqual(Object.keys(CRASH_TRANSITIONS).sort());
  });

  it('walks the table through a whole episode: backing off, crash-looping, still looping on restart, ok after a long run', () => {
    const { clock, tracker } = setup();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      tracker.onExit('alice', clock.now());
      seen.push(tracker.state('alice'));
      tracker.onStarted('alice', clock.now());
      seen.push(tracker.state('alice'));
    }
    expect(seen).toEqual(['backing-off', 'ok', 'backing-off', 'ok', 'crash-looping', 'crash-looping', 'crash-looping', 'crash-looping']);
    clock.advance(60_000);
    expect(tracker.state('alice')).toBe('ok');
    expect(tracker.onExit('alice', clock.now()).consecutive).toBe(1);
  });
});
