/**
 * TEST-ONLY MessageSink: a Map, with the contract of sink.ts (idempotent upsert keeping the first
 * ingestedAt, soft delete, ids compared as integers). The SQL store is tested on its own; this stands in
 * for it so ingestion can be tested against the Discord simulator alone.
 */
import type { MessageRow, MessageSink } from './sink.js';
import { compareSnowflakes } from './snowflake.js';

export interface TestMessageSink extends MessageSink {
  rows: Map<string, MessageRow>;
  cursors: Map<string, string>;
  /** Rows sorted by id (oldest first), for comparisons. */
  sorted(): MessageRow[];
  calls: { upserts: number; marks: number };
}

const sameExceptIngested = (a: MessageRow, b: MessageRow): boolean => {
  const { ingestedAt: _a, ...x } = a;
  const { ingestedAt: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
};

export function createTestMessageSink(opts: { withListMessageIds?: boolean } = {}): TestMessageSink {
  const rows = new Map<string, MessageRow>();
  const cursors = new Map<string, string>();
  const calls = { upserts: 0, marks: 0 };
  const sink: TestMessageSink = {
    rows,
    cursors,
    calls,
    sorted: () => [...rows.values()].sort((a, b) => compareSnowflakes(a.messageId, b.messageId)),
    upsertMessages: async (batch) => {
      calls.upserts += 1;
      let inserted = 0;
      let updated = 0;
      for (const row of batch) {
        const old = rows.get(row.messageId);
        if (!old) {
          rows.set(row.messageId, { ...row });
          inserted += 1;
        } else if (!sameExceptIngested(old, row)) {
          rows.set(row.messageId, { ...row, ingestedAt: old.ingestedAt });
          updated += 1;
        }
      }
      return { inserted, updated };
    },
    markMessageDeleted: async (messageId) => {
      calls.marks += 1;
      const row = rows.get(messageId);
      if (!row || row.deleted) return false;
      rows.set(messageId, { ...row, deleted: true });
      return true;
    },
    getCursor: async (key) => cursors.get(key) ?? null,
    setCursor: async (key, value) => {
      cursors.set(key, value);
    },
  };
  if (opts.withListMessageIds !== false) {
    sink.listMessageIds = async (channelId, fromId) =>
      [...rows.values()].filter((r) => r.channelId === channelId && !r.deleted && compareSnowflakes(r.messageId, fromId) >= 0).map((r) => r.messageId);
  }
  return sink;
}
