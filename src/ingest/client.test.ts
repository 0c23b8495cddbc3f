import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, RemoteError, TransientError, systemClock, type Clock } from '../lib/index.js';
import { startDiscordSim, type DiscordSim } from '../sim/discord.js';
import { createDiscordReader, DISCORD_USER_AGENT } from './client.js';

const TOKEN = 'ingest-test-token-0123456789';

describe('createDiscordReader against the Discord simulator', () => {
  let sim: DiscordSim;
  const sleeps: number[] = [];
  const reader = (token = TOKEN) => createDiscordReader({ token, apiUrl: sim.url, retry: { attempts: 3, sleep: async (ms) => void sleeps.push(ms) } });
  beforeAll(async () => {
    sim = await startDiscordSim({ botToken: TOKEN });
  });
  afterAll(() => sim.close());

  it('sends the Bot token, the DiscordBot agent and the paging parameters; returns the page newest first', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 5);
    sim.resetLog();
    const page = (await reader().listMessages(ch, { before: seeded[4]!.id, limit: 3 })) as Array<{ id: string }>;
    expect(page.map((m) => m.id)).toEqual([seeded[3]!.id, seeded[2]!.id, seeded[1]!.id]);
    const req = sim.requests[0]!;
    expect(req).toMatchObject({ method: 'GET', path: `/api/v10/channels/${ch}/messages`, query: { before: seeded[4]!.id, limit: '3' } });
    expect(req.headers.authorization).toBe(`Bot ${TOKEN}`);
    expect(req.headers['user-agent']).toBe(DISCORD_USER_AGENT);
    expect((await reader().listMessages(ch)).length).toBe(5);
    expect(sim.requests[1]?.query).toEqual({ limit: '100' });
  });

  it('checks its own arguments before sending anything', async () => {
    sim.resetLog();
    const ch = sim.createChannel();
    await expect(reader().listMessages(ch, { before: '1', after: '2' })).rejects.toThrow(/one of before\/after\/around/);
    await expect(reader().listMessages(ch, { limit: 101 })).rejects.toThrow(/1\.\.100/);
    await expect(reader().listMessages('general', {})).rejects.toThrow(/not a Discord channel id/);
    expect(sim.requests).toHaveLength(0);
  });

  it('honours a 429 retry_after (seconds, from the body) and then returns the page', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 2);
    sim.resetLog();
    sleeps.length = 0;
    sim.rateLimitNext(1, 0.376);
    expect(await reader().listMessages(ch)).toHaveLength(2);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([376]);
  });

  it('gives up after the bounded attempts with a TransientError that says so', async () => {
    const ch = sim.createChannel();
    sim.resetLog();
    sim.rateLimitNext(3, 0.01);
    const err = await reader()
      .listMessages(ch)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/rate limited.*gave up after 3 attempts/);
    expect(sim.requests).toHaveLength(3);
    sim.failNext(1, 502);
    expect(await reader().listMessages(ch)).toEqual([]);
  });

  it('a wrong token: AuthError naming the channel, never the token, not retried', async () => {
    const ch = sim.createChannel();
    sim.resetLog();
    const wrong = 'wrong-token-abcdefghijklmnop';
    const err = await reader(wrong)
      .listMessages(ch)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    const message = (err as Error).message;
    expect(message).toContain(ch);
    expect(message).toMatch(/refused the bot token.*401/);
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(wrong);
    expect((err as Error).cause).toBeUndefined();
    expect(sim.requests).toHaveLength(1);
    // The advice names the setting as the user wrote it: a config key by default, a variable from the environment.
    expect(message).toMatch(/check discord\.token \/ tokenFile$/);
    const fromEnv = await createDiscordReader({ token: wrong, apiUrl: sim.url, retry: { sleep: async () => {} }, settingNames: { token: 'DISCORD_BOT_TOKEN' } })
      .listMessages(ch)
      .catch((e: unknown) => e);
    expect((fromEnv as Error).message).toMatch(/check DISCORD_BOT_TOKEN$/);
  });

  it('403 (no access) is an AuthError and 404 (unknown channel) a RemoteError, each naming the channel, not retried', async () => {
    const ch = sim.createChannel();
    sim.setBotAccess(ch, false);
    sim.resetLog();
    const denied = await reader()
      .listMessages(ch)
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AuthError);
    expect((denied as Error).message).toMatch(new RegExp(`channel ${ch} \\(403 Missing Access \\(code 50001\\)\\).*Read Message History`));
    const missing = await reader()
      .listMessages('12345678901234567')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RemoteError);
    expect((missing as Error).message).toMatch(/channel 12345678901234567 not found \(404 Unknown Channel \(code 10003\)\)/);
    expect(sim.requests).toHaveLength(2);
  });

  it('waits out an exhausted rate-limit bucket instead of collecting 429s', async () => {
    const strict = await startDiscordSim({ botToken: TOKEN, routeLimit: { limit: 2, windowSeconds: 1, enforce: true } });
    try {
      const ch = strict.createChannel();
      strict.seedHistory(ch, 3);
      // The simulator keeps its window on real time, so the wait is real; what it was asked is recorded.
      const waits: number[] = [];
      const clock: Clock = {
        ...systemClock,
        sleep: (ms, signal) => {
          waits.push(ms);
          return systemClock.sleep(ms, signal);
        },
      };
      const r = createDiscordReader({ token: TOKEN, apiUrl: strict.url, clock });
      for (let i = 0; i < 4; i++) expect(await r.listMessages(ch)).toHaveLength(3);
      expect(strict.requests.map((q) => q.status)).toEqual([200, 200, 200, 200]);
      expect(waits).toHaveLength(1);
      expect(waits[0]).toBeGreaterThan(0);
      expect(waits[0]).toBeLessThanOrEqual(1_000);
    } finally {
      await strict.close();
    }
  });
});

describe('createDiscordReader, answers the simulator does not give', () => {
  let server: Server;
  let url: string;
  const replies: Array<{ status: number; body: string; headers?: Record<string, string> }> = [];
  beforeAll(async () => {
    server = createServer((_req, res) => {
      const r = replies.shift() ?? { status: 200, body: '[]' };
      res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
      res.end(r.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('falls back to the Retry-After header (seconds) when the 429 body has no retry_after', async () => {
    const sleeps: number[] = [];
    replies.push({ status: 429, body: '<html>slow down</html>', headers: { 'Content-Type': 'text/html', 'Retry-After': '2' } });
    const r = createDiscordReader({ token: TOKEN, apiUrl: url, retry: { sleep: async (ms) => void sleeps.push(ms) } });
    expect(await r.listMessages('123456789')).toEqual([]);
    expect(sleeps).toEqual([2000]);
  });

  it("a 200 that is not a list is a RemoteError; an unknown 4xx shows Discord's message, redacted", async () => {
    const r = createDiscordReader({ token: TOKEN, apiUrl: url, retry: { sleep: async () => {} } });
    replies.push({ status: 200, body: '{"messages":[]}' });
    await expect(r.listMessages('123456789')).rejects.toThrow(/something other than a list/);
    replies.push({ status: 400, body: JSON.stringify({ message: `bad request for ${TOKEN}`, code: 50035 }) });
    const err = await r.listMessages('123456789').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/answered 400: bad request for \[REDACTED\] \(code 50035\)/);
  });

  it('a connection refused is transient and the message carries no token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = createDiscordReader({ token: TOKEN, apiUrl: `http://127.0.0.1:${port}/api`, retry: { attempts: 2, sleep: async () => {} } });
    const err = await r.listMessages('123456789').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).not.toContain(TOKEN);
  });
});
