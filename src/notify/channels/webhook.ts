import type { AxiosInstance } from 'axios';
import { RemoteError, makeRedactor } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError, type Channel } from '../channel.js';
import { renderJson } from '../message.js';
import { createHttp, parseRetryAfterHeader, postJson, snippet } from './http.js';

export interface WebhookChannelOptions {
  name: string;
  url: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** A generic JSON webhook in Apprise's `json://` shape; any 2xx is success. */
export function createWebhookChannel(opts: WebhookChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const secrets = [opts.url];
  try {
    const u = new URL(opts.url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // Validated by the schema; nothing more to hide.
  }
  const redact = makeRedactor(secrets);
  const what = `webhook "${opts.name}"`;
  return {
    name: opts.name,
    type: 'webhook',
    async send(alert) {
      const answer = await postJson(http, opts.url, renderJson(alert), what, redact);
      const { status } = answer;
      if (status >= 200 && status <= 299) return;
      const detail = snippet(answer.text, redact);
      if (status === 429 || status === 408 || status >= 500) {
        throw new ChannelTransientError(`${what} answered ${status}${detail ? `: ${detail}` : ''}`, {
          status,
          retryAfterMs: parseRetryAfterHeader(answer.headers['retry-after']),
        });
      }
      // Wrong credentials or a receiver that no longer exists: posting again will not help until the config changes.
      if (status === 401 || status === 403 || status === 404 || status === 410) {
        throw new PermanentChannelError(`${what} answered ${status}${detail ? `: ${detail}` : ''}`, { status });
      }
      if (status >= 300 && status <= 399) throw new RemoteError(`${what} answered a redirect (${status}); check the URL`, { status });
      throw new RemoteError(`${what} answered ${status}${detail ? `: ${detail}` : ''}`, { status });
    },
  };
}
