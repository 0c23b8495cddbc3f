import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDiscordSim, type DiscordSim } from '../sim/discord.js';
import { backfill } from './backfill.js';
import { blankMessages, channelHealth, createHealthRecorder, INGEST_HEALTH_FILE, readIngestHealth, recordIngestHealth } from './health.js';
import { createTestMessageSink } from './memory-sink.test-helper.js';
import { pollOnce } from './poll.js';
import { cursorKeys } from './sink.js';

const TOKEN = 'health-test-token-0123456789';
const GUILD = '1000000000000000001';
const noWait = { sleep: async () => {} };

const person = (content: string, extra: Record<string, unknown> = {}) => ({
  type: 0,
  author: { id: '1', username: 'a' },
  content,
  embeds: [],
  attachments: [],
  ...extra,
});

describe('blankMessages', () => {
  it('counts ordinary messages from people and the blank ones; bots, webhooks, stickers, polls, forwards and joins do not count', () => {
    expect(blankMessages([person(''), person(''), person('x')])).toEqual({ people: 3, blank: 2 });
    expect(blankMessages([person('', { attachments: [{}] }), person('', { embeds: [{}] })])).toEqual({ people: 2, blank: 0 });
    expect(
      blankMessages([
        person('', { author: { id: '2', username: 'bot', bot: true } }),
        person('', { webhook_id: '3' }),
        person('', { sticker_items: [{ id: '4' }] }),
        person('', { poll: {} }),
        person('', { message_snapshots: [{}] }),
        person('', { type: 7 }),
      ]),
    ).toEqual({ people: 0, blank: 0 });
    expect(blankMessages([person('', { type: 19 })])).toEqual({ people: 1, blank: 1 });
  });
});

describe('Discord silent failures, against the simulator', () => {
  let sim: DiscordSim;
  beforeAll(async () => {
    sim = await startDiscordSim({ botToken: TOKEN });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.resetLog();
    sim.setMessageContentIntent(true);
  });
  const source = (...channelIds: string[]) => ({
    token: TOKEN,
    apiUrl: sim.url,
    retry: noWait,
    channels: channelIds.map((channelId) => ({ guildId: GUILD, channelId })),
  });

  it('without Read Message History (200 [] but a last_message_id): the poll names the permission, stores nothing and sets no cursor; once given, the messages come', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 5);
    sim.setReadHistory(ch, false);
    const sink = createTestMessageSink();
    const r = await pollOnce({ ...source(ch), sink, recheck: false });
    expect(r.channels[0]?.problem).toMatchObject({ code: 'missing-read-message-history' });
    expect(r.channels[0]?.problem?.message).toMatch(/lacks the Read Message History permission/);
    expect(r.channels[0]?.error?.message).toBe(r.channels[0]?.problem?.message);
    expect(sim.requests.map((q) => q.path)).toEqual([`/api/v10/channels/${ch}/messages`, `/api/v10/channels/${ch}`]);
    expect(sink.rows.size).toBe(0);
    expect(sink.cursors.get(cursorKeys.after(ch))).toBeUndefined();

    sim.setReadHistory(ch, true);
    const again = await pollOnce({ ...source(ch), sink, recheck: false });
    expect(again.channels[0]).toMatchObject({ inserted: 5 });
    expect(again.channels[0]?.problem).toBeUndefined();
  });

  it('a channel that is really empty is no problem (last_message_id null)', async () => {
    const ch = sim.createChannel();
    const r = await pollOnce({ ...source(ch), sink: createTestMessageSink(), recheck: false });
    expect(r.channels[0]).toMatchObject({ fetched: 0 });
    expect(r.channels[0]?.error).toBeUndefined();
  });

  it('Read Message History taken away later: the re-read does not mark every stored message deleted', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 4);
    const sink = createTestMessageSink();
    await pollOnce({ ...source(ch), sink, recheck: false });
    sim.setReadHistory(ch, false);
    const r = await pollOnce({ ...source(ch), sink, recheck: true });
    expect(r.channels[0]).toMatchObject({ deleted: 0, problem: { code: 'missing-read-message-history' } });
    expect([...sink.rows.values()].every((row) => !row.deleted)).toBe(true);
  });

  it('without the Message Content intent (what people wrote comes back blank): the poll names the intent and stores nothing blank', async () => {
    const ch = sim.createChannel();
    sim.seedHistory(ch, 3);
    const sink = createTestMessageSink();
    await pollOnce({ ...source(ch), sink, recheck: false });
    const after = sink.cursors.get(cursorKeys.after(ch));
    sim.addMessage(ch, { content: 'bonjour', authorName: 'alice' });
    sim.setMessageContentIntent(false);
    const r = await pollOnce({ ...source(ch), sink, recheck: false });
    expect(r.channels[0]?.problem).toMatchObject({ code: 'missing-message-content-intent' });
    expect(r.channels[0]?.problem?.message).toMatch(/lacks the Message Content intent \(Discord Developer Portal/);
    expect(sink.rows.size).toBe(3);
    expect(sink.cursors.get(cursorKeys.after(ch))).toBe(after);

    sim.setMessageContentIntent(true);
    const fixed = await pollOnce({ ...source(ch), sink, recheck: false });
    expect(fixed.channels[0]).toMatchObject({ inserted: 1 });
    expect([...sink.rows.values()].map((row) => row.content)).toContain('bonjour');
  });

  it('backfill: a channel without Read Message History is not called done, the next channel is still read', async () => {
    const blocked = sim.createChannel();
    const open = sim.createChannel();
    sim.seedHistory(blocked, 10);
    sim.seedHistory(open, 10);
    sim.setReadHistory(blocked, false);
    const sink = createTestMessageSink();
    const r = await backfill({ ...source(blocked, open), sink });
    expect(r.channels[0]).toMatchObject({ channelId: blocked, done: false, fetched: 0, problem: { code: 'missing-read-message-history' } });
    expect(r.channels[1]).toMatchObject({ channelId: open, done: true, fetched: 10 });
    expect(r.channels[1]?.problem).toBeUndefined();
    // Given the permission, the next run reads the blocked channel from its start.
    sim.setReadHistory(blocked, true);
    const again = await backfill({ ...source(blocked), sink });
    expect(again.channels[0]).toMatchObject({ done: true, fetched: 10 });
  });
});

