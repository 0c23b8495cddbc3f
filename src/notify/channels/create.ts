import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { Channel } from '../channel.js';
import type { ChannelConfig } from '../../config/index.js';
import { createDiscordBotChannel, createDiscordWebhookChannel } from './discord.js';
import { createEmailChannel } from './email.js';
import { createSlackChannel } from './slack.js';
import { createGotifyChannel } from './gotify.js';
import { createMatrixChannel } from './matrix.js';
import { createNtfyChannel } from './ntfy.js';
import { createPushoverChannel } from './pushover.js';
import { createTelegramChannel } from './telegram.js';
import { createWebhookChannel } from './webhook.js';

export interface CreateChannelOptions {
  timeoutMs?: number;
  /** Test-only TLS options for email (self-signed SMTP servers). */
  emailTls?: ConnectionOptions;
  /** Test-only: reach the config's SMTP server (a provider template's) at this local address instead. */
  emailConnectTo?: { host: string; port: number };
}

/** A stable hash of the channel's config (keys sorted), so a config edit re-enables a disabled channel. */
export function channelFingerprint(config: ChannelConfig): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, sorted(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(sorted(config)))
    .digest('hex')
    .slice(0, 16);
}

/** The sending channel for a validated config entry, carrying its routing and quiet hours. */
export function createChannel(config: ChannelConfig, opts: CreateChannelOptions = {}): Channel {
  const base = (() => {
    const { name } = config;
    const timeoutMs = opts.timeoutMs;
    switch (config.type) {
      case 'discord-webhook': {
        const { type: _t, events: _e, minSeverity: _m, quietHours: _q, ...rest } = config;
        return createDiscordWebhookChannel({ ...rest, timeoutMs });
      }
      case 'discord-bot':
        return createDiscordBotChannel({ name, token: config.token, channelId: config.channelId, apiUrl: config.apiUrl, timeoutMs });
      case 'slack':
        return createSlackChannel({
          name,
          url: config.url,
          token: config.token,
          channels: config.channels,
          botname: config.botname,
          apiUrl: config.apiUrl,
          timeoutMs,
        });
      case 'email':
        return createEmailChannel({
          name,
          smtp: config.smtp,
          from: config.from,
          fromName: config.fromName,
          to: config.to,
          cc: config.cc,
          bcc: config.bcc,
          headers: config.headers,
          timeoutMs,
          tls: opts.emailTls,
          connectTo: opts.emailConnectTo,
        });
      case 'webhook':
        return createWebhookChannel({
          name,
          url: config.url,
          format: config.format,
          method: config.method,
          headers: config.headers,
          params: config.params,
          payload: config.payload,
          timeoutMs,
        });
      case 'ntfy': {
        const { type: _t, events: _e, minSeverity: _m, quietHours: _q, ...rest } = config;
        return createNtfyChannel({ ...rest, timeoutMs });
      }
      case 'gotify':
        return createGotifyChannel({ name, url: config.url, token: config.token, priority: config.priority, markdown: config.markdown, timeoutMs });
      case 'telegram': {
        const { type: _t, events: _e, minSeverity: _m, quietHours: _q, ...rest } = config;
        return createTelegramChannel({ ...rest, timeoutMs });
      }
      case 'pushover': {
        const { type: _t, events: _e, minSeverity: _m, quietHours: _q, ...rest } = config;
        return createPushoverChannel({ ...rest, timeoutMs });
      }
      case 'matrix': {
        const { type: _t, events: _e, minSeverity: _m, quietHours: _q, ...rest } = config;
        return createMatrixChannel({ ...rest, timeoutMs });
      }
    }
  })();
  const channel: Channel = { ...base, fingerprint: channelFingerprint(config) };
  if (config.events) channel.events = config.events;
  if (config.minSeverity) channel.minSeverity = config.minSeverity;
  if (config.quietHours) channel.quietHours = config.quietHours;
  return channel;
}
