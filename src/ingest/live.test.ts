import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApi, type RunningApi } from '../api/index.js';
import { tempDirs, type TempDirs } from '../api/test-support.test-helper.js';
import { silentLogger } from '../lib/index.js';
import { fakeClock, type FakeClock } from '../lib/fake-clock.test-helper.js';
import { startDiscordGatewaySim, type DiscordGatewaySim } from '../sim/discord-gateway.js';
import { startLiveIngestion, type LiveIngestion } from './live.js';
import type { LiveSink } from './live-writer.js';
import { cursorKeys } from './sink.js';

const KEY = 'test-api-key-0123456789';

interface World {
  sim: DiscordGatewaySim;
  dirs: TempDirs;
  api: RunningApi;
  live: LiveIngestion;
  channel: string;
  flushes: number;
}

let world: World | undefined;
afterEach(async () => {
  if (!world) return;
  await world.live.stop();
  await world.api.stop();
  await world.sim.close();
  await world.dirs.cleanup();
  world = undefined;
});

/**
 * Resolves when `check` holds, looked at again every few milliseconds; answers how much of the clock's time
 * passed meanwhile. The clock is fake and fires each of our waits (batches, backoffs) as soon as it is set:
 * the time it shows is what the code chose to wait, not what a busy machine took.
 */
function waiter(clock: FakeClock): { until(check: () => Promise<boolean> | boolean, what: string, timeoutMs?: number): Promise<number> } {
  return {
    until: async (check, what, timeoutMs = 10_000) => {
      const start = clock.now().getTime();
      await vi.waitFor(
        async () => {
          if (!(await check())) throw new Error(`still waiting for ${what}`);
        },
        { timeout: timeoutMs, interval: 20 },
      );
      return clock.now().getTime() - start;
    },
  };
}

async function setup(opts: { seed?: number; heartbeatIntervalMs?: number } = {}): Promise<World & ReturnType<typeof waiter>> {
  const sim = await startDiscordGatewaySim(opts.heartbeatIntervalMs ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {});
  const channel = sim.createChannel();
  if (opts.seed) sim.seedHistory(channel, opts.seed);
  const dirs = await tempDirs('campus-sync-live-');
  const api = await startApi({ logger: silentLogger, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: [KEY], port: 0, host: '127.0.0.1', env: {} });
  const clock = fakeClock(new Date());
  clock.autoAdvance();
  const w = waiter(clock);
  const sink: LiveSink = api.store;
  const live = startLiveIngestion({
    token: 'test-bot-token',
    apiUrl: sim.url,
    channels: [{ guildId: sim.guildId, channelId: channel }],
    sink,
    retry: { attempts: 3, baseDelayMs: 10 },
    clock,
    onFlush: () => {
      world!.flushes += 1;
    },
  });
  world = { sim, dirs, api, live, channel, flushes: 0 };
  return { ...world, ...w };
}

