import { describe, expect, it } from 'vitest';
import { startTelegramSim } from './telegram.js';

describe('Telegram simulator', () => {
  it('sendMessage: ok, Unauthorized, chat not found, message is too long, 429 with parameters.retry_after', async () => {
    const sim = await startTelegramSim();
    try {
      const token = sim.createBot(['42']);
      const send = (t: string, body: unknown) =>
        fetch(`${sim.url}/bot${t}/sendMessage`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      expect(await (await send(token, { chat_id: 42, text: 'hi' })).json()).toMatchObject({ ok: true });
      expect(await (await send('1:bad', { chat_id: 42, text: 'hi' })).json()).toMatchObject({ ok: false, error_code: 401 });
      expect(await (await send(token, { chat_id: 7, text: 'hi' })).json()).toMatchObject({ description: 'Bad Request: chat not found' });
      expect(await (await send(token, { chat_id: 42, text: 'x'.repeat(4097) })).json()).toMatchObject({ description: 'Bad Request: message is too long' });
      sim.rateLimitNext(1, 9);
      expect(await (await send(token, { chat_id: 42, text: 'hi' })).json()).toMatchObject({ error_code: 429, parameters: { retry_after: 9 } });
      expect(sim.messages()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});
