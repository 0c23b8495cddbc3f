import { describe, expect, it } from 'vitest';
import { startWebhookReceiverSim } from './webhook-receiver.js';

describe('webhook receiver simulator', () => {
  it('answers 401 without the required header, reads JSON and forms, and 429 with Retry-After on demand', async () => {
    const sim = await startWebhookReceiverSim({ requiredHeaders: { 'x-token': 'abc' } });
    try {
      expect((await fetch(`${sim.url}/in`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(401);
      expect(
        (await fetch(`${sim.url}/in?q=1`, { method: 'POST', body: '{"a":1}', headers: { 'Content-Type': 'application/json', 'X-Token': 'abc' } })).status,
      ).toBe(200);
      expect(
        (await fetch(`${sim.url}/f`, { method: 'POST', body: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Token': 'abc' } }))
          .status,
      ).toBe(200);
      expect(sim.messages().map((m) => [m.path, m.query, m.body])).toEqual([
        ['/in', { q: '1' }, { a: 1 }],
        ['/f', {}, { a: '1', b: '2' }],
      ]);
      sim.rateLimitNext(1, 4);
      const limited = await fetch(`${sim.url}/in`, { method: 'POST', headers: { 'X-Token': 'abc' } });
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '4']);
    } finally {
      await sim.close();
    }
  });
});
