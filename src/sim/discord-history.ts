/**
 * The Discord simulator's state (channels, webhooks, what clients posted, injected failures, rate-limit windows)
 * and its channel histories: snowflake ids, message objects as the API lists them, inserts in id order. The
 * routes (discord.ts) and the rate limits (discord-rate-limits.ts) work on it; see discord.ts for the reference.
 */
import type { AddMessageInput, CreateChannelOptions, DiscordSimChannelMessage, DiscordSimMessage, DiscordSimOptions } from './discord.js';

/** Snowflakes count milliseconds from the first second of 2015. */
export const DISCORD_EPOCH = 1420070400000n;
/** The low 12 bits of a snowflake count ids made within one millisecond. */
const MAX_SEQUENCE = 0xfff;
export const DEFAULT_AUTHOR = 'campus-sync-tester';

/**
 * Ids made from a time: timestamp in the high bits, then a per-millisecond sequence, so ids made for
 * later times (or later within one millisecond) are always larger, whatever order they are made in.
 */
export function snowflakeFactory(): { at(ms: number): string; now(): string } {
  const lastSequence = new Map<number, number>();
  const at = (ms: number): string => {
    const whole = Math.floor(ms);
    if (BigInt(whole) < DISCORD_EPOCH) throw new Error(`no snowflake before 2015 (${new Date(whole).toISOString()})`);
    const sequence = (lastSequence.get(whole) ?? -1) + 1;
    // Discord's generator waits for the next millisecond when the sequence runs out; so do we.
    if (sequence > MAX_SEQUENCE) return at(whole + 1);
    lastSequence.set(whole, sequence);
    return (((BigInt(whole) - DISCORD_EPOCH) << 22n) | BigInt(sequence)).toString();
  };
  return { at, now: () => at(Date.now()) };
}

export const compareIds = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export const toDate = (d: Date | string | undefined, what: string): Date => {
  const date = d === undefined ? new Date() : new Date(d);
  if (Number.isNaN(date.getTime())) throw new Error(`invalid ${what}: ${String(d)}`);
  return date;
};

/** Discord timestamps carry microseconds and an explicit +00:00. */
export const discordTimestamp = (d: Date): string => d.toISOString().replace('Z', '000+00:00');

export interface StoredMessage extends DiscordSimMessage {
  object: DiscordSimChannelMessage;
}

export interface SimChannel {
  guildId: string;
  botAccess: boolean;
  readHistory: boolean;
  /** The newest id ever posted: Discord keeps it when that message is deleted (it "may not point to an existing message"). */
  lastMessageId: string | null;
  /** Sorted by id, oldest first; deleted messages are removed. */
  messages: DiscordSimChannelMessage[];
}

export type Injected = { kind: 'rate'; retryAfter: number; global: boolean } | { kind: 'fail'; status: 500 | 502 | 503 };

/** Everything the simulator remembers between requests. */
export interface DiscordSimState {
  opts: DiscordSimOptions;
  botToken: string;
  globalLimit: number;
  routeLimit: { limit: number; windowSeconds: number; enforce: boolean };
  ids: ReturnType<typeof snowflakeFactory>;
  botUser: { id: string; username: string; bot: boolean };
  guildId: string;
  webhooks: Map<string, { token: string; channelId: string; name: string }>;
  channels: Map<string, SimChannel>;
  /** Stable ids for the authors named by addMessage. */
  users: Map<string, string>;
  stored: StoredMessage[];
  injected: Injected[];
  globalWindow: number[];
  buckets: Map<string, { start: number; count: number }>;
  contentIntent: boolean;
  /** The rate-limit windows' time: `opts.clock` when a test drives it, else the wall clock. */
  nowMs(): number;
}

/**
 * A message object as Discord lists it. No guild_id: Discord's REST message objects leave it out (only
 * gateway MESSAGE_CREATE events carry it; the reference marks it optional), so readers take the guild
 * from their own configuration.
 */
export const messageObject = (
  id: string,
  channelId: string,
  at: Date,
  author: DiscordSimChannelMessage['author'],
  content: string,
  embeds: Record<string, unknown>[],
  attachments: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): DiscordSimChannelMessage => ({
  id,
  type: 0,
  channel_id: channelId,
  author,
  content,
  embeds,
  attachments,
  mentions: [],
  mention_roles: [],
  pinned: false,
  mention_everyone: false,
  tts: false,
  timestamp: discordTimestamp(at),
  edited_timestamp: null,
  flags: 0,
  ...extra,
});

