/**
 * `campus-sync serve` and `feed-url` as a person uses them: the real CLI processes, the real SQLite store,
 * the simulators. The API's own tests (src/api) cover every parameter; this proves the pieces meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { startDiscordSim, type DiscordSim } from '../src/sim/discord.js';
import { startDiscordGatewaySim, type DiscordGatewaySim } from '../src/sim/discord-gateway.js';
import { API_KEY, API_SECRET, CALENDAR_ID, PASSWORD, makeWorkspace, nestedConfig, runCli, startCli, waitFor, writeConfig, type Workspace } from './helpers.js';

const KEY = 'cli-api-test-key';

describe('serve and feed-url', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  let serve: ReturnType<typeof startCli>;
  let url = '';
  let out = '';

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: generateTimetable({ count: 12, start: '2025-09-01', seed: 5 }) });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    await writeConfig(ws, 'lina', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-10-31' }));
    serve = startCli(['serve', '--json'], { ...ws.env, API_KEY: KEY, PORT: '0' });
    serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.test(out), 15_000);
    url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!;
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.result;
    await Promise.all([mc?.close(), ecal?.close()]);
  });

  it('imports what a run-once wrote: the run, its events, reachable with the key only', async () => {
    expect((await runCli(['run-once', 'lina'], ws.env)).code).toBe(0);
    const get = (path: string, key?: string) => fetch(`${url}${path}`, key ? { headers: { 'x-api-key': key } } : {});
    expect((await get('/v1/instances/lina/runs')).status).toBe(401);
    expect((await get('/v1/instances/lina/runs', 'wrong')).status).toBe(401);
    let runs: { outcome: string; created: number }[] = [];
    // The importer runs every 5 s: poll until the run is in.
    for (const t0 = Date.now(); runs.length === 0 && Date.now() - t0 < 15_000; await new Promise((r) => setTimeout(r, 200))) {
      runs = ((await (await get('/v1/instances/lina/runs', KEY)).json()) as { items: typeof runs }).items;
    }
    expect(runs[0]).toMatchObject({ outcome: 'success', created: 12 });
    const events = (await (await get('/v1/instances/lina/events?limit=500', KEY)).json()) as { items: { ecal_id: string | null }[] };
    expect(events.items).toHaveLength(12);
    expect(events.items.every((e) => typeof e.ecal_id === 'string')).toBe(true);
    const health = (await (await get('/health')).json()) as { instances: { name: string; lastRun: { outcome: string } | null }[] };
    expect(health.instances.find((i) => i.name === 'lina')?.lastRun?.outcome).toBe('success');
  });

  it('feed-url prints a subscription URL whose feed is the calendar, with ETag and 304', async () => {
    const r = await runCli(['feed-url', 'lina', '--base-url', url], ws.env);
    expect(r.code, r.stderr).toBe(0);
    const feed = r.stdout.trim().split('\n')[0]!;
    expect(feed).toMatch(new RegExp(`^${url}/ics/lina\\.ics\\?token=[A-Za-z0-9_-]{43}$`));
    const first = await fetch(feed);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/calendar/);
    // Parsed back by an independent parser (Mozilla's ical.js): every event, at the wall-clock time ECAL has.
    const ICAL = (await import('ical.js')).default;
    const calendar = new ICAL.Component(ICAL.parse(await first.text()));
    const zones = calendar.getAllSubcomponents('vtimezone').map((z) => new ICAL.Timezone(z));
    expect(zones.map((z) => z.tzid)).toEqual(['Europe/Paris']);
    for (const z of zones) ICAL.TimezoneService.register(z);
    const parsed = calendar.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
    expect(parsed).toHaveLength(12);
    expect(new Set(parsed.map((e) => e.uid)).size).toBe(12);
    const inEcal = new Set(ecal.events().map((e) => `${e.name} ${e.startDate} ${e.startTime?.slice(0, 5)}`));
    for (const e of parsed) {
      expect(e.startDate.zone?.tzid).toBe('Europe/Paris');
      const wall = `${e.summary} ${e.startDate.toString().slice(0, 10)} ${e.startDate.toString().slice(11, 16)}`;
      expect(inEcal.has(wall), wall).toBe(true);
    }
    const again = await fetch(feed, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(feed.replace(/token=.*/, 'token=nope'))).status).toBe(404);
    // Asking again gives the same URL: the token is made once.
    expect((await runCli(['feed-url', 'lina', '--base-url', url], ws.env)).stdout.trim().split('\n')[0]).toBe(feed);
  });
});

