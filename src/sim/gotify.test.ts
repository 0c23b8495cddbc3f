import { describe, expect, it } from 'vitest';
import { startGotifySim } from './gotify.js';

describe('Gotify simulator', () => {
  it('accepts a message with a known app token (header or ?token=), 401 otherwise, 400 without a message', async () => {
    const sim = await startGotifySim();
    try {
      const token = sim.createApp();
      const send = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
      expect((await send('/message', { message: 'a', priority: 5 }, { 'X-Gotify-Key': token })).status).toBe(200);
      expect((await send(`/message?token=${token}`, { message: 'b' })).status).toBe(200);
      expect(await (await send('/message', { message: 'c' }, { 'X-Gotify-Key': 'nope' })).json()).toMatchObject({ errorCode: 401 });
      expect((await send('/message', { title: 't' }, { 'X-Gotify-Key': token })).status).toBe(400);
      expect(sim.messages().map((m) => m.message)).toEqual(['a', 'b']);
    } finally {
      await sim.close();
    }
  });
});
