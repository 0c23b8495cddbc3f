import { expect } from 'vitest';
import type { FakeClock } from '../lib/fake-clock.test-helper.js';

/**
 * Sends `request` to a simulator started with `clock` and checks that it holds the answer for exactly `ms` of
 * that clock's time (its `latencyMs`): once the simulator has started its wait, the clock moves to a millisecond
 * before the end and the wait is still pending with no answer, then one more millisecond releases it. Time
 * never passes for real, so the check neither sleeps nor depends on how busy the machine is.
 */
export async function expectAnswerAfter<T>(clock: FakeClock, ms: number, request: () => Promise<T>): Promise<T> {
  let answered = false;
  const reply = request().then((r) => {
    answered = true;
    return r;
  });
  await clock.whenPending();
  await clock.tickAsync(ms - 1);
  expect(clock.pendingTimers()).toBe(1);
  expect(answered).toBe(false);
  await clock.tickAsync(1);
  expect(clock.pendingTimers()).toBe(0);
  return reply;
}
