import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { fakeClock } from './fake-clock.test-helper.js';

describe('fakeClock', () => {
  it('moves only when told, and hands out copies', () => {
    const clock = fakeClock('2025-03-30T00:59:00Z');
    const a = clock.now();
    a.setFullYear(1999);
    expect(clock.now().toISOString()).toBe('2025-03-30T00:59:00.000Z');
    clock.advance(60_000);
    expect(clock.now().toISOString()).toBe('2025-03-30T01:00:00.000Z');
    clock.set('2026-01-01T00:00:00Z');
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });

  it('whenPending resolves once a wait has started; autoAdvance fires each timer as it comes, time jumping to it', async () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    let started = false;
    const pending = clock.whenPending().then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(false);
    const slept = clock.sleep(90_000);
    await pending;
    expect(started).toBe(true);
    clock.autoAdvance();
    await slept;
    await clock.sleep(30_000);
    clock.autoAdvance(false);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:02:00.000Z');
    clock.setTimeout(() => undefined, 1_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pendingTimers()).toBe(1);
  });

  it('fires timers in order as time moves, and not before', () => {
    const clock = fakeClock('2026-01-01T00:00:00Z');
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 2_000);
    clock.setTimeout(() => fired.push('a'), 1_000);
    const cancelled = clock.setTimeout(() => fired.push('never'), 1_500);
    clock.clearTimeout(cancelled);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1_001);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('repeats intervals until cleared', () => {
    const clock = fakeClock();
    let ticks = 0;
    const handle = clock.setInterval(() => ticks++, 100);
    clock.advance(350);
    expect(ticks).toBe(3);
    clock.clearInterval(handle);
    clock.advance(1_000);
    expect(ticks).toBe(3);
  });

  it('lets async code between timers settle with tickAsync', async () => {
    const clock = fakeClock();
    const steps: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(1_000);
        steps.push(clock.now().getTime());
      }
    })();
    await clock.tickAsync(3_000);
    await loop;
    expect(steps.map((t) => t - steps[0]!)).toEqual([0, 1_000, 2_000]);
  });

  it('ends a sleep at once when its signal aborts, and leaves no timer behind', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const slept = clock.sleep(60_000, controller.signal);
    expect(clock.pendingTimers()).toBe(1);
    controller.abort();
    await slept;
    expect(clock.pendingTimers()).toBe(0);
    await clock.sleep(5, controller.signal);
  });

  it('nextAsync says false when nothing waits', async () => {
    const clock = fakeClock();
    expect(await clock.nextAsync()).toBe(false);
    let fired = false;
    clock.setTimeout(() => (fired = true), 10_000);
    expect(await clock.nextAsync()).toBe(true);
    expect(fired).toBe(true);
  });
});

describe('systemClock', () => {
  it('sleeps on the real timers and stops early on abort', async () => {
    const controller = new AbortController();
    const slept = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
