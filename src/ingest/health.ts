/**
 * Discord's two silent reading failures (slots-and-alerts.md, Discord, "Silent failures when reading"),
 * noticed and named, and the record of each channel's last reading that `status` and the dashboard show.
 *
 * - Without Read Message History, listing messages answers 200 `[]` (not 403), while `GET /channels/{id}`
 *   still shows a `last_message_id`: an empty newest page is checked against it.
 * - Without the Message Content intent, content, embeds and attachments of what others wrote come back
 *   empty: a page whose every ordinary message from a person is blank is that.
 * A page found so is not stored and no cursor moves past it, so nothing is lost: once the permission or
 * the intent is given, the same messages are read again, with their text.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { INGEST_HEALTH_FILE } from '../instance/names.js';
import { RemoteError, writeFileAtomic } from '../lib/index.js';
import type { DiscordReader } from './client.js';

export type IngestProblemCode = 'missing-read-message-history' | 'missing-message-content-intent';

export interface IngestProblem {
  code: IngestProblemCode;
  /** For people: which permission or intent is missing, and where to give it. */
  message: string;
}

/** Thrown by checkPage: the channel stops for this run, its page unstored. */
export class IngestPermissionError extends RemoteError {
  constructor(readonly problem: IngestProblem) {
    super(problem.message);
    this.name = 'IngestPermissionError';
  }
}

export const readHistoryProblem = (channelId: string, lastMessageId: string): IngestProblem => ({
  code: 'missing-read-message-history',
  message:
    `Discord lists no message in channel ${channelId} although its last message is ${lastMessageId}: ` +
    'the bot lacks the Read Message History permission there (Server Settings → Roles, or the channel’s Permissions)',
});

export const messageContentProblem = (channelId: string, blank: number): IngestProblem => ({
  code: 'missing-message-content-intent',
  message:
    `Discord sent ${blank} message(s) of channel ${channelId} without their text, embeds or attachments: the bot lacks the ` +
    'Message Content intent (Discord Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent)',
});

/** Message types that carry what a person wrote: 0 default, 19 reply (joins, pins and the like have no text). */
const TEXT_MESSAGE_TYPES = new Set([0, 19]);

const isEmptyList = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

/**
 * How many ordinary messages from people the page holds and how many of them are blank. Bots and
 * webhooks are left out (the bot's own messages keep their text without the intent), and so are
 * messages that are legitimately without text: stickers, polls, forwards (message_snapshots).
 */
export function blankMessages(page: readonly unknown[]): { people: number; blank: number } {
  let people = 0;
  let blank = 0;
  for (const raw of page) {
    if (raw === null || typeof raw !== 'object') continue;
    const m = raw as Record<string, unknown>;
    const author = m.author !== null && typeof m.author === 'object' ? (m.author as Record<string, unknown>) : {};
    if (author.bot === true || m.webhook_id !== undefined) continue;
    if (typeof m.type === 'number' && !TEXT_MESSAGE_TYPES.has(m.type)) continue;
    if (!isEmptyList(m.sticker_items) || m.poll !== undefined || !isEmptyList(m.message_snapshots)) continue;
    people++;
    if ((m.content ?? '') === '' && isEmptyList(m.embeds) && isEmptyList(m.attachments)) blank++;
  }
  return { people, blank };
}

/**
 * Checks a page before it is stored. `newest`: the page was asked without an anchor (the newest
 * messages), so an empty one means an empty channel or a missing permission, which the channel's
 * `last_message_id` tells apart (one extra request, only then).
 */
export async function checkPage(reader: DiscordReader, channelId: string, page: readonly unknown[], newest: boolean): Promise<void> {
  if (page.length === 0) {
    if (!newest) return;
    const { lastMessageId } = await reader.getChannel(channelId);
    if (lastMessageId !== null) throw new IngestPermissionError(readHistoryProblem(channelId, lastMessageId));
    return;
  }
  const { people, blank } = blankMessages(page);
  if (people > 0 && blank === people) throw new IngestPermissionError(messageContentProblem(channelId, blank));
}

/** The problem an ingestion error names, if it is one of these. */
export const problemOf = (err: unknown): IngestProblem | undefined => (err instanceof IngestPermissionError ? err.problem : undefined);

/** Where the last reading of each channel is recorded, under the data directory (not an instance: it starts with a dot). */
export { INGEST_HEALTH_FILE };

const problemSchema = z.object({ code: z.enum(['missing-read-message-history', 'missing-message-content-intent']), message: z.string() });
const channelHealthSchema = z.object({
  channelId: z.string(),
  guildId: z.string(),
  /** ISO time of the reading this describes. */
  at: z.string(),
  /** 'backfill', 'poll', or 'live' (the REST catch-up of the Gateway ingestion). */
  by: z.enum(['backfill', 'poll', 'live']),
  ok: z.boolean(),
  problem: problemSchema.optional(),
  /** Any other failure, as the command printed it (never a token: the reader's messages carry none). */
  error: z.string().optional(),
});
/** The Gateway connection of live ingestion (gateway.ts, live.ts), for `status`, the dashboard and /health. */
const gatewayHealthSchema = z.object({
  status: z.enum(['connecting', 'connected', 'resuming', 'reconnecting', 'stopped']),
  /** ISO time the status began. */
  since: z.string(),
  /** Why it stopped, or the last close that made it reconnect. */
  reason: z.string().optional(),
  closeCode: z.number().int().optional(),
  /** Stopped for a reason a person must fix (the token, the Message Content intent): no reconnect is tried. */
  fatal: z.boolean().optional(),
  /** ISO time of the last event received. */
  lastEventAt: z.string().nullable(),
  /** How long the last message took from being posted to reaching us (ms). */
  lagMs: z.number().nullable(),
  /** When this was written. */
  at: z.string(),
});
const healthRecordSchema = z.object({ v: z.literal(1), channels: z.array(channelHealthSchema), gateway: gatewayHealthSchema.optional() });

