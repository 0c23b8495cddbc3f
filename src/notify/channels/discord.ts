import type { AxiosInstance } from 'axios';
import { RemoteError, TransientError, makeRedactor } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError, type Channel, type SendProgress } from '../channel.js';
import { renderDiscord, renderDiscordText, type Alert, type DiscordMessage } from '../message.js';
import { answerRetryAfterMs, createHttp, postJson, snippet, type HttpAnswer } from './http.js';

export const DISCORD_USER_AGENT = 'DiscordBot (https://github.com/campus-sync, 0.1)';
/**
 * The API version webhooks are posted to. A webhook URL as Discord copies it has no version and runs v6,
 * where rate-limit waits (body and header) are milliseconds (slots-and-alerts.md, Discord): the same webhook
 * under `/api/v10/` answers in seconds, as the bot API does.
 */
export const DISCORD_WEBHOOK_API_VERSION = 'v10';
/** `…/api[/v{n}]/webhooks/{id}/{token}[?query]`: where the version goes. */
const WEBHOOK_PATH = /^(.*\/api)(?:\/v\d+)?(\/webhooks\/[^/]+\/[^/]+\/?)$/;
/** Discord error codes that mean the target is gone or closed to us: never retry them. */
const GONE_CODES: Record<number, string> = {
  10003: 'unknown channel',
  10015: 'unknown webhook',
  50001: 'missing access',
  50013: 'missing permissions',
  50027: 'invalid webhook token',
};

interface DiscordErrorBody {
  code?: number;
  message?: string;
  global?: boolean;
}

function errorBody(json: unknown): DiscordErrorBody {
  return json !== null && typeof json === 'object' ? (json as DiscordErrorBody) : {};
}

/** Maps a Discord answer to success or one of our typed errors. */
export function checkDiscordAnswer(answer: HttpAnswer, what: string, redact: (s: string) => string): void {
  const { status } = answer;
  if (status >= 200 && status <= 299) return;
  const body = errorBody(answer.json);
  const detail = body.message ? `${body.message}${body.code !== undefined ? ` (code ${body.code})` : ''}` : snippet(answer.text, redact);
  if (status === 429) {
    // The body's wait is in seconds (a float) on the v10 paths we post to (lib/http.ts reads it, then the headers). Global = the whole token is limited.
    const retryAfterMs = answerRetryAfterMs(answer) ?? 1_000;
    const global = body.global === true || answer.headers['x-ratelimit-global'] === 'true';
    throw new ChannelTransientError(`${what} rate limited${global ? ' (global)' : ''}, retry after ${retryAfterMs} ms`, {
      status,
      retryAfterMs,
      global,
    });
  }
  if (status >= 500) throw new TransientError(`${what} answered ${status}: ${detail}`, { status });
  const gone = body.code !== undefined ? GONE_CODES[body.code] : undefined;
  if (status === 404 || status === 401 || status === 403 || gone) {
    throw new PermanentChannelError(`${what} answered ${status}${gone ? ` (${gone})` : ''}: ${detail}`, { status });
  }
  throw new RemoteError(`${what} answered ${status}: ${detail}`, { status });
}

async function sendAll(
  alert: Alert,
  progress: SendProgress | undefined,
  post: (body: unknown) => Promise<void>,
  render: (alert: Alert) => DiscordMessage[] = renderDiscord,
): Promise<void> {
  const messages = render(alert);
  for (let i = progress?.done ?? 0; i < messages.length; i++) {
    await post(messages[i]);
    await progress?.markDone(i + 1);
  }
}

/**
 * The URL to post a webhook to: the user's URL (native, `discordapp.com`, PTB/canary, or made from
 * `discord://id/token`) with its path moved to `/api/v10/webhooks/…`, query (`thread_id`…) kept. A URL
 * whose path has no `/api/` before `/webhooks/` (a proxy of the user's own) is left as it is.
 */
export function discordWebhookPostUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const m = WEBHOOK_PATH.exec(parsed.pathname);
  if (!m) return url;
  parsed.pathname = `${m[1]}/${DISCORD_WEBHOOK_API_VERSION}${m[2]}`;
  return parsed.toString();
}

