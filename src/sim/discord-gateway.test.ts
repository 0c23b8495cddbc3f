import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { GATEWAY_CLOSE, GATEWAY_OP, INTENTS, startDiscordGatewaySim, type DiscordGatewaySim } from './discord-gateway.js';

const TOKEN = 'test-bot-token';
const ALL_INTENTS = INTENTS.guilds | INTENTS.guildMessages | INTENTS.messageContent;
const BOT = { authorization: `Bot ${TOKEN}`, 'user-agent': 'DiscordBot (https://example.org, 1.0)' };

interface Payload {
  op: number;
  d: any;
  s: number | null;
  t: string | null;
}

/** A bare client: every payload queued, `next` waits for the next one matching. */
function connect(url: string): { ws: WebSocket; next(pred?: (p: Payload) => boolean): Promise<Payload>; closed: Promise<number>; send(p: unknown): void } {
  const ws = new WebSocket(url);
  const queue: Payload[] = [];
  const waiting: { pred: (p: Payload) => boolean; resolve: (p: Payload) => void }[] = [];
  ws.on('message', (data) => {
    const p = JSON.parse(data.toString()) as Payload;
    const w = waiting.find((x) => x.pred(p));
    if (w) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(p);
    } else queue.push(p);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    closed,
    send: (p) => {
      const go = (): void => ws.send(JSON.stringify(p));
      if (ws.readyState === ws.OPEN) go();
      else ws.once('open', go);
    },
    next: (pred = () => true) => {
      const i = queue.findIndex(pred);
      if (i !== -1) return Promise.resolve(queue.splice(i, 1)[0]!);
      return new Promise((resolve) => waiting.push({ pred, resolve }));
    },
  };
}

