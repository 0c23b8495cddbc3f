import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson } from '../message.js';
import { checkAnswer, createHttp, sendRequest } from './http.js';

/** Apprise's default (GotifyPriority.NORMAL in apprise/plugins/gotify.py). */
const DEFAULT_PRIORITY = 5;

export interface GotifyChannelOptions {
  name: string;
  /** The server's base URL, ending in '/'. */
  url: string;
  token: string;
  priority?: number;
  markdown?: boolean;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/**
 * POST /message with the application token in X-Gotify-Key (gotify.net/api-docs, "createMessage"): 200 with
 * the stored message; 401/403 for a wrong token; 400 for a bad body.
 */
export function createGotifyChannel(opts: GotifyChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.token]);
  const what = `Gotify "${opts.name}"`;
  const url = `${opts.url.replace(/\/*$/, '/')}message`;
  return {
    name: opts.name,
    type: 'gotify',
    async send(alert) {
      const { title, message } = renderJson(alert);
      const body: Record<string, unknown> = { title, message, priority: opts.priority ?? DEFAULT_PRIORITY };
      // gotify.py: markdown is asked for through the client::display extra.
      if (opts.markdown) body.extras = { 'client::display': { contentType: 'text/markdown' } };
      const headers = { 'Content-Type': 'application/json', 'X-Gotify-Key': opts.token };
      const answer = await sendRequest(http, { method: 'POST', url, body: JSON.stringify(body), headers }, what, redact);
      checkAnswer(answer, what, redact, { detail: (answer.json as { errorDescription?: string } | undefined)?.errorDescription });
    },
  };
}
