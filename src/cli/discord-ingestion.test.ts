import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startApi, type RunningApi } from '../api/index.js';
import { tempDirs, type TempDirs } from '../api/test-support.test-helper.js';
import { ingestConfigFromEnv, readIngestHealth, type IngestSettings } from '../ingest/index.js';
import { silentLogger } from '../lib/index.js';
import { startDiscordGatewaySim, type DiscordGatewaySim } from '../sim/discord-gateway.js';
import { startNtfySim } from '../sim/ntfy.js';
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
    api = await startApi({
      logger: silentLogger,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: ['k'.repeat(24)],
      port: 0,
      host: '127.0.0.1',
      env: {},
      discordHealth: () => ref.current?.health() ?? null,
    });
    const settings: IngestSettings = {
      token: 'test-bot-token',
      apiUrl: sim.url,
      channels: [{ guildId: sim.guildId, channelId: channel }],
      intervalMs: 30_000,
      mode: 'gateway',
      threads: false,
    };
    const fatal: unknown[] = [];
    ingestion = ref.current = startDiscordIngestion({ settings, sink: api.store, dataDir: dirs.dataDir, logger: silentLogger, onFatal: (h) => fatal.push(h) });
    expect(ingestion.mode).toBe('gateway');
    await until(async () => (await health()).discord?.gateway?.status === 'connected', '/health connected');
    const m = sim.addMessage(channel, { content: 'hello' });
    await until(async () => (await health()).discord.gateway.lastEventAt !== null && (await api!.store.getMessage(m.id)) !== null, 'the message');
    expect(typeof (await health()).discord.gateway.lagMs).toBe('number');
    // The Gateway's state and the channels' readings are recorded apart (ingest/health.ts): the file may say
    // "connected" before the first channel reading lands, so wait for both.
    await until(async () => {
      const file = await readIngestHealth(dirs!.dataDir);
      return file?.gateway?.status === 'connected' && file.channels.length > 0;
    }, 'the health file');
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

  it('a stop a person must fix is told once to DISCORD_ALERT_URL (an Apprise URL), through a durable outbox, with no token in it', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    const ntfy = await startNtfySim({ protected: { ops: { user: 'op', password: 'ntfy-secret-pw' } } });
    onTestFinished(() => ntfy.close());
    dirs = await tempDirs('campus-sync-ingest-run-');
    api = await startApi({
      logger: silentLogger,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: ['k'.repeat(24)],
      port: 0,
      host: '127.0.0.1',
      env: {},
    });
    const env = {
      DISCORD_BOT_TOKEN: 'revoked-bot-token-0123456789',
      DISCORD_GUILD_ID: sim.guildId,
      DISCORD_CHANNEL_IDS: channel,
      DISCORD_API_URL: sim.url,
      // The phone-push service an operator would pick, on its simulator (ntfy:// is plain http, as Apprise reads it).
      DISCORD_ALERT_URL: `ntfy://op:ntfy-secret-pw@${new URL(ntfy.url).host}/ops?priority=high`,
    };
    const settings = (await ingestConfigFromEnv(env))!;
    expect(settings.alert?.channel.type).toBe('ntfy');
    ingestion = startDiscordIngestion({ settings, sink: api.store, dataDir: dirs.dataDir, logger: silentLogger });
    // A token Discord refuses: the stop a person must fix (a 401 at /gateway/bot or a 4004 close, whichever comes first).
    expect(await ingestion.stopped).toMatchObject({ status: 'stopped', fatal: true });
    await until(async () => ntfy.messages().length > 0, 'the alert on ntfy');
    await ingestion.stop();
    const said = ntfy.messages();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ topic: 'ops', priority: 4 });
    const text = JSON.stringify(said[0]);
    expect(text).toContain('Discord ingestion stopped');
    expect(text).toContain('DISCORD_BOT_TOKEN');
    expect(text).not.toContain('revoked-bot-token-0123456789');
    expect(text).not.toContain('ntfy-secret-pw');
  });

  it('refuses a DISCORD_ALERT_URL it cannot send to, naming the variable', async () => {
    await expect(
      ingestConfigFromEnv({
        DISCORD_BOT_TOKEN: 'test-bot-token-0123456789',
        DISCORD_GUILD_ID: '1',
        DISCORD_CHANNEL_IDS: '2',
        DISCORD_ALERT_URL: 'carrier-pigeon://coop',
      }),
    ).rejects.toThrow(/DISCORD_ALERT_URL: .*carrier-pigeon/);
  });

  it('polls instead when the fallback switch says poll, and shows no Gateway state', async () => {
    sim = await startDiscordGatewaySim();
    const channel = sim.createChannel();
    sim.seedHistory(channel, 3);
    dirs = await tempDirs('campus-sync-ingest-run-');
    api = await startApi({
      logger: silentLogger,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: ['k'.repeat(24)],
      port: 0,
      host: '127.0.0.1',
      env: {},
    });
    const settings: IngestSettings = {
      token: 'test-bot-token',
      apiUrl: sim.url,
      channels: [{ guildId: sim.guildId, channelId: channel }],
      intervalMs: 30_000,
      mode: 'poll',
      threads: false,
    };
    ingestion = startDiscordIngestion({ settings, sink: api.store, dataDir: dirs.dataDir, logger: silentLogger });
    expect(ingestion.mode).toBe('poll');
    await until(async () => (await readIngestHealth(dirs!.dataDir))?.channels[0]?.by === 'poll', 'a poll recorded');
    expect(sim.gatewayStats().connections).toBe(0);
    expect((await health()).discord).toBeUndefined();
  });
});
