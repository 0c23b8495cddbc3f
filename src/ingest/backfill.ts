/**
 * History backfill: pages back through each channel with `before`, 100 messages a page (Discord's
 * maximum), upserting every page. Resumable: after each page the oldest id reached is saved under
 * `discord:backfill:<channelId>`, so a run stopped by an error or Ctrl-C continues where it was.
 * Idempotent: rows are upserted by message id, so running it again changes nothing.
 * It reads history up to the newest message at its first page and hands that id to `after`-polling
 * (pollOnce), which brings the store up to date from there.
 */
import { z } from 'zod';
import { silentLogger } from '../lib/index.js';
import { clockOf, MAX_PAGE_SIZE, readerFor, type DiscordSourceOptions, type IngestChannel } from './client.js';
import { checkPage, problemOf, type IngestProblem } from './health.js';
import { toMessageRow } from './message.js';
import { cursorKeys, type MessageRow, type MessageSink } from './sink.js';
import { compareSnowflakes, snowflakeToMs } from './snowflake.js';

/** Saved between pages; versioned so a later format can tell an old cursor apart. */
const backfillCursorSchema = z.object({
  v: z.literal(1),
  /** Newest message when the backfill began: where progress is measured from. */
  top: z.string().nullable(),
  /** Oldest message stored so far: the next page is `before` it. null before the first page. */
  before: z.string().nullable(),
  /** The start of the channel was reached. */
  done: z.boolean(),
  /** Messages read by all runs together, for progress. */
  fetched: z.number().int().nonnegative(),
});
type BackfillCursor = z.infer<typeof backfillCursorSchema>;

const FRESH: BackfillCursor = { v: 1, top: null, before: null, done: false, fetched: 0 };

export interface BackfillProgress {
  channelId: string;
  /** Pages read by this run in this channel. */
  pages: number;
  /** Messages read in this channel, earlier interrupted runs included. */
  fetched: number;
  inserted: number;
  updated: number;
  /** Creation time of the oldest message reached (ISO), null before the first. */
  reachedAt: string | null;
  /**
   * Share of the channel's lifetime covered, 0..1: (newest − reached) / (newest − channel creation);
   * the channel id tells when it was created. Discord gives no message count, so this is the best bar.
   */
  fraction: number;
  done: boolean;
}

export interface BackfillChannelResult extends BackfillProgress {
  guildId: string;
  /** A saved cursor was continued. */
  resumed: boolean;
  /**
   * Discord answered as if all were well but the bot lacks a permission or intent: this channel stopped
   * there (its page unstored, its cursor where it was) and the backfill went on with the next one.
   */
  problem?: IngestProblem;
}

export interface BackfillResult {
  channels: BackfillChannelResult[];
  /** Stopped by the signal before every channel was done; the next run resumes. */
  interrupted: boolean;
}

export interface BackfillOptions extends DiscordSourceOptions {
  channels: IngestChannel[];
  sink: MessageSink;
  /** After every page. */
  onProgress?: (p: BackfillProgress) => void;
  /** Ignore saved progress and read the whole history again (idempotent, so harmless). */
  restart?: boolean;
  /** Checked between pages: the page in hand is stored first, so nothing is lost. */
  signal?: AbortSignal;
}

async function loadCursor(sink: MessageSink, channelId: string, restart: boolean, warn: (m: string) => void): Promise<BackfillCursor | null> {
  if (restart) return null;
  const text = await sink.getCursor(cursorKeys.backfill(channelId));
  if (text === null) return null;
  try {
    return backfillCursorSchema.parse(JSON.parse(text));
  } catch {
    warn(`backfill progress of channel ${channelId} is unreadable; starting over (upserts make that harmless)`);
    return null;
  }
}

function fractionOf(channelId: string, cursor: BackfillCursor): number {
  if (cursor.done) return 1;
  if (cursor.top === null || cursor.before === null) return 0;
  const start = snowflakeToMs(channelId);
  const span = snowflakeToMs(cursor.top) - start;
  if (span <= 0) return 0;
  return Math.min(1, Math.max(0, (snowflakeToMs(cursor.top) - snowflakeToMs(cursor.before)) / span));
}

export async function backfill(opts: BackfillOptions): Promise<BackfillResult> {
  const reader = readerFor(opts);
  const clock = clockOf(opts);
  const logger = opts.logger ?? silentLogger;
  const results: BackfillChannelResult[] = [];
  let interrupted = false;

  for (const { guildId, channelId } of opts.channels) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    const saved = await loadCursor(opts.sink, channelId, opts.restart === true, (m) => logger.warn(m));
    let cursor: BackfillCursor = saved ?? FRESH;
    let pages = 0;
    let inserted = 0;
    let updated = 0;
    let problem: IngestProblem | undefined;
    const progress = (): BackfillChannelResult => ({
      channelId,
      guildId,
      resumed: saved !== null && !saved.done,
      pages,
      fetched: cursor.fetched,
      inserted,
      updated,
      reachedAt: cursor.before === null ? null : new Date(snowflakeToMs(cursor.before)).toISOString(),
      fraction: fractionOf(channelId, cursor),
      done: cursor.done,
      ...(problem !== undefined ? { problem } : {}),
    });

    while (!cursor.done) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const page = await reader.listMessages(channelId, {
        limit: MAX_PAGE_SIZE,
        ...(cursor.before !== null ? { before: cursor.before } : {}),
      });
      try {
        // Without Read Message History the first page is empty as for an empty channel; it must not be called done.
        await checkPage(reader, channelId, page, cursor.before === null);
      } catch (err) {
        problem = problemOf(err);
        if (problem === undefined) throw err;
        logger.warn('Discord backfill of a channel stopped', { channelId, problem: problem.code, error: problem.message });
        break;
      }
      const ingestedAt = clock.now().toISOString();
      const rows: MessageRow[] = page.map((raw) => toMessageRow(raw, { guildId, ingestedAt, channelId }));
      if (rows.length) {
        const r = await opts.sink.upsertMessages(rows);
        inserted += r.inserted;
        updated += r.updated;
      }
      pages += 1;
      const ids = rows.map((r) => r.messageId).sort(compareSnowflakes);
      const oldest = ids[0];
      const newest = ids.at(-1);
      const first = cursor.top === null;
      cursor = {
        v: 1,
        top: cursor.top ?? newest ?? null,
        before: oldest ?? cursor.before,
        // A short page is the start of the channel.
        done: rows.length < MAX_PAGE_SIZE,
        fetched: cursor.fetched + rows.length,
      };
      // The rows are stored before the cursor moves past them: a crash in between re-reads one page, never skips it.
      await opts.sink.setCursor(cursorKeys.backfill(channelId), JSON.stringify(cursor));
      // Polling can pick up from the newest message the backfill saw, leaving no gap between the two.
      if (first && newest !== undefined && (await opts.sink.getCursor(cursorKeys.after(channelId))) === null) {
        await opts.sink.setCursor(cursorKeys.after(channelId), newest);
      }
      opts.onProgress?.(progress());
    }
    results.push(progress());
    if (interrupted) break;
    if (problem === undefined) logger.info('Discord backfill of a channel done', { channelId, pages, fetched: cursor.fetched, inserted, updated });
  }
  return { channels: results, interrupted };
}