async function messages(api: RunningApi, guildId: string, channelId: string, includeDeleted = false): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({
      guild_id: guildId,
      channel_id: channelId,
      limit: '500',
      ...(includeDeleted ? { include_deleted: 'true' } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const res = await fetch(`${api.url}/v1/messages?${q}`, { headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: any[]; next_cursor?: string | null; nextCursor?: string | null };
    items.push(...body.items);
    cursor = body.next_cursor ?? body.nextCursor ?? null;
  } while (cursor);
  return items;
}

const connected = (live: LiveIngestion) => () => live.health().gateway.status === 'connected' && live.health().catchingUp.length === 0;

describe('live ingestion through the Gateway, into the store, read back from GET /v1/messages', () => {
  it('shows a posted message within 2 s of its clock, and its edit and its deletion', async () => {
    const w = await setup();
    await w.until(connected(w.live), 'connected');
    const m = w.sim.addMessage(w.channel, { content: 'Cours annulé demain', authorName: 'alice' });
    const took = await w.until(async () => (await messages(w.api, w.sim.guildId, w.channel)).some((x) => x.message_id === m.id), 'the message in the API');
    expect(took).toBeLessThan(2000);
    w.sim.editMessage(w.channel, m.id, 'Cours maintenu');
    await w.until(async () => (await messages(w.api, w.sim.guildId, w.channel)).find((x) => x.message_id === m.id)?.content === 'Cours maintenu', 'the edit');
    const edited = (await messages(w.api, w.sim.guildId, w.channel)).find((x) => x.message_id === m.id);
    expect(edited.edited_at).not.toBeNull();
    w.sim.deleteMessage(w.channel, m.id);
    await w.until(async () => (await messages(w.api, w.sim.guildId, w.channel)).length === 0, 'the deletion');
    const kept = await messages(w.api, w.sim.guildId, w.channel, true);
    expect(kept).toHaveLength(1);
    expect(kept[0].deleted).toBe(true);
  });

  it('applies a partial MESSAGE_UPDATE to what is stored and marks a bulk deletion', async () => {
    const w = await setup();
    await w.until(connected(w.live), 'connected');
    const a = w.sim.addMessage(w.channel, { content: 'a', embeds: 1 });
    const b = w.sim.addMessage(w.channel, { content: 'b' });
    await w.until(async () => (await w.api.store.getMessage(b.id)) !== null, 'both stored');
    w.sim.deleteMessages(w.channel, [a.id, b.id]);
    await w.until(async () => (await messages(w.api, w.sim.guildId, w.channel)).length === 0, 'the bulk deletion');
    expect((await w.api.store.getMessage(a.id))?.deleted).toBe(true);
    expect((await w.api.store.getMessage(a.id))?.content).toBe('a');
  });

  it('misses nothing across op 7 (resumed: no REST catch-up needed) and stores each message once', async () => {
    const w = await setup();
    await w.until(connected(w.live), 'connected');
    w.sim.resetLog();
    w.sim.requestReconnect();
    const during = [w.sim.addMessage(w.channel, { content: 'one' }), w.sim.addMessage(w.channel, { content: 'two' })];
    await w.until(() => w.sim.gatewayStats().resumed === 1, 'RESUMED');
    await w.until(async () => (await messages(w.api, w.sim.guildId, w.channel)).length === 2, 'both messages');
    expect((await messages(w.api, w.sim.guildId, w.channel)).map((x) => x.message_id).sort()).toEqual(during.map((m) => m.id).sort());
    expect(w.sim.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(0);
  });

  it('re-identifies after op 9 and backfills the gap by REST, without duplicates', async () => {
    const w = await setup();
    await w.until(connected(w.live), 'connected');
    const before = w.sim.addMessage(w.channel, { content: 'before' });
    await w.until(async () => (await w.api.store.getMessage(before.id)) !== null, 'the first message');
    w.sim.invalidateSessions(false);
    // The session is gone: these are never dispatched; only the REST catch-up can find them.
    const gap = Array.from({ length: 130 }, (_, i) => w.sim.addMessage(w.channel, { content: `gap ${i}` }));
    await w.until(() => w.sim.gatewayStats().ready === 2, 'the second READY', 15_000);
    await w.until(connected(w.live), 'caught up', 15_000);
    await w.live.settle();
    const stored = await messages(w.api, w.sim.guildId, w.channel);
    expect(stored).toHaveLength(131);
    expect(new Set(stored.map((x) => x.message_id)).size).toBe(131);
    expect(await w.api.store.getCursor(cursorKeys.after(w.channel))).toBe(gap.at(-1)!.id);
    const pages = w.sim.requests.filter((r) => r.path.endsWith('/messages') && r.query.after !== undefined);
    expect(pages.every((r) => r.query.limit === '100')).toBe(true);
  });

  it('keeps the store equal to the simulator through random posts, edits, deletions, cuts, op 7 and op 9', async () => {
    const w = await setup({ seed: 5 });
    await w.until(connected(w.live), 'connected');
    const action = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('post' as const), text: fc.string({ minLength: 1, maxLength: 20 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const), pick: fc.nat(), text: fc.string({ minLength: 1, maxLength: 20 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('cut' as const, 'reconnect' as const, 'invalidate' as const) }) },
    );
    const script: { kind: string; text?: string; pick?: number }[] = fc.sample(fc.array(action, { minLength: 40, maxLength: 40 }), {
      numRuns: 1,
      seed: 17,
    })[0]!;
    // Each kind of drop at least once, whatever the sample drew.
    script.splice(8, 0, { kind: 'cut' });
    script.splice(18, 0, { kind: 'reconnect' });
    script.splice(28, 0, { kind: 'invalidate' });
    let invalidations = 0;
    for (const a of script) {
      const live = w.sim.history(w.channel);
      const pick = a.pick ?? 0;
      if (a.kind === 'post') w.sim.addMessage(w.channel, { content: a.text?.trim() || 'x' });
      else if (a.kind === 'edit' && live.length > 0) w.sim.editMessage(w.channel, live[pick % live.length]!.id, a.text?.trim() || 'y');
      else if (a.kind === 'delete' && live.length > 0) w.sim.deleteMessage(w.channel, live[pick % live.length]!.id);
      else if (a.kind === 'cut' || a.kind === 'reconnect') {
        const sessions = w.sim.gatewayStats().resumed + w.sim.gatewayStats().ready;
        if (a.kind === 'cut') w.sim.cutConnections();
        else w.sim.requestReconnect();
        // Posts go on while the client is away (they are replayed); the next edit or deletion waits for the resume,
        // so an op 9 drawn next cannot swallow it (what happens between a lost session and the next one is gone for good).
        if (script.slice(script.indexOf(a) + 1).find((b) => b.kind !== 'post')) {
          await w.until(() => w.sim.gatewayStats().resumed + w.sim.gatewayStats().ready > sessions, 'the session back', 20_000);
        }
      } else if (a.kind === 'invalidate' && invalidations < 1) {
        // One re-identify is enough to exercise the gap (each costs the 1–5 s Discord asks for).
        invalidations += 1;
        const ready = w.sim.gatewayStats().ready;
        w.sim.invalidateSessions(false);
        // Posts in the gap are read back by REST; edits and deletions of older messages in it are not (Discord
        // lists what exists, `after` the resume point): the script waits for the new session before the next one.
        w.sim.addMessage(w.channel, { content: 'in the gap' });
        await w.until(() => w.sim.gatewayStats().ready === ready + 1, 'the new session', 20_000);
        await w.until(connected(w.live), 'caught up', 20_000);
      }
    }
    await w.until(connected(w.live), 'connected at the end', 20_000);
    await w.live.settle();
    const expected = w.sim.history(w.channel);
    const want = expected
      .map((m) => m.id)
      .sort()
      .join();
    await w
      .until(
        async () =>
          (await messages(w.api, w.sim.guildId, w.channel))
            .map((x) => x.message_id)
            .sort()
            .join() === want,
        'the store to match',
        10_000,
      )
      .catch(() => undefined);
    const stored = await messages(w.api, w.sim.guildId, w.channel);
    expect(stored.map((x) => x.message_id).sort()).toEqual(expected.map((m) => m.id).sort());
    const byId = new Map(stored.map((x) => [x.message_id, x.content]));
    for (const m of expected) expect(byId.get(m.id)).toBe(m.content);
    // The drops happened and were recovered from: resumes for the cut and op 7, a second session for op 9.
    expect(w.sim.gatewayStats().resumed).toBeGreaterThanOrEqual(1);
    expect(w.sim.gatewayStats().ready).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeGreaterThan(10);
  }, 120_000);
});
