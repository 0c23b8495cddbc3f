/**
 * Reads channel history through Discord's bot API: `GET /api/v10/channels/{id}/messages` with
 * before/after/around and limit ≤ 100, the `Bot` token and the `DiscordBot (url, version)` agent Discord
 * requires. Bounded retries through the lib's retryRequest; a 429's own wait is honoured and an exhausted
 * rate-limit bucket is waited out before the next request, since Discord bans tokens that collect too
 * many 401/403/429 answers (10,000 in 10 minutes).
 */
import type { AxiosInstance, AxiosResponse } from 'axios';
import { DISCORD_API_URL } from '../config/index.js';
import {
  AuthError,
  RemoteError,
  TransientError,
  createHttpClient,
  makeRedactor,
  retryAfterMs,
  retryRequest,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type RetryOptions,
} from '../lib/index.js';
import { isSnowflake } from './snowflake.js';

/** Discord refuses requests without a `DiscordBot ($url, $versionNumber)` agent. */
export const DISCORD_USER_AGENT = 'DiscordBot (https://github.com/campus-sync, 0.1)';
/** Discord's largest page of messages. */
export const MAX_PAGE_SIZE = 100;
/** A page of 100 messages comes back in well under a second; 20 s tolerates a slow link. */
export const DEFAULT_READ_TIMEOUT_MS = 20_000;
/** A longer wait would stall a poll past several intervals; wait this much at most and let the attempt budget decide. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Enough of an unexpected body to diagnose, not enough to flood a log. */
const SNIPPET_CHARS = 200;

export interface ListQuery {
  /** One anchor at most (Discord: mutually exclusive). */
  before?: string;
  after?: string;
  around?: string;
  /** 1..100, default 100. */
  limit?: number;
}

export interface DiscordReaderOptions {
  token: string;
  /** Default https://discord.com/api (the `/v10/...` paths are appended). */
  apiUrl?: string;
  timeoutMs?: number;
  /** Attempts and backoff; `sleep`, when given, also serves the rate-limit bucket waits. */
  retry?: RetryOptions;
  /** Where the rate-limit bucket waits and the retries' waits are taken (default systemClock). */
  clock?: Clock;
  logger?: Logger;
  http?: AxiosInstance;
  /** How the user names the token and channel settings, for error messages (defaults: the config file's keys). */
  settingNames?: SettingNames;
}

/** Where the token and the channel list came from, as the user wrote them (config keys or env variables). */
export interface SettingNames {
  token?: string;
  channels?: string;
}

const DEFAULT_SETTING_NAMES: Required<SettingNames> = { token: 'discord.token / tokenFile', channels: 'discord.channels' };

/** What `GET /channels/{id}` tells ingestion. */
export interface ChannelInfo {
  /** The newest message ever posted there (Discord keeps it after that message is deleted); null for a channel never posted in. */
  lastMessageId: string | null;
}

export interface DiscordReader {
  /** The messages of one page, newest first, as Discord sent them (checked by toMessageRow). */
  listMessages(channelId: string, query?: ListQuery): Promise<unknown[]>;
  /** The channel itself: shown even when the bot may not read its history, which is how that is noticed. */
  getChannel(channelId: string): Promise<ChannelInfo>;
}

interface DiscordErrorBody {
  code?: unknown;
  message?: unknown;
  retry_after?: unknown;
  global?: unknown;
}