export type GatewayHealth = z.infer<typeof gatewayHealthSchema>;
export type ChannelHealth = z.infer<typeof channelHealthSchema>;
export type IngestHealthRecord = z.infer<typeof healthRecordSchema>;

/** What one run found for one channel, in the shape of poll and backfill results. */
export interface ChannelOutcome {
  channelId: string;
  guildId: string;
  problem?: IngestProblem;
  error?: Error | string;
}

/** The channels' health after a run (pure). */
export function channelHealth(outcomes: readonly ChannelOutcome[], at: string, by: ChannelHealth['by']): ChannelHealth[] {
  return outcomes.map((o) => {
    const error = o.problem === undefined && o.error !== undefined ? (typeof o.error === 'string' ? o.error : o.error.message) : undefined;
    return {
      channelId: o.channelId,
      guildId: o.guildId,
      at,
      by,
      ok: o.problem === undefined && error === undefined,
      ...(o.problem !== undefined ? { problem: o.problem } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  });
}

/**
 * The record, or null when there is none yet. A damaged file (a power cut) is read as none: the next run
 * writes it whole again.
 */
export async function readIngestHealth(dataDir: string): Promise<IngestHealthRecord | null> {
  let text: string;
  try {
    text = await readFile(join(dataDir, INGEST_HEALTH_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = healthRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Records these channels' latest reading, keeping what is known of the others (a run interrupted before a
 * channel leaves its last reading); `configured`, when given, drops channels no longer ingested.
 */
export function recordIngestHealth(dataDir: string, channels: readonly ChannelHealth[], configured?: readonly string[]): Promise<IngestHealthRecord> {
  return serially(dataDir, () => writeChannels(dataDir, channels, configured));
}

/** The channels' and the gateway's records share the file: their read-then-write runs one at a time per data dir. */
const queues = new Map<string, Promise<unknown>>();
function serially<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(dataDir) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(dataDir, tail);
  void tail.then(() => {
    if (queues.get(dataDir) === tail) queues.delete(dataDir);
  });
  return run;
}

async function writeChannels(dataDir: string, channels: readonly ChannelHealth[], configured?: readonly string[]): Promise<IngestHealthRecord> {
  const file = join(dataDir, INGEST_HEALTH_FILE);
  const previous = await readIngestHealth(dataDir);
  const known = (previous?.channels ?? []).filter((c) => configured === undefined || configured.includes(c.channelId));
  const updated = new Map(known.map((c) => [c.channelId, c]));
  for (const c of channels) updated.set(c.channelId, c);
  const record: IngestHealthRecord = {
    v: 1,
    channels: [...updated.values()].sort((a, b) => a.channelId.localeCompare(b.channelId)),
    ...(previous?.gateway ? { gateway: previous.gateway } : {}),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, 0o644);
  return record;
}

/**
 * A SD card wears with every write: the API polls every 30 s, so its recorder writes when a channel's state
 * changes (ok, problem, error), and otherwise at most this often to keep "last reading" fresh.
 */
export const HEALTH_REFRESH_MS = 5 * 60_000;

/** For a long-running poller: records a poll's channels when their state changed or HEALTH_REFRESH_MS passed. */
export function createHealthRecorder(
  dataDir: string,
  configured: readonly string[],
  opts: { refreshMs?: number; now?: () => number } = {},
): (channels: readonly ChannelHealth[]) => Promise<boolean> {
  const refreshMs = opts.refreshMs ?? HEALTH_REFRESH_MS;
  const now = opts.now ?? Date.now;
  let lastState: string | undefined;
  let lastWrite = -Infinity;
  return async (channels) => {
    const state = JSON.stringify(channels.map(({ at: _at, ...rest }) => rest));
    if (state === lastState && now() - lastWrite < refreshMs) return false;
    await recordIngestHealth(dataDir, channels, configured);
    lastState = state;
    lastWrite = now();
    return true;
  };
}

/** Records the Gateway's state beside the channels' (null: polling runs, so no gateway state is shown). */
export function recordGatewayHealth(dataDir: string, gateway: GatewayHealth | null): Promise<void> {
  return serially(dataDir, () => writeGateway(dataDir, gateway));
}

async function writeGateway(dataDir: string, gateway: GatewayHealth | null): Promise<void> {
  const file = join(dataDir, INGEST_HEALTH_FILE);
  const previous = await readIngestHealth(dataDir);
  const record: IngestHealthRecord = { v: 1, channels: previous?.channels ?? [], ...(gateway ? { gateway } : {}) };
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, 0o644);
}

/**
 * For live ingestion: writes the Gateway's state when it changes, and otherwise at most every
 * HEALTH_REFRESH_MS (the last event time moves with every message; an SD card should not).
 */
export function createGatewayHealthRecorder(
  dataDir: string,
  opts: { refreshMs?: number; now?: () => number } = {},
): (gateway: Omit<GatewayHealth, 'at'>) => Promise<boolean> {
  const refreshMs = opts.refreshMs ?? HEALTH_REFRESH_MS;
  const now = opts.now ?? Date.now;
  let lastState: string | undefined;
  let lastWrite = -Infinity;
  return async (gateway) => {
    const state = JSON.stringify([gateway.status, gateway.reason, gateway.fatal]);
    if (state === lastState && now() - lastWrite < refreshMs) return false;
    lastState = state;
    lastWrite = now();
    await recordGatewayHealth(dataDir, { ...gateway, at: new Date(now()).toISOString() });
    return true;
  };
}
