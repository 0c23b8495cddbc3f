import { describe, expect, it } from 'vitest';
import { RemoteError } from '../lib/index.js';
import { normalizeDiscordTimestamp, parseDiscordMessage, toMessageRow } from './message.js';

/** A message as Discord's REST API returns it (no guild_id), with fields the row does not use. */
const sample = (): Record<string, unknown> => ({
  id: '1234567890123456789',
  type: 0,
  channel_id: '1100000000000000001',
  author: { id: '900000000000000001', username: 'alice', global_name: 'Alice A.', avatar: null },
  content: 'Salle B204 fermée demain',
  timestamp: '2025-03-01T10:00:00.123000+00:00',
  edited_timestamp: null,
  attachments: [
    { id: '1', filename: 'plan.png' },
    { id: '2', filename: 'b.pdf' },
  ],
  embeds: [{ type: 'rich', title: 'x' }],
  mentions: [],
  pinned: false,
  flags: 0,
});
const ctx = { guildId: '1000000000000000001', ingestedAt: '2025-03-02T08:00:00.000Z', channelId: '1100000000000000001' };

describe('normalizeDiscordTimestamp', () => {
  it('turns Discord timestamps into ISO UTC with milliseconds', () => {
    expect(normalizeDiscordTimestamp('2025-03-01T10:00:00.123000+00:00')).toBe('2025-03-01T10:00:00.123Z');
    expect(normalizeDiscordTimestamp('2025-03-01T10:00:00+00:00')).toBe('2025-03-01T10:00:00.000Z');
    expect(normalizeDiscordTimestamp('2025-03-01T11:30:00.5+01:30')).toBe('2025-03-01T10:00:00.500Z');
    expect(normalizeDiscordTimestamp('2025-03-01T10:00:00.987654Z')).toBe('2025-03-01T10:00:00.987Z');
  });

  it('refuses what is not a full timestamp with a zone', () => {
    for (const bad of ['', '2025-03-01', '2025-03-01T10:00:00', 'yesterday', '2025-13-01T10:00:00Z', '2025-03-01T10:00:00.123+0000']) {
      expect(normalizeDiscordTimestamp(bad), bad).toBeNull();
    }
  });
});

describe('toMessageRow', () => {
  it('maps every column, taking the guild from the context when the message has none', () => {
    const raw = sample();
    expect(toMessageRow(raw, ctx)).toEqual({
      messageId: '1234567890123456789',
      guildId: '1000000000000000001',
      channelId: '1100000000000000001',
      authorId: '900000000000000001',
      authorName: 'alice',
      content: 'Salle B204 fermée demain',
      createdAt: '2025-03-01T10:00:00.123Z',
      editedAt: null,
      deleted: false,
      attachmentCount: 2,
      embedCount: 1,
      rawJson: JSON.stringify(raw),
      ingestedAt: '2025-03-02T08:00:00.000Z',
    });
  });

  it('keeps the raw object whole in rawJson, unknown fields and key order included', () => {
    const raw = { ...sample(), components: [{ type: 1 }], zz_new_field: true };
    const row = toMessageRow(raw, ctx);
    expect(JSON.parse(row.rawJson)).toEqual(raw);
    expect(row.rawJson).toBe(JSON.stringify(raw));
  });

  it("prefers the message's own guild_id (gateway payloads carry one)", () => {
    expect(toMessageRow({ ...sample(), guild_id: '1000000000000000999' }, ctx).guildId).toBe('1000000000000000999');
  });

  it('records an edit time; counts missing attachment/embed lists as zero', () => {
    const { attachments: _a, embeds: _e, ...bare } = sample();
    const row = toMessageRow({ ...bare, edited_timestamp: '2025-03-01T12:00:00.000000+00:00' }, ctx);
    expect(row.editedAt).toBe('2025-03-01T12:00:00.000Z');
    expect(row.attachmentCount).toBe(0);
    expect(row.embedCount).toBe(0);
  });

  it('keeps ids beyond 2^53 exact', () => {
    const row = toMessageRow({ ...sample(), id: '18446744073709551615' }, ctx);
    expect(row.messageId).toBe('18446744073709551615');
  });

  it('refuses a malformed message with a RemoteError naming the message, the channel and the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...sample(), id: 12345 }, /id/],
      [{ ...sample(), author: { username: 'x' } }, /author\.id/],
      [{ ...sample(), timestamp: 'yesterday' }, /1234567890123456789 in channel 1100000000000000001: timestamp/],
      [{ ...sample(), content: undefined }, /content/],
      [{ ...sample(), attachments: 'none' }, /attachments/],
      [{ ...sample(), edited_timestamp: 'later' }, /edited_timestamp/],
    ];
    for (const [raw, pattern] of cases) {
      expect(() => toMessageRow(raw, ctx)).toThrow(RemoteError);
      expect(() => toMessageRow(raw, ctx)).toThrow(pattern);
    }
    expect(() => parseDiscordMessage('not an object')).toThrow(/unreadable message/);
  });
});
