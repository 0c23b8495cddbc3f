/**
 * A local Discord HTTP API as /work/shared/reference/slots-and-alerts.md describes it: webhook execute,
 * bot channel messages (create and list), the message limits enforced with 400 50035, rate-limit headers
 * on every success, a global limit of 50 requests/s, and injectable 429s and 5xx answers.
 * Channels belong to a guild and keep a message history (snowflake ids that grow with time, authors,
 * attachments, embeds) that tests fill, edit and delete; the bot reads it back through
 * `GET /api/v10/channels/{id}/messages` with Discord's `before` / `after` / `around` / `limit` paging, and
 * `GET /api/v10/channels/{id}` (its `last_message_id`). The reference's silent failures are switches: a
 * channel without Read Message History lists 200 `[]`, and without the Message Content intent what others
 * wrote comes back blank.
 * Webhooks answer on the unversioned path users copy (`/api/webhooks/…`, API v6: rate-limit waits in
 * milliseconds) and on `/api/v{n}/webhooks/…` (v8+: seconds), as the reference's "Facts" say.
 * Where the reference is silent the stricter plausible answer is chosen and said in a comment.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import {
  DEFAULT_AUTHOR,
  DISCORD_EPOCH,
  channelHistory,
  discordTimestamp,
  snowflakeFactory,
  toDate,
  type ChannelHistory,
  type DiscordSimState,
  type SimChannel,
} from './discord-history.js';
import { jsonError, rateLimiter, type RateLimiter } from './discord-rate-limits.js';
import { startLoggedServer, type LoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

export interface DiscordSimOptions {
  latencyMs?: number;
  /** Default 'test-bot-token'. */
  botToken?: string;
  /** Global limit (reference: 50 req/s); lower it to test the global 429 cheaply. */
  globalLimitPerSecond?: number;
  /**
   * Per-route bucket (per webhook or per channel) reported in the X-RateLimit-* headers. The reference
   * names no per-route numbers, so by default the bucket (5 per 2 s, Discord's usual message bucket) is
   * only advertised; pass `enforce: true` to also answer 429 when it is exhausted.
   */
  routeLimit?: { limit: number; windowSeconds: number; enforce?: boolean };
  /**
   * false: the bot's application lacks the privileged Message Content intent, and every message listed
   * that the bot did not write comes back with empty content, embeds and attachments (reference: "Silent
   * failures when reading"). Default true.
   */
  messageContentIntent?: boolean;
  /**
   * Told of every change to a channel's history (a post by a user, the bot or a webhook, an edit, a
   * deletion), in order: the Gateway simulator (discord-gateway.ts) turns them into dispatches.
   */
  onHistoryChange?: (change: DiscordSimHistoryChange) => void;
  /** Answers routes this simulator does not know (null: not ours either): the Gateway simulator's `/v10/gateway/bot`. */
  extraRoute?: (call: SimCall) => SimAnswer | null;
  /**
   * The time of the rate-limit windows (global and per route) and the timer `latencyMs` waits on (default the
   * system's): a test passes a fake clock to move past a window, or see the wait, without waiting.
   */
  clock?: Pick<Clock, 'now' | 'sleep'>;
}

/** What changed in a channel's history (copies of the message as the API lists it). */
export type DiscordSimHistoryChange =
  | { kind: 'create'; guildId: string; message: DiscordSimChannelMessage }
  | { kind: 'update'; guildId: string; message: DiscordSimChannelMessage }
  | { kind: 'delete'; guildId: string; channelId: string; messageId: string };

export interface DiscordSimMessage {
  via: 'webhook' | 'bot';
  webhookId?: string;
  channelId?: string;
  /** The JSON body as sent. */
  body: any;
  /** ISO time of acceptance. */
  at: string;
}