describe('the health record', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'campus-sync-ingest-health-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records each channel, keeps the others, drops channels no longer configured, and reads a damaged file as none', async () => {
    expect(await readIngestHealth(dir)).toBeNull();
    const problem = { code: 'missing-message-content-intent' as const, message: 'lacks the Message Content intent' };
    await recordIngestHealth(
      dir,
      channelHealth(
        [
          { channelId: '11', guildId: GUILD, problem, error: new Error(problem.message) },
          { channelId: '22', guildId: GUILD },
        ],
        '2026-12-06T10:00:00.000Z',
        'poll',
      ),
    );
    await recordIngestHealth(
      dir,
      channelHealth([{ channelId: '22', guildId: GUILD, error: 'Discord channel 22 not found' }], '2026-12-06T10:01:00.000Z', 'backfill'),
      ['11', '22'],
    );
    expect((await readIngestHealth(dir))?.channels).toEqual([
      { channelId: '11', guildId: GUILD, at: '2026-12-06T10:00:00.000Z', by: 'poll', ok: false, problem },
      { channelId: '22', guildId: GUILD, at: '2026-12-06T10:01:00.000Z', by: 'backfill', ok: false, error: 'Discord channel 22 not found' },
    ]);
    await recordIngestHealth(dir, channelHealth([{ channelId: '22', guildId: GUILD }], '2026-12-06T10:02:00.000Z', 'poll'), ['22']);
    expect((await readIngestHealth(dir))?.channels).toEqual([{ channelId: '22', guildId: GUILD, at: '2026-12-06T10:02:00.000Z', by: 'poll', ok: true }]);

    await mkdir(join(dir, '.ingest'), { recursive: true });
    await writeFile(join(dir, INGEST_HEALTH_FILE), '\0\0\0\0');
    expect(await readIngestHealth(dir)).toBeNull();
  });

  it('a long-running poller writes when a state changes, else at most every refresh period (SD cards wear)', async () => {
    const own = await mkdtemp(join(tmpdir(), 'campus-sync-ingest-recorder-'));
    try {
      let t = 0;
      const record = createHealthRecorder(own, ['11'], { refreshMs: 60_000, now: () => t });
      const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 10, 0, s)).toISOString();
      expect(await record(channelHealth([{ channelId: '11', guildId: GUILD }], at(0), 'poll'))).toBe(true);
      t = 30_000;
      expect(await record(channelHealth([{ channelId: '11', guildId: GUILD }], at(30), 'poll'))).toBe(false);
      expect((await readIngestHealth(own))?.channels[0]?.at).toBe(at(0));
      t = 40_000;
      const problem = { code: 'missing-read-message-history' as const, message: 'lacks the Read Message History permission' };
      expect(await record(channelHealth([{ channelId: '11', guildId: GUILD, problem }], at(40), 'poll'))).toBe(true);
      expect((await readIngestHealth(own))?.channels[0]).toMatchObject({ ok: false, problem });
      t = 100_000;
      expect(await record(channelHealth([{ channelId: '11', guildId: GUILD, problem }], at(100), 'poll'))).toBe(true);
      expect((await readIngestHealth(own))?.channels[0]?.at).toBe(at(100));
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
