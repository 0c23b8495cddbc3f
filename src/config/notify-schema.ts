import { IANAZone } from 'luxon';
import { z } from 'zod';
import { AppriseUrlError, DEFAULT_SMTP_PORT, DISCORD_API_URL, parseAppriseUrl } from './apprise.js';

export const ALERT_KINDS = [
  'slot.new',
  'auth.failed',
  'auth.recovered',
  'sync.failed',
  'sync.recovered',
  'sync.done',
  'deletion.guarded',
  /** A class coming soon moved, was cancelled or added, or changed room or teacher (worker/changes.ts). */
  'timetable.changed',
  /** `changes.digest`: once a day at that local time, tomorrow's classes (worker/digest.ts). */
  'timetable.digest',
  'test',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A local time of day, 24 h (quiet hours, the timetable digest). */
export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const quietHoursSchema = z
  .strictObject({
    from: z.string().regex(HHMM, 'must be HH:MM (24 h)'),
    to: z.string().regex(HHMM, 'must be HH:MM (24 h)'),
    /** Defaults to the instance's time zone (given to the outbox). */
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Europe/Paris')
      .optional(),
  })
  .refine((q) => q.from !== q.to, { message: 'from and to must differ (an empty or whole-day quiet period is ambiguous)' });

const common = {
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" and "-" only (max 64)'),
  /** Which alert kinds this channel gets; default every kind except 'sync.done' (routine). */
  events: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
  minSeverity: z.enum(SEVERITIES).optional(),
  quietHours: quietHoursSchema.optional(),
};

/** `…/webhooks/<id>/<token>`: the token is what we redact, so the URL has to show where it is. */
const DISCORD_WEBHOOK_PATH = /\/webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?$/;

export const discordWebhookChannelSchema = z.strictObject({
  ...common,
  type: z.literal('discord-webhook'),
  url: httpUrl.refine((u) => DISCORD_WEBHOOK_PATH.test(new URL(u).pathname), 'must end in /webhooks/<id>/<token>'),
});

export const discordBotChannelSchema = z.strictObject({
  ...common,
  type: z.literal('discord-bot'),
  token: z.string().min(10),
  channelId: z.string().regex(/^\d{5,25}$/, 'must be a Discord channel id (digits)'),
  apiUrl: httpUrl.default(DISCORD_API_URL),
});

export const slackChannelSchema = z.strictObject({
  ...common,
  type: z.literal('slack'),
  url: httpUrl,
});

const emailAddress = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address');

export const emailChannelSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  smtp: z
    .strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(DEFAULT_SMTP_PORT),
      /** false: plain connection upgraded with STARTTLS (port 587); true: TLS from the start (465). */
      secure: z.boolean().default(false),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
    })
    .refine((s) => s.password === undefined || s.user !== undefined, { message: 'password given without user' }),
  from: emailAddress,
  to: z.union([emailAddress, z.array(emailAddress).min(1)]),
});

export const webhookChannelSchema = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: httpUrl,
});

export const channelObjectSchema = z.discriminatedUnion('type', [
  discordWebhookChannelSchema,
  discordBotChannelSchema,
  slackChannelSchema,
  emailChannelSchema,
  webhookChannelSchema,
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
      else ctx.addIssue({ code: 'custom', path: [index], message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    } catch (err) {
      if (!(err instanceof AppriseUrlError)) throw err;
      ctx.addIssue({ code: 'custom', path: [index], message: err.message });
    }
  });
  const seen = new Set<string>();
  out.forEach((c, index) => {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate channel name "${c.name}"` });
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
        addUrl(c.url);
        const token = new URL(c.url).pathname.split('/').filter(Boolean).at(-1);
        if (token) out.add(token);
        break;
      }
      case 'email':
        if (c.smtp.password) out.add(c.smtp.password);
        break;
      case 'webhook':
        addUrl(c.url);
        break;
    }
  }
  return [...out];
}
