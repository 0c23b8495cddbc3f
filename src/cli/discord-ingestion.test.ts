import { afterEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../api/index.js';
import { tempDirs, type TempDirs } from '../api/test-support.test-helper.js';
import { readIngestHealth, type IngestSettings } from '../ingest/index.js';
import { silentLogger } from '../lib/index.js';
import { startDiscordGatewaySim, type DiscordGatewaySim } from '../sim/discord-gateway.js';
import { startDiscordIngestion, type RunningIngestion } from './discord-ingestion.js';

let sim: DiscordGatewaySim | undefined;
let dirs: TempDirs | undefined;
let api: RunningApi | undefined;
let ingestion: RunningIngestion | undefined;
afterEach(async () => {
  await ingestion?.stop();
  await api?.stop();
  await sim?.close();
  await dirs?.cleanup();
  ingestion = api = sim = dirs = undefined;
});

async function health(): Promise<any> {
  return (await fetch(`${api!.url}/health`)).json();
}

/** Re-checks after each notification (a gateway state recorded), at most every 200 ms otherwise. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Discord ingestion as serve runs it', () => {
  it('is live by default: /health and the health file show the Gateway; a 4014 stop is said once, with the intent', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    dirs = await tempDirs('campus-sync-ingest-run-');
    const ref: { current: RunningIngestion | undefined } = { current: undefined };
    api = await startApi({ logger: silentLogger, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: ['k'.repeat(24)], port: 0, host: '127.0.0.1', env: {}, discordHealth: () => ref.current?.health() ?? null });
    const settings: IngestSettings = { token: 'test-bot-token', apiUrl: sim.url, channels: [{ guildId: sim.guildId, channelId: channel }], intervalMs: 30_000, mode: 'gateway', threads: false };
    const fatal: unknown[] = [];
    ingestion = ref.current = startDiscordIngestion({ settings, sink: api.store, dataDir: dirs.dataDir, logger: silentLogger, onFatal: (h) => fatal.push(h) });
    expect(ingestion.mode).toBe('gateway');
    await until(async () => (await health()).discord?.gateway?.status === 'connected', '/health connected');
    const m = sim.addMessage(channel, { content: 'hello' });
    await until(async () => (await health()).discord.gateway.lastEventAt !== null && (await api!.store.getMessage(m.id)) !== null, 'the message');
    expect(typeof (await health()).discord.gateway.lagMs).toBe('number');
    await until(async () => (await readIngestHealth(dirs!.dataDir))?.gateway?.status === 'connected', 'the health file');
    expect((await readIngestHealth(dirs.dataDir))?.channels.map((c) => c.channelId)).toEqual([channel]);

    sim.setMessageContentIntent(false);
    sim.closeConnections(4014, 'Disallowed intent(s).');
    const stopped = await ingestion.stopped;
    expect(stopped).toMatchObject({ status: 'stopped', fatal: true });
    const h = await health();
    expect(h.status).toBe('ok');
    expect(h.discord.gateway).toMatchObject({ status: 'stopped', fatal: true, closeCode: 4014 });
    expect(h.discord.gateway.reason).toMatch(/Message Content/);
    await until(async () => (await readIngestHealth(dirs!.dataDir))?.gateway?.status === 'stopped', 'the stop recorded');
    expect(fatal).toHaveLength(1);
  });

  it('polls instead when the fallback switch says poll, and shows no Gateway state', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    sim.seedHistory(channel, 3);
    dirs = await tempDirs('campus-sync-ingest-run-');
    api = await startApi({ logger: silentLogger, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: ['k'.repeat(24)], port: 0, host: '127.0.0.1', env: {} });
    const settings: IngestSettings = { token: 'test-bot-token', apiUrl: sim.url, channels: [{ guildId: sim.guildId, channelId: channel }], intervalMs: 30_000, mode: 'poll', threads: false };
    ingestion = startDiscordIngestion({ settings, sink: api.store, dataDir: dirs.dataDir, logger: silentLogger });
    expect(ingestion.mode).toBe('poll');
    await until(async () => (await readIngestHealth(dirs!.dataDir))?.channels[0]?.by === 'poll', 'a poll recorded');
    expect(sim.gatewayStats().connections).toBe(0);
    expect((await health()).discord).toBeUndefined();
  });
});
