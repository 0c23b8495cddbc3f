import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { snowflakeTime, startDiscordSim, type DiscordSim } from './discord.js';
import { expectAnswerAfter } from './latency.test-helper.js';

const BOT_HEADERS = {
  authorization: 'Bot test-bot-token',
  'content-type': 'application/json',
  'user-agent': 'DiscordBot (https://example.org/campus-sync, 1.0.0)',
};

interface Res {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Res> {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

const x = (n: number): string => 'x'.repeat(n);

describe('Discord simulator, webhooks', () => {
  let sim: DiscordSim;
  let hook: { id: string; token: string; url: string };
  beforeAll(async () => {
    sim = await startDiscordSim();
    hook = sim.createWebhook();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  it('gives webhook URLs of the form `${url}/webhooks/{id}/{token}` under /api', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    expect(hook.url).toBe(`${sim.url}/webhooks/${hook.id}/${hook.token}`);
    expect(hook.id).toMatch(/^\d{17,20}$/);
  });

  it('answers 204 with an empty body by default, with rate-limit headers, and records the message', async () => {
    const before = sim.messages().length;
    const r = await post(hook.url, { content: 'Créneau libre', username: 'campus-sync' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-reset-after', 'x-ratelimit-bucket'])
      expect(r.headers.get(h)).not.toBeNull();
    expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeLessThan(Number(r.headers.get('x-ratelimit-limit')));
    const msgs = sim.messages();
    expect(msgs).toHaveLength(before + 1);
    expect(msgs.at(-1)).toMatchObject({ via: 'webhook', webhookId: hook.id, body: { content: 'Créneau libre' } });
    expect(Number.isNaN(Date.parse(msgs.at(-1)?.at ?? ''))).toBe(false);
  });

  it('answers 200 with the message object when ?wait=true', async () => {
    const r = await post(`${hook.url}?wait=true`, { content: 'hello', embeds: [{ title: 'T', description: 'D' }] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ content: 'hello', embeds: [{ title: 'T', description: 'D' }], webhook_id: hook.id });
    expect(r.json.id).toMatch(/^\d+$/);
    expect(typeof r.json.channel_id).toBe('string');
    expect(Number.isNaN(Date.parse(r.json.timestamp))).toBe(false);
  });

  it('hands out increasing snowflake ids', async () => {
    const a = await post(`${hook.url}?wait=true`, { content: 'a' });
    const b = await post(`${hook.url}?wait=true`, { content: 'b' });
    expect(BigInt(b.json.id)).toBeGreaterThan(BigInt(a.json.id));
  });

  it('answers 404 code 10015 for a deleted or unknown webhook, and 401 50027 for a wrong token', async () => {
    const gone = sim.createWebhook();
    expect((await post(gone.url, { content: 'ok' })).status).toBe(204);
    sim.deleteWebhook(gone.id);
    const r = await post(gone.url, { content: 'again' });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ message: 'Unknown Webhook', code: 10015 });
    expect((await post(`${sim.url}/webhooks/123/abc`, { content: 'x' })).json.code).toBe(10015);
    const wrong = await post(`${sim.url}/webhooks/${hook.id}/not-the-token`, { content: 'x' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe(50027);
  });

  it('refuses a non-JSON body or invalid JSON', async () => {
    const form = await post(hook.url, 'content=hi', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    expect(form.json.code).toBe(50035);
    const broken = await post(hook.url, '{"content":', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe(50109);
  });

  it('logs requests with lower-case headers and the parsed body', async () => {
    await post(`${hook.url}?wait=true`, { content: 'logged' }, { 'content-type': 'application/json', 'X-Trace': 't1' });
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      path: `/api/webhooks/${hook.id}/${hook.token}`,
      query: { wait: 'true' },
      body: { content: 'logged' },
      status: 200,
    });
    expect(sim.requests[0]?.headers['x-trace']).toBe('t1');
  });
});

describe('Discord simulator, message limits (400 code 50035)', () => {
  let sim: DiscordSim;
  let url: string;
  beforeAll(async () => {
    sim = await startDiscordSim();
    url = sim.createWebhook().url;
  });
  afterAll(() => sim.close());

  const expectInvalid = async (body: unknown, errorPath: string[]): Promise<void> => {
    const r = await post(url, body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 50035, message: 'Invalid Form Body' });
    let node = r.json.errors;
    for (const key of errorPath) node = node?.[key];
    expect(node?._errors?.[0]?.code, JSON.stringify(r.json.errors)).toEqual(expect.any(String));
  };
  const expectOk = async (body: unknown): Promise<void> => {
    expect((await post(url, body)).status).toBe(204);
  };
  const field = (name = 'n', value = 'v'): { name: string; value: string } => ({ name, value });

  it('content: 2000 ok, 2001 refused (counted in characters, not UTF-16 units)', async () => {
    await expectOk({ content: x(2000) });
    await expectOk({ content: '😀'.repeat(2000) });
    await expectInvalid({ content: x(2001) }, ['content']);
  });

  it('embeds: 10 ok, 11 refused', async () => {
    await expectOk({ embeds: Array.from({ length: 10 }, () => ({ title: 't' })) });
    await expectInvalid({ embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, ['embeds']);
  });

  it('title: 256 ok, 257 refused', async () => {
    await expectOk({ embeds: [{ title: x(256) }] });
    await expectInvalid({ embeds: [{ title: x(257) }] }, ['embeds', '0', 'title']);
  });

  it('description: 4096 ok, 4097 refused', async () => {
    await expectOk({ embeds: [{ description: x(4096) }] });
    await expectInvalid({ embeds: [{ description: x(4097) }] }, ['embeds', '0', 'description']);
  });

  it('fields: 25 ok, 26 refused', async () => {
    await expectOk({ embeds: [{ fields: Array.from({ length: 25 }, () => field()) }] });
    await expectInvalid({ embeds: [{ fields: Array.from({ length: 26 }, () => field()) }] }, ['embeds', '0', 'fields']);
  });

  it('field name: 256 ok, 257 refused', async () => {
    await expectOk({ embeds: [{ fields: [field(x(256))] }] });
    await expectInvalid({ embeds: [{ fields: [field(), field(x(257))] }] }, ['embeds', '0', 'fields', '1', 'name']);
  });

  it('field value: 1024 ok, 1025 refused', async () => {
    await expectOk({ embeds: [{ fields: [field('n', x(1024))] }] });
    await expectInvalid({ embeds: [{ fields: [field('n', x(1025))] }] }, ['embeds', '0', 'fields', '0', 'value']);
  });

  it('field name and value are required', async () => {
    await expectInvalid({ embeds: [{ fields: [{ name: 'n' }] }] }, ['embeds', '0', 'fields', '0', 'value']);
    await expectInvalid({ embeds: [{ fields: [{ name: '', value: 'v' }] }] }, ['embeds', '0', 'fields', '0', 'name']);
  });

  it('footer: 2048 ok, 2049 refused', async () => {
    await expectOk({ embeds: [{ footer: { text: x(2048) } }] });
    await expectInvalid({ embeds: [{ footer: { text: x(2049) } }] }, ['embeds', '0', 'footer', 'text']);
  });

  it('all embed text together: 6000 ok, 6001 refused (across embeds)', async () => {
    const six = [{ description: x(4000) }, { description: x(1000), footer: { text: x(744) }, title: x(256) }];
    await expectOk({ embeds: six });
    await expectInvalid({ embeds: [...six, { title: 'y' }] }, ['embeds']);
  });

  it('a message with neither content nor embeds is refused', async () => {
    await expectInvalid({}, ['content']);
    await expectInvalid({ content: '', embeds: [] }, ['content']);
    await expectInvalid({ username: 'only a name' }, ['content']);
  });

  it('stores nothing that was refused', async () => {
    const before = sim.messages().length;
    await post(url, { content: x(2001) });
    expect(sim.messages()).toHaveLength(before);
  });
});

describe('Discord simulator, bot API', () => {
  let sim: DiscordSim;
  let channel: string;
  beforeAll(async () => {
    sim = await startDiscordSim();
    channel = sim.createChannel();
  });
  afterAll(() => sim.close());

  const messagesUrl = (id: string): string => `${sim.url}/v10/channels/${id}/messages`;

  it('posts a message: 200 with the message object and rate-limit headers', async () => {
    const r = await post(messagesUrl(channel), { content: 'from the bot' }, BOT_HEADERS);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ channel_id: channel, content: 'from the bot', embeds: [], attachments: [], edited_timestamp: null });
    expect(r.json.author).toMatchObject({ id: expect.any(String), username: expect.any(String) });
    expect(r.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]+$/);
    expect(sim.messages().at(-1)).toMatchObject({ via: 'bot', channelId: channel, body: { content: 'from the bot' } });
  });

  it('answers 401 {"message":"401: Unauthorized","code":0} without the right Bot token', async () => {
    for (const authorization of [undefined, 'Bearer test-bot-token', 'Bot wrong', 'test-bot-token']) {
      const headers: Record<string, string> = { ...BOT_HEADERS };
      if (authorization === undefined) delete headers.authorization;
      else headers.authorization = authorization;
      const r = await post(messagesUrl(channel), { content: 'x' }, headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ message: '401: Unauthorized', code: 0 });
    }
  });

  it('answers 400 when the User-Agent is not `DiscordBot (url, version)`', async () => {
    const r = await post(messagesUrl(channel), { content: 'x' }, { ...BOT_HEADERS, 'user-agent': 'node' });
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/User-Agent/);
  });

