import { describe, it, expect } from 'vitest';
import { decodeCursor } from './cursor.js';
import { InvalidParameterError } from './errors.js';
import type { MessageRow } from './interface.js';
import {
  clampLimit,
  errorDedupeKey,
  isSameOrNewerVersion,
  messageFromDb,
  messageIdsParams,
  newestPerMessage,
  normalizeEvents,
  normalizeMessage,
  normalizeMessageIdBound,
  runFromDb,
  toPage,
} from './rows.js';

const msg = (over: Partial<MessageRow> = {}): MessageRow => ({
  messageId: '1300000000000000001',
  guildId: 'g',
  channelId: 'c',
  authorId: 'u',
  authorName: 'alice',
  content: 'hi',
  createdAt: '2025-03-01T08:00:00+01:00',
  editedAt: null,
  deleted: false,
  attachmentCount: 0,
  embedCount: 0,
  rawJson: '{}',
  ingestedAt: '2025-03-01T08:00:01Z',
  ...over,
});

describe('clampLimit', () => {
  it('keeps 1..500 and clamps the rest', () => {
    expect([1, 100, 500].map(clampLimit)).toEqual([1, 100, 500]);
    expect([600, 0, -3, 2.9].map(clampLimit)).toEqual([500, 1, 1, 2]);
    expect([Number.NaN, Number.POSITIVE_INFINITY].map(clampLimit)).toEqual([100, 100]);
  });
});

describe('toPage', () => {
  const key = (n: number) => ({ time: '2025-01-01T00:00:00.000Z', tie: n });
  it('gives a cursor on the last item only when an extra row was fetched', () => {
    expect(toPage([3, 2], 2, 'runs', key)).toEqual({ items: [3, 2], nextCursor: null });
    const page = toPage([3, 2, 1], 2, 'runs', key);
    expect(page.items).toEqual([3, 2]);
    expect(decodeCursor('runs', page.nextCursor!)).toEqual(key(2));
  });
});

describe('normalizing input', () => {
  it('turns times to UTC and refuses bad counts naming them', () => {
    const m = normalizeMessage(msg({ editedAt: '2025-03-01T10:00:00+01:00' }));
    expect([m.createdAt, m.editedAt]).toEqual(['2025-03-01T07:00:00.000Z', '2025-03-01T09:00:00.000Z']);
    expect(() => normalizeMessage(msg({ embedCount: 1.5 }))).toThrow(InvalidParameterError);
    expect(() => normalizeMessage(msg({ messageId: '' }))).toThrow(/messageId/);
  });

  it('keeps the last event of a reference', () => {
    const e = {
      instance: 'a',
      reference: 'r',
      ecalId: null,
      title: 'x',
      start: '2025-01-01T08:00:00Z',
      end: '2025-01-01T09:00:00Z',
      lastChange: '2025-01-01T00:00:00Z',
    };
    expect(normalizeEvents('a', [e, { ...e, title: 'y' }]).map((r) => r.title)).toEqual(['y']);
  });

  it('keys errors on instance, time and message only', () => {
    const e = { instance: 'a', at: '2025-01-01T00:00:00.000Z', phase: 'fetch', message: 'm' };
    expect(errorDedupeKey(e)).toBe(errorDedupeKey({ ...e, phase: 'push' }));
    expect(errorDedupeKey(e)).not.toBe(errorDedupeKey({ ...e, message: 'n' }));
    expect(errorDedupeKey({ ...e, instance: 'a\u0000b' })).not.toBe(errorDedupeKey({ ...e, instance: 'a', message: 'b\u0000m' }));
  });
});

describe('message versions', () => {
  it('an edit is newer than the original and than older edits; an unedited copy never beats an edit', () => {
    const original = normalizeMessage(msg());
    const edit1 = normalizeMessage(msg({ editedAt: '2025-03-01T09:00:00Z' }));
    const edit2 = normalizeMessage(msg({ editedAt: '2025-03-01T09:05:00Z' }));
    expect(isSameOrNewerVersion(original, edit1)).toBe(true);
    expect(isSameOrNewerVersion(edit1, edit2)).toBe(true);
    expect(isSameOrNewerVersion(edit2, edit1)).toBe(false);
    expect(isSameOrNewerVersion(edit1, original)).toBe(false);
    expect(isSameOrNewerVersion(original, original)).toBe(true);
  });

  it('newestPerMessage keeps one row per id: the newest version, a later copy of the same version winning', () => {
    const rows = newestPerMessage([
      msg({ editedAt: '2025-03-01T09:05:00Z', content: 'v2' }),
      msg({ messageId: '2', deleted: true }),
      msg({ content: 'v0', deleted: true }),
      msg({ editedAt: '2025-03-01T09:00:00Z', content: 'v1' }),
      msg({ messageId: '2' }),
    ]);
    // The stale deleted copy (v0) does not win over the edit; the second copy of message 2 replaces the first.
    expect(rows.map((r) => [r.messageId, r.content, r.deleted])).toEqual([
      ['1300000000000000001', 'v2', false],
      ['2', 'hi', false],
    ]);
  });

  it('listMessageIds bounds are decimal ids, made canonical so length orders them', () => {
    expect(normalizeMessageIdBound('0')).toBe('0');
    expect(normalizeMessageIdBound('000')).toBe('0');
    expect(normalizeMessageIdBound('0042')).toBe('42');
    expect(normalizeMessageIdBound('18446744073709551615')).toBe('18446744073709551615');
    for (const bad of ['', 'x', '-1', '1.5', ' 1', '123456789012345678901', 42]) {
      expect(() => normalizeMessageIdBound(bad), String(bad)).toThrow(InvalidParameterError);
    }
    expect(messageIdsParams('c1', '0100')).toEqual(['c1', 3, 3, '100']);
    expect(() => messageIdsParams('', '1')).toThrow(/channelId/);
  });
});

describe('rows from the database', () => {
  it('reads pg bigint strings and Dates, and SQLite 0/1 booleans', () => {
    const r = runFromDb({
      id: '42',
      instance: 'a',
      started_at: new Date('2025-01-01T00:00:00Z'),
      finished_at: '2025-01-01T00:00:04.000Z',
      outcome: 'success',
      phase: null,
      error: null,
      courses: 1,
      created: 0,
      updated: 0,
      adopted: 0,
      deleted: 0,
      unchanged: 1,
      skipped: 0,
      failed: 0,
      duration_ms: '4000',
    });
    expect([r.id, r.startedAt, r.durationMs, r.phase]).toEqual([42, '2025-01-01T00:00:00.000Z', 4000, null]);
    const base = {
      message_id: '1',
      guild_id: 'g',
      channel_id: 'c',
      author_id: 'u',
      author_name: 'n',
      content: '',
      created_at: '2025-01-01T00:00:00.000Z',
      edited_at: null,
      attachment_count: 0,
      embed_count: 0,
      raw_json: '{}',
      ingested_at: '2025-01-01T00:00:00.000Z',
    };
    expect(messageFromDb({ ...base, deleted: 1 }).deleted).toBe(true);
    expect(messageFromDb({ ...base, deleted: 0 }).deleted).toBe(false);
    expect(messageFromDb({ ...base, deleted: true }).deleted).toBe(true);
    expect(() => runFromDb({ id: 'x' })).toThrow();
  });
});
