/**
 * Near-real-time ingestion by polling the REST API: each poll asks every channel for the messages
 * `after` the newest id known (cursor `discord:after:<channelId>`), and now and then re-reads the recent
 * past to catch edits and deletions, which `after` cannot see.
 *
 * This is the fallback (DISCORD_INGEST_MODE=poll): live ingestion through the Gateway (live.ts) is the
 * default, immediate and seeing every edit and deletion. Polling misses edits and deletions older than
 * RECHECK_WINDOW_MS; it is kept for networks that will not hold a websocket open.
 */
import { describeError, silentLogger, type TimerHandle } from '../lib/index.js';
import { clockOf, MAX_PAGE_SIZE, readerFor, type DiscordSourceOptions, type IngestChannel } from './client.js';
import { readAfter } from './catchup.js';
import { checkPage, problemOf, type IngestProblem } from './health.js';
import { toMessageRow } from './message.js';
import { cursorKeys, type MessageSink } from './sink.js';
import { compareSnowflakes, maxSnowflake, snowflakeFromMs } from './snowflake.js';

/**
 * Default delay between two polls. Reporting can lag half a minute; one request per channel per poll
 * then stays far below Discord's 50 requests/s and its per-channel buckets, even for dozens of channels.
 */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;
/**
 * Edits and deletions are looked for at most this often per channel: each look costs up to
 * RECHECK_MAX_PAGES requests, so every 5 min (10 polls at the default delay) keeps the cost ~10× below
 * the new-message polling while an edit or deletion shows within minutes.
 */
export const RECHECK_INTERVAL_MS = 5 * 60_000;
/** How far back edits and deletions are looked for: most happen within hours of posting (typos, moderation). */
export const RECHECK_WINDOW_MS = 24 * 60 * 60_000;
/** A busy channel's day can hold thousands of messages: re-read at most the newest 500 (5 pages). */
export const RECHECK_MAX_PAGES = 5;
/** One poll reads at most 2,000 new messages per channel; a bigger backlog continues at the next poll. */
export const MAX_CATCHUP_PAGES = 20;

export interface PollChannelResult {
  channelId: string;
  guildId: string;
  /** Messages read (new ones and re-read ones). */
  fetched: number;
  inserted: number;
  updated: number;
  /** Marked deleted by this poll. */
  deleted: number;
  rechecked: boolean;
  /** This channel failed (the others were still polled). */
  error?: Error;
  /** The failure is a permission or intent the bot lacks (Discord answered as if all were well): which one. */
  problem?: IngestProblem;
}

export interface PollResult {
  at: string;
  channels: PollChannelResult[];
}

export interface PollOptions extends DiscordSourceOptions {
  channels: IngestChannel[];
  sink: MessageSink;
  /** 'auto' (default): re-read for edits/deletions when RECHECK_INTERVAL_MS passed since the last; true/false force it. */
  recheck?: boolean | 'auto';
}