export interface ChannelHistory {
  createChannel(copts?: CreateChannelOptions): string;
  channelOf(channelId: string): SimChannel;
  /** Stores what a client posted (webhook or bot) and puts it in the channel's history. */
  accept(via: 'webhook' | 'bot', channelId: string, body: Record<string, unknown>, webhookId?: string): DiscordSimChannelMessage;
  addMessage(channelId: string, input: AddMessageInput): DiscordSimChannelMessage;
  findMessage(channelId: string, messageId: string): { ch: SimChannel; index: number };
}

/** The history operations on a state: what the routes and the test handle change channels through. */
export function channelHistory(s: DiscordSimState): ChannelHistory {
  const { ids, channels, webhooks, users, stored, botUser, opts, guildId } = s;
  const nextId = ids.now;

  const createChannel = (copts: CreateChannelOptions = {}): string => {
    const id = copts.createdAt === undefined ? nextId() : ids.at(toDate(copts.createdAt, 'createdAt').getTime());
    channels.set(id, { guildId: copts.guildId ?? guildId, botAccess: true, readHistory: true, lastMessageId: null, messages: [] });
    return id;
  };

  const channelOf = (channelId: string): SimChannel => {
    const ch = channels.get(channelId);
    if (!ch) throw new Error(`unknown channel ${channelId}`);
    return ch;
  };

  /** Keeps the history sorted by id: a message added with a past `at` lands where its id belongs. */
  const insertMessage = (ch: SimChannel, m: DiscordSimChannelMessage): void => {
    if (ch.lastMessageId === null || compareIds(ch.lastMessageId, m.id) < 0) ch.lastMessageId = m.id;
    const list = ch.messages;
    const last = list.at(-1);
    if (!last || compareIds(last.id, m.id) < 0) {
      list.push(m);
      return;
    }
    const i = list.findIndex((x) => compareIds(x.id, m.id) > 0);
    list.splice(i === -1 ? list.length : i, 0, m);
  };

  const accept = (via: 'webhook' | 'bot', channelId: string, body: Record<string, unknown>, webhookId?: string): DiscordSimChannelMessage => {
    const at = new Date();
    const id = ids.at(at.getTime());
    const author = webhookId
      ? { id: webhookId, username: typeof body.username === 'string' ? body.username : (webhooks.get(webhookId)?.name ?? 'Captain Hook'), bot: true }
      : botUser;
    const object = messageObject(
      id,
      channelId,
      at,
      author,
      typeof body.content === 'string' ? body.content : '',
      Array.isArray(body.embeds) ? (body.embeds as Record<string, unknown>[]) : [],
      [],
      webhookId ? { webhook_id: webhookId } : {},
    );
    stored.push({ via, channelId, ...(webhookId ? { webhookId } : {}), body, at: at.toISOString(), object });
    const ch = channelOf(channelId);
    insertMessage(ch, object);
    opts.onHistoryChange?.({ kind: 'create', guildId: ch.guildId, message: structuredClone(object) });
    return object;
  };

  const placeholderAttachment = (channelId: string, n: number): Record<string, unknown> => {
    const id = nextId();
    const filename = `file-${n}.png`;
    return {
      id,
      filename,
      size: 1024 * n,
      content_type: 'image/png',
      url: `https://cdn.discordapp.com/attachments/${channelId}/${id}/${filename}`,
      proxy_url: `https://media.discordapp.net/attachments/${channelId}/${id}/${filename}`,
    };
  };

  const addMessage = (channelId: string, input: AddMessageInput): DiscordSimChannelMessage => {
    const ch = channelOf(channelId);
    const at = toDate(input.at, 'at');
    const name = input.authorName ?? (input.authorId !== undefined ? `user-${input.authorId.slice(-4)}` : DEFAULT_AUTHOR);
    let authorId = input.authorId ?? users.get(name);
    if (authorId === undefined) {
      authorId = nextId();
      users.set(name, authorId);
    }
    const many = <T>(v: number | T[] | undefined, make: (n: number) => T): T[] =>
      Array.isArray(v) ? v : Array.from({ length: v ?? 0 }, (_, i) => make(i + 1));
    const object = messageObject(
      ids.at(at.getTime()),
      channelId,
      at,
      { id: authorId, username: name, global_name: null },
      input.content,
      many(input.embeds, (n) => ({ type: 'rich', title: `Embed ${n}` })),
      many(input.attachments, (n) => placeholderAttachment(channelId, n)),
    );
    insertMessage(ch, object);
    opts.onHistoryChange?.({ kind: 'create', guildId: ch.guildId, message: structuredClone(object) });
    return structuredClone(object);
  };

  const findMessage = (channelId: string, messageId: string): { ch: SimChannel; index: number } => {
    const ch = channelOf(channelId);
    const index = ch.messages.findIndex((m) => m.id === messageId);
    if (index === -1) throw new Error(`unknown message ${messageId} in channel ${channelId}`);
    return { ch, index };
  };

  return { createChannel, channelOf, accept, addMessage, findMessage };
}
