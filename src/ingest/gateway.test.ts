import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../lib/index.js';
import { fakeClock, type FakeClock } from '../lib/fake-clock.test-helper.js';
import { startDiscordGatewaySim, type DiscordGatewaySim } from '../sim/discord-gateway.js';
import { createGatewayClient, type GatewayClient, type GatewayClientOptions, type GatewayDispatch, type GatewayState } from './gateway.js';

/**
 * A client on the simulator that records dispatches, states and the waits it asked of its clock. The clock
 * is fake and fires each wait as soon as it is asked (autoAdvance): our backoffs cost no real time, and the
 * fake time that passed says how long the client chose to wait. The library's own timers stay real.
 */
function clientOn(sim: DiscordGatewaySim, token = 'test-bot-token', extra: Partial<GatewayClientOptions> = {}) {
  const events: GatewayDispatch[] = [];
  const states: GatewayState[] = [];
  const clock: FakeClock = fakeClock();
  const waits: number[] = [];
  const recording: Clock = {
    ...clock,
    sleep: (ms, signal) => {
      waits.push(ms);
      return clock.sleep(ms, signal);
    },
  };
  clock.autoAdvance();
  const client: GatewayClient = createGatewayClient({
    token,
    apiUrl: sim.url,
    tokenSetting: 'discord.tokenFile',
    clock: recording,
    onDispatch: (e) => void events.push(e),
    onState: (s) => void states.push(s),
    ...extra,
  });
  const until = (cond: () => boolean, what: string, timeout = 15_000): Promise<void> =>
    vi.waitFor(
      () => {
        if (!cond()) throw new Error(`still waiting for ${what}`);
      },
      { timeout, interval: 20 },
    );
  return { client, clock, waits, events, states, until, dispatched: (t: string) => events.filter((e) => e.t === t) };
}