  it('answers 400 50035 when Content-Type is not JSON', async () => {
    const r = await post(messagesUrl(channel), JSON.stringify({ content: 'x' }), { ...BOT_HEADERS, 'content-type': 'text/plain' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(50035);
  });

  it('answers 404 code 10003 for an unknown channel', async () => {
    const r = await post(messagesUrl('999'), { content: 'x' }, BOT_HEADERS);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ message: 'Unknown Channel', code: 10003 });
  });

  it('enforces the limits on the bot route too', async () => {
    const r = await post(messagesUrl(channel), { content: x(2001) }, BOT_HEADERS);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(50035);
  });

  it('lists messages newest first with limit, before and after; webhook posts land in their channel', async () => {
    const ch = sim.createChannel();
    const hook = sim.createWebhook(ch);
    const ids: string[] = [];
    for (const content of ['m1', 'm2', 'm3']) ids.push((await post(messagesUrl(ch), { content }, BOT_HEADERS)).json.id);
    ids.push((await post(`${hook.url}?wait=true`, { content: 'm4' })).json.id);
    const get = async (q: string): Promise<any[]> => {
      const res = await fetch(`${messagesUrl(ch)}${q}`, { headers: BOT_HEADERS });
      expect(res.status).toBe(200);
      return (await res.json()) as any[];
    };
    expect((await get('')).map((m) => m.content)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect((await get('?limit=2')).map((m) => m.content)).toEqual(['m4', 'm3']);
    expect((await get(`?before=${ids[2]}`)).map((m) => m.content)).toEqual(['m2', 'm1']);
    expect((await get(`?after=${ids[0]}&limit=2`)).map((m) => m.content)).toEqual(['m3', 'm2']);
    const bad = await fetch(`${messagesUrl(ch)}?limit=101`, { headers: BOT_HEADERS });
    expect(bad.status).toBe(400);
  });
});

describe('Discord simulator, rate limits and failures', () => {
  it('answers injected 429s with retry_after, global flag and the documented headers, then recovers', async () => {
    const sim = await startDiscordSim();
    try {
      const hook = sim.createWebhook();
      const v10 = hook.url.replace('/api/webhooks/', '/api/v10/webhooks/');
      sim.rateLimitNext(1, 0.376);
      const r = await post(v10, { content: 'x' });
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ message: 'You are being rate limited.', retry_after: 0.376, global: false });
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(r.headers.get('x-ratelimit-reset-after')).toBe('0.376');
      expect(r.headers.get('x-ratelimit-bucket')).not.toBeNull();
      expect(r.headers.get('x-ratelimit-scope')).toBe('user');
      expect(r.headers.get('x-ratelimit-global')).toBeNull();
      sim.rateLimitNext(1, 2.5, true);
      const g = await post(v10, { content: 'x' });
      expect(g.json).toEqual({ message: 'You are being rate limited.', retry_after: 2.5, global: true });
      expect(g.headers.get('retry-after')).toBe('3');
      expect(g.headers.get('x-ratelimit-global')).toBe('true');
      expect(g.headers.get('x-ratelimit-scope')).toBe('global');
      expect((await post(hook.url, { content: 'x' })).status).toBe(204);
      expect(sim.messages()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('answers in MILLISECONDS on the unversioned webhook path (API v6) and on /api/v6, in seconds on /api/v10', async () => {
    const sim = await startDiscordSim();
    try {
      const hook = sim.createWebhook();
      for (const url of [hook.url, hook.url.replace('/api/webhooks/', '/api/v6/webhooks/')]) {
        sim.rateLimitNext(1, 1.5);
        const r = await post(url, { content: 'x' });
        expect(r.status).toBe(429);
        expect(r.json.retry_after).toBe(1500);
        expect(r.headers.get('retry-after')).toBe('1500');
      }
      sim.rateLimitNext(1, 1.5);
      const v10 = await post(hook.url.replace('/api/webhooks/', '/api/v10/webhooks/'), { content: 'x' });
      expect(v10.json.retry_after).toBe(1.5);
      expect(v10.headers.get('retry-after')).toBe('2');
      // The same webhook on every path.
      expect((await post(hook.url.replace('/api/webhooks/', '/api/v10/webhooks/'), { content: 'y' })).status).toBe(204);
      expect((await post(hook.url, { content: 'z' })).status).toBe(204);
      expect(sim.messages().map((m) => m.webhookId)).toEqual([hook.id, hook.id]);
    } finally {
      await sim.close();
    }
  });

  it('answers injected 5xx: 500 as JSON, 502/503 as plain text; nothing is stored', async () => {
    const sim = await startDiscordSim();
    try {
      const hook = sim.createWebhook();
      sim.failNext(1, 500);
      sim.failNext(1, 502);
      sim.failNext(1, 503);
      const a = await post(hook.url, { content: 'x' });
      expect(a.status).toBe(500);
      expect(a.json).toEqual({ message: '500: Internal Server Error', code: 0 });
      const b = await post(hook.url, { content: 'x' });
      expect(b.status).toBe(502);
      expect(b.headers.get('content-type')).toMatch(/^text\/plain/);
      expect((await post(hook.url, { content: 'x' })).status).toBe(503);
      expect(sim.messages()).toHaveLength(0);
      expect((await post(hook.url, { content: 'x' })).status).toBe(204);
    } finally {
      await sim.close();
    }
  });

  it('answers 429 global:true beyond the global limit per second', async () => {
    const clock = fakeClock();
    const sim = await startDiscordSim({ globalLimitPerSecond: 5, clock });
    try {
      const hook = sim.createWebhook();
      const v10 = hook.url.replace('/api/webhooks/', '/api/v10/webhooks/');
      const results = await Promise.all(Array.from({ length: 8 }, () => post(v10, { content: 'burst' })));
      const limited = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 204)).toHaveLength(5);
      expect(limited).toHaveLength(3);
      for (const r of limited) {
        expect(r.json.global).toBe(true);
        expect(r.json.retry_after).toBeGreaterThan(0);
        expect(r.json.retry_after).toBeLessThanOrEqual(1);
        expect(r.headers.get('x-ratelimit-global')).toBe('true');
      }
      expect((await post(hook.url, { content: 'still limited' })).status).toBe(429);
      clock.advance(1_000);
      expect((await post(hook.url, { content: 'after' })).status).toBe(204);
    } finally {
      await sim.close();
    }
  });

  it('defaults the global limit to 50 requests per second', async () => {
    const sim = await startDiscordSim();
    try {
      const hook = sim.createWebhook();
      // 150 at once: even on a loaded machine they arrive within a couple of seconds, so some must be refused.
      const results = await Promise.all(Array.from({ length: 150 }, () => post(hook.url, { content: 'burst' })));
      const accepted = results.filter((r) => r.status === 204).length;
      expect(accepted).toBeGreaterThanOrEqual(50);
      expect(accepted + results.filter((r) => r.status === 429 && r.json.global === true).length).toBe(150);
      expect(accepted).toBeLessThan(150);
      // The first 50 requests of a fresh second are all accepted.
      expect(sim.requests.slice(0, 50).every((r) => r.status === 204)).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('counts the per-route bucket in the headers and, when asked, enforces it', async () => {
    const sim = await startDiscordSim({ routeLimit: { limit: 2, windowSeconds: 5, enforce: true } });
    try {
      const hook = sim.createWebhook();
      const v10 = hook.url.replace('/api/webhooks/', '/api/v10/webhooks/');
      const first = await post(v10, { content: '1' });
      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      expect((await post(v10, { content: '2' })).headers.get('x-ratelimit-remaining')).toBe('0');
      const third = await post(v10, { content: '3' });
      expect(third.status).toBe(429);
      expect(third.json.global).toBe(false);
      expect(third.json.retry_after).toBeGreaterThan(4);
      expect(sim.messages()).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });

  it('delays answers by the latency option', async () => {
    const clock = fakeClock();
    const sim = await startDiscordSim({ latencyMs: 120, clock });
    try {
      const hook = sim.createWebhook();
      const r = await expectAnswerAfter(clock, 120, () => post(hook.url, { content: 'slow' }));
      expect(r.status).toBe(204);
      expect(sim.messages()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});

describe('Discord simulator, message history', () => {
  let sim: DiscordSim;
  beforeAll(async () => {
    sim = await startDiscordSim();
  });
  afterAll(() => sim.close());

  const list = async (channel: string, q = '', headers: Record<string, string> = BOT_HEADERS): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${sim.url}/v10/channels/${channel}/messages${q}`, { headers });
    return { status: res.status, json: await res.json() };
  };
  const contents = (ms: any[]): string[] => ms.map((m) => m.content);

  it('addMessage: ids grow with `at` (a past message lands in its place), authors, attachment and embed counts', async () => {
    const ch = sim.createChannel();
    const t0 = Date.parse('2025-03-01T10:00:00Z');
    const late = sim.addMessage(ch, { content: 'late', at: new Date(t0 + 60_000), authorName: 'bob', attachments: 2, embeds: 1 });
    const early = sim.addMessage(ch, { content: 'early', at: new Date(t0).toISOString(), authorName: 'alice' });
    const again = sim.addMessage(ch, { content: 'again', at: new Date(t0 + 60_000), authorName: 'bob' });
    expect(BigInt(early.id)).toBeLessThan(BigInt(late.id));
    expect(BigInt(again.id)).toBeGreaterThan(BigInt(late.id));
    expect(snowflakeTime(early.id)).toBe(t0);
    expect(snowflakeTime(late.id)).toBe(t0 + 60_000);
    expect(late.timestamp).toBe('2025-03-01T10:01:00.000000+00:00');
    expect(late.author).toMatchObject({ username: 'bob', id: again.author.id });
    expect(late.author.id).not.toBe(early.author.id);
    expect(late.attachments).toHaveLength(2);
    expect(late.attachments[0]).toMatchObject({ filename: expect.any(String), url: expect.stringMatching(/^https:\/\//) });
    expect(late.embeds).toHaveLength(1);
    expect(late.edited_timestamp).toBeNull();
    const r = await list(ch);
    expect(r.status).toBe(200);
    expect(contents(r.json)).toEqual(['again', 'late', 'early']);
    // Discord's REST message objects carry no guild_id; the channel's guild is known to the sim.
    expect(r.json[0].guild_id).toBeUndefined();
    expect(r.json[0].channel_id).toBe(ch);
    expect(sim.channelGuild(ch)).toBe(sim.guildId);
    const other = sim.createChannel({ guildId: '123456789012345678' });
    expect(sim.channelGuild(other)).toBe('123456789012345678');
    expect(sim.addMessage(ch, { content: 'x', authorId: '42424242' }).author).toMatchObject({ id: '42424242', username: 'user-4242' });
  });

  it('history is not in messages() (what clients posted), posted messages are in the history', async () => {
    const ch = sim.createChannel();
    const before = sim.messages().length;
    sim.seedHistory(ch, 3);
    expect(sim.messages()).toHaveLength(before);
    const posted = await post(`${sim.url}/v10/channels/${ch}/messages`, { content: 'posted' }, BOT_HEADERS);
    expect(sim.history(ch).map((m) => m.id)).toContain(posted.json.id);
    expect(sim.history(ch).at(-1)?.content).toBe('posted');
  });

  it('seedHistory: n messages one minute apart ending now, oldest first, with some attachments and embeds', () => {
    const ch = sim.createChannel();
    const t = Date.now();
    const seeded = sim.seedHistory(ch, 30);
    expect(seeded).toHaveLength(30);
    expect(seeded[0]?.content).toBe('History message 1 of 30');
    const times = seeded.map((m) => snowflakeTime(m.id));
    expect(times.at(-1)).toBeGreaterThanOrEqual(t);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBe(29 * 60_000);
    for (let i = 1; i < seeded.length; i++) expect(BigInt(seeded[i]!.id)).toBeGreaterThan(BigInt(seeded[i - 1]!.id));
    expect(seeded.some((m) => m.attachments.length > 0)).toBe(true);
    expect(seeded.some((m) => m.embeds.length > 0)).toBe(true);
    expect(new Set(seeded.map((m) => m.author.username)).size).toBeGreaterThan(1);
  });

  it('pages exactly like Discord: newest first; before, after (the oldest ones after the id) and around; anchors need not exist', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 250, { endAt: '2025-06-01T12:00:00Z' });
    const id = (i: number): string => seeded[i - 1]!.id; // message i of 250, 1-based
    const nums = (ms: any[]): number[] => ms.map((m) => Number(/message (\d+)/.exec(m.content)?.[1]));

    const def = await list(ch);
    expect(nums(def.json)).toEqual(Array.from({ length: 50 }, (_, i) => 250 - i));
    const newest = await list(ch, '?limit=100');
    expect(nums(newest.json)).toEqual(Array.from({ length: 100 }, (_, i) => 250 - i));
    const before = await list(ch, `?before=${id(101)}&limit=100`);
    expect(nums(before.json)).toEqual(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(nums((await list(ch, `?before=${id(31)}&limit=100`)).json)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
    expect((await list(ch, `?before=${id(1)}`)).json).toEqual([]);
    const after = await list(ch, `?after=${id(10)}&limit=5`);
    expect(nums(after.json)).toEqual([15, 14, 13, 12, 11]);
    expect((await list(ch, `?after=${id(250)}`)).json).toEqual([]);
    expect(nums((await list(ch, '?after=0&limit=3')).json)).toEqual([3, 2, 1]);
    // An anchor between two messages: a time-based snowflake one second after message 100.
    const between = ((BigInt(Date.parse('2025-06-01T12:00:00Z') - 150 * 60_000 + 1000) - 1420070400000n) << 22n).toString();
    expect(nums((await list(ch, `?before=${between}&limit=2`)).json)).toEqual([100, 99]);
    expect(nums((await list(ch, `?after=${between}&limit=2`)).json)).toEqual([102, 101]);
    expect(nums((await list(ch, `?around=${id(50)}&limit=5`)).json)).toEqual([52, 51, 50, 49, 48]);
    expect(nums((await list(ch, `?around=${id(2)}&limit=6`)).json)).toEqual([4, 3, 2, 1]);
  });

  it('refuses a bad limit, a non-snowflake anchor, and two anchors at once with 400 50035 naming the field', async () => {
    const ch = sim.createChannel();
    for (const q of ['?limit=0', '?limit=101', '?limit=abc']) {
      const r = await list(ch, q);
      expect(r.status).toBe(400);
      expect(r.json.errors.limit).toBeDefined();
    }
    const bad = await list(ch, '?after=abc');
    expect(bad.status).toBe(400);
    expect(bad.json.errors.after._errors[0].code).toBe('NUMBER_TYPE_COERCE');
    const two = await list(ch, '?before=5&after=3');
    expect(two.status).toBe(400);
    expect(two.json.code).toBe(50035);
  });

  it('editMessage sets content and edited_timestamp; deleteMessage removes it from the API', async () => {
    const ch = sim.createChannel();
    const [a, b, c] = sim.seedHistory(ch, 3);
    const edited = sim.editMessage(ch, b!.id, 'fixed typo');
    expect(edited.content).toBe('fixed typo');
    expect(Date.parse(edited.edited_timestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(b!.timestamp));
    sim.deleteMessage(ch, a!.id);
    const r = await list(ch);
    expect(r.json.map((m: any) => m.id)).toEqual([c!.id, b!.id]);
    expect(r.json[1]).toMatchObject({ content: 'fixed typo', edited_timestamp: edited.edited_timestamp });
    expect(() => sim.deleteMessage(ch, a!.id)).toThrow(/unknown message/);
    expect(() => sim.editMessage(ch, '1', 'x')).toThrow(/unknown message/);
    expect(() => sim.addMessage('999', { content: 'x' })).toThrow(/unknown channel/);
  });

  it('reading needs the Bot token and the DiscordBot User-Agent; 404 10003 unknown channel; 403 50001 without access', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 2);
    expect((await list(ch, '', { ...BOT_HEADERS, authorization: 'Bot wrong' })).json).toEqual({ message: '401: Unauthorized', code: 0 });
    expect((await list(ch, '', { ...BOT_HEADERS, 'user-agent': 'axios/1.0' })).status).toBe(400);
    const unknown = await list('1234567890123', '');
    expect(unknown).toEqual({ status: 404, json: { message: 'Unknown Channel', code: 10003 } });
    sim.setBotAccess(ch, false);
    expect(await list(ch)).toEqual({ status: 403, json: { message: 'Missing Access', code: 50001 } });
    expect((await post(`${sim.url}/v10/channels/${ch}/messages`, { content: 'x' }, BOT_HEADERS)).status).toBe(403);
    sim.setBotAccess(ch, true);
    expect((await list(ch)).json).toHaveLength(2);
  });

  it('without Read Message History: the list answers 200 [] (not 403) while GET /channels/{id} shows last_message_id', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 3);
    const channel = async (): Promise<{ status: number; json: any }> => {
      const res = await fetch(`${sim.url}/v10/channels/${ch}`, { headers: BOT_HEADERS });
      return { status: res.status, json: await res.json() };
    };
    expect(await channel()).toMatchObject({ status: 200, json: { id: ch, type: 0, guild_id: sim.guildId, last_message_id: seeded[2]!.id } });
    sim.setReadHistory(ch, false);
    expect(await list(ch)).toEqual({ status: 200, json: [] });
    expect(await list(ch, `?after=${seeded[0]!.id}`)).toEqual({ status: 200, json: [] });
    expect((await channel()).json.last_message_id).toBe(seeded[2]!.id);
    sim.setReadHistory(ch, true);
    expect((await list(ch)).json).toHaveLength(3);
    // Discord keeps last_message_id when that message is deleted; an empty channel has null.
    sim.deleteMessage(ch, seeded[2]!.id);
    expect((await channel()).json.last_message_id).toBe(seeded[2]!.id);
    const empty = sim.createChannel();
    const res = await fetch(`${sim.url}/v10/channels/${empty}`, { headers: BOT_HEADERS });
    expect(((await res.json()) as { last_message_id: unknown }).last_message_id).toBeNull();
  });

  it("without the Message Content intent: what others wrote is listed with empty content, embeds and attachments; the bot's own messages are not", async () => {
    const ch = sim.createChannel();
    sim.addMessage(ch, { content: 'salut', authorName: 'alice', attachments: 1, embeds: 1 });
    const own = await post(`${sim.url}/v10/channels/${ch}/messages`, { content: 'from the bot' }, BOT_HEADERS);
    expect(own.status).toBe(200);
    sim.setMessageContentIntent(false);
    try {
      const r = await list(ch);
      expect(r.json.map((m: any) => [m.content, m.embeds.length, m.attachments.length])).toEqual([
        ['from the bot', 0, 0],
        ['', 0, 0],
      ]);
      expect(sim.history(ch)[0]).toMatchObject({ content: 'salut' });
    } finally {
      sim.setMessageContentIntent(true);
    }
    expect(contents((await list(ch)).json)).toEqual(['from the bot', 'salut']);
  });

  it('answers an injected 429 on the list route, then the page', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 2);
    sim.rateLimitNext(1, 0.25);
    const limited = await list(ch);
    expect(limited).toEqual({ status: 429, json: { message: 'You are being rate limited.', retry_after: 0.25, global: false } });
    expect((await list(ch)).json).toHaveLength(2);
  });
});
