/**
 * Batched writes of live events: operations wait up to `batchMs` (or until `maxBatch` are queued) and are
 * then applied together, in the order they came: every created or updated message of the batch in one
 * upsertMessages (one transaction for a burst, not one per message), then the deletions. A failed write
 * keeps the batch queued and is retried later (bounded delay), so a store hiccup loses nothing.
 */
import { backoffDelay, describeError, silentLogger, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import type { LiveOp } from './live-events.js';
import { parseDiscordMessage, toMessageRow } from './message.js';
import type { MessageRow, MessageSink } from './sink.js';
import { maxSnowflake } from './snowflake.js';

/** What live ingestion needs beyond polling: a stored message, to apply a partial MESSAGE_UPDATE to. */
export interface LiveSink extends MessageSink {
  getMessage(messageId: string): Promise<MessageRow | null>;
}

/** A burst (a bulk import, a busy minute) is gathered this long: a message still shows within a second. */
export const DEFAULT_BATCH_MS = 100;
/** At this many queued events the batch is written at once, so memory stays bounded in a flood. */
export const MAX_BATCH = 500;
/** A failing store is retried from 1 s up to 30 s apart. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export interface FlushResult {
  inserted: number;
  updated: number;
  deleted: number;
  /** Partial updates of messages the store does not hold (older than what was ingested): nothing to update. */
  skipped: number;
  /** Per channel, the newest message id created by this batch (the live resume point). */
  newest: Map<string, string>;
}

export interface LiveWriterOptions {
  sink: LiveSink;
  clock: Clock;
  logger?: Logger;
  batchMs?: number;
  maxBatch?: number;
  onFlush?: (r: FlushResult) => void | Promise<void>;
}

export interface LiveWriter {
  push(op: LiveOp): void;
  /** Writes what is queued now; resolves when written (or the write failed and was re-queued). */
  flush(): Promise<void>;
  /** Operations queued and not yet written. */
  pending(): number;
  /** Stops the timer after a last flush. */
  close(): Promise<void>;
}

const isFullMessage = (raw: Record<string, unknown>): boolean => parseSafe(raw) !== null;
function parseSafe(raw: Record<string, unknown>): unknown {
  try {
    return parseDiscordMessage(raw);
  } catch {
    return null;
  }
}

/** Applies a partial MESSAGE_UPDATE to the stored row: only the fields that came change; the stored row's first-seen time and deletion stay. */
function mergeUpdate(base: MessageRow, partial: Record<string, unknown>, ingestedAt: string): MessageRow {
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(base.rawJson) as Record<string, unknown>;
  } catch {
    // A raw_json that is not JSON cannot be merged into; the row's own columns are the base then.
  }
  const merged = { ...stored, ...partial };
  const row = toMessageRow(merged, { guildId: base.guildId, ingestedAt, channelId: base.channelId });
  return { ...row, ingestedAt: base.ingestedAt, deleted: base.deleted };
}

export function createLiveWriter(opts: LiveWriterOptions): LiveWriter {
  const logger = opts.logger ?? silentLogger;
  const batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
  const maxBatch = opts.maxBatch ?? MAX_BATCH;
  let queue: LiveOp[] = [];
  let timer: TimerHandle | undefined;
  let running: Promise<void> = Promise.resolve();
  let failures = 0;
  let closed = false;

  const schedule = (ms: number): void => {
    if (timer !== undefined || closed) return;
    timer = opts.clock.setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  };

  const apply = async (ops: LiveOp[]): Promise<FlushResult> => {
    const ingestedAt = opts.clock.now().toISOString();
    const rows = new Map<string, MessageRow>();
    const deletions: string[] = [];
    const result: FlushResult = { inserted: 0, updated: 0, deleted: 0, skipped: 0, newest: new Map() };
    for (const op of ops) {
      if (op.kind === 'delete') {
        deletions.push(...op.ids);
        continue;
      }
      if (op.kind === 'create' || isFullMessage(op.raw)) {
        const row = toMessageRow(op.raw, { guildId: op.guildId, ingestedAt, channelId: op.channelId });
        rows.set(row.messageId, row);
        if (op.kind === 'create') result.newest.set(op.channelId, maxSnowflake(result.newest.get(op.channelId) ?? '0', row.messageId));
        continue;
      }
      const id = op.raw.id as string;
      const base = rows.get(id) ?? (await opts.sink.getMessage(id));
      if (base === null) {
        result.skipped += 1;
        continue;
      }
      rows.set(id, mergeUpdate(base, op.raw, ingestedAt));
    }
    if (rows.size > 0) {
      const r = await opts.sink.upsertMessages([...rows.values()]);
      result.inserted = r.inserted;
      result.updated = r.updated;
    }
    const at = opts.clock.now().toISOString();
    for (const id of deletions) if (await opts.sink.markMessageDeleted(id, at)) result.deleted += 1;
    return result;
  };

  const flush = (): Promise<void> => {
    running = running.then(async () => {
      if (timer !== undefined) {
        opts.clock.clearTimeout(timer);
        timer = undefined;
      }
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      try {
        const r = await apply(batch);
        failures = 0;
        await opts.onFlush?.(r);
      } catch (err) {
        // Kept, in order, ahead of what came meanwhile; upserts and deletion marks are idempotent, so a partly applied batch is safe to apply again.
        queue = [...batch, ...queue];
        failures += 1;
        const delay = backoffDelay(failures, RETRY_BASE_MS, RETRY_MAX_MS);
        logger.error('storing live Discord events failed; retrying', { events: batch.length, delayMs: delay, error: describeError(err) });
        if (!closed) schedule(delay);
        return;
      }
      if (queue.length > 0) schedule(queue.length >= maxBatch ? 0 : batchMs);
    });
    return running;
  };

  return {
    push: (op) => {
      queue.push(op);
      if (queue.length >= maxBatch) void flush();
      else schedule(batchMs);
    },
    flush,
    pending: () => queue.length,
    close: async () => {
      await flush();
      closed = true;
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