describe('Discord gateway client (@discordjs/ws) against the simulator', () => {
  let sim: DiscordGatewaySim;
  let client: GatewayClient | undefined;
  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await sim.close();
  });

  it('identifies with GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT on the URL of /gateway/bot and receives messages', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    expect(client.state().status).toBe('connected');
    expect(sim.requests.some((r) => r.path === '/api/v10/gateway/bot' && r.status === 200)).toBe(true);
    const m = sim.addMessage(channel, { content: 'salut' });
    await c.until(() => c.dispatched('MESSAGE_CREATE').length === 1, 'MESSAGE_CREATE');
    expect(c.dispatched('MESSAGE_CREATE')[0]?.d).toMatchObject({ id: m.id, content: 'salut' });
  });

  it('resumes after op 7 on resume_gateway_url, with what was posted meanwhile replayed', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    sim.requestReconnect();
    const m = sim.addMessage(channel, { content: 'pendant la reconnexion' });
    await c.until(() => c.dispatched('RESUMED').length === 1, 'RESUMED');
    expect(c.dispatched('MESSAGE_CREATE').map((e) => (e.d as { id: string }).id)).toEqual([m.id]);
    expect(sim.gatewayStats()).toMatchObject({ identifies: 1, resumed: 1 });
    expect(sim.gatewayLog.some((e) => e.dir === 'in' && e.op === 6 && e.path === '/resume')).toBe(true);
    expect(c.states.some((s) => s.status === 'resuming')).toBe(true);
  });

  // The simulator keeps Discord's identify limit (one per 5 s) on real time, so this one lasts ~5 s whatever our clock says.
  it('identifies anew after op 9 d:false, 1–5 s later', async () => {
    sim = await startDiscordGatewaySim();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    const at = c.clock.now().getTime();
    sim.invalidateSessions(false);
    await c.until(() => c.dispatched('READY').length === 2, 'second READY');
    expect(c.clock.now().getTime() - at).toBeGreaterThanOrEqual(1000);
    expect(c.waits.filter((ms) => ms >= 1000 && ms <= 5000)).toHaveLength(1);
    expect(sim.gatewayStats().identifies).toBe(2);
  });

  it('detects a zombie connection (no heartbeat ACK) and resumes', async () => {
    sim = await startDiscordGatewaySim({ heartbeatIntervalMs: 300 });
    const channel = sim.createChannel();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    await sim.waitForGateway((e) => e.op === 11, { since: 0, timeoutMs: 5000 });
    sim.stallConnections();
    const m = sim.addMessage(channel, { content: 'pendant le blocage' });
    await c.until(() => c.dispatched('RESUMED').length === 1, 'RESUMED');
    expect(c.dispatched('MESSAGE_CREATE').map((e) => (e.d as { id: string }).id)).toEqual([m.id]);
    expect(sim.gatewayStats().identifies).toBe(1);
  });

  it('reconnects after a cut (1006) and resumes', async () => {
    sim = await startDiscordGatewaySim();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    sim.cutConnections();
    await c.until(() => c.dispatched('RESUMED').length === 1, 'RESUMED');
    expect(c.states.find((s) => s.status === 'resuming')?.closeCode).toBe(1006);
  });

  it('reconnects with a growing, jittered, bounded delay while the gateway is unreachable, then connects again', async () => {
    sim = await startDiscordGatewaySim();
    const c = clientOn(sim, 'test-bot-token', { reconnect: { baseMs: 200, maxMs: 800 }, random: () => 1 });
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    sim.refuseConnections(true);
    sim.cutConnections();
    await c.until(() => sim.refusedAt.length >= 5, 'five refused attempts', 20_000);
    sim.refuseConnections(false);
    await c.until(() => client!.state().status === 'connected', 'connected again', 20_000);
    // Ours grows 200 → 400 → 800 and stays at the 800 ms ceiling (the library's own 500 ms comes on top).
    expect(c.waits.slice(0, 5)).toEqual([200, 400, 800, 800, 800]);
    expect(Math.max(...c.states.map((s) => s.attempts))).toBeGreaterThanOrEqual(5);
    expect(client.state().attempts).toBe(0);
  });

  it('stops on 4004 naming the token setting, after one attempt', async () => {
    sim = await startDiscordGatewaySim({ botToken: 'the-real-token' });
    // /gateway/bot would refuse the wrong token first; give the REST side the right one by closing with 4004 instead.
    const c = clientOn(sim, 'the-real-token');
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    sim.closeConnections(4004, 'Authentication failed.');
    const end = await client.stopped;
    expect(end).toMatchObject({ status: 'stopped', fatal: true, closeCode: 4004 });
    expect(end.reason).toContain('discord.tokenFile');
    expect(end.reason).not.toContain('the-real-token');
  });

  it('stops on 4014 naming the Message Content intent, with no reconnect', async () => {
    sim = await startDiscordGatewaySim({ messageContentIntent: false });
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    const end = await client.stopped;
    expect(end).toMatchObject({ status: 'stopped', fatal: true, closeCode: 4014 });
    expect(end.reason).toMatch(/Message Content/);
    expect(sim.gatewayStats().identifies).toBe(1);
    expect(sim.gatewayStats().connections).toBe(1);
  });

  it('stops when /gateway/bot refuses the token (401), naming the setting', async () => {
    sim = await startDiscordGatewaySim();
    const c = clientOn(sim, 'not-the-token');
    client = c.client;
    await client.start();
    const end = await client.stopped;
    expect(end.fatal).toBe(true);
    expect(end.reason).toContain('401');
    expect(end.reason).toContain('discord.tokenFile');
    expect(sim.gatewayStats().connections).toBe(0);
  });

  it('closes with 1000 on stop', async () => {
    sim = await startDiscordGatewaySim();
    const c = clientOn(sim);
    client = c.client;
    await client.start();
    await c.until(() => c.dispatched('READY').length === 1, 'READY');
    await client.stop();
    expect(client.state().status).toBe('stopped');
    await c.until(() => sim.openConnections() === 0, 'the connection closed');
  });
});
