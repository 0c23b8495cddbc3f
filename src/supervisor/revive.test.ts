import { describe, expect, it } from 'vitest';

import { captureLogger } from './capture-logger.test-helper.js';
import type { ActualWorker } from './interface.js';
import { createReviver, decideRevival, describeExit } from './revive.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const exited = (over: Partial<ActualWorker> = {}): ActualWorker => ({
  name: 'alice',
  id: 'c1',
  configHash: 'h',
  state: 'exited',
  restartCount: 0,
  exitCode: 137,
  startedAt: '2026-03-01T10:00:00.000Z',
  finishedAt: '2026-03-01T10:00:05.000Z',
  ...over,
});

describe('decideRevival', () => {
  it('starts again a worker killed by hand, by the kernel, or crashed, and says how it died', () => {
    expect(decideRevival({ worker: exited(), wanted: true, stoppedOnPurpose: false })).toEqual({ revive: true, reason: 'killed by SIGKILL (exit code 137)' });
    expect(decideRevival({ worker: exited({ oomKilled: true }), wanted: true, stoppedOnPurpose: false })).toEqual({
      revive: true,
      reason: 'killed by the kernel: out of memory (exit code 137)',
    });
    expect(decideRevival({ worker: exited({ exitCode: 1, state: 'dead' }), wanted: true, stoppedOnPurpose: false })).toEqual({
      revive: true,
      reason: 'exited with code 1',
    });
    expect(decideRevival({ worker: exited({ exitCode: 143 }), wanted: true, stoppedOnPurpose: false }).reason).toBe('killed by SIGTERM (exit code 143)');
  });

  it('leaves a worker stopped on purpose, one that exited cleanly, one not wanted, and one that is not down', () => {
    const leave = (input: Parameters<typeof decideRevival>[0]): string => {
      const d = decideRevival(input);
      expect(d.revive).toBe(false);
      return d.reason;
    };
    // campus-sync stop / down marks it: even a stop that ran over the grace period (137) stays stopped.
    expect(leave({ worker: exited(), wanted: true, stoppedOnPurpose: true })).toMatch(/stopped on purpose/);
    // docker stop by hand: SIGTERM, the worker finishes its run and exits 0.
    expect(leave({ worker: exited({ exitCode: 0 }), wanted: true, stoppedOnPurpose: false })).toMatch(/exited cleanly/);
    expect(leave({ worker: exited(), wanted: false, stoppedOnPurpose: false })).toMatch(/config is gone or invalid/);
    for (const state of ['running', 'restarting', 'created', 'paused'] as const) {
      expect(leave({ worker: exited({ state }), wanted: true, stoppedOnPurpose: false })).toBe(`it is ${state}`);
    }
  });

  it('describes an exit without a code', () => {
    expect(describeExit({})).toBe('stopped (exit code unknown)');
    expect(describeExit({ exitCode: 2 })).toBe('exited with code 2');
  });
});

/** A runtime of one container whose state the test sets, and timers the test fires. */
function harness() {
  const clock = fakeClock('2026-03-01T10:00:10.000Z');
  let worker: ActualWorker = exited();
  const starts: string[] = [];
  let startFails = false;
  const marked = new Set<string>();
  const timers: { at: number; fn: () => void }[] = [];
  const errors: string[] = [];
  const captured = captureLogger();
  const reviver = createReviver({
    runtime: {
      list: async () => [worker],
      start: async (name) => {
        if (startFails) throw new Error('bind source path does not exist');
        starts.push(name);
        const at = clock.now().toISOString();
        worker = { ...worker, state: 'running', startedAt: at, finishedAt: worker.finishedAt };
      },
    },
    logger: captured.logger,
    clock,
    stoppedOnPurpose: async (name) => marked.has(name),
    recordError: async (_name, line) => void errors.push(line),
    later: (ms, fn) => void timers.push({ at: clock.now().getTime() + ms, fn }),
  });
  /** Fires the due timers, letting their async work finish. */
  const fireDue = async (): Promise<void> => {
    const due = timers.filter((t) => t.at <= clock.now().getTime());
    for (const t of due) timers.splice(timers.indexOf(t), 1);
    for (const t of due) t.fn();
    await new Promise((r) => setImmediate(r));
  };
  const die = (over: Partial<ActualWorker> = {}): void => {
    worker = { ...worker, state: 'exited', exitCode: 137, finishedAt: clock.now().toISOString(), ...over };
  };
  return {
    clock,
    starts,
    marked,
    timers,
    errors,
    lines: captured.lines,
    reviver,
    fireDue,
    die,
    get worker() {
      return worker;
    },
    failStarts: (v: boolean) => (startFails = v),
  };
}

