import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson, truncate } from '../message.js';
import { checkAnswer, createHttp, sendRequest } from './http.js';

/** ntfy's numbers for its priority names (docs.ntfy.sh/publish/#message-priority). */
const PRIORITY_NUMBER = { min: 1, low: 2, default: 3, high: 4, max: 5 } as const;
/**
 * ntfy.sh keeps messages up to 4096 bytes as text and turns longer ones into attachments
 * (docs.ntfy.sh/publish/#attachments, "message-size-limit"); stay under it in characters, with room for UTF-8.
 */
const NTFY_MESSAGE_CHARS = 3_900;
/** ntfy.sh's default visitor limit refills one request every 5 s (docs.ntfy.sh/config/#rate-limiting). */
const NTFY_DEFAULT_WAIT_MS = 5_000;

export interface NtfyChannelOptions {
  name: string;
  url: string;
  topics: string[];
  priority?: keyof typeof PRIORITY_NUMBER;
  tags?: string[];
  click?: string;
  attach?: string;
  filename?: string;
  delay?: string;
  email?: string;
  user?: string;
  password?: string;
  token?: string;
  markdown?: boolean;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** Publishes as JSON to the server's root, one request per topic (docs.ntfy.sh/publish/#publish-as-json). */
export function createNtfyChannel(opts: NtfyChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.password, opts.token].filter((s): s is string => !!s));
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  else if (opts.user) headers.Authorization = `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`;
  const url = `${opts.url.replace(/\/+$/, '')}/`;
  return {
    name: opts.name,
    type: 'ntfy',
    async send(alert, progress) {
      const { title, message } = renderJson(alert);
      for (let i = progress?.done ?? 0; i < opts.topics.length; i++) {
        const topic = opts.topics[i] as string;
        const what = `ntfy "${opts.name}" topic ${topic}`;
        const body = Object.fromEntries(
          Object.entries({
            topic,
            title,
            message: truncate(message, NTFY_MESSAGE_CHARS),
            priority: opts.priority ? PRIORITY_NUMBER[opts.priority] : undefined,
            tags: opts.tags,
            click: opts.click,
            attach: opts.attach,
            filename: opts.filename,
            delay: opts.delay,
            email: opts.email,
            markdown: opts.markdown,
          }).filter(([, v]) => v !== undefined),
        );
        const answer = await sendRequest(http, { method: 'POST', url, body: JSON.stringify(body), headers }, what, redact);
        checkAnswer(answer, what, redact, { defaultRetryAfterMs: NTFY_DEFAULT_WAIT_MS, detail: (answer.json as { error?: string } | undefined)?.error });
        await progress?.markDone(i + 1);
      }
    },
  };
}
