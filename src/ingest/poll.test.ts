import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError } from '../lib/index.js';
import { startDiscordSim, type DiscordSim } from '../sim/discord.js';
import { backfill } from './backfill.js';
import { createTestMessageSink } from './memory-sink.test-helper.js';
import { pollOnce, RECHECK_INTERVAL_MS, RECHECK_WINDOW_MS, startIngestion, type PollResult } from './poll.js';
import { cursorKeys } from './sink.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const TOKEN = 'poll-test-token-0123456789';
const GUILD = '1000000000000000001';
const noWait = { sleep: async () => {} };
/** A poll interval of the order users set: on the fake clock it costs nothing. */
const INTERVAL_MS = 60_000;
const HOUR = 3_600_000;

describe('pollOnce against the Discord simulator', () => {
  let sim: DiscordSim;
  beforeAll(async () => {
    sim = await startDiscordSim({ botToken: TOKEN });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  const gets = () => sim.requests.filter((r) => r.method === 'GET');
  const opts = (channelId: string, extra: Record<string, unknown> = {}) => ({
    token: TOKEN,
    apiUrl: sim.url,
    retry: noWait,
    channels: [{ guildId: GUILD, channelId }],
    ...extra,
  });

  it('first poll of a channel stores its newest page and remembers the newest id; the next ones ask `after` it', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 150);
    const sink = createTestMessageSink();
    const first = await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(first.channels[0]).toMatchObject({ fetched: 100, inserted: 100, rechecked: false });
    expect(gets().map((r) => r.query)).toEqual([{ limit: '100' }]);
    const newest = sim.history(ch).at(-1)!.id;
    expect(sink.cursors.get(cursorKeys.after(ch))).toBe(newest);

    sim.resetLog();
    const added = [sim.addMessage(ch, { content: 'un' }), sim.addMessage(ch, { content: 'deux', attachments: 1 }), sim.addMessage(ch, { content: 'trois' })];
    const second = await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(gets().map((r) => r.query)).toEqual([{ after: newest, limit: '100' }]);
    expect(second.channels[0]).toMatchObject({ fetched: 3, inserted: 3, updated: 0, deleted: 0 });
    expect(sink.rows.get(added[1]!.id)).toMatchObject({ content: 'deux', attachmentCount: 1, guildId: GUILD, channelId: ch });
    expect(sink.cursors.get(cursorKeys.after(ch))).toBe(added[2]!.id);

    sim.resetLog();
    const quiet = await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(quiet.channels[0]).toMatchObject({ fetched: 0, inserted: 0 });
    expect(gets()).toHaveLength(1);
  });

  it('catches up a backlog of several pages in one poll, oldest first, leaving no gap after a backfill', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 120, { endAt: new Date(Date.now() - HOUR) });
    const sink = createTestMessageSink();
    await backfill({ ...opts(ch), sink });
    for (let i = 0; i < 230; i++) sim.addMessage(ch, { content: `new ${i}` });
    sim.resetLog();
    const r = await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(gets()).toHaveLength(3);
    expect(r.channels[0]).toMatchObject({ fetched: 230, inserted: 230 });
    expect(sink.sorted().map((m) => m.messageId)).toEqual(sim.history(ch).map((m) => m.id));
  });

  it('an empty channel polls from the start: its first messages are not missed', async () => {
    const ch = sim.createChannel();
    const sink = createTestMessageSink();
    await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(sink.cursors.get(cursorKeys.after(ch))).toBe('0');
    sim.addMessage(ch, { content: 'premier' });
    const r = await pollOnce({ ...opts(ch), sink, recheck: false });
    expect(r.channels[0]).toMatchObject({ inserted: 1 });
  });

  it('records an edit (content and editedAt) at the next re-read, keeping the first ingestedAt', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 10);
    const sink = createTestMessageSink();
    const clock = fakeClock(new Date());
    await pollOnce({ ...opts(ch), sink, clock });
    const firstSeen = sink.rows.get(seeded[4]!.id)!.ingestedAt;
    const edited = sim.editMessage(ch, seeded[4]!.id, 'contenu corrigé');
    clock.advance(RECHECK_INTERVAL_MS);
    const r = await pollOnce({ ...opts(ch), sink, clock });
    expect(r.channels[0]).toMatchObject({ rechecked: true, updated: 1, inserted: 0, deleted: 0 });
    const row = sink.rows.get(seeded[4]!.id)!;
    expect(row.content).toBe('contenu corrigé');
    expect(row.editedAt).toBe(new Date(Date.parse(edited.edited_timestamp!.replace('000+00:00', 'Z'))).toISOString());
    expect(row.ingestedAt).toBe(firstSeen);
    expect(JSON.parse(row.rawJson).content).toBe('contenu corrigé');
  });

  it('a deleted message is marked deleted (row and content kept), once; a new one in the same poll is stored', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 10);
    const sink = createTestMessageSink();
    await pollOnce({ ...opts(ch), sink, recheck: true });
    sim.deleteMessage(ch, seeded[2]!.id);
    sim.deleteMessage(ch, seeded[9]!.id); // the newest one, which is also the `after` cursor
    const fresh = sim.addMessage(ch, { content: 'nouveau' });
    const r = await pollOnce({ ...opts(ch), sink, recheck: true });
    expect(r.channels[0]).toMatchObject({ inserted: 1, deleted: 2 });
    expect(sink.rows.size).toBe(11);
    expect(sink.rows.get(seeded[2]!.id)).toMatchObject({ deleted: true, content: seeded[2]!.content });
    expect(sink.rows.get(seeded[9]!.id)?.deleted).toBe(true);
    expect(sink.rows.get(fresh.id)?.deleted).toBe(false);
    expect([...sink.rows.values()].filter((row) => row.deleted)).toHaveLength(2);
    const again = await pollOnce({ ...opts(ch), sink, recheck: true });
    expect(again.channels[0]?.deleted).toBe(0);
  });

  it('looks for deletions only within the re-read window (older ones are the documented blind spot)', async () => {
    const ch = sim.createChannel();
    const old = sim.seedHistory(ch, 5, { endAt: new Date(Date.now() - RECHECK_WINDOW_MS - 2 * HOUR) });
    const recent = sim.seedHistory(ch, 5, { endAt: new Date(Date.now() - HOUR) });
    const sink = createTestMessageSink();
    await backfill({ ...opts(ch), sink });
    sim.deleteMessage(ch, old[1]!.id);
    sim.deleteMessage(ch, recent[1]!.id);
    const r = await pollOnce({ ...opts(ch), sink, recheck: true });
    expect(r.channels[0]?.deleted).toBe(1);
    expect(sink.rows.get(recent[1]!.id)?.deleted).toBe(true);
    expect(sink.rows.get(old[1]!.id)?.deleted).toBe(false);
  });

  it('re-reads page by page back to the window start in a busy channel, and marks deletions on any page', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 260, { spacingMs: 1000 });
    const sink = createTestMessageSink();
    await backfill({ ...opts(ch), sink });
    sim.deleteMessage(ch, seeded[5]!.id);
    sim.resetLog();
    const r = await pollOnce({ ...opts(ch), sink, recheck: true });
    // 1 `after` request, then 3 pages back (100, 100, 60).
    expect(gets()).toHaveLength(4);
    expect(r.channels[0]).toMatchObject({ deleted: 1, fetched: 259, updated: 0 });
  });

  it("re-reads on its own every RECHECK_INTERVAL_MS ('auto'), not at every poll", async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 3);
    const sink = createTestMessageSink();
    const clock = fakeClock(new Date());
    const flags: boolean[] = [];
    for (const step of [0, 60_000, RECHECK_INTERVAL_MS - 60_000, 1]) {
      clock.advance(step);
      flags.push((await pollOnce({ ...opts(ch), sink, clock })).channels[0]!.rechecked);
    }
    expect(flags).toEqual([true, false, true, false]);
  });

  it('a message marked deleted that Discord lists again is live again (counted as updated), content kept', async () => {
    const ch = sim.createChannel();
    const seeded = sim.seedHistory(ch, 4);
    const sink = createTestMessageSink();
    await pollOnce({ ...opts(ch), sink, recheck: true });
    // As if an earlier re-read had missed it (a page cut short by a concurrent delete on Discord's side).
    expect(await sink.markMessageDeleted(seeded[1]!.id, new Date().toISOString())).toBe(true);
    const r = await pollOnce({ ...opts(ch), sink, recheck: true });
    expect(r.channels[0]).toMatchObject({ updated: 1, deleted: 0, inserted: 0 });
    expect(sink.rows.get(seeded[1]!.id)).toMatchObject({ deleted: false, content: seeded[1]!.content });
  });

  it('a failing channel does not stop the others; its error is in the result', async () => {
    const ok = sim.createChannel();
    sim.seedHistory(ok, 2);
    const closed = sim.createChannel();
    sim.setBotAccess(closed, false);
    const sink = createTestMessageSink();
    const r = await pollOnce({
      token: TOKEN,
      apiUrl: sim.url,
      retry: noWait,
      sink,
      channels: [
        { guildId: GUILD, channelId: closed },
        { guildId: GUILD, channelId: ok },
      ],
    });
    expect(r.channels[0]?.error).toBeInstanceOf(AuthError);
    expect(r.channels[0]?.error?.message).toContain(closed);
    expect(r.channels[1]).toMatchObject({ inserted: 2 });
    expect(r.channels[1]?.error).toBeUndefined();
  });
});

