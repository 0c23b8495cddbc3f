import type { AxiosInstance } from 'axios';
import { RemoteError, TransientError, makeRedactor } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError, type Channel } from '../channel.js';
import { renderSlack } from '../message.js';
import { answerRetryAfterMs, createHttp, postJson, snippet, type HttpAnswer } from './http.js';

/** Slack asks for about one message a second per webhook: without a Retry-After, wait that much at least. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
/**
 * chat.postMessage errors (api.slack.com/methods/chat.postMessage, "Errors") that need a config change:
 * a bad or revoked token, a channel that is gone, archived or closed to the bot.
 */
const BOT_GONE_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'channel_not_found',
  'is_archived',
  'not_in_channel',
  'restricted_action',
  'missing_scope',
]);

export interface SlackChannelOptions {
  name: string;
  /** An incoming webhook URL; or give `token` (and `channels`). */
  url?: string;
  /** A bot token (xoxb-…): posts through chat.postMessage. */
  token?: string;
  /** Channel targets: each gets the message (with a webhook, as its `channel` override, as slack.py does). */
  channels?: string[];
  botname?: string;
  /** Default https://slack.com/api. */
  apiUrl?: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

function checkWebhookAnswer(answer: HttpAnswer, what: string, redact: (s: string) => string): void {
  const { status } = answer;
  if (status >= 200 && status <= 299) return;
  // Slack answers plain strings: invalid_payload, action_prohibited, channel_not_found, channel_is_archived…
  const detail = snippet(answer.text, redact);
  if (status === 429) {
    throw new ChannelTransientError(`${what} rate limited`, {
      status,
      retryAfterMs: answerRetryAfterMs(answer) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
    });
  }
  if (status >= 500) throw new TransientError(`${what} answered ${status}: ${detail}`, { status });
  if (status === 403 || status === 404 || status === 410 || status === 401) {
    throw new PermanentChannelError(`${what} answered ${status}: ${detail}`, { status });
  }
  throw new RemoteError(`${what} answered ${status}: ${detail}`, { status });
}

/** The Web API answers 200 with `{ok:false,error}` for most refusals, 429 with Retry-After when limited. */
function checkBotAnswer(answer: HttpAnswer, what: string, redact: (s: string) => string): void {
  if (answer.status !== 200) return checkWebhookAnswer(answer, what, redact);
  const body = (answer.json ?? {}) as { ok?: boolean; error?: string };
  if (body.ok === true) return;
  const error = typeof body.error === 'string' ? body.error : snippet(answer.text, redact);
  if (error === 'ratelimited') throw new ChannelTransientError(`${what} rate limited`, { status: 429, retryAfterMs: DEFAULT_RATE_LIMIT_WAIT_MS });
  if (BOT_GONE_ERRORS.has(error)) throw new PermanentChannelError(`${what}: ${error}`, { status: 200 });
  throw new RemoteError(`${what}: ${error}`, { status: 200 });
}

export function createSlackChannel(opts: SlackChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const secrets = [...(opts.url ? [opts.url, ...opts.url.split('/').slice(-1)] : []), ...(opts.token ? [opts.token] : [])];
  const redact = makeRedactor(secrets);
  const bot = opts.token !== undefined;
  const what = bot ? `Slack bot "${opts.name}"` : `Slack webhook "${opts.name}"`;
  const targets: (string | undefined)[] = opts.channels?.length ? opts.channels : [undefined];
  const apiUrl = (opts.apiUrl ?? 'https://slack.com/api').replace(/\/+$/, '');
  return {
    name: opts.name,
    type: 'slack',
    async send(alert, progress) {
      for (let i = progress?.done ?? 0; i < targets.length; i++) {
        const channel = targets[i];
        const body = { ...renderSlack(alert), ...(channel ? { channel } : {}), ...(opts.botname ? { username: opts.botname } : {}) };
        if (bot) {
          const answer = await postJson(http, `${apiUrl}/chat.postMessage`, body, what, redact, { Authorization: `Bearer ${opts.token}` });
          checkBotAnswer(answer, `${what} to ${channel}`, redact);
        } else {
          checkWebhookAnswer(await postJson(http, opts.url as string, body, what, redact), what, redact);
        }
        await progress?.markDone(i + 1);
      }
    },
  };
}