/** A message as the bot API lists it (Discord's message object, the fields the reference names and a few more). */
export interface DiscordSimChannelMessage {
  id: string;
  type: number;
  channel_id: string;
  author: { id: string; username: string; bot?: boolean; global_name?: string | null };
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  attachments: Record<string, unknown>[];
  embeds: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface AddMessageInput {
  content: string;
  /** Default: a stable id per author name (or the sim's default user). */
  authorId?: string;
  authorName?: string;
  /** How many placeholder attachments, or the attachment objects themselves. */
  attachments?: number | Record<string, unknown>[];
  /** How many placeholder embeds, or the embed objects themselves. */
  embeds?: number | Record<string, unknown>[];
  /** When it was posted (default now); the id is derived from it, as Discord's ids are. */
  at?: Date | string;
}

export interface CreateChannelOptions {
  /** Default: the simulator's guild (`sim.guildId`). */
  guildId?: string;
  /** Default now; the channel id encodes it. */
  createdAt?: Date | string;
}

export interface SeedHistoryOptions {
  /** Time of the newest seeded message (default now). */
  endAt?: Date | string;
  /** Time between two seeded messages (default one minute). */
  spacingMs?: number;
}

export interface DiscordSim {
  /** 'http://127.0.0.1:<port>/api': webhook URL = `${url}/webhooks/${id}/${token}`, bot API under `${url}/v10/`. */
  url: string;
  /** The guild channels belong to unless created with another one. */
  guildId: string;
  /** A registered webhook posting into a new channel (or `channelId` when given). */
  createWebhook(channelId?: string): { id: string; token: string; url: string };
  /** Afterwards the webhook answers 404 code 10015. */
  deleteWebhook(id: string): void;
  /** A channel id the bot can post to and read. */
  createChannel(opts?: CreateChannelOptions): string;
  /** The guild of a channel, undefined for an unknown one. */
  channelGuild(channelId: string): string | undefined;
  /** false: the bot loses View Channel / Read Message History there, and every call answers 403 code 50001. */
  setBotAccess(channelId: string, allowed: boolean): void;
  /**
   * false: the bot sees the channel but lacks Read Message History there. As the reference says, the
   * message list then answers 200 `[]` (not 403), while `GET /channels/{id}` still shows `last_message_id`.
   */
  setReadHistory(channelId: string, allowed: boolean): void;
  /** Turns the Message Content intent off or on again (see DiscordSimOptions.messageContentIntent). */
  setMessageContentIntent(enabled: boolean): void;
  /** What clients posted (webhook and bot), in order; history added by the helpers below is not in it. */
  messages(): DiscordSimMessage[];
  /** Puts a message in a channel's history, as if a user had posted it; returns it as the API lists it. */
  addMessage(channelId: string, input: AddMessageInput): DiscordSimChannelMessage;
  /** Changes a message's content and sets its edited_timestamp (now). */
  editMessage(channelId: string, messageId: string, content: string): DiscordSimChannelMessage;
  /** Removes a message: like on Discord, it is gone from the API afterwards (no trace, no flag). */
  deleteMessage(channelId: string, messageId: string): void;
  /** n messages ending at `endAt` (default now), one a minute, a few authors, some attachments and embeds; oldest first. */
  seedHistory(channelId: string, n: number, opts?: SeedHistoryOptions): DiscordSimChannelMessage[];
  /** The channel's messages the API would list, oldest first (copies). */
  history(channelId: string): DiscordSimChannelMessage[];
  /** The next n requests answer 429 (retry_after default 1 s; `global` sets the global flag and scope). */
  rateLimitNext(n: number, retryAfterSeconds?: number, global?: boolean): void;
  failNext(n: number, status: 500 | 502 | 503): void;
  requests: SimLoggedRequest[];
  /** Most requests in flight at once since start or resetLog (a client that waits for each answer: 1). */
  maxConcurrent(): number;
  resetLog(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const DEFAULT_BOT_TOKEN = 'test-bot-token';
/** Reference: global limit 50 requests per second. */
const GLOBAL_LIMIT_PER_SECOND = 50;
const DEFAULT_ROUTE_LIMIT = { limit: 5, windowSeconds: 2, enforce: false };
const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** A path without `/v{n}` is served by API v6 (slots-and-alerts.md, Discord, first point). */
const UNVERSIONED_API_VERSION = 6;
/** From v8 on, rate-limit times are seconds; before, milliseconds. */
const FIRST_API_VERSION_IN_SECONDS = 8;
/** Default page size of the message list. */
const DEFAULT_LIST_LIMIT = 50;
/** Discord's largest page of messages. */
const MAX_LIST_LIMIT = 100;
/** seedHistory's default spacing: one message a minute looks like a lively channel and spans days for a few thousand. */
const SEED_SPACING_MS = 60_000;
const SEED_AUTHORS = ['alice', 'bob', 'chloé'];

/** Reference limits, in characters (Unicode code points). */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** All embed text of one message together. */
  embedTotal: 6000,
} as const;

type DiscordErrors = Record<string, unknown>;

const len = (s: string): number => [...s].length;
const unauthorized = (): SimAnswer => jsonError(401, 0, '401: Unauthorized');

/** Puts `{_errors:[...]}` at a path such as ['embeds','0','title'] in Discord's nested error tree. */
function addError(tree: DiscordErrors, path: string[], code: string, message: string): void {
  let node = tree;
  for (const key of path) node = (node[key] ??= {}) as DiscordErrors;
  ((node._errors ??= []) as unknown[]).push({ code, message });
}

const maxLength = (n: number): [string, string] => ['BASE_TYPE_MAX_LENGTH', `Must be ${n} or fewer in length.`];

/** The 50035 error tree for a message body, or null when Discord would accept it. */
export function validateDiscordMessage(body: unknown): DiscordErrors | null {
  const errors: DiscordErrors = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    addError(errors, [], 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
    return errors;
  }
  const b = body as Record<string, unknown>;
  const content = b.content;
  if (content !== undefined && content !== null) {
    if (typeof content !== 'string') addError(errors, ['content'], 'BASE_TYPE_STRING', 'Must be a string.');
    else if (len(content) > DISCORD_LIMITS.content) addError(errors, ['content'], ...maxLength(DISCORD_LIMITS.content));
  }
  const embeds = b.embeds;
  let embedCount = 0;
  if (embeds !== undefined && embeds !== null) {
    if (!Array.isArray(embeds)) addError(errors, ['embeds'], 'LIST_TYPE_CONVERT', 'Must be an array.');
    else {
      embedCount = embeds.length;
      if (embeds.length > DISCORD_LIMITS.embeds) addError(errors, ['embeds'], ...maxLength(DISCORD_LIMITS.embeds));
      let total = 0;
      embeds.forEach((embed: unknown, i) => {
        const at = ['embeds', String(i)];
        if (embed === null || typeof embed !== 'object' || Array.isArray(embed)) {
          addError(errors, at, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
          return;
        }
        const e = embed as Record<string, unknown>;
        const text = (value: unknown, path: string[], limit: number, required = false): void => {
          if (value === undefined || value === null) {
            if (required) addError(errors, path, 'BASE_TYPE_REQUIRED', 'This field is required');
            return;
          }
          if (typeof value !== 'string') {
            addError(errors, path, 'BASE_TYPE_STRING', 'Must be a string.');
            return;
          }
          if (required && value === '') addError(errors, path, 'BASE_TYPE_REQUIRED', 'This field is required');
          if (len(value) > limit) addError(errors, path, ...maxLength(limit));
          total += len(value);
        };
        text(e.title, [...at, 'title'], DISCORD_LIMITS.title);
        text(e.description, [...at, 'description'], DISCORD_LIMITS.description);
        const footer = e.footer;
        if (footer !== undefined && footer !== null) text((footer as Record<string, unknown>).text, [...at, 'footer', 'text'], DISCORD_LIMITS.footer, true);
        const author = e.author;
        if (author !== undefined && author !== null) text((author as Record<string, unknown>).name, [...at, 'author', 'name'], DISCORD_LIMITS.title, true);
        const fields = e.fields;
        if (fields !== undefined && fields !== null) {
          if (!Array.isArray(fields)) addError(errors, [...at, 'fields'], 'LIST_TYPE_CONVERT', 'Must be an array.');
          else {
            if (fields.length > DISCORD_LIMITS.fields) addError(errors, [...at, 'fields'], ...maxLength(DISCORD_LIMITS.fields));
            fields.forEach((field: unknown, j) => {
              const f = (field ?? {}) as Record<string, unknown>;
              text(f.name, [...at, 'fields', String(j), 'name'], DISCORD_LIMITS.fieldName, true);
              text(f.value, [...at, 'fields', String(j), 'value'], DISCORD_LIMITS.fieldValue, true);
            });
          }
        }
      });
      if (total > DISCORD_LIMITS.embedTotal)
        addError(errors, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${DISCORD_LIMITS.embedTotal}`);
    }
  }
  const hasContent = typeof content === 'string' && content !== '';
  // Real Discord answers an empty message with code 50006; the team asked for 50035 like every other refusal.
  if (Object.keys(errors).length === 0 && !hasContent && embedCount === 0) addError(errors, ['content'], 'BASE_TYPE_REQUIRED', 'Cannot send an empty message');
  return Object.keys(errors).length ? errors : null;
}

/** The creation time (Unix ms) a snowflake encodes. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Content type and JSON parsing shared by both ways of posting. */
function parsePost(c: SimCall): { body: unknown } | { error: SimAnswer } {
  // The simulator only speaks JSON (Discord would also take multipart uploads, which we never send).
  if (!(c.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    return {
      error: jsonError(400, 50035, 'Invalid Form Body', {
        errors: { _errors: [{ code: 'CONTENT_TYPE_INVALID', message: 'Expected "Content-Type" header to be one of {\'application/json\'}.' }] },
      }),
    };
  }
  try {
    return { body: JSON.parse(c.rawBody) as unknown };
  } catch {
    return { error: jsonError(400, 50109, 'The request body contains invalid JSON.') };
  }
}

const formError = (field: string, code: string, message: string): SimAnswer =>
  jsonError(400, 50035, 'Invalid Form Body', { errors: { [field]: { _errors: [{ code, message }] } } });

/** The HTTP side: webhooks, the bot's channel routes and the message list, behind the global limit and injected failures. */
function discordRoutes(s: DiscordSimState, limits: RateLimiter, history: ChannelHistory): (c: SimCall) => SimAnswer {
  const { webhooks, channels, botToken, botUser, injected, opts } = s;
  const { takeBucket, takeGlobal, injectedAnswer } = limits;
  const { accept } = history;

  const executeWebhook = (c: SimCall, id: string, token: string, millis: boolean): SimAnswer => {
    const hook = webhooks.get(id);
    if (!hook) return jsonError(404, 10015, 'Unknown Webhook');
    // Not in the reference; Discord answers a known id with a wrong token like this.
    if (hook.token !== token) return jsonError(401, 50027, 'Invalid Webhook Token');
    if (c.method === 'GET')
      return { status: 200, json: { id, type: 1, name: hook.name, channel_id: hook.channelId, token, avatar: null, application_id: null } };
    if (c.method !== 'POST') return jsonError(405, 0, '405: Method Not Allowed');
    const parsed = parsePost(c);
    if ('error' in parsed) return parsed.error;
    const errors = validateDiscordMessage(parsed.body);
    if (errors) return jsonError(400, 50035, 'Invalid Form Body', { errors });
    const bucket = takeBucket(`webhook:${id}`, millis);
    if (bucket.limited) return bucket.limited;
    const message = accept('webhook', hook.channelId, parsed.body as Record<string, unknown>, id);
    if (c.query.wait === 'true') return { status: 200, json: message, headers: bucket.headers };
    return { status: 204, empty: true, headers: bucket.headers };
  };

  /** The bot's checks shared by its routes: token, agent, channel, access; the channel when they pass. */
  const botChannel = (c: SimCall, channelId: string): { ch: SimChannel } | { error: SimAnswer } => {
    if (c.headers.authorization !== `Bot ${botToken}`) return { error: unauthorized() };
    // Discord documents a required `DiscordBot ($url, $versionNumber)` agent; the simulator refuses others with 400 so a client cannot forget it.
    if (!(c.headers['user-agent'] ?? '').startsWith('DiscordBot ('))
      return { error: jsonError(400, 0, "User-Agent must be 'DiscordBot ($url, $versionNumber)'") };
    const ch = channels.get(channelId);
    if (!ch) return { error: jsonError(404, 10003, 'Unknown Channel') };
    if (!ch.botAccess) return { error: jsonError(403, 50001, 'Missing Access') };
    return { ch };
  };

  /** `GET /channels/{id}`: a guild text channel object; `last_message_id` is shown even without Read Message History. */
  const getChannel = (c: SimCall, channelId: string): SimAnswer => {
    const found = botChannel(c, channelId);
    if ('error' in found) return found.error;
    if (c.method !== 'GET') return jsonError(405, 0, '405: Method Not Allowed');
    const { ch } = found;
    return {
      status: 200,
      json: {
        id: channelId,
        type: 0,
        guild_id: ch.guildId,
        name: `channel-${channelId.slice(-4)}`,
        position: 0,
        last_message_id: ch.lastMessageId,
        nsfw: false,
        parent_id: null,
      },
    };
  };

  const channelMessages = (c: SimCall, channelId: string): SimAnswer => {
    const found = botChannel(c, channelId);
    if ('error' in found) return found.error;
    const { ch } = found;
    if (c.method === 'GET') return listMessages(c, ch, channelId);
    if (c.method !== 'POST') return jsonError(405, 0, '405: Method Not Allowed');
    const parsed = parsePost(c);
    if ('error' in parsed) return parsed.error;
    const errors = validateDiscordMessage(parsed.body);
    if (errors) return jsonError(400, 50035, 'Invalid Form Body', { errors });
    const bucket = takeBucket(`channel:${channelId}`, false);
    if (bucket.limited) return bucket.limited;
    return { status: 200, json: accept('bot', channelId, parsed.body as Record<string, unknown>), headers: bucket.headers };
  };

  /**
   * Discord's paging: always newest first. No anchor = the newest `limit`; `before` = the newest `limit`
   * older than the id; `after` = the `limit` messages just after the id (the oldest of the newer ones),
   * still listed newest first; `around` = the message itself when it exists plus up to half the limit on
   * each side. Anchors are compared as numbers and need not be ids of existing messages.
   */
  /** Without the Message Content intent, what another author wrote comes back blank (reference: "Silent failures when reading"). */
  const asListed = (m: DiscordSimChannelMessage): DiscordSimChannelMessage =>
    s.contentIntent || m.author.id === botUser.id ? m : { ...m, content: '', embeds: [], attachments: [] };

  const listMessages = (c: SimCall, ch: SimChannel, channelId: string): SimAnswer => {
    const limitRaw = c.query.limit ?? String(DEFAULT_LIST_LIMIT);
    const limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > MAX_LIST_LIMIT) return formError('limit', 'NUMBER_TYPE_MAX', 'Must be between 1 and 100.');
    const anchors = (['before', 'after', 'around'] as const).filter((k) => c.query[k] !== undefined);
    for (const key of anchors) {
      if (!/^\d{1,20}$/.test(c.query[key] ?? '')) return formError(key, 'NUMBER_TYPE_COERCE', 'Value is not snowflake.');
    }
    // Discord documents the three as mutually exclusive without saying what it does with two; refusing is the stricter answer.
    if (anchors.length > 1) return formError(anchors[1] ?? 'after', 'MUTUALLY_EXCLUSIVE', 'Only one of before, after and around may be given.');
    const all = ch.messages;
    const id = (m: DiscordSimChannelMessage): bigint => BigInt(m.id);
    let page: DiscordSimChannelMessage[];
    const anchor = anchors[0];
    if (anchor === undefined) page = all.slice(-limit);
    else {
      const at = BigInt(c.query[anchor] ?? '0');
      if (anchor === 'before') page = all.filter((m) => id(m) < at).slice(-limit);
      else if (anchor === 'after') page = all.filter((m) => id(m) > at).slice(0, limit);
      else {
        const newer = all.filter((m) => id(m) >= at).slice(0, Math.ceil(limit / 2));
        const older = all.filter((m) => id(m) < at);
        page = [...older.slice(Math.max(0, older.length - Math.floor(limit / 2))), ...newer];
      }
    }
    const headers = takeBucket(`list:${channelId}`, false).headers;
    // Reference: without Read Message History the list is 200 `[]`, not a 403.
    if (!ch.readHistory) return { status: 200, json: [], headers };
    return { status: 200, json: [...page].reverse().map(asListed), headers };
  };

  const route = (c: SimCall): SimAnswer => {
    // `/api/webhooks/…` (what Discord's "Copy Webhook URL" gives) has no version and runs v6, whose rate-limit
    // times are milliseconds; `/api/v{n}/…` runs v{n} (slots-and-alerts.md, Discord, first point).
    const version = Number(/^\/api\/v(\d+)\//.exec(c.path)?.[1] ?? UNVERSIONED_API_VERSION);
    const millis = version < FIRST_API_VERSION_IN_SECONDS;
    const global = takeGlobal(millis);
    if (global) return global;
    const inj = injected.shift();
    if (inj) return injectedAnswer(inj, millis);
    const hook = /^\/api(?:\/v\d+)?\/webhooks\/([^/]+)\/([^/]+)$/.exec(c.path);
    if (hook) return executeWebhook(c, decodeURIComponent(hook[1] ?? ''), decodeURIComponent(hook[2] ?? ''), millis);
    const chan = /^\/api\/v10\/channels\/([^/]+)\/messages$/.exec(c.path);
    if (chan) return channelMessages(c, decodeURIComponent(chan[1] ?? ''));
    const channel = /^\/api\/v10\/channels\/([^/]+)$/.exec(c.path);
    if (channel) return getChannel(c, decodeURIComponent(channel[1] ?? ''));
    return opts.extraRoute?.(c) ?? jsonError(404, 0, '404: Not Found');
  };

  return route;
}

function newSimState(opts: DiscordSimOptions): DiscordSimState {
  const ids = snowflakeFactory();
  return {
    opts,
    botToken: opts.botToken ?? DEFAULT_BOT_TOKEN,
    globalLimit: opts.globalLimitPerSecond ?? GLOBAL_LIMIT_PER_SECOND,
    routeLimit: { ...DEFAULT_ROUTE_LIMIT, ...opts.routeLimit },
    ids,
    botUser: { id: ids.now(), username: 'campus-sync-test-bot', bot: true },
    guildId: ids.now(),
    webhooks: new Map(),
    channels: new Map(),
    users: new Map(),
    stored: [],
    injected: [],
    globalWindow: [],
    buckets: new Map(),
    contentIntent: opts.messageContentIntent ?? true,
    nowMs: () => (opts.clock ? opts.clock.now().getTime() : Date.now()),
  };
}

/** What tests hold: the URL, and the switches and history helpers over the state. */
function discordSimHandle(s: DiscordSimState, history: ChannelHistory, server: LoggedServer): DiscordSim {
  const { ids, webhooks, channels, stored, injected, opts, guildId } = s;
  const nextId = ids.now;
  const { createChannel, channelOf, addMessage, findMessage } = history;
  const base = `${server.url}/api`;
  return {
    url: base,
    guildId,
    createWebhook: (channelId) => {
      const channel = channelId ?? createChannel();
      if (!channels.has(channel)) throw new Error(`unknown channel ${channel}`);
      const id = nextId();
      const token = randomBytes(34).toString('base64url');
      webhooks.set(id, { token, channelId: channel, name: `Webhook ${webhooks.size + 1}` });
      return { id, token, url: `${base}/webhooks/${id}/${token}` };
    },
    deleteWebhook: (id) => {
      webhooks.delete(id);
    },
    createChannel,
    channelGuild: (channelId) => channels.get(channelId)?.guildId,
    setBotAccess: (channelId, allowed) => {
      channelOf(channelId).botAccess = allowed;
    },
    setReadHistory: (channelId, allowed) => {
      channelOf(channelId).readHistory = allowed;
    },
    setMessageContentIntent: (enabled) => {
      s.contentIntent = enabled;
    },
    messages: () => stored.map(({ object: _object, ...m }) => ({ ...m })),
    addMessage,
    editMessage: (channelId, messageId, content) => {
      const { ch, index } = findMessage(channelId, messageId);
      const m = ch.messages[index]!;
      m.content = content;
      m.edited_timestamp = discordTimestamp(new Date());
      opts.onHistoryChange?.({ kind: 'update', guildId: ch.guildId, message: structuredClone(m) });
      return structuredClone(m);
    },
    deleteMessage: (channelId, messageId) => {
      const { ch, index } = findMessage(channelId, messageId);
      ch.messages.splice(index, 1);
      opts.onHistoryChange?.({ kind: 'delete', guildId: ch.guildId, channelId, messageId });
    },
    seedHistory: (channelId, n, sopts = {}) => {
      const end = toDate(sopts.endAt, 'endAt').getTime();
      const spacing = sopts.spacingMs ?? SEED_SPACING_MS;
      return Array.from({ length: n }, (_, i) =>
        addMessage(channelId, {
          content: `History message ${i + 1} of ${n}`,
          authorName: SEED_AUTHORS[i % SEED_AUTHORS.length] ?? DEFAULT_AUTHOR,
          attachments: i % 7 === 3 ? 1 : 0,
          embeds: i % 11 === 5 ? 2 : 0,
          at: new Date(end - (n - 1 - i) * spacing),
        }),
      );
    },
    history: (channelId) => structuredClone(channelOf(channelId).messages),
    rateLimitNext: (n, retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS, global = false) => {
      for (let i = 0; i < n; i++) injected.push({ kind: 'rate', retryAfter: retryAfterSeconds, global });
    },
    failNext: (n, status) => {
      for (let i = 0; i < n; i++) injected.push({ kind: 'fail', status });
    },
    requests: server.requests,
    maxConcurrent: server.maxConcurrent,
    resetLog: server.resetLog,
    setLatency: server.setLatency,
    close: server.close,
  };
}

export async function startDiscordSim(opts: DiscordSimOptions = {}): Promise<DiscordSim> {
  const state = newSimState(opts);
  const history = channelHistory(state);
  const server = await startLoggedServer(discordRoutes(state, rateLimiter(state), history), {
    latencyMs: opts.latencyMs ?? 0,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return discordSimHandle(state, history, server);
}
