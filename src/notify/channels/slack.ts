import type { AxiosInstance } from 'axios';
import { RemoteError, TransientError, makeRedactor } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError, type Channel } from '../channel.js';
import { renderSlack } from '../message.js';
import { createHttp, parseRetryAfterHeader, postJson, snippet } from './http.js';

/** Slack asks for about one message a second per webhook: without a Retry-After, wait that much at least. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

export interface SlackChannelOptions {
  name: string;
  url: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

export function createSlackChannel(opts: SlackChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.url, ...opts.url.split('/').slice(-1)]);
  const what = `Slack webhook "${opts.name}"`;
  return {
    name: opts.name,
    type: 'slack',
    async send(alert) {
      const answer = await postJson(http, opts.url, renderSlack(alert), what, redact);
      const { status } = answer;
      if (status >= 200 && status <= 299) return;
      // Slack answers plain strings: invalid_payload, action_prohibited, channel_not_found, channel_is_archived…
      const detail = snippet(answer.text, redact);
      if (status === 429) {
        throw new ChannelTransientError(`${what} rate limited`, {
          status,
          retryAfterMs: parseRetryAfterHeader(answer.headers['retry-after']) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
        });
      }
      if (status >= 500) throw new TransientError(`${what} answered ${status}: ${detail}`, { status });
      if (status === 403 || status === 404 || status === 410 || status === 401) {
        throw new PermanentChannelError(`${what} answered ${status}: ${detail}`, { status });
      }
      throw new RemoteError(`${what} answered ${status}: ${detail}`, { status });
    },
  };
}