/** Apprise's Discord options (apprise/plugins/discord.py), as the config schema holds them. */
export interface DiscordWebhookOptions {
  botname?: string;
  avatar?: boolean;
  avatarUrl?: string;
  tts?: boolean;
  footer?: boolean;
  thread?: string;
  format?: 'markdown' | 'text';
  href?: string;
  ping?: string[];
  flags?: number;
}

export interface DiscordWebhookChannelOptions extends DiscordWebhookOptions {
  name: string;
  url: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** The options applied to each rendered message: name, avatar, tts, flags, link, footer and the pings asked for. */
export function applyDiscordOptions(messages: DiscordMessage[], o: DiscordWebhookOptions): DiscordMessage[] {
  const users = (o.ping ?? []).filter((p) => /^\d+$/.test(p));
  const roles = (o.ping ?? []).filter((p) => p.startsWith('&')).map((p) => p.slice(1));
  const everyone = (o.ping ?? []).filter((p) => p === 'everyone' || p === 'here');
  const mentions = [...users.map((u) => `<@${u}>`), ...roles.map((r) => `<@&${r}>`), ...everyone.map((e) => `@${e}`)].join(' ');
  return messages.map((m, i) => {
    const out: DiscordMessage = { ...m, embeds: m.embeds.map((e) => ({ ...e })) };
    if (o.botname) out.username = o.botname;
    // discord.py: avatar=no sends none; avatar_url replaces Apprise's own image (we have none to send).
    if (o.avatar !== false && o.avatarUrl) out.avatar_url = o.avatarUrl;
    if (o.tts) out.tts = true;
    if (o.flags !== undefined) out.flags = o.flags;
    if (o.footer === false) for (const e of out.embeds) delete e.footer;
    if (o.href && i === 0 && out.embeds[0]) out.embeds[0].url = o.href;
    if (mentions && i === 0) {
      out.content = out.content ? `${mentions}\n${out.content}` : mentions;
      // Only the mentions the config names may ping; a course title never can.
      out.allowed_mentions = { parse: everyone.length > 0 ? ['everyone'] : [], users, roles };
    }
    return out;
  });
}

export function createDiscordWebhookChannel(opts: DiscordWebhookChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const postUrl = new URL(discordWebhookPostUrl(opts.url));
  // discord.py posts into a thread with the thread_id query parameter.
  if (opts.thread) postUrl.searchParams.set('thread_id', opts.thread);
  const url = postUrl.toString();
  const render = (alert: Alert): DiscordMessage[] => applyDiscordOptions(opts.format === 'text' ? renderDiscordText(alert) : renderDiscord(alert), opts);
  const redact = makeRedactor([opts.url, url, ...opts.url.split('/').slice(-1)]);
  const what = `Discord webhook "${opts.name}"`;
  return {
    name: opts.name,
    type: 'discord-webhook',
    send: (alert, progress) =>
      sendAll(
        alert,
        progress,
        async (body) => {
          checkDiscordAnswer(await postJson(http, url, body, what, redact), what, redact);
        },
        render,
      ),
  };
}

export interface DiscordBotChannelOptions {
  name: string;
  token: string;
  channelId: string;
  /** Default 'https://discord.com/api'. */
  apiUrl?: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

export function createDiscordBotChannel(opts: DiscordBotChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.token]);
  const base = (opts.apiUrl ?? 'https://discord.com/api').replace(/\/+$/, '');
  const url = `${base}/v10/channels/${encodeURIComponent(opts.channelId)}/messages`;
  const what = `Discord bot channel "${opts.name}"`;
  const headers = { Authorization: `Bot ${opts.token}`, 'User-Agent': DISCORD_USER_AGENT };
  return {
    name: opts.name,
    type: 'discord-bot',
    send: (alert, progress) =>
      sendAll(alert, progress, async (body) => {
        checkDiscordAnswer(await postJson(http, url, body, what, redact, headers), what, redact);
      }),
  };
}
