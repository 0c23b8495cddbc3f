/**
 * The Telegram Bot API's sendMessage as core.telegram.org/bots/api documents it: POST /bot<token>/sendMessage
 * {chat_id, text (1-4096 characters), parse_mode, message_thread_id, disable_notification}; answers
 * `{ok:true,result:{…}}`, or `{ok:false,error_code,description}`: 401 "Unauthorized" for an unknown token,
 * 400 "Bad Request: chat not found", 400 "Bad Request: message is too long", and when flooding 429
 * "Too Many Requests: retry after N" with `parameters.retry_after` (seconds) ("Making requests", ResponseParameters).
 */
import { startPushSim, type PushSim } from './push-common.js';

export interface TelegramMessage {
  token: string;
  chatId: string;
  text: string;
  parseMode?: string;
  threadId?: number;
  silent?: boolean;
}

export type TelegramSim = PushSim<TelegramMessage> & {
  createBot(chats: string[]): string;
  rateLimitNext(n: number, retryAfterSeconds: number): void;
};

const TEXT_MAX = 4096;
const fail = (status: number, description: string, extra: Record<string, unknown> = {}) => ({
  status,
  json: { ok: false, error_code: status, description, ...extra },
});

export async function startTelegramSim(): Promise<TelegramSim> {
  const bots = new Map<string, Set<string>>();
  let nextId = 1;
  const sim = await startPushSim<TelegramMessage>((c, store) => {
    const m = /^\/bot([^/]+)\/sendMessage$/.exec(c.path);
    if (!m) return fail(404, 'Not Found');
    const token = decodeURIComponent(m[1] as string);
    const chats = bots.get(token);
    if (!chats) return fail(401, 'Unauthorized');
    const b = (c.body ?? {}) as { chat_id?: unknown; text?: unknown; parse_mode?: string; message_thread_id?: number; disable_notification?: boolean };
    const chatId = String(b.chat_id ?? '');
    if (!chats.has(chatId)) return fail(400, 'Bad Request: chat not found');
    if (typeof b.text !== 'string' || b.text.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (b.text.length > TEXT_MAX) return fail(400, 'Bad Request: message is too long');
    if (b.parse_mode === 'HTML' && /<(?!\/?(b|strong|i|em|u|s|a|code|pre|br)\b)[^>]*>/i.test(b.text)) return fail(400, "Bad Request: can't parse entities");
    store({ token, chatId, text: b.text, parseMode: b.parse_mode, threadId: b.message_thread_id, silent: b.disable_notification });
    return { status: 200, json: { ok: true, result: { message_id: nextId++, chat: { id: chatId }, text: b.text } } };
  });
  return {
    ...sim,
    createBot: (chats) => {
      const token = `${100000 + bots.size}:AA${Math.random().toString(36).slice(2, 20)}`;
      bots.set(token, new Set(chats));
      return token;
    },
    rateLimitNext: (n, seconds) => sim.inject(n, fail(429, `Too Many Requests: retry after ${seconds}`, { parameters: { retry_after: seconds } })),
  };
}
