import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, TransientError } from '../lib/index.js';
import { startDiscordSim, type DiscordSim } from '../sim/discord.js';
import { backfill, type BackfillProgress } from './backfill.js';
import { toMessageRow } from './message.js';
import { createTestMessageSink } from './memory-sink.test-helper.js';
import { cursorKeys } from './sink.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const TOKEN = 'backfill-test-token-0123456789';
const GUILD = '1000000000000000001';
const noWait = { sleep: async () => {} };

describe('backfill against the Discord simulator', () => {
  let sim: DiscordSim;
  beforeAll(async () => {
    sim = await startDiscordSim({ botToken: TOKEN });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  const listRequests = () => sim.requests.filter((r) => r.method === 'GET');
  const base = { token: TOKEN, retry: noWait } as const;
  const opts = (channelId: string) => ({ ...base, apiUrl: sim.url, channels: [{ guildId: GUILD, channelId }] });

  it('reads 350 messages in 4 pages of 100 with `before`, storing exactly what Discord lists', async () => {
    const ch = sim.createChannel({ createdAt: '2025-01-01T00:00:00Z' });
    sim.seedHistory(ch, 350, { endAt: '2025-02-01T00:00:00Z' });
    const sink = createTestMessageSink();
    const progress: BackfillProgress[] = [];
    const clock = fakeClock('2025-02-02T00:00:00Z');
    const result = await backfill({ ...opts(ch), sink, clock, onProgress: (p) => progress.push(p) });

    const reqs = listRequests();
    expect(reqs).toHaveLength(4);
    expect(reqs.every((r) => r.query.limit === '100')).toBe(true);
    expect(reqs[0]?.query.before).toBeUndefined();
    const history = sim.history(ch);
    // Each next page is `before` the oldest message of the previous one.
    expect(reqs.slice(1).map((r) => r.query.before)).toEqual([history[250]!.id, history[150]!.id, history[50]!.id]);

    expect(sink.sorted()).toEqual(history.map((m) => toMessageRow(m, { guildId: GUILD, ingestedAt: '2025-02-02T00:00:00.000Z' })));
    const sample = sink.sorted().find((r) => r.attachmentCount > 0);
    expect(sample).toMatchObject({ guildId: GUILD, channelId: ch, deleted: false, editedAt: null });
    expect(sink.sorted().some((r) => r.embedCount === 2)).toBe(true);

    expect(result.interrupted).toBe(false);
    expect(result.channels).toEqual([
      expect.objectContaining({ channelId: ch, guildId: GUILD, pages: 4, fetched: 350, inserted: 350, updated: 0, done: true, resumed: false, fraction: 1 }),
    ]);
    expect(progress.map((p) => p.fetched)).toEqual([100, 200, 300, 350]);
    const fractions = progress.map((p) => p.fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]!);
    expect(fractions[0]).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ done: true, reachedAt: `${history[0]!.timestamp.slice(0, 19)}.000Z` });
    // Polling will continue from the newest message the backfill saw.
    expect(sink.cursors.get(cursorKeys.after(ch))).toBe(history.at(-1)!.id);
    expect(JSON.parse(sink.cursors.get(cursorKeys.backfill(ch))!)).toMatchObject({ done: true, fetched: 350 });
  });

  it('resumes after an interruption (errors past the retry budget), re-reading nothing already stored', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 350);
    const sink = createTestMessageSink();
    let pages = 0;
    const err = await backfill({
      ...opts(ch),
      retry: { attempts: 2, sleep: async () => {} },
      sink,
      onProgress: () => {
        pages += 1;
        if (pages === 2) sim.failNext(2, 503);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(sink.rows.size).toBe(200);
    expect(listRequests()).toHaveLength(4); // 2 pages, then 2 failed attempts

    sim.resetLog();
    const result = await backfill({ ...opts(ch), sink });
    const reqs = listRequests();
    expect(reqs).toHaveLength(2);
    expect(reqs[0]?.query.before).toBe(sim.history(ch)[150]!.id);
    expect(result.channels[0]).toMatchObject({ resumed: true, pages: 2, fetched: 350, inserted: 150, done: true });
    expect(sink.sorted().map((r) => r.messageId)).toEqual(sim.history(ch).map((m) => m.id));
  });

  it('stops between pages on an abort signal, keeping the page in hand, and resumes', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 250);
    const sink = createTestMessageSink();
    const controller = new AbortController();
    const first = await backfill({ ...opts(ch), sink, signal: controller.signal, onProgress: () => controller.abort() });
    expect(first).toMatchObject({ interrupted: true, channels: [{ pages: 1, fetched: 100, done: false }] });
    expect(sink.rows.size).toBe(100);
    const second = await backfill({ ...opts(ch), sink });
    expect(second.channels[0]).toMatchObject({ resumed: true, pages: 2, fetched: 250, done: true });
    expect(sink.rows.size).toBe(250);
  });

  it('is idempotent: a second full run (restart) inserts and updates nothing and leaves the same rows', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 120);
    const sink = createTestMessageSink();
    await backfill({ ...opts(ch), sink, clock: fakeClock('2025-05-01T00:00:00Z') });
    const before = structuredClone(sink.sorted());
    sim.resetLog();
    const again = await backfill({ ...opts(ch), sink, restart: true, clock: fakeClock('2025-05-02T00:00:00Z') });
    expect(listRequests()).toHaveLength(2);
    expect(again.channels[0]).toMatchObject({ inserted: 0, updated: 0, fetched: 120, done: true });
    expect(sink.sorted()).toEqual(before);
    // Without restart a finished backfill sends nothing.
    sim.resetLog();
    const noop = await backfill({ ...opts(ch), sink });
    expect(listRequests()).toHaveLength(0);
    expect(noop.channels[0]).toMatchObject({ pages: 0, done: true, fetched: 120 });
  });

  it('an exact multiple of 100 ends with an empty page; an empty channel is done at once', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 200);
    const empty = sim.createChannel();
    const sink = createTestMessageSink();
    const result = await backfill({
      ...base,
      apiUrl: sim.url,
      sink,
      channels: [
        { guildId: GUILD, channelId: ch },
        { guildId: '1000000000000000002', channelId: empty },
      ],
    });
    expect(result.channels.map((c) => [c.pages, c.fetched, c.done])).toEqual([
      [3, 200, true],
      [1, 0, true],
    ]);
    expect(sink.cursors.has(cursorKeys.after(empty))).toBe(false);
  });

  it('a 429 mid-backfill is waited out (retry_after honoured) and every message still arrives once', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 150);
    const sink = createTestMessageSink();
    const sleeps: number[] = [];
    let rateLimited = false;
    await backfill({
      ...opts(ch),
      sink,
      retry: { sleep: async (ms) => void sleeps.push(ms) },
      onProgress: () => {
        if (!rateLimited) sim.rateLimitNext(1, 1.5);
        rateLimited = true;
      },
    });
    expect(listRequests().map((r) => r.status)).toEqual([200, 429, 200]);
    expect(sleeps).toEqual([1500]);
    expect(sink.rows.size).toBe(150);
  });

  it('a wrong token fails at once with an AuthError naming the channel, not the token', async () => {
    const ch = sim.createChannel();
    const sink = createTestMessageSink();
    const err = await backfill({ ...opts(ch), token: 'not-the-right-token-123456', sink }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain(ch);
    expect((err as Error).message).not.toContain('not-the-right-token-123456');
    expect(listRequests()).toHaveLength(1);
    expect(sink.cursors.size).toBe(0);
  });
});
