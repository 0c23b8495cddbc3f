/**
 * What ingestion needs from storage. The SQL store (src/store) implements it over the seed's
 * `discord_messages` table and a small key/value table for cursors. Ingestion never deletes a row.
 * The row type is the store's (DESIGN.md: ingest may import store); the store's `Store` satisfies this
 * interface structurally and the CLI (src/cli/ingest.ts) hands the one to the other.
 */
import type { MessageRow } from '../store/index.js';

export type { MessageRow };

export interface MessageSink {
  /**
   * Insert new rows, update existing ones (by messageId). Idempotent: rows equal to what is stored
   * change nothing and count in neither number. A version not older than the stored one (its editedAt is
   * not before the stored editedAt; an unedited copy is older than any edit) replaces it, `deleted`
   * included: Discord listing a message proves it exists, so a re-listed message is no longer deleted.
   * A stale version changes nothing (it may have been read before the edit or the deletion). The stored
   * `ingestedAt` is kept (it is when the message was first seen). `updated` counts rows whose stored
   * values changed (edits mostly).
   */
  upsertMessages(rows: MessageRow[]): Promise<{ inserted: number; updated: number }>;
  /**
   * Sets deleted = true (keeps the row and its content). True only when this call changed the row from
   * not deleted to deleted (pollOnce counts deletions with it); false when unknown or already deleted.
   */
  markMessageDeleted(messageId: string, at: string): Promise<boolean>;
  getCursor(key: string): Promise<string | null>;
  setCursor(key: string, value: string): Promise<void>;
  /**
   * For deletion detection: the ids of the channel's rows not marked deleted with messageId >= fromId,
   * compared as integers (not as text: "99" < "100"). Any order. fromId is a decimal id.
   */
  listMessageIds(channelId: string, fromId: string): Promise<string[]>;
}

/** Cursor keys, one set per channel. */
export const cursorKeys = {
  /** Backfill progress (JSON, see backfill.ts). */
  backfill: (channelId: string): string => `discord:backfill:${channelId}`,
  /** Newest message id known: `after`-polling continues from it. */
  after: (channelId: string): string => `discord:after:${channelId}`,
  /** ISO time of the last edit/deletion re-read. */
  recheck: (channelId: string): string => `discord:recheck:${channelId}`,
};
