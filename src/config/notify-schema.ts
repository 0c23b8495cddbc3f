import { z } from 'zod';
import { AppriseUrlError, DISCORD_API_URL, SLACK_API_URL, parseAppriseUrl } from './apprise.js';
import { common, httpUrl, type quietHoursSchema } from './channel-common.js';
import { SMTP_MODE_PORTS } from './email-templates.js';
import { gotifyChannelSchema, matrixChannelSchema, ntfyChannelSchema, pushoverChannelSchema, telegramChannelSchema } from './push-schemas.js';
import { renderText } from '../lib/index.js';
import { customIssue, joinedIssues, schemaMessage } from './messages.js';

export { ALERT_KINDS, SEVERITIES, type AlertKind, type Severity } from './alert-kinds.js';
export { quietHoursSchema } from './channel-common.js';
export * from './push-schemas.js';
/** A local time of day, 24 h (quiet hours, the timetable digest). */
export { HHMM } from './channel-common.js';

/** `…/webhooks/<id>/<token>`: the token is what we redact, so the URL has to show where it is. */
const DISCORD_WEBHOOK_PATH = /\/webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?$/;

/** Apprise's Discord options (apprise/plugins/discord.py template_args), those campus-sync honours. */
export const discordWebhookChannelSchema = z.strictObject({
  ...common,
  type: z.literal('discord-webhook'),
  url: httpUrl.refine((u) => DISCORD_WEBHOOK_PATH.test(new URL(u).pathname), schemaMessage('notify.discordWebhook')),
  /** The name the message is posted under (`botname@` or `?botname=`). */
  botname: z.string().min(1).max(80).optional(),
  /** false: no avatar at all (`?avatar=no`). */
  avatar: z.boolean().optional(),
  avatarUrl: httpUrl.optional(),
  tts: z.boolean().optional(),
  /** The embed footer; absent: shown (Apprise's URLs say `footer=no` by default, and their parser writes it). */
  footer: z.boolean().optional(),
  /** Post into this thread of a forum or text channel (`thread_id`). */
  thread: z
    .string()
    .regex(/^\d{5,25}$/, schemaMessage('notify.threadId'))
    .optional(),
  /** markdown: embeds (default); text: plain content messages. */
  format: z.enum(['markdown', 'text']).optional(),
  /** The title links here. */
  href: httpUrl.optional(),
  /** User (`123`), role (`&123`) ids or `everyone`/`here` to mention. */
  ping: z.array(z.string().regex(/^(&?\d{5,25}|everyone|here)$/, schemaMessage('notify.ping'))).optional(),
  flags: z.number().int().min(0).optional(),
});

export const discordBotChannelSchema = z.strictObject({
  ...common,
  type: z.literal('discord-bot'),
  token: z.string().min(10),
  channelId: z.string().regex(/^\d{5,25}$/, schemaMessage('notify.discordChannelId')),
  apiUrl: httpUrl.default(DISCORD_API_URL),
});

/** An incoming webhook (`url`), or a bot token (`xoxb-…`/`xoxp-…`) posting to `channels` through chat.postMessage. */
export const slackChannelSchema = z
  .strictObject({
    ...common,
    type: z.literal('slack'),
    url: httpUrl.optional(),
    token: z
      .string()
      .regex(/^xox[bpa]-[A-Za-z0-9-]+$/, schemaMessage('notify.slackToken'))
      .optional(),
    /** `#channel`, `@user` or a channel id; with a webhook, sent as its `channel` override. */
    channels: z.array(z.string().min(1)).optional(),
    botname: z.string().min(1).optional(),
    apiUrl: httpUrl.default(SLACK_API_URL),
  })
  .refine((c) => (c.url === undefined) !== (c.token === undefined), { message: schemaMessage('notify.slackOneOf') })
  .refine((c) => c.token === undefined || (c.channels?.length ?? 0) > 0, { message: schemaMessage('notify.slackChannels') });

const emailAddress = z.string().regex(/^[^@\s<>]+@[^@\s<>]+$/, schemaMessage('notify.email'));
/** A bare address, or `Name <address>`. */
const mailbox = z.string().regex(/^([^<>@]*<[^@\s<>]+@[^@\s<>]+>|[^@\s<>]+@[^@\s<>]+)$/, schemaMessage('notify.mailbox'));

export const SMTP_MODES = ['insecure', 'starttls', 'ssl'] as const;