describe('createReviver', () => {
  const wanted = new Set(['alice']);

  it('starts a killed worker again after the backoff, once per death, logging the reason and the exit code', async () => {
    const h = harness();
    await h.reviver.check([h.worker], wanted);
    await h.reviver.check([h.worker], wanted); // the next heartbeat sees the same death: nothing more
    expect(h.timers).toHaveLength(1);
    const warn = h.lines.find((l) => l.level === 'warn')!;
    expect(warn.message).toMatch(
      /^alice stopped on its own: killed by SIGKILL \(exit code 137\); Docker will not restart it, the supervisor starts it again in/,
    );
    expect(warn.meta).toMatchObject({ instance: 'alice', exitCode: 137 });
    await h.fireDue();
    expect(h.starts).toEqual(['alice']);
    expect(h.lines.some((l) => l.level === 'info' && /alice started again/.test(l.message))).toBe(true);
  });

  it('does not start a worker that someone stopped, or started, before its delay ran out', async () => {
    const h = harness();
    h.die({ finishedAt: h.clock.now().toISOString() });
    await h.reviver.check([h.worker], wanted);
    h.marked.add('alice'); // campus-sync stop during the delay
    h.clock.advance(60_000);
    await h.fireDue();
    expect(h.starts).toEqual([]);
  });

  it('backs off: quick deaths double the delay up to the cap, the third is reported once as a crash loop (log and errors.log)', async () => {
    const h = harness();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      h.die();
      await h.reviver.check([h.worker], wanted);
      const t = h.timers.at(-1)!;
      delays.push(t.at - h.clock.now().getTime());
      h.clock.set(new Date(t.at));
      await h.fireDue();
      h.clock.advance(2_000); // ran 2 s, then died again
    }
    expect(delays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...delays)).toBe(5 * 60_000);
    expect(delays.at(-1)).toBe(5 * 60_000);
    expect(h.starts).toHaveLength(12);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toMatch(/^alice is crash-looping: died 3 times in a row within 60 s of starting \(last: killed by SIGKILL \(exit code 137\)\)/);
    expect(h.lines.filter((l) => l.level === 'error' && /crash-looping/.test(l.message))).toHaveLength(1);
  });

  it('a worker that ran a long time before dying starts a new count (a kill a day is not a loop)', async () => {
    const h = harness();
    for (let i = 0; i < 4; i++) {
      h.clock.advance(24 * 3600_000); // ran a day
      h.die();
      await h.reviver.check([h.worker], wanted);
      const t = h.timers.at(-1)!;
      expect(t.at - h.clock.now().getTime()).toBe(1_000);
      h.clock.set(new Date(t.at));
      await h.fireDue();
    }
    expect(h.errors).toEqual([]);
  });

  it('a start that fails is tried again with a doubling delay, not every beat', async () => {
    const h = harness();
    h.failStarts(true);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await h.reviver.check([h.worker], wanted);
      const t = h.timers.at(-1)!;
      delays.push(t.at - h.clock.now().getTime());
      h.clock.set(new Date(t.at));
      await h.fireDue();
    }
    // The death was seen 5 s after it happened, past its 1 s delay: the first try is at once.
    expect(delays).toEqual([0, 2_000, 4_000, 8_000]);
    expect(h.lines.filter((l) => l.level === 'error' && /could not be started again: bind source path/.test(l.message))).toHaveLength(4);
    h.failStarts(false);
    await h.reviver.check([h.worker], wanted);
    h.clock.advance(16_000);
    await h.fireDue();
    expect(h.starts).toEqual(['alice']);
  });

  it('leaves alone what is not its business: clean exits, unwanted configs', async () => {
    const h = harness();
    h.die({ exitCode: 0 });
    await h.reviver.check([h.worker], wanted);
    h.die();
    await h.reviver.check([h.worker], new Set());
    expect(h.timers).toEqual([]);
    expect(h.lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });
});
