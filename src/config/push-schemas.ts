/**
 * Channel objects of the phone-push services (ntfy, Gotify, Telegram, Pushover, Matrix). An Apprise URL
 * (apprise.ts) is turned into one of these; the long form may be written in the config too. `apiUrl`
 * defaults to the public service and is what a test points at its simulator.
 */
import { z } from 'zod';
import { common, httpUrl } from './channel-common.js';
import { schemaMessage } from './messages.js';

export const NTFY_CLOUD_URL = 'https://ntfy.sh';
export const TELEGRAM_API_URL = 'https://api.telegram.org';
export const PUSHOVER_API_URL = 'https://api.pushover.net';
/** Where Apprise posts a `matrix://token` webhook (apprise/plugins/matrix/base.py, t2bot mode). */
export const T2BOT_HOOK_URL = 'https://webhooks.t2bot.io/api/v1/matrix/hook';

/** ntfy's priorities by name (docs.ntfy.sh/publish/#message-priority: 1 min … 5 max). */
export const NTFY_PRIORITIES = ['min', 'low', 'default', 'high', 'max'] as const;

export const ntfyChannelSchema = z
  .strictObject({
    ...common,
    type: z.literal('ntfy'),
    /** The server's base URL (https://ntfy.sh for the public one). */
    url: httpUrl,
    topics: z.array(z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, schemaMessage('notify.ntfyTopic'))).min(1),
    priority: z.enum(NTFY_PRIORITIES).optional(),
    tags: z.array(z.string().min(1)).optional(),
    click: z.string().min(1).optional(),
    attach: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
    delay: z.string().min(1).optional(),
    email: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    /** An access token (`tk_…`), sent as `Authorization: Bearer`. */
    token: z.string().min(1).optional(),
    markdown: z.boolean().optional(),
  })
  .refine((c) => !(c.token && c.user), { message: schemaMessage('notify.userOrToken') });

export const gotifyChannelSchema = z.strictObject({
  ...common,
  type: z.literal('gotify'),
  /** The server's base URL, with the path Gotify is served under if any. */
  url: httpUrl,
  /** An application token. */
  token: z.string().min(1),
  /** Gotify's 0–10; Apprise's names map to 0, 3, 5, 8, 10 (apprise/plugins/gotify.py GotifyPriority). */
  priority: z.number().int().min(0).max(10).optional(),
  markdown: z.boolean().optional(),
});

export const telegramChannelSchema = z.strictObject({
  ...common,
  type: z.literal('telegram'),
  /** `123456789:ABC…` from @BotFather. */
  token: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, schemaMessage('notify.telegramToken')),
  /** Chat ids (`123`, `-100…`) or public channel names (`@name`). */
  chatIds: z.array(z.string().regex(/^(-?\d+|@[A-Za-z0-9_]{4,})$/, schemaMessage('notify.chatId'))).min(1),
  /** A forum topic (message_thread_id). */
  topic: z.number().int().positive().optional(),
  silent: z.boolean().optional(),
  preview: z.boolean().optional(),
  format: z.enum(['html', 'markdown', 'text']).default('html'),
  apiUrl: httpUrl.default(TELEGRAM_API_URL),
});

export const pushoverChannelSchema = z
  .strictObject({
    ...common,
    type: z.literal('pushover'),
    /** The user (or group) key. */
    user: z.string().regex(/^[A-Za-z0-9]{30}$/, schemaMessage('notify.pushoverUser')),
    /** The application token. */
    token: z.string().regex(/^[A-Za-z0-9]{30}$/, schemaMessage('notify.pushoverToken')),
    devices: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,25}$/, schemaMessage('notify.device'))).optional(),
    /** -2 lowest … 2 emergency (pushover.net/api#priority). */
    priority: z.number().int().min(-2).max(2).optional(),
    sound: z
      .string()
      .regex(/^[a-z0-9_-]+$/i)
      .optional(),
    url: z.string().min(1).optional(),
    urlTitle: z.string().min(1).optional(),
    /** Emergency priority: seconds between retries (at least 30) and until it gives up (at most 10800). */
    retry: z.number().int().min(30).optional(),
    expire: z.number().int().min(1).max(10800).optional(),
    apiUrl: httpUrl.default(PUSHOVER_API_URL),
  })
  .refine((c) => c.priority !== 2 || (c.retry !== undefined && c.expire !== undefined) || (c.retry === undefined && c.expire === undefined), {
    message: schemaMessage('notify.retryExpire'),
  });

export const matrixChannelSchema = z
  .strictObject({
    ...common,
    type: z.literal('matrix'),
    /** 't2bot': post to a t2bot.io webhook; 'login': log in as a user; 'token': use an access token. */
    mode: z.enum(['t2bot', 'login', 'token']),
    /** The homeserver's base URL (login, token) or the t2bot hook base. */
    url: httpUrl,
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** An access token (mode token) or the t2bot webhook id (mode t2bot). */
    token: z.string().min(1).optional(),
    /** `!room:server` ids or `#alias:server` aliases; a bare name gets the homeserver's domain. */
    rooms: z.array(z.string().min(1)).default([]),
    msgtype: z.enum(['text', 'notice']).default('text'),
  })
  .refine((c) => (c.mode === 'login' ? c.user !== undefined && c.password !== undefined : c.token !== undefined), {
    message: schemaMessage('notify.matrixMode'),
  })
  .refine((c) => c.mode === 't2bot' || c.rooms.length > 0, { message: schemaMessage('notify.matrixRooms') });