export const emailChannelSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  smtp: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(SMTP_MODE_PORTS.starttls),
      /** false: plain connection upgraded with STARTTLS (port 587); true: TLS from the start (465). */
      secure: z.boolean().default(false),
      /**
       * Apprise's modes: insecure (plain SMTP, what `mailto://` means; STARTTLS only if offered), starttls (required),
       * ssl (TLS from the first byte). Absent: `secure` decides (ssl or starttls).
       */
      mode: z.enum(SMTP_MODES).optional(),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
    })
    .refine((s) => s.password === undefined || s.user !== undefined, { message: schemaMessage('notify.passwordNoUser') }),
  from: emailAddress,
  /** The sender's display name (`?name=` or `from=Name <addr>`). */
  fromName: z.string().min(1).optional(),
  to: z.union([mailbox, z.array(mailbox).min(1)]),
  cc: z.array(mailbox).optional(),
  bcc: z.array(mailbox).optional(),
  /** Extra mail headers (`?+X-Name=value`). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, schemaMessage('notify.header')), z.string()).optional(),
});

export const WEBHOOK_METHODS = ['POST', 'GET', 'DELETE', 'PUT', 'HEAD', 'PATCH', 'UPDATE', 'OPTIONS'] as const;

/** Apprise's json://, form:// and xml:// (apprise/plugins/custom_json.py, custom_form.py, custom_xml.py). */
export const webhookChannelSchema = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
  format: z.enum(['json', 'form', 'xml']).default('json'),
  method: z.enum(WEBHOOK_METHODS).default('POST'),
  /** Sent as HTTP headers (`?+Name=value`). */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), z.string()).optional(),
  /** Added to the query string (`?-name=value`). */
  params: z.record(z.string().min(1), z.string()).optional(),
  /** Payload fields (`?:name=value`): renames a standard field (empty: removes it) or adds one. */
  payload: z.record(z.string().min(1), z.string()).optional(),
});

export const channelObjectSchema = z.discriminatedUnion('type', [
  discordWebhookChannelSchema,
  discordBotChannelSchema,
  slackChannelSchema,
  emailChannelSchema,
  webhookChannelSchema,
  ntfyChannelSchema,
  gotifyChannelSchema,
  telegramChannelSchema,
  pushoverChannelSchema,
  matrixChannelSchema,
]);

export type ChannelConfig = z.output<typeof channelObjectSchema>;
export type ChannelType = ChannelConfig['type'];
export type QuietHours = z.output<typeof quietHoursSchema>;

/** One entry: a channel object, or an Apprise URL string (named `<scheme>-<position>` once in the list). */
export const channelEntrySchema = z.union([z.string(), channelObjectSchema]);

/** The list under `notify.channels`: Apprise strings parsed, names unique. */
export const channelsSchema = z.array(channelEntrySchema).transform((entries, ctx): ChannelConfig[] => {
  const out: ChannelConfig[] = [];
  entries.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      out.push(entry);
      return;
    }
    try {
      const parsed = channelObjectSchema.safeParse(parseAppriseUrl(entry, index));
      if (parsed.success) out.push(parsed.data);
      else
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: renderText(joinedIssues(parsed.error.issues), 'en'),
          params: { text: joinedIssues(parsed.error.issues) },
        });
    } catch (err) {
      if (!(err instanceof AppriseUrlError)) throw err;
      ctx.addIssue({ code: 'custom', path: [index], message: err.message, params: { text: err.text } });
    }
  });
  const seen = new Set<string>();
  out.forEach((c, index) => {
    if (seen.has(c.name)) ctx.addIssue(customIssue([index, 'name'], 'notify.duplicate', { name: c.name }));
    seen.add(c.name);
  });
  return out;
});

/** What the config module embeds under `notify:`. */
export const notifySchema = z.strictObject({
  channels: channelsSchema.default([]),
});
export type NotifyConfig = z.output<typeof notifySchema>;

/** Every secret in these channels: tokens, webhook URLs and their token parts, SMTP passwords, URL passwords. */
export function notifySecrets(channels: readonly ChannelConfig[]): string[] {
  const out = new Set<string>();
  const addUrl = (u: string): void => {
    out.add(u);
    try {
      const parsed = new URL(u);
      if (parsed.password) {
        out.add(parsed.password);
        out.add(decodeURIComponent(parsed.password));
      }
      // Query values of a generic webhook are often keys (`?token=`); redacting a harmless one costs nothing.
      for (const v of parsed.searchParams.values()) if (v.length >= 8) out.add(v);
    } catch {
      // Not a URL: the whole string was added.
    }
  };
  for (const c of channels) {
    switch (c.type) {
      case 'discord-webhook': {
        addUrl(c.url);
        const m = DISCORD_WEBHOOK_PATH.exec(new URL(c.url).pathname);
        if (m?.[2]) out.add(m[2]);
        break;
      }
      case 'discord-bot':
        out.add(c.token);
        break;
      case 'slack': {
        if (c.token) out.add(c.token);
        if (c.url) {
          addUrl(c.url);
          const token = new URL(c.url).pathname.split('/').filter(Boolean).at(-1);
          if (token) out.add(token);
        }
        break;
      }
      case 'email':
        if (c.smtp.password) out.add(c.smtp.password);
        break;
      case 'webhook':
        addUrl(c.url);
        // Headers carry tokens (`Authorization`, `X-Token`); redact every value long enough to be one.
        for (const v of [...Object.values(c.headers ?? {}), ...Object.values(c.params ?? {})]) if (v.length >= 8) out.add(v);
        break;
      case 'ntfy':
      case 'gotify':
      case 'telegram':
      case 'pushover':
      case 'matrix':
        for (const v of [c.token, 'password' in c ? c.password : undefined, c.type === 'pushover' ? c.user : undefined]) if (v) out.add(v);
        if (c.type === 'telegram') out.add(`bot${c.token}`);
        break;
    }
  }
  return [...out];
}
