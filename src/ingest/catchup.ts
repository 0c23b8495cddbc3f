/**
 * Reading a channel forward from its resume point (`discord:after:<channelId>`, the newest message id
 * stored): `after=`, 100 a page, until a short page. Shared by polling (each poll) and the Gateway's
 * catch-up after a gap that could not be resumed (a new session, a restart, a long outage). Rows are
 * upserted by message id, so a message also delivered live is stored once. The reader waits out
 * exhausted rate-limit buckets and honours 429s (client.ts).
 */
import type { Clock } from '../lib/index.js';
import { MAX_PAGE_SIZE, type DiscordReader } from './client.js';
import { checkPage } from './health.js';
import { toMessageRow } from './message.js';
import { cursorKeys, type MessageSink } from './sink.js';
import { compareSnowflakes, maxSnowflake } from './snowflake.js';

export interface ReadAfterOptions {
  reader: DiscordReader;
  sink: MessageSink;
  guildId: string;
  channelId: string;
  clock: Clock;
  /** At most this many pages (polling bounds one poll); default: until the channel is read to its end. */
  maxPages?: number;
  /** Checked between pages: a stop leaves the cursor at the last page stored. */
  signal?: AbortSignal;
  /** Called with the cursor after each page is stored (the live ingestion keeps it in memory). */
  onCursor?: (after: string) => void;
}

export interface ReadAfterResult {
  fetched: number;
  inserted: number;
  updated: number;
  pages: number;
  /** The resume point now. */
  after: string;
  /** There was no resume point: the newest page was read and the cursor starts there (history is backfill's job). */
  started: boolean;
}

export async function readAfter(opts: ReadAfterOptions): Promise<ReadAfterResult> {
  const { reader, sink, guildId, channelId, clock } = opts;
  const key = cursorKeys.after(channelId);
  const result: ReadAfterResult = { fetched: 0, inserted: 0, updated: 0, pages: 0, after: '0', started: false };
  /** Stores one page; returns its ids, oldest first. */
  const store = async (page: unknown[]): Promise<string[]> => {
    const ingestedAt = clock.now().toISOString();
    const rows = page.map((raw) => toMessageRow(raw, { guildId, ingestedAt, channelId }));
    result.fetched += rows.length;
    result.pages += 1;
    if (rows.length) {
      const r = await sink.upsertMessages(rows);
      result.inserted += r.inserted;
      result.updated += r.updated;
    }
    return rows.map((r) => r.messageId).sort(compareSnowflakes);
  };

  let after = await sink.getCursor(key);
  if (after === null) {
    // First reading of a channel: start at its newest page.
    const newest = await reader.listMessages(channelId, { limit: MAX_PAGE_SIZE });
    await checkPage(reader, channelId, newest, true);
    const ids = await store(newest);
    // An empty channel: everything to come is new, so read from the very beginning.
    after = ids.at(-1) ?? '0';
    await sink.setCursor(key, after);
    opts.onCursor?.(after);
    return { ...result, after, started: true };
  }
  const maxPages = opts.maxPages ?? Number.POSITIVE_INFINITY;
  for (let page = 0; page < maxPages && !opts.signal?.aborted; page++) {
    const messages = await reader.listMessages(channelId, { after, limit: MAX_PAGE_SIZE });
    await checkPage(reader, channelId, messages, false);
    const ids = await store(messages);
    const newest = ids.at(-1);
    if (newest === undefined) break;
    // Stored first, then the cursor moves: a crash in between re-reads the page, never skips it.
    after = maxSnowflake(after, newest);
    await sink.setCursor(key, after);
    opts.onCursor?.(after);
    if (messages.length < MAX_PAGE_SIZE) break;
  }
  return { ...result, after };
}
