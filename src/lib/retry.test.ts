import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from './retry.js';
import { RemoteError, TransientError } from './errors.js';
import { fakeClock } from './fake-clock.test-helper.js';

describe('withRetry', () => {
  it('retries retryable errors with growing, bounded waits, then succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new TransientError('busy', { status: 503 });
        return 'ok';
      },
      { sleep: async (ms) => void waits.push(ms), random: () => 1, baseDelayMs: 100 },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after the attempt budget with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new TransientError(`fail ${calls}`);
        },
        { attempts: 4, sleep: async () => {} },
      ),
    ).rejects.toThrow('fail 4');
    expect(calls).toBe(4);
  });

  it('does not retry an error that says retrying cannot help', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new RemoteError('bad request', { status: 400 });
        },
        { sleep: async () => {} },
      ),
    ).rejects.toBeInstanceOf(RemoteError);
    expect(calls).toBe(1);
  });
});

describe('withRetry on a clock', () => {
  it('takes its waits on the injected clock: the next attempt comes only when the clock reaches it', async () => {
    const clock = fakeClock();
    let calls = 0;
    const done = withRetry(
      async () => {
        calls++;
        if (calls < 2) throw new TransientError('busy', { status: 503 });
        return 'ok';
      },
      { clock, random: () => 1, baseDelayMs: 1_000 },
    );
    await clock.tickAsync(999);
    expect(calls).toBe(1);
    await clock.tickAsync(1);
    expect(await done).toBe('ok');
    expect(calls).toBe(2);
  });
});

describe('backoffDelay', () => {
  it('doubles, caps, and jitters within [delay/2, delay]', () => {
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(200);
  });
});

describe('retryRequest', () => {
  it('waits what the remote asked, backs a bare 429 off from a second, and says how many attempts it made', async () => {
    const { retryRequest } = await import('./retry.js');
    const waits: number[] = [];
    const answers = [new TransientError('slow down', { status: 429, retryAfterMs: 3_000 }), new TransientError('slow down', { status: 429 })];
    const value = await retryRequest(
      'GET /x',
      async () => {
        const next = answers.shift();
        if (next) throw next;
        return 'ok';
      },
      { retry: { sleep: async (ms) => void waits.push(ms), random: () => 1, baseDelayMs: 100 } },
    );
    expect(value).toBe('ok');
    expect(waits).toEqual([3_000, 2_000]);
    await expect(
      retryRequest('GET /y', async () => Promise.reject(new TransientError('down', { status: 503 })), { retry: { attempts: 3, sleep: async () => {} } }),
    ).rejects.toThrow('down (gave up after 3 attempts)');
  });
});
