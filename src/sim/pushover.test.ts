import { describe, expect, it } from 'vitest';
import { startPushoverSim } from './pushover.js';

describe('Pushover simulator', () => {
  it('accepts a registered token and user, refuses unknown ones, long messages and an emergency without retry/expire; 429 on a spent quota', async () => {
    const sim = await startPushoverSim();
    try {
      sim.register('t'.repeat(30), 'u'.repeat(30));
      const send = (body: Record<string, unknown>) =>
        fetch(`${sim.url}/1/messages.json`, {
          method: 'POST',
          body: JSON.stringify({ token: 't'.repeat(30), user: 'u'.repeat(30), ...body }),
          headers: { 'Content-Type': 'application/json' },
        });
      expect(await (await send({ message: 'hi' })).json()).toMatchObject({ status: 1 });
      expect(await (await send({ message: 'hi', user: 'x' })).json()).toMatchObject({ status: 0, errors: [expect.stringMatching(/user identifier/)] });
      expect((await send({ message: 'x'.repeat(1025) })).status).toBe(400);
      expect((await send({ message: 'hi', priority: 2 })).status).toBe(400);
      sim.quotaSpentNext(1);
      expect((await send({ message: 'hi' })).status).toBe(429);
      expect(sim.messages()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});
