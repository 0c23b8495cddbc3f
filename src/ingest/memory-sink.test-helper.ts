/**
 * TEST-ONLY MessageSink: a Map, with the contract of sink.ts (idempotent upsert keeping the first
 * ingestedAt, a stale version changing nothing, a re-listed message no longer deleted, soft delete that
 * says whether it changed the row, ids compared as integers). The SQL store is tested against the same
 * rules on its own and end to end (test/e2e-ingest.test.ts); this stands in for it so ingestion can be
 * tested against the Discord simulator alone.
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

/** The store's rule: an unedited copy is older than any edit, and a later edit is newer. */
const isSameOrNewerVersion = (stored: MessageRow, incoming: MessageRow): boolean =>
  stored.editedAt === null || (incoming.editedAt !== null && Date.parse(incoming.editedAt) >= Date.parse(stored.editedAt));

export function createTestMessageSink(): TestMessageSink {
  const rows = new Map<string, MessageRow>();
  const cursors = new Map<string, string>();
  const calls = { upserts: 0, marks: 0 };
  return {
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
        } else if (isSameOrNewerVersion(old, row) && !sameExceptIngested(old, row)) {
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
    listMessageIds: async (channelId, fromId) =>
      [...rows.values()].filter((r) => r.channelId === channelId && !r.deleted && compareSnowflakes(r.messageId, fromId) >= 0).map((r) => r.messageId),
  };
}
