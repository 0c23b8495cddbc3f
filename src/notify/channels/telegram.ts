import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson, splitText, type Alert } from '../message.js';
import { checkAnswer, createHttp, sendRequest } from './http.js';

/** sendMessage's text limit: 1-4096 characters after entities parsing (core.telegram.org/bots/api#sendmessage). */
export const TELEGRAM_TEXT_CHARS = 4096;
/** Room left for the markup of the title when the body is split. */
const MARKUP_ROOM = 200;
/** Telegram asks bots for at most about one message a second per chat (core.telegram.org/bots/faq, "limits"). */
const DEFAULT_WAIT_MS = 1_000;

export interface TelegramChannelOptions {
  name: string;
  token: string;
  chatIds: string[];
  topic?: number;
  silent?: boolean;
  preview?: boolean;
  format?: 'html' | 'markdown' | 'text';
  /** Default https://api.telegram.org. */
  apiUrl?: string;
  http?: AxiosInstance;
  timeoutMs?: number;
}

const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Legacy Markdown (parse_mode Markdown, Apprise's mdv=v1): `_ * [ \`` are the marks to escape. */
const md = (s: string): string => s.replace(/([_*[`])/g, '\\$1');

/** The alert as message texts, each within the limit, in the chosen markup. */
export function renderTelegram(alert: Alert, format: 'html' | 'markdown' | 'text'): string[] {
  const { title, message } = renderJson(alert);
  const pieces = splitText(message, TELEGRAM_TEXT_CHARS - MARKUP_ROOM);
  return (pieces.length > 0 ? pieces : ['']).map((piece, i) => {
    const head = i === 0 ? title : `${title} (…)`;
    if (format === 'html') return `<b>${html(head)}</b>\n${html(piece)}`.trim();
    if (format === 'markdown') return `*${md(head)}*\n${md(piece)}`.trim();
    return `${head}\n${piece}`.trim();
  });
}

interface TelegramError {
  description?: string;
}

/** sendMessage to each chat (core.telegram.org/bots/api#sendmessage); a 429's wait is in its body's parameters (checkAnswer reads it). */
export function createTelegramChannel(opts: TelegramChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const redact = makeRedactor([opts.token, `bot${opts.token}`]);
  const format = opts.format ?? 'html';
  const url = `${(opts.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${opts.token}/sendMessage`;
  return {
    name: opts.name,
    type: 'telegram',
    async send(alert, progress) {
      const texts = renderTelegram(alert, format);
      // One part per chat and piece, so retrying after a 429 does not post the first ones twice.
      const parts = opts.chatIds.flatMap((chat) => texts.map((text) => ({ chat, text })));
      for (let i = progress?.done ?? 0; i < parts.length; i++) {
        const { chat, text } = parts[i] as { chat: string; text: string };
        const what = `Telegram "${opts.name}" chat ${chat}`;
        const body = Object.fromEntries(
          Object.entries({
            chat_id: chat,
            text,
            parse_mode: format === 'html' ? 'HTML' : format === 'markdown' ? 'Markdown' : undefined,
            message_thread_id: opts.topic,
            disable_notification: opts.silent,
            link_preview_options: { is_disabled: !(opts.preview ?? false) },
          }).filter(([, v]) => v !== undefined),
        );
        const answer = await sendRequest(
          http,
          { method: 'POST', url, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
          what,
          redact,
        );
        const err = (answer.json ?? {}) as TelegramError;
        // 400 "chat not found" and 403 "bot was blocked/kicked" need a config change, like a 401 bad token.
        checkAnswer(answer, what, redact, {
          defaultRetryAfterMs: DEFAULT_WAIT_MS,
          permanent: answer.status === 400 && /chat not found/i.test(err.description ?? '') ? [400] : [401, 403, 404],
          detail: err.description,
        });
        await progress?.markDone(i + 1);
      }
    },
  };
}
