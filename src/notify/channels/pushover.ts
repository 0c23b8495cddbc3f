import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson, truncate } from '../message.js';
import { checkAnswer, createHttp, sendRequest } from './http.js';

/** pushover.net/api#limits: a message up to 1024 characters, a title up to 250. */
const MESSAGE_CHARS = 1024;
const TITLE_CHARS = 250;
/**
 * A 429 means the application's monthly message quota is spent (pushover.net/api#limits); it comes back at the
 * start of the next month, so ask again in an hour (the outbox's cap) rather than every few seconds.
 */
const QUOTA_WAIT_MS = 60 * 60_000;

export interface PushoverChannelOptions {
  name: string;
  user: string;
  token: string;
  devices?: string[];
  priority?: number;
  sound?: string;
  url?: string;
  urlTitle?: string;
  retry?: number;
  expire?: number;
  /** Default https://api.pushover.net. */
  apiUrl?: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** POST /1/messages.json (pushover.net/api): 200 `{status:1}`; 4xx `{status:0, errors:[…]}`, a bad token or user key is 400. */
export function createPushoverChannel(opts: PushoverChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.token, opts.user]);
  const what = `Pushover "${opts.name}"`;
  const url = `${(opts.apiUrl ?? 'https://api.pushover.net').replace(/\/+$/, '')}/1/messages.json`;
  return {
    name: opts.name,
    type: 'pushover',
    async send(alert) {
      const { title, message } = renderJson(alert);
      const body = Object.fromEntries(
        Object.entries({
          token: opts.token,
          user: opts.user,
          title: truncate(title, TITLE_CHARS),
          message: truncate(message || title, MESSAGE_CHARS),
          device: opts.devices?.join(','),
          priority: opts.priority,
          sound: opts.sound,
          url: opts.url,
          url_title: opts.urlTitle,
          retry: opts.priority === 2 ? (opts.retry ?? 900) : undefined,
          expire: opts.priority === 2 ? (opts.expire ?? 3600) : undefined,
        }).filter(([, v]) => v !== undefined),
      );
      const answer = await sendRequest(
        http,
        { method: 'POST', url, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
        what,
        redact,
      );
      const errors = (answer.json as { errors?: unknown } | undefined)?.errors;
      const detail = Array.isArray(errors) ? errors.map(String).join('; ') : undefined;
      // A token or user key Pushover does not know will not work later either.
      const permanent = answer.status === 400 && /token|user|key/i.test(detail ?? '') ? [400] : [401, 403, 404];
      checkAnswer(answer, what, redact, { defaultRetryAfterMs: QUOTA_WAIT_MS, detail, permanent });
    },
  };
}
