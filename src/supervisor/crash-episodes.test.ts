import { describe, expect, it } from 'vitest';
import { createCrashEpisodes } from './crash-episodes.js';
import type { ActualWorker } from './interface.js';

const w = (restartCount: number, state: ActualWorker['state'] = 'restarting', name = 'dora'): ActualWorker => ({
  name,
  id: 'c1',
  configHash: 'h',
  state,
  restartCount,
  exitCode: 3,
});

describe('crash episodes', () => {
  it('says a crash loop once per episode, with the restarts of the episode', () => {
    const e = createCrashEpisodes({ loopAfter: 3, resetMs: 1_000 });
    expect(e.observe([w(0, 'running')], 0)).toEqual([]);
    expect(e.observe([w(1)], 10)).toEqual([]);
    expect(e.observe([w(2)], 20)).toEqual([]);
    expect(e.observe([w(3)], 30)).toEqual([{ name: 'dora', restarts: 3, exitCode: 3 }]);
    expect(e.observe([w(4)], 40)).toEqual([]);
    expect(e.observe([w(7)], 50)).toEqual([]);
  });

  it('ends an episode after a whole reset period running without a restart; a new loop is said again', () => {
    const e = createCrashEpisodes({ loopAfter: 2, resetMs: 1_000 });
    e.observe([w(0, 'running')], 0);
    expect(e.observe([w(2)], 10)).toHaveLength(1);
    // Still restarting at the same count: not out of the loop, however long.
    expect(e.observe([w(2, 'restarting')], 5_000)).toEqual([]);
    expect(e.observe([w(2, 'running')], 5_500)).toEqual([]);
    expect(e.observe([w(2, 'running')], 7_000)).toEqual([]);
    expect(e.observe([w(4)], 7_100)).toEqual([{ name: 'dora', restarts: 2, exitCode: 3 }]);
  });

  it('a recreated worker counts from zero; a worker gone is forgotten', () => {
    const e = createCrashEpisodes({ loopAfter: 2 });
    e.observe([w(5, 'running')], 0);
    expect(e.observe([w(0, 'running')], 10)).toEqual([]);
    expect(e.observe([w(2)], 20)).toEqual([{ name: 'dora', restarts: 2, exitCode: 3 }]);
    e.observe([], 30);
    // Seen again after being gone: its count is the baseline, nothing to say.
    expect(e.observe([w(9)], 40)).toEqual([]);
  });

  it('says the exit code of the last crash seen when the listing catches the worker just started again', () => {
    const e = createCrashEpisodes({ loopAfter: 3 });
    const running = (restartCount: number): ActualWorker => ({ ...w(restartCount, 'running'), exitCode: undefined });
    e.observe([running(0)], 0);
    expect(e.observe([w(1)], 10)).toEqual([]);
    expect(e.observe([running(2)], 20)).toEqual([]);
    expect(e.observe([running(3)], 30)).toEqual([{ name: 'dora', restarts: 3, exitCode: 3 }]);
    // A recreated worker's episode does not inherit the old container's code.
    e.observe([running(0)], 40);
    expect(e.observe([running(3)], 50)).toEqual([{ name: 'dora', restarts: 3, exitCode: undefined }]);
  });
});