describe("Discord messages: ingest backfill, then serve keeps up by polling (the fallback switch), as the seed's quick demo", () => {
  const BOT = 'bot-token-cli-api-test';
  let discord: DiscordSim;
  let ws: Workspace;
  let channel = '';
  let serve: ReturnType<typeof startCli> | undefined;
  const env = (): NodeJS.ProcessEnv => ({
    ...ws.env,
    API_KEY: KEY,
    PORT: '0',
    DISCORD_BOT_TOKEN: BOT,
    DISCORD_GUILD_ID: discord.guildId,
    DISCORD_CHANNEL_IDS: channel,
    DISCORD_API_URL: discord.url,
    DISCORD_POLL_SECONDS: '5',
    // Polling, the fallback: this simulator has no Gateway (the live default is tested below).
    DISCORD_INGEST_MODE: 'poll',
  });

  beforeAll(async () => {
    discord = await startDiscordSim({ botToken: BOT });
    channel = discord.createChannel();
    discord.seedHistory(channel, 150);
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.result;
    await discord?.close();
  });

  it('backfills the history, then serve ingests a new message and answers it on /v1/messages', async () => {
    const back = await runCli(['ingest', 'backfill', '--json'], env());
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout.trim().split('\n').pop()!)).toMatchObject({ fetched: 150, inserted: 150, interrupted: false });
    expect(back.stdout + back.stderr).not.toContain(BOT);

    let out = '';
    serve = startCli(['serve', '--json'], env());
    serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.test(out), 15_000);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!;
    const fresh = discord.addMessage(channel, { content: 'rendez-vous dispo jeudi', authorName: 'Olga' });
    const list = async (): Promise<{ message_id: string; content: string }[]> =>
      (
        (await (await fetch(`${url}/v1/messages?guild_id=${discord.guildId}&channel_id=${channel}&limit=500`, { headers: { 'x-api-key': KEY } })).json()) as {
          items: { message_id: string; content: string }[];
        }
      ).items;
    let items: { message_id: string; content: string }[] = [];
    for (const t0 = Date.now(); !items.some((m) => m.message_id === fresh.id) && Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 250))) {
      items = await list();
    }
    expect(items).toHaveLength(151);
    expect(items[0]).toMatchObject({ message_id: fresh.id, content: 'rendez-vous dispo jeudi' });
    const one = await fetch(`${url}/v1/messages/${fresh.id}`, { headers: { 'x-api-key': KEY } });
    expect(one.status).toBe(200);

    // The bot loses the Message Content intent: serve's polling records which, and `status` shows it.
    discord.setMessageContentIntent(false);
    const blank = discord.addMessage(channel, { content: 'texte caché', authorName: 'Olga' });
    const shown = async (): Promise<{ channelId: string; ok: boolean; problem?: { code: string } }[]> => {
      const r = await runCli(['status', '--json', '--runtime', 'process'], env());
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { discord: { channelId: string; ok: boolean; problem?: { code: string } }[] }).discord;
    };
    let discordStatus = await shown();
    for (const t0 = Date.now(); discordStatus[0]?.problem === undefined && Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 500))) {
      discordStatus = await shown();
    }
    expect(discordStatus).toEqual([
      expect.objectContaining({ channelId: channel, ok: false, problem: expect.objectContaining({ code: 'missing-message-content-intent' }) }),
    ]);
    expect((await list()).some((m) => m.message_id === blank.id)).toBe(false);
    discord.setMessageContentIntent(true);
  });
});

/** Like waitFor, for an async condition (an HTTP answer, a CLI run). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Discord messages live through the Gateway: serve by default, /health and status show it, a refused intent stops it', () => {
  const BOT = 'bot-token-cli-api-gateway';
  let discord: DiscordGatewaySim;
  let ws: Workspace;
  let channel = '';
  let serve: ReturnType<typeof startCli> | undefined;
  const env = (): NodeJS.ProcessEnv => ({
    ...ws.env,
    API_KEY: KEY,
    PORT: '0',
    DISCORD_BOT_TOKEN: BOT,
    DISCORD_GUILD_ID: discord.guildId,
    DISCORD_CHANNEL_IDS: channel,
    DISCORD_API_URL: discord.url,
  });

  beforeAll(async () => {
    discord = await startDiscordGatewaySim({ botToken: BOT });
    channel = discord.createChannel();
    ws = await makeWorkspace();
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.result;
    await discord?.close();
  });

  it('a posted message is on /v1/messages within 2 s; a 4014 stop shows in /health and status with the intent, and serve stays up', async () => {
    let out = '';
    serve = startCli(['serve', '--json'], env());
    serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.test(out), 15_000);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!;
    const health = async (): Promise<any> => (await fetch(`${url}/health`)).json();
    await until(async () => (await health()).discord?.gateway?.status === 'connected', 15_000);
    const fresh = discord.addMessage(channel, { content: 'en direct', authorName: 'Olga' });
    const listed = async (): Promise<boolean> =>
      (
        (await (await fetch(`${url}/v1/messages?guild_id=${discord.guildId}&channel_id=${channel}`, { headers: { 'x-api-key': KEY } })).json()) as {
          items: { message_id: string }[];
        }
      ).items.some((m) => m.message_id === fresh.id);
    // The path from the Gateway to /v1/messages; its 2 s promise (the batch wait) is checked on a fake clock in
    // src/ingest/live.test.ts, where a busy machine cannot make it fail.
    await until(listed, 15_000);

    const status = async (): Promise<any> => JSON.parse((await runCli(['status', '--json', '--runtime', 'process'], env())).stdout.trim().split('\n').pop()!);
    expect((await status()).discordGateway).toMatchObject({ status: 'connected' });

    discord.setMessageContentIntent(false);
    discord.closeConnections(4014, 'Disallowed intent(s).');
    await until(async () => (await health()).discord?.gateway?.status === 'stopped', 15_000);
    const h = await health();
    expect(h.status).toBe('ok');
    expect(h.discord.gateway.reason).toMatch(/Message Content/);
    await until(async () => (await status()).discordGateway?.status === 'stopped', 15_000);
    expect((await status()).discordGateway.reason).toMatch(/Message Content/);
    // Stopped for good: no reconnect loop (one identify, one connection).
    expect(discord.gatewayStats()).toMatchObject({ identifies: 1, connections: 1 });
    expect(out).not.toContain(BOT);
  });
});