describe('Discord Gateway simulator', () => {
  let sim: DiscordGatewaySim;
  afterEach(async () => sim.close());

  it('answers /v10/gateway/bot with the URL, shards and max_concurrency, and 401 without the bot token', async () => {
    sim = await startDiscordGatewaySim({ maxConcurrency: 1 });
    const ok = await fetch(`${sim.url}/v10/gateway/bot`, { headers: BOT });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as any;
    expect(body).toMatchObject({ url: sim.gatewayUrl, shards: 1, session_start_limit: { max_concurrency: 1 } });
    expect(body.session_start_limit.remaining).toBeGreaterThan(0);
    expect((await fetch(`${sim.url}/v10/gateway/bot`, { headers: { 'user-agent': BOT['user-agent'] } })).status).toBe(401);
  });

  it('says Hello, ACKs heartbeats, gives READY on Identify and dispatches message events with growing s', async () => {
    sim = await startDiscordGatewaySim({ heartbeatIntervalMs: 1000 });
    const channel = sim.createChannel();
    const c = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    const hello = await c.next();
    expect(hello).toMatchObject({ op: GATEWAY_OP.hello, d: { heartbeat_interval: 1000 } });
    c.send({ op: GATEWAY_OP.heartbeat, d: null });
    expect((await c.next()).op).toBe(GATEWAY_OP.heartbeatAck);
    c.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    const ready = await c.next((p) => p.t === 'READY');
    expect(ready.s).toBe(1);
    expect(ready.d.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(ready.d.resume_gateway_url).toBe(`${sim.gatewayUrl}/resume`);
    const m = sim.addMessage(channel, { content: 'bonjour' });
    const create = await c.next((p) => p.t === 'MESSAGE_CREATE');
    expect(create).toMatchObject({ s: 2, d: { id: m.id, content: 'bonjour', channel_id: channel, guild_id: sim.guildId } });
    sim.editMessage(channel, m.id, 'bonjour !');
    expect(await c.next((p) => p.t === 'MESSAGE_UPDATE')).toMatchObject({ s: 3, d: { id: m.id, content: 'bonjour !' } });
    sim.deleteMessage(channel, m.id);
    expect(await c.next((p) => p.t === 'MESSAGE_DELETE')).toMatchObject({ s: 4, d: { id: m.id, channel_id: channel } });
    const a = sim.addMessage(channel, { content: 'a' });
    const b = sim.addMessage(channel, { content: 'b' });
    sim.deleteMessages(channel, [a.id, b.id]);
    expect(await c.next((p) => p.t === 'MESSAGE_DELETE_BULK')).toMatchObject({ d: { ids: [a.id, b.id], channel_id: channel } });
    expect(sim.history(channel)).toHaveLength(0);
    c.ws.close(1000);
  });

  it('replays what was missed on Resume (after op 7), then RESUMED', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    const c = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    c.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    const ready = await c.next((p) => p.t === 'READY');
    sim.requestReconnect();
    expect((await c.next((p) => p.op === GATEWAY_OP.reconnect)).d).toBeNull();
    c.ws.close(4200);
    await c.closed;
    const missed = sim.addMessage(channel, { content: 'while away' });
    const r = connect(`${ready.d.resume_gateway_url}?v=10&encoding=json`);
    r.send({ op: GATEWAY_OP.resume, d: { token: TOKEN, session_id: ready.d.session_id, seq: ready.s } });
    const replayed = await r.next((p) => p.t === 'MESSAGE_CREATE');
    expect(replayed.d.id).toBe(missed.id);
    expect((await r.next((p) => p.t === 'RESUMED')).s).toBe((replayed.s ?? 0) + 1);
    expect(sim.gatewayLog.some((e) => e.dir === 'in' && e.op === GATEWAY_OP.resume && e.path === '/resume')).toBe(true);
    r.ws.close(1000);
  });

  it('answers op 9 d:false to an unknown session and after invalidateSessions(false) forgets it', async () => {
    sim = await startDiscordGatewaySim();
    const c = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    c.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    const ready = await c.next((p) => p.t === 'READY');
    sim.invalidateSessions(false);
    expect(await c.next((p) => p.op === GATEWAY_OP.invalidSession)).toMatchObject({ d: false });
    c.ws.close(1000);
    const r = connect(`${sim.gatewayUrl}/resume?v=10&encoding=json`);
    r.send({ op: GATEWAY_OP.resume, d: { token: TOKEN, session_id: ready.d.session_id, seq: ready.s } });
    expect(await r.next((p) => p.op === GATEWAY_OP.invalidSession)).toMatchObject({ d: false });
    r.ws.close(1000);
  });

  it('limits identifies to max_concurrency per 5 s with op 9', async () => {
    sim = await startDiscordGatewaySim();
    const a = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    a.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    await a.next((p) => p.t === 'READY');
    const b = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    b.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    expect(await b.next((p) => p.op === GATEWAY_OP.invalidSession)).toMatchObject({ d: false });
    a.ws.close(1000);
    b.ws.close(1000);
  });

  it('closes 4004 on a bad token and 4014 when Message Content is asked for without being granted', async () => {
    sim = await startDiscordGatewaySim({ messageContentIntent: false });
    const bad = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    bad.send({ op: GATEWAY_OP.identify, d: { token: 'wrong', intents: ALL_INTENTS, properties: {} } });
    expect(await bad.closed).toBe(GATEWAY_CLOSE.authenticationFailed);
    const noIntent = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    noIntent.send({ op: GATEWAY_OP.identify, d: { token: TOKEN, intents: ALL_INTENTS, properties: {} } });
    expect(await noIntent.closed).toBe(GATEWAY_CLOSE.disallowedIntents);
  });

  it('cuts connections without a close frame and stalls them (no ACK) on demand', async () => {
    sim = await startDiscordGatewaySim();
    const c = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    await c.next((p) => p.op === GATEWAY_OP.hello);
    sim.cutConnections();
    expect(await c.closed).toBe(1006);
    const s = connect(`${sim.gatewayUrl}/?v=10&encoding=json`);
    await s.next((p) => p.op === GATEWAY_OP.hello);
    sim.stallConnections();
    s.send({ op: GATEWAY_OP.heartbeat, d: null });
    const ackOrTimeout = await Promise.race([
      s.next((p) => p.op === GATEWAY_OP.heartbeatAck).then(() => 'ack'),
      sim.waitForGateway((e) => e.dir === 'out' && e.op === GATEWAY_OP.heartbeatAck, { timeoutMs: 300 }).catch(() => 'none'),
    ]);
    expect(ackOrTimeout).toBe('none');
    s.ws.terminate();
  });
});
