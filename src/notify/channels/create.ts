import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { Channel } from '../channel.js';
import type { ChannelConfig } from '../../config/index.js';
import { createDiscordBotChannel, createDiscordWebhookChannel } from './discord.js';
import { createEmailChannel } from './email.js';
import { createSlackChannel } from './slack.js';
import { createWebhookChannel } from './webhook.js';

export interface CreateChannelOptions {
  timeoutMs?: number;
  /** Test-only TLS options for email (self-signed SMTP servers). */
  emailTls?: ConnectionOptions;
}

/** A stable hash of the channel's config (keys sorted), so a config edit re-enables a disabled channel. */
export function channelFingerprint(config: ChannelConfig): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)]))
        : v;
  return createHash('sha256').update(JSON.stringify(sorted(config))).digest('hex').slice(0, 16);
}

/** The sending channel for a validated config entry, carrying its routing and quiet hours. */
export function createChannel(config: ChannelConfig, opts: CreateChannelOptions = {}): Channel {
  const base = (() => {
    switch (config.type) {
      case 'discord-webhook':
        return createDiscordWebhookChannel({ name: config.name, url: config.url, timeoutMs: opts.timeoutMs });
      case 'discord-bot':
        return createDiscordBotChannel({ name: config.name, token: config.token, channelId: config.channelId, apiUrl: config.apiUrl, timeoutMs: opts.timeoutMs });
      case 'slack':
        if (!config.url) throw new Error('Slack bot tokens have no sender yet');
        return createSlackChannel({ name: config.name, url: config.url, timeoutMs: opts.timeoutMs });
      case 'email':
        return createEmailChannel({ name: config.name, smtp: config.smtp, from: config.from, to: config.to, timeoutMs: opts.timeoutMs, tls: opts.emailTls });
      case 'webhook':
        return createWebhookChannel({ name: config.name, url: config.url, timeoutMs: opts.timeoutMs });
      default:
        throw new Error(`channel type ${config.type} has no sender yet`);
    }
  })();
  const channel: Channel = { ...base, fingerprint: channelFingerprint(config) };
  if (config.events) channel.events = config.events;
  if (config.minSeverity) channel.minSeverity = config.minSeverity;
  if (config.quietHours) channel.quietHours = config.quietHours;
  return channel;
}