export async function pollOnce(opts: PollOptions): Promise<PollResult> {
  const reader = readerFor(opts);
  const clock = clockOf(opts);
  const logger = opts.logger ?? silentLogger;
  const { sink } = opts;
  const at = clock.now();
  const atIso = at.toISOString();
  const results: PollChannelResult[] = [];

  for (const { guildId, channelId } of opts.channels) {
    const result: PollChannelResult = { channelId, guildId, fetched: 0, inserted: 0, updated: 0, deleted: 0, rechecked: false };
    results.push(result);
    /** Stores one page; returns its ids, oldest first. */
    const store = async (page: unknown[]): Promise<string[]> => {
      const ingestedAt = clock.now().toISOString();
      const rows = page.map((raw) => toMessageRow(raw, { guildId, ingestedAt, channelId }));
      result.fetched += rows.length;
      if (rows.length) {
        const r = await sink.upsertMessages(rows);
        result.inserted += r.inserted;
        result.updated += r.updated;
      }
      return rows.map((r) => r.messageId).sort(compareSnowflakes);
    };

    try {
      // 1. New messages, from the resume point (the newest page when there is none).
      const read = await readAfter({ reader, sink, guildId, channelId, clock, maxPages: MAX_CATCHUP_PAGES });
      result.fetched += read.fetched;
      result.inserted += read.inserted;
      result.updated += read.updated;
      const after = read.after;

      // 2. Edits and deletions in the recent past.
      const recheckKey = cursorKeys.recheck(channelId);
      const mode = opts.recheck ?? 'auto';
      let due = mode === true;
      if (mode === 'auto') {
        const last = await sink.getCursor(recheckKey);
        const lastMs = last === null ? NaN : Date.parse(last);
        due = Number.isNaN(lastMs) || at.getTime() - lastMs >= RECHECK_INTERVAL_MS;
      }
      if (due) {
        result.rechecked = true;
        const windowStart = snowflakeFromMs(at.getTime() - RECHECK_WINDOW_MS);
        const seen = new Set<string>();
        let before: string | undefined;
        let reachedStart = false;
        for (let page = 0; page < RECHECK_MAX_PAGES; page++) {
          const messages = await reader.listMessages(channelId, { limit: MAX_PAGE_SIZE, ...(before !== undefined ? { before } : {}) });
          // An empty newest page without Read Message History must not read as "every stored message was deleted".
          await checkPage(reader, channelId, messages, before === undefined);
          // Upserting what was re-read records edits (content, edited_timestamp) and un-deletes a message Discord still lists.
          const ids = await store(messages);
          for (const id of ids) seen.add(id);
          if (messages.length < MAX_PAGE_SIZE) {
            reachedStart = true;
            break;
          }
          before = ids[0];
          if (before === undefined || compareSnowflakes(before, windowStart) < 0) break;
        }
        // Discord answered for every message from `from` up to the newest we knew before re-reading
        // (`after`); a stored one it did not list there is gone. Newer stored ids (another process may
        // have added them meanwhile) wait for the next re-read.
        const from = reachedStart || before === undefined ? windowStart : maxSnowflake(windowStart, before);
        const stored = await sink.listMessageIds(channelId, from);
        const gone = stored.filter((id) => !seen.has(id) && compareSnowflakes(id, from) >= 0 && compareSnowflakes(id, after) <= 0);
        for (const id of gone) if (await sink.markMessageDeleted(id, atIso)) result.deleted += 1;
        await sink.setCursor(recheckKey, atIso);
      }
    } catch (err) {
      result.error = err instanceof Error ? err : new Error(String(err));
      const problem = problemOf(err);
      if (problem !== undefined) result.problem = problem;
      logger.warn('Discord poll of a channel failed', { channelId, error: describeError(err), ...(problem ? { problem: problem.code } : {}) });
    }
  }
  return { at: atIso, channels: results };
}

export interface IngestionOptions extends Omit<PollOptions, 'recheck'> {
  /** Delay between the end of one poll and the start of the next (default DEFAULT_POLL_INTERVAL_MS). */
  intervalMs?: number;
  /** After every poll (counters, tests). */
  onPoll?: (result: PollResult) => void;
}

export interface Ingestion {
  /** No poll starts afterwards; resolves when the one running (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Polls now, then `intervalMs` after each poll ends: a slow poll delays the next one instead of
 * overlapping it, so two polls never move the same cursor at once.
 */
export function startIngestion(opts: IngestionOptions): Ingestion {
  const intervalMs = opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const logger = opts.logger ?? silentLogger;
  // One reader for all polls: it remembers exhausted rate-limit buckets between them.
  const reader = readerFor(opts);
  const clock = clockOf(opts);
  let stopped = false;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;

  const tick = (): void => {
    timer = undefined;
    running = (async () => {
      try {
        const result = await pollOnce({ ...opts, reader });
        opts.onPoll?.(result);
      } catch (err) {
        // A store failure (the channels' own failures are in the result): try again at the next poll.
        logger.error('Discord ingestion poll failed', { error: describeError(err) });
      }
    })().finally(() => {
      running = undefined;
      if (!stopped) timer = clock.setTimeout(tick, intervalMs);
    });
  };
  tick();

  return {
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