const header = (res: AxiosResponse, name: string): string | undefined => {
  const v = (res.headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function createDiscordReader(opts: DiscordReaderOptions): DiscordReader {
  if (opts.token.trim() === '') throw new AuthError('no Discord bot token configured');
  const base = (opts.apiUrl ?? DISCORD_API_URL).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const retry: RetryOptions = { clock, ...opts.retry };
  const wait = retry.sleep ?? ((ms: number) => clock.sleep(ms));
  const redact = makeRedactor([opts.token]);
  const names = { ...DEFAULT_SETTING_NAMES, ...opts.settingNames };
  const http = opts.http ?? createHttpClient({ timeoutMs });
  const headers = { Authorization: `Bot ${opts.token}`, 'User-Agent': DISCORD_USER_AGENT, Accept: 'application/json' };
  /** Per channel (Discord's bucket for this route is per channel): no request before this time. */
  const blockedUntil = new Map<string, number>();

  /**
   * Remembers an exhausted bucket so the next request waits for its reset instead of earning a 429. Read by
   * lib/http.ts's reader from X-RateLimit-Reset-After alone (seconds from now), not the Unix-time
   * X-RateLimit-Reset beside it: our clock may be off Discord's, a relative wait is not.
   */
  const noteBucket = (channelId: string, res: AxiosResponse): void => {
    if (header(res, 'x-ratelimit-remaining') !== '0') return;
    const nowMs = clock.now().getTime();
    const resetAfter = retryAfterMs({ 'x-ratelimit-reset-after': header(res, 'x-ratelimit-reset-after') }, { nowMs, maxMs: MAX_RETRY_AFTER_MS });
    if (resetAfter !== undefined && resetAfter > 0) blockedUntil.set(channelId, nowMs + resetAfter);
  };

  /** One GET under the channel (`suffix` '' or '/messages'); the parsed JSON of a 2xx answer. */
  async function attemptOnce(channelId: string, suffix: string, params: Record<string, string>, what: string): Promise<unknown> {
    const until = blockedUntil.get(channelId);
    if (until !== undefined) {
      blockedUntil.delete(channelId);
      const ms = until - clock.now().getTime();
      if (ms > 0) {
        logger.debug(`${what}: rate-limit bucket empty, waiting ${ms} ms`);
        await wait(ms);
      }
    }
    const url = `${base}/v10/channels/${encodeURIComponent(channelId)}${suffix}`;
    let res: AxiosResponse<string>;
    try {
      res = await http.get<string>(url, { params, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      // Never attach the axios error: its config holds the Authorization header.
      const code = (err as { code?: unknown }).code;
      const codeText = typeof code === 'string' ? ` (${code})` : '';
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') throw new TransientError(`${what} timed out after ${timeoutMs} ms`);
      if (code === 'ERR_INVALID_URL') throw new RemoteError(`${what} could not be sent: invalid Discord API URL ${JSON.stringify(base)}`);
      throw new TransientError(`${what} failed${codeText}: ${redact(err instanceof Error ? err.message : String(err))}`);
    }
    const status = res.status;
    // A 429 names its own wait, which the retry takes; noting its bucket too would wait twice.
    if (status !== 429) noteBucket(channelId, res);
    const text = typeof res.data === 'string' ? res.data : '';
    const json = parseBody(text);
    logger.debug(`${what} answered ${status}`);
    if (status >= 200 && status <= 299) {
      if (json === undefined)
        throw new RemoteError(`${what} answered ${status} with something other than JSON: ${redact(text.slice(0, SNIPPET_CHARS))}`, { status });
      return json;
    }
    const body: DiscordErrorBody = json !== null && typeof json === 'object' ? (json as DiscordErrorBody) : {};
    const code = typeof body.code === 'number' ? ` (code ${body.code})` : '';
    const detail = redact(typeof body.message === 'string' ? `${body.message}${code}` : text.trim().replace(/\s+/g, ' ').slice(0, SNIPPET_CHARS));
    if (status === 401) throw new AuthError(`Discord refused the bot token reading channel ${channelId} (401 ${detail}): check ${names.token}`);
    if (status === 403) {
      throw new AuthError(`the bot may not read Discord channel ${channelId} (403 ${detail}): give it View Channel and Read Message History there`);
    }
    if (status === 404)
      throw new RemoteError(`Discord channel ${channelId} not found (404 ${detail}): check ${names.channels} and that the bot is in the guild`, { status });
    if (status === 429) {
      // retry_after (body) is in seconds on /v10/ and more precise than the header, which is whole seconds.
      const asked = retryAfterMs(res.headers as Record<string, unknown>, { body: json, maxMs: MAX_RETRY_AFTER_MS });
      const global = body.global === true || header(res, 'x-ratelimit-global') === 'true';
      throw new TransientError(`${what} rate limited by Discord${global ? ' (global)' : ''}${asked !== undefined ? `, retry after ${asked} ms` : ''}`, {
        status,
        ...(asked !== undefined ? { retryAfterMs: asked } : {}),
      });
    }
    if (status >= 500 || status === 408) throw new TransientError(`${what} answered ${status}: ${detail}`, { status });
    throw new RemoteError(`${what} answered ${status}: ${detail}`, { status });
  }

  return {
    listMessages: (channelId, query = {}) => {
      if (!isSnowflake(channelId)) return Promise.reject(new RemoteError(`not a Discord channel id: ${JSON.stringify(channelId)}`));
      const limit = query.limit ?? MAX_PAGE_SIZE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
        return Promise.reject(new RemoteError(`page size must be 1..${MAX_PAGE_SIZE}, got ${limit}`));
      const anchors = (['before', 'after', 'around'] as const).filter((k) => query[k] !== undefined);
      if (anchors.length > 1) return Promise.reject(new RemoteError(`Discord takes one of before/after/around, got ${anchors.join(' and ')}`));
      const params: Record<string, string> = { limit: String(limit) };
      const anchor = anchors[0];
      if (anchor !== undefined) params[anchor] = query[anchor] ?? '';
      const what = `Discord GET channel ${channelId} messages${anchor !== undefined ? ` ${anchor}=${params[anchor]}` : ''}`;
      return retryRequest(what, () => attemptOnce(channelId, '/messages', params, what), { retry, logger }).then((json) => {
        if (!Array.isArray(json))
          throw new RemoteError(`${what} answered something other than a list of messages: ${redact(JSON.stringify(json).slice(0, SNIPPET_CHARS))}`);
        return json as unknown[];
      });
    },
    getChannel: async (channelId) => {
      if (!isSnowflake(channelId)) throw new RemoteError(`not a Discord channel id: ${JSON.stringify(channelId)}`);
      const what = `Discord GET channel ${channelId}`;
      const json = await retryRequest(what, () => attemptOnce(channelId, '', {}, what), { retry, logger });
      const last = json !== null && typeof json === 'object' ? (json as { last_message_id?: unknown }).last_message_id : undefined;
      if (last !== null && last !== undefined && !(typeof last === 'string' && isSnowflake(last))) {
        throw new RemoteError(`${what} answered a last_message_id that is not a message id: ${redact(JSON.stringify(last).slice(0, SNIPPET_CHARS))}`);
      }
      return { lastMessageId: typeof last === 'string' ? last : null };
    },
  };
}

/** One channel to ingest. Its guild comes from the configuration: REST message objects do not name it. */
export interface IngestChannel {
  guildId: string;
  channelId: string;
}

/** Options shared by backfill, pollOnce and startIngestion: where and how to read Discord. */
export interface DiscordSourceOptions {
  token: string;
  /** Default https://discord.com/api. */
  apiUrl?: string;
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: Logger;
  clock?: Clock;
  /** A reader to reuse (startIngestion shares one, so rate-limit buckets are remembered across polls). */
  reader?: DiscordReader;
  settingNames?: SettingNames;
}

export const readerFor = (opts: DiscordSourceOptions): DiscordReader =>
  opts.reader ??
  createDiscordReader({
    token: opts.token,
    ...(opts.apiUrl !== undefined ? { apiUrl: opts.apiUrl } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    ...(opts.settingNames !== undefined ? { settingNames: opts.settingNames } : {}),
  });

export const clockOf = (opts: DiscordSourceOptions): Clock => opts.clock ?? systemClock;
