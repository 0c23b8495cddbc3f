import { describe, expect, it } from 'vitest';
import { learnThreads, liveOpOf, type LiveScope } from './live-events.js';

const GUILD = '1100000000000000001';
const CHANNEL = '1100000000000000002';
const OTHER = '1100000000000000003';
const THREAD = '1100000000000000004';
const scope = (threads: boolean): LiveScope => ({ channels: new Map([[CHANNEL, GUILD]]), threads, threadParents: new Map() });
const d = (t: string, body: Record<string, unknown>) => ({ t, s: 1, d: body });

describe('gateway events to store operations', () => {
  it('keeps the configured channels only', () => {
    const sc = scope(false);
    expect(liveOpOf(sc, d('MESSAGE_CREATE', { id: '5', channel_id: CHANNEL, guild_id: GUILD }))).toMatchObject({
      kind: 'create',
      channelId: CHANNEL,
      guildId: GUILD,
    });
    expect(liveOpOf(sc, d('MESSAGE_CREATE', { id: '5', channel_id: OTHER, guild_id: GUILD }))).toBeNull();
    expect(liveOpOf(sc, d('TYPING_START', { channel_id: CHANNEL }))).toBeNull();
  });

  it('maps update, delete and bulk delete', () => {
    const sc = scope(false);
    expect(liveOpOf(sc, d('MESSAGE_UPDATE', { id: '5', channel_id: CHANNEL, content: 'x' }))).toMatchObject({ kind: 'update', raw: { content: 'x' } });
    expect(liveOpOf(sc, d('MESSAGE_DELETE', { id: '5', channel_id: CHANNEL }))).toMatchObject({ kind: 'delete', ids: ['5'] });
    expect(liveOpOf(sc, d('MESSAGE_DELETE_BULK', { ids: ['5', '6'], channel_id: CHANNEL }))).toMatchObject({ kind: 'delete', ids: ['5', '6'] });
    expect(liveOpOf(sc, d('MESSAGE_DELETE_BULK', { ids: [], channel_id: CHANNEL }))).toBeNull();
  });

  it('follows threads of configured channels only when asked, learned from thread events', () => {
    const off = scope(false);
    learnThreads(off, d('THREAD_CREATE', { id: THREAD, parent_id: CHANNEL, type: 11 }));
    expect(liveOpOf(off, d('MESSAGE_CREATE', { id: '7', channel_id: THREAD, guild_id: GUILD }))).toBeNull();
    const on = scope(true);
    learnThreads(
      on,
      d('GUILD_CREATE', {
        threads: [
          { id: THREAD, parent_id: CHANNEL, type: 11 },
          { id: '1100000000000000009', parent_id: OTHER, type: 11 },
        ],
      }),
    );
    expect(liveOpOf(on, d('MESSAGE_CREATE', { id: '7', channel_id: THREAD, guild_id: GUILD }))).toMatchObject({ kind: 'create', channelId: THREAD });
    expect(liveOpOf(on, d('MESSAGE_CREATE', { id: '8', channel_id: '1100000000000000009', guild_id: GUILD }))).toBeNull();
    learnThreads(on, d('THREAD_DELETE', { id: THREAD }));
    expect(liveOpOf(on, d('MESSAGE_CREATE', { id: '9', channel_id: THREAD, guild_id: GUILD }))).toBeNull();
  });
});
