import { describe, expect, it } from 'vitest';
import { startNtfySim } from './ntfy.js';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });

describe('ntfy simulator', () => {
  it('stores a JSON publish, refuses a protected topic without credentials, answers 429 as ntfy.sh does', async () => {
    const sim = await startNtfySim({ protected: { secret: { token: 'tk_abc' } } });
    try {
      expect((await post(sim.url, { topic: 'open', message: 'hi', priority: 4 })).status).toBe(200);
      expect(sim.messages()).toEqual([{ topic: 'open', message: 'hi', priority: 4 }]);
      expect(await (await post(sim.url, { topic: 'secret', message: 'x' })).json()).toMatchObject({ http: 401, error: 'unauthorized' });
      expect((await post(sim.url, { topic: 'secret', message: 'x' }, { Authorization: 'Bearer tk_abc' })).status).toBe(200);
      expect((await post(sim.url, { topic: 'bad topic!', message: 'x' })).status).toBe(400);
      sim.rateLimitNext(1);
      expect(await (await post(sim.url, { topic: 'open', message: 'x' })).json()).toMatchObject({ code: 42901, http: 429 });
    } finally {
      await sim.close();
    }
  });
});
