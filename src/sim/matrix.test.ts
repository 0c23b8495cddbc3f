import { describe, expect, it } from 'vitest';
import { startMatrixSim } from './matrix.js';

describe('Matrix simulator', () => {
  it('login, join by alias, send once per transaction id, M_UNKNOWN_TOKEN and M_LIMIT_EXCEEDED', async () => {
    const sim = await startMatrixSim();
    try {
      sim.addUser('bot', 'pw');
      const roomId = sim.createRoom('#a:localhost');
      const api = `${sim.url}/_matrix/client/v3`;
      const call = (method: string, path: string, body: unknown, token?: string) =>
        fetch(`${api}${path}`, {
          method,
          body: JSON.stringify(body),
          headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        });
      expect((await call('POST', '/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bot' }, password: 'bad' })).status).toBe(403);
      const { access_token: token } = (await (
        await call('POST', '/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bot' }, password: 'pw' })
      ).json()) as { access_token: string };
      expect(await (await call('POST', `/join/${encodeURIComponent('#a:localhost')}`, {}, token)).json()).toEqual({ room_id: roomId });
      const path = `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`;
      const first = (await (await call('PUT', path, { msgtype: 'm.text', body: 'hi' }, token)).json()) as { event_id: string };
      const again = (await (await call('PUT', path, { msgtype: 'm.text', body: 'hi' }, token)).json()) as { event_id: string };
      expect(again.event_id).toBe(first.event_id);
      expect(sim.messages()).toHaveLength(1);
      expect(await (await call('PUT', path, {}, 'nope')).json()).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
      sim.rateLimitNext(1, 1500);
      expect(await (await call('PUT', path, {}, token)).json()).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1500 });
    } finally {
      await sim.close();
    }
  });
});
