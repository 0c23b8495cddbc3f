import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs, type TempDirs } from '../api/test-support.test-helper.js';
import { silentLogger, systemClock } from '../lib/index.js';
import { openStore, type Store } from '../store/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { createLiveWriter, type FlushResult, type LiveSink } from './live-writer.js';

const GUILD = '1100000000000000001';
const CHANNEL = '1100000000000000002';
const msg = (id: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  channel_id: CHANNEL,
  guild_id: GUILD,
  author: { id: '1100000000000000009', username: 'alice' },
  content,
  timestamp: '2026-01-05T10:00:00.000000+00:00',
  edited_timestamp: null,
  attachments: [],
  embeds: [{ title: 'kept' }],
  ...extra,
});

let dirs: TempDirs | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  await dirs?.cleanup();
  store = undefined;
});

async function open(): Promise<Store> {
  dirs = await tempDirs('campus-sync-writer-');
  store = await openStore({ dataDir: dirs.dataDir, logger: silentLogger });
  return store;
}

describe('live writer (real SQLite store)', () => {
  it('writes a burst in one upsert and reports the newest id per channel', async () => {
    const s = await open();
    let upserts = 0;
    const sink: LiveSink = {
      ...bind(s),
      upsertMessages: (rows) => {
        upserts += 1;
        return s.upsertMessages(rows);
      },
    };
    const flushed: FlushResult[] = [];
    const w = createLiveWriter({ sink, clock: systemClock, batchMs: 50, onFlush: (r) => void flushed.push(r) });
    for (let i = 0; i < 200; i++) w.push({ kind: 'create', guildId: GUILD, channelId: CHANNEL, raw: msg(String(1200000000000000000n + BigInt(i)), `m${i}`) });
    await w.close();
    expect(upserts).toBe(1);
    expect(flushed[0]?.inserted).toBe(200);
    expect(flushed[0]?.newest.get(CHANNEL)).toBe('1200000000000000199');
  });

  it('writes a batch when batchMs has passed on its clock, not before', async () => {
    const s = await open();
    const clock = fakeClock();
    const flushed: FlushResult[] = [];
    const w = createLiveWriter({ sink: bind(s), clock, batchMs: 500, onFlush: (r) => void flushed.push(r) });
    w.push({ kind: 'create', guildId: GUILD, channelId: CHANNEL, raw: msg('1200000000000000009', 'bientôt') });
    await clock.tickAsync(499);
    expect(flushed).toHaveLength(0);
    await clock.tickAsync(1);
    await w.flush();
    expect(flushed[0]?.inserted).toBe(1);
    expect(await s.getMessage('1200000000000000009')).toMatchObject({ ingestedAt: clock.now().toISOString() });
    await w.close();
  });

  it('applies a partial MESSAGE_UPDATE to the stored row only where fields came, and skips unknown messages', async () => {
    const s = await open();
    const w = createLiveWriter({ sink: bind(s), clock: systemClock, batchMs: 10 });
    w.push({ kind: 'create', guildId: GUILD, channelId: CHANNEL, raw: msg('1200000000000000001', 'avant') });
    await w.flush();
    const first = await s.getMessage('1200000000000000001');
    const flushed: FlushResult[] = [];
    const w2 = createLiveWriter({ sink: bind(s), clock: systemClock, batchMs: 10, onFlush: (r) => void flushed.push(r) });
    w2.push({
      kind: 'update',
      guildId: GUILD,
      channelId: CHANNEL,
      raw: { id: '1200000000000000001', channel_id: CHANNEL, content: 'après', edited_timestamp: '2026-01-05T11:00:00.000000+00:00' },
    });
    w2.push({ kind: 'update', guildId: GUILD, channelId: CHANNEL, raw: { id: '1200000000000000777', channel_id: CHANNEL, content: 'never stored' } });
    await w2.close();
    await w.close();
    const row = await s.getMessage('1200000000000000001');
    expect(row).toMatchObject({ content: 'après', editedAt: '2026-01-05T11:00:00.000Z', authorName: 'alice', embedCount: 1, ingestedAt: first?.ingestedAt });
    expect(flushed[0]).toMatchObject({ updated: 1, skipped: 1 });
    expect(await s.getMessage('1200000000000000777')).toBeNull();
  });

  it('keeps a batch the store refused and writes it on the next try, in order (create then delete)', async () => {
    const s = await open();
    let fail = true;
    const sink: LiveSink = {
      ...bind(s),
      upsertMessages: (rows) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('database is locked'));
        }
        return s.upsertMessages(rows);
      },
    };
    const w = createLiveWriter({ sink, clock: systemClock, batchMs: 10 });
    w.push({ kind: 'create', guildId: GUILD, channelId: CHANNEL, raw: msg('1200000000000000005', 'x') });
    w.push({ kind: 'delete', guildId: GUILD, channelId: CHANNEL, ids: ['1200000000000000005'] });
    await w.flush();
    expect(w.pending()).toBe(2);
    await w.flush();
    expect(w.pending()).toBe(0);
    expect(await s.getMessage('1200000000000000005')).toMatchObject({ deleted: true, content: 'x' });
    await w.close();
  });
});

/** The store's methods as a LiveSink (bound, so they can be spread). */
function bind(s: Store): LiveSink {
  return {
    upsertMessages: (rows) => s.upsertMessages(rows),
    markMessageDeleted: (id, at) => s.markMessageDeleted(id, at),
    getCursor: (k) => s.getCursor(k),
    setCursor: (k, v) => s.setCursor(k, v),
    listMessageIds: (c, f) => s.listMessageIds(c, f),
    getMessage: (id) => s.getMessage(id),
  };
}
