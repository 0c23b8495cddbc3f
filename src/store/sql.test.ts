import { describe, it, expect } from 'vitest';
import { encodeCursor } from './cursor.js';
import { InvalidCursorError, InvalidParameterError } from './errors.js';
import { buildListing } from './sql.js';

describe('buildListing', () => {
  const cursor = encodeCursor('messages', { time: '2025-03-01T08:00:00.000Z', tie: '1300000000000000001' });

  it('writes a keyset page with SQLite placeholders, normalised times and one extra row', () => {
    const l = buildListing('sqlite', 'messages', {
      equals: [
        ['guild_id', 'g'],
        ['channel_id', 'c'],
      ],
      extra: ['NOT deleted'],
      from: '2025-03-01T00:00:00+01:00',
      to: '2025-04-01',
      cursor,
      limit: 600,
    });
    expect(l.sql).toBe(
      'SELECT * FROM discord_messages WHERE guild_id = ? AND channel_id = ? AND NOT deleted AND created_at >= ? AND created_at < ? ' +
        'AND (created_at, message_id) < (?, ?) ORDER BY created_at DESC, message_id DESC LIMIT ?',
    );
    expect(l.params).toEqual(['g', 'c', '2025-02-28T23:00:00.000Z', '2025-04-01T00:00:00.000Z', '2025-03-01T08:00:00.000Z', '1300000000000000001', 501]);
    expect(l.limit).toBe(500);
  });

  it('numbers and casts PostgreSQL parameters', () => {
    const l = buildListing('postgres', 'runs', {
      equals: [['instance', 'alice']],
      cursor: encodeCursor('runs', { time: '2025-03-01T08:00:00.000Z', tie: 7 }),
      limit: 10,
    });
    expect(l.sql).toBe(
      'SELECT * FROM runs WHERE instance = $1 AND (started_at, id) < ($2::timestamptz, $3::bigint) ORDER BY started_at DESC, id DESC LIMIT $4::integer',
    );
    expect(l.params).toEqual(['alice', '2025-03-01T08:00:00.000Z', 7, 11]);
  });

  it('has no WHERE without conditions', () => {
    expect(buildListing('sqlite', 'alerts', { equals: [], limit: 5 }).sql).toBe('SELECT * FROM alerts ORDER BY created_at DESC, id DESC LIMIT ?');
  });

  it('names the bad parameter', () => {
    expect(() => buildListing('sqlite', 'runs', { equals: [], limit: 5, from: 'nope' })).toThrow(/^from: /);
    expect(() => buildListing('sqlite', 'runs', { equals: [], limit: 5, from: '2025-02-01', to: '2025-01-01' })).toThrow(InvalidParameterError);
    expect(() => buildListing('sqlite', 'runs', { equals: [], limit: 5, cursor })).toThrow(InvalidCursorError);
  });
});