describe('startIngestion', () => {
  let sim: DiscordSim;
  beforeAll(async () => {
    sim = await startDiscordSim({ botToken: TOKEN });
  });
  afterAll(() => sim.close());

  it('polls on an interval without overlapping polls, picks up new messages, and stops cleanly', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 5);
    sim.setLatency(40);
    sim.resetLog();
    const sink = createTestMessageSink();
    const polls: PollResult[] = [];
    let added: string | undefined;
    const clock = fakeClock(new Date());
    const ingestion = startIngestion({
      token: TOKEN,
      apiUrl: sim.url,
      retry: noWait,
      sink,
      clock,
      channels: [{ guildId: GUILD, channelId: ch }],
      intervalMs: INTERVAL_MS,
      onPoll: (p) => {
        polls.push(p);
        if (polls.length === 2) added = sim.addMessage(ch, { content: 'live' }).id;
      },
    });
    while (polls.length < 5) {
      // The next poll is set only once the previous one has ended, and not started a moment early.
      await clock.whenPending();
      const seen = polls.length;
      await clock.tickAsync(INTERVAL_MS - 1);
      expect(polls.length).toBe(seen);
      await clock.tickAsync(1);
      await clock.whenPending();
      expect(polls.length).toBe(seen + 1);
    }
    await ingestion.stop();
    sim.setLatency(0);

    expect(clock.pendingTimers()).toBe(0);
    expect(sim.maxConcurrent()).toBe(1);
    expect(sink.rows.get(added!)?.content).toBe('live');
    expect(polls.reduce((n, p) => n + (p.channels[0]?.inserted ?? 0), 0)).toBe(6);
  });

  it('keeps polling after a poll fails in the store', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 2);
    const sink = createTestMessageSink();
    const getCursor = sink.getCursor;
    let failures = 1;
    sink.getCursor = async (key) => {
      if (failures-- > 0) throw new Error('database is locked');
      return getCursor(key);
    };
    const polls: PollResult[] = [];
    const clock = fakeClock(new Date());
    const ingestion = startIngestion({
      token: TOKEN,
      apiUrl: sim.url,
      sink,
      clock,
      channels: [{ guildId: GUILD, channelId: ch }],
      intervalMs: INTERVAL_MS,
      onPoll: (p) => polls.push(p),
    });
    await clock.whenPending();
    expect(sink.rows.size).toBe(0);
    await clock.tickAsync(INTERVAL_MS);
    await clock.whenPending();
    await ingestion.stop();
    expect(sink.rows.size).toBe(2);
    // The store error surfaced in the channel's result (pollOnce catches per channel).
    expect(polls[0]?.channels[0]?.error?.message).toBe('database is locked');
  });
});
