/**
 * A local Discord HTTP API as /work/shared/reference/slots-and-alerts.md describes it: webhook execute,
 * bot channel messages (create and list), the message limits enforced with 400 50035, rate-limit headers
 * on every success, a global limit of 50 requests/s, and injectable 429s and 5xx answers.
 * Where the reference is silent the stricter plausible answer is chosen and said in a comment.
 */
import { createHash, randomBytes } from 'node:crypto';
import { startLoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

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
}

export interface DiscordSimMessage {
  via: 'webhook' | 'bot';
  webhookId?: string;
  channelId?: string;
  /** The JSON body as sent. */
  body: any;
  /** ISO time of acceptance. */
  at: string;
}

export interface DiscordSim {
  /** 'http://127.0.0.1:<port>/api': webhook URL = `${url}/webhooks/${id}/${token}`, bot API under `${url}/v10/`. */
  url: string;
  /** A registered webhook posting into a new channel (or `channelId` when given). */
  createWebhook(channelId?: string): { id: string; token: string; url: string };
  /** Afterwards the webhook answers 404 code 10015. */
  deleteWebhook(id: string): void;
  /** A channel id the bot can post to. */
  createChannel(): string;
  messages(): DiscordSimMessage[];
  /** The next n requests answer 429 (retry_after default 1 s; `global` sets the global flag and scope). */
  rateLimitNext(n: number, retryAfterSeconds?: number, global?: boolean): void;
  failNext(n: number, status: 500 | 502 | 503): void;
  requests: SimLoggedRequest[];
  resetLog(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const DEFAULT_BOT_TOKEN = 'test-bot-token';
/** Reference: global limit 50 requests per second. */
const GLOBAL_LIMIT_PER_SECOND = 50;
const DEFAULT_ROUTE_LIMIT = { limit: 5, windowSeconds: 2, enforce: false };
const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** Snowflakes count milliseconds from the first second of 2015. */
const DISCORD_EPOCH = 1420070400000n;
/** Default page size of the message list. */
const DEFAULT_LIST_LIMIT = 50;

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
const jsonError = (status: number, code: number, message: string, extra: Record<string, unknown> = {}): SimAnswer => ({ status, json: { message, code, ...extra } });
const unauthorized = (): SimAnswer => jsonError(401, 0, '401: Unauthorized');

/** Puts `{_errors:[...]}` at a path such as ['embeds','0','title'] in Discord's nested error tree. */
function addError(tree: DiscordErrors, path: string[], code: string, message: string): void {
  let node = tree;
  for (const key of path) node = (node[key] ??= {}) as DiscordErrors;
  ((node['_errors'] ??= []) as unknown[]).push({ code, message });
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
  const content = b['content'];
  if (content !== undefined && content !== null) {
    if (typeof content !== 'string') addError(errors, ['content'], 'BASE_TYPE_STRING', 'Must be a string.');
    else if (len(content) > DISCORD_LIMITS.content) addError(errors, ['content'], ...maxLength(DISCORD_LIMITS.content));
  }
  const embeds = b['embeds'];
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
        text(e['title'], [...at, 'title'], DISCORD_LIMITS.title);
        text(e['description'], [...at, 'description'], DISCORD_LIMITS.description);
        const footer = e['footer'];
        if (footer !== undefined && footer !== null) text((footer as Record<string, unknown>)['text'], [...at, 'footer', 'text'], DISCORD_LIMITS.footer, true);
        const author = e['author'];
        if (author !== undefined && author !== null) text((author as Record<string, unknown>)['name'], [...at, 'author', 'name'], DISCORD_LIMITS.title, true);
        const fields = e['fields'];
        if (fields !== undefined && fields !== null) {
          if (!Array.isArray(fields)) addError(errors, [...at, 'fields'], 'LIST_TYPE_CONVERT', 'Must be an array.');
          else {
            if (fields.length > DISCORD_LIMITS.fields) addError(errors, [...at, 'fields'], ...maxLength(DISCORD_LIMITS.fields));
            fields.forEach((field: unknown, j) => {
              const f = (field ?? {}) as Record<string, unknown>;
              text(f['name'], [...at, 'fields', String(j), 'name'], DISCORD_LIMITS.fieldName, true);
              text(f['value'], [...at, 'fields', String(j), 'value'], DISCORD_LIMITS.fieldValue, true);
            });
          }
        }
      });
      if (total > DISCORD_LIMITS.embedTotal) addError(errors, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${DISCORD_LIMITS.embedTotal}`);
    }
  }
  const hasContent = typeof content === 'string' && content !== '';
  // Real Discord answers an empty message with code 50006; the team asked for 50035 like every other refusal.
  if (Object.keys(errors).length === 0 && !hasContent && embedCount === 0) addError(errors, ['content'], 'BASE_TYPE_REQUIRED', 'Cannot send an empty message');
  return Object.keys(errors).length ? errors : null;
}

function snowflakeFactory(): () => string {
  let increment = 0n;
  return () => {
    increment = (increment + 1n) & 0xfffn;
    return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
  };
}

/** Discord timestamps carry microseconds and an explicit +00:00. */
const discordTimestamp = (d: Date): string => d.toISOString().replace('Z', '000+00:00');

interface StoredMessage extends DiscordSimMessage {
  object: Record<string, unknown>;
}

type Injected = { kind: 'rate'; retryAfter: number; global: boolean } | { kind: 'fail'; status: 500 | 502 | 503 };

export async function startDiscordSim(opts: DiscordSimOptions = {}): Promise<DiscordSim> {
  const botToken = opts.botToken ?? DEFAULT_BOT_TOKEN;
  const globalLimit = opts.globalLimitPerSecond ?? GLOBAL_LIMIT_PER_SECOND;
  const routeLimit = { ...DEFAULT_ROUTE_LIMIT, ...opts.routeLimit };
  const nextId = snowflakeFactory();
  const botUser = { id: nextId(), username: 'campus-sync-test-bot', bot: true };
  const webhooks = new Map<string, { token: string; channelId: string; name: string }>();
  const channels = new Set<string>();
  const stored: StoredMessage[] = [];
  const injected: Injected[] = [];
  const globalWindow: number[] = [];
  const buckets = new Map<string, { start: number; count: number }>();

  const createChannel = (): string => {
    const id = nextId();
    channels.add(id);
    return id;
  };

  const bucketHash = (key: string): string => createHash('sha1').update(key).digest('hex').slice(0, 32);

  /** Counts one request against its route bucket; returns the headers to send, or a 429 when enforced and exhausted. */
  const takeBucket = (key: string): { headers: Record<string, string>; limited?: SimAnswer } => {
    const now = Date.now();
    const windowMs = routeLimit.windowSeconds * 1000;
    let b = buckets.get(key);
    if (!b || now - b.start >= windowMs) {
      b = { start: now, count: 0 };
      buckets.set(key, b);
    }
    const resetAfter = (b.start + windowMs - now) / 1000;
    const base = {
      'X-RateLimit-Limit': String(routeLimit.limit),
      'X-RateLimit-Reset': ((b.start + windowMs) / 1000).toFixed(3),
      'X-RateLimit-Reset-After': resetAfter.toFixed(3),
      'X-RateLimit-Bucket': bucketHash(key),
    };
    if (b.count >= routeLimit.limit && routeLimit.enforce) {
      return { headers: base, limited: rateLimited(resetAfter, false, base) };
    }
    b.count += 1;
    return { headers: { ...base, 'X-RateLimit-Remaining': String(Math.max(0, routeLimit.limit - b.count)) } };
  };

  const rateLimited = (retryAfter: number, global: boolean, bucketHeaders?: Record<string, string>): SimAnswer => {
    const rounded = Math.round(retryAfter * 1000) / 1000;
    const headers: Record<string, string> = {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfter))),
      'X-RateLimit-Scope': global ? 'global' : 'user',
    };
    if (global) headers['X-RateLimit-Global'] = 'true';
    else
      Object.assign(headers, bucketHeaders ?? {
        'X-RateLimit-Limit': String(routeLimit.limit),
        'X-RateLimit-Reset': ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
        'X-RateLimit-Reset-After': rounded.toFixed(3),
        'X-RateLimit-Bucket': bucketHash('injected'),
      }, { 'X-RateLimit-Remaining': '0' });
    return { status: 429, json: { message: 'You are being rate limited.', retry_after: rounded, global }, headers };
  };

  /** Sliding one-second window over every request that got past it. */
  const takeGlobal = (): SimAnswer | null => {
    const now = Date.now();
    while (globalWindow.length && (globalWindow[0] ?? 0) <= now - 1000) globalWindow.shift();
    if (globalWindow.length >= globalLimit) return rateLimited(((globalWindow[0] ?? now) + 1000 - now) / 1000, true);
    globalWindow.push(now);
    return null;
  };

  const injectedAnswer = (i: Injected): SimAnswer => {
    if (i.kind === 'rate') return rateLimited(i.retryAfter, i.global);
    // Discord's own 500 is JSON; 502/503 come from the proxies in front of it as plain text, so clients must not assume JSON.
    if (i.status === 500) return jsonError(500, 0, '500: Internal Server Error');
    return { status: i.status, text: i.status === 502 ? '502 Bad Gateway' : 'upstream connect error or disconnect/reset before headers', contentType: 'text/plain; charset=utf-8' };
  };

  /** Content type and JSON parsing shared by both ways of posting. */
  const parsePost = (c: SimCall): { body: unknown } | { error: SimAnswer } => {
    // The simulator only speaks JSON (Discord would also take multipart uploads, which we never send).
    if (!(c.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return { error: jsonError(400, 50035, 'Invalid Form Body', { errors: { _errors: [{ code: 'CONTENT_TYPE_INVALID', message: 'Expected "Content-Type" header to be one of {\'application/json\'}.' }] } }) };
    }
    try {
      return { body: JSON.parse(c.rawBody) as unknown };
    } catch {
      return { error: jsonError(400, 50109, 'The request body contains invalid JSON.') };
    }
  };

  const accept = (via: 'webhook' | 'bot', channelId: string, body: Record<string, unknown>, webhookId?: string): Record<string, unknown> => {
    const at = new Date();
    const id = nextId();
    const author = webhookId
      ? { id: webhookId, username: typeof body['username'] === 'string' ? body['username'] : (webhooks.get(webhookId)?.name ?? 'Captain Hook'), bot: true }
      : botUser;
    const object: Record<string, unknown> = {
      id,
      type: 0,
      channel_id: channelId,
      author,
      content: typeof body['content'] === 'string' ? body['content'] : '',
      embeds: Array.isArray(body['embeds']) ? body['embeds'] : [],
      attachments: [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: discordTimestamp(at),
      edited_timestamp: null,
      flags: 0,
      ...(webhookId ? { webhook_id: webhookId } : {}),
    };
    stored.push({ via, channelId, ...(webhookId ? { webhookId } : {}), body, at: at.toISOString(), object });
    return object;
  };

  const executeWebhook = (c: SimCall, id: string, token: string): SimAnswer => {
    const hook = webhooks.get(id);
    if (!hook) return jsonError(404, 10015, 'Unknown Webhook');
    // Not in the reference; Discord answers a known id with a wrong token like this.
    if (hook.token !== token) return jsonError(401, 50027, 'Invalid Webhook Token');
    if (c.method === 'GET') return { status: 200, json: { id, type: 1, name: hook.name, channel_id: hook.channelId, token, avatar: null, application_id: null } };
    if (c.method !== 'POST') return jsonError(405, 0, '405: Method Not Allowed');
    const parsed = parsePost(c);
    if ('error' in parsed) return parsed.error;
    const errors = validateDiscordMessage(parsed.body);
    if (errors) return jsonError(400, 50035, 'Invalid Form Body', { errors });
    const bucket = takeBucket(`webhook:${id}`);
    if (bucket.limited) return bucket.limited;
    const message = accept('webhook', hook.channelId, parsed.body as Record<string, unknown>, id);
    if (c.query['wait'] === 'true') return { status: 200, json: message, headers: bucket.headers };
    return { status: 204, empty: true, headers: bucket.headers };
  };

  const channelMessages = (c: SimCall, channelId: string): SimAnswer => {
    if (c.headers['authorization'] !== `Bot ${botToken}`) return unauthorized();
    // Discord documents a required `DiscordBot ($url, $versionNumber)` agent; the simulator refuses others with 400 so a client cannot forget it.
    if (!(c.headers['user-agent'] ?? '').startsWith('DiscordBot (')) return jsonError(400, 0, "User-Agent must be 'DiscordBot ($url, $versionNumber)'");
    if (!channels.has(channelId)) return jsonError(404, 10003, 'Unknown Channel');
    if (c.method === 'GET') return listMessages(c, channelId);
    if (c.method !== 'POST') return jsonError(405, 0, '405: Method Not Allowed');
    const parsed = parsePost(c);
    if ('error' in parsed) return parsed.error;
    const errors = validateDiscordMessage(parsed.body);
    if (errors) return jsonError(400, 50035, 'Invalid Form Body', { errors });
    const bucket = takeBucket(`channel:${channelId}`);
    if (bucket.limited) return bucket.limited;
    return { status: 200, json: accept('bot', channelId, parsed.body as Record<string, unknown>), headers: bucket.headers };
  };

  const listMessages = (c: SimCall, channelId: string): SimAnswer => {
    const limitRaw = c.query['limit'] ?? String(DEFAULT_LIST_LIMIT);
    const limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > 100) {
      return jsonError(400, 50035, 'Invalid Form Body', { errors: { limit: { _errors: [{ code: 'NUMBER_TYPE_MAX', message: 'Must be between 1 and 100.' }] } } });
    }
    const before = c.query['before'];
    const after = c.query['after'];
    const snow = /^\d+$/;
    if ((before !== undefined && !snow.test(before)) || (after !== undefined && !snow.test(after))) {
      return jsonError(400, 50035, 'Invalid Form Body', { errors: { before: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }] } } });
    }
    let list = stored.filter((m) => m.channelId === channelId).map((m) => m.object);
    if (before !== undefined) list = list.filter((m) => BigInt(m['id'] as string) < BigInt(before));
    if (after !== undefined) {
      // `after` pages forward: the `limit` messages just after it, still listed newest first.
      list = list.filter((m) => BigInt(m['id'] as string) > BigInt(after)).slice(0, limit);
      return { status: 200, json: list.reverse(), headers: takeBucket(`list:${channelId}`).headers };
    }
    return { status: 200, json: list.reverse().slice(0, limit), headers: takeBucket(`list:${channelId}`).headers };
  };

  const route = (c: SimCall): SimAnswer => {
    const global = takeGlobal();
    if (global) return global;
    const inj = injected.shift();
    if (inj) return injectedAnswer(inj);
    const hook = /^\/api(?:\/v10)?\/webhooks\/([^/]+)\/([^/]+)$/.exec(c.path);
    if (hook) return executeWebhook(c, decodeURIComponent(hook[1] ?? ''), decodeURIComponent(hook[2] ?? ''));
    const chan = /^\/api\/v10\/channels\/([^/]+)\/messages$/.exec(c.path);
    if (chan) return channelMessages(c, decodeURIComponent(chan[1] ?? ''));
    return jsonError(404, 0, '404: Not Found');
  };

  const server = await startLoggedServer(route, { latencyMs: opts.latencyMs ?? 0 });
  const base = `${server.url}/api`;
  return {
    url: base,
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
    messages: () => stored.map(({ object: _object, ...m }) => ({ ...m })),
    rateLimitNext: (n, retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS, global = false) => {
      for (let i = 0; i < n; i++) injected.push({ kind: 'rate', retryAfter: retryAfterSeconds, global });
    },
    failNext: (n, status) => {
      for (let i = 0; i < n; i++) injected.push({ kind: 'fail', status });
    },
    requests: server.requests,
    resetLog: server.resetLog,
    setLatency: server.setLatency,
    close: server.close,
  };
}
