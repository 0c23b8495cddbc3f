/**
 * What a channel would call, for `notify test --dry-run` (like `apprise --dry-run`): service, host, port, TLS
 * mode, login, targets and headers, secrets masked. Pure: reads the config, opens nothing.
 */
import type { ChannelConfig } from '../config/index.js';
import { discordWebhookPostUrl } from './channels/discord.js';
import { smtpModeOf } from './channels/email.js';

export interface ChannelPlan {
  channel: string;
  service: string;
  /** The method and URL (or smtp://host:port) called, secrets masked. */
  endpoint: string;
  host: string;
  port: number;
  /** https, http (no TLS), starttls, ssl (implicit TLS) or insecure (plain SMTP). */
  tls: string;
  login?: string;
  targets: string[];
  headers: Record<string, string>;
  /** Service options that change what is sent (priority, format…). */
  options: Record<string, string>;
}

/** Enough of a secret to recognise it, never enough to use it: the first 2 characters, then asterisks. */
export function mask(secret: string): string {
  return secret.length <= 4 ? '****' : `${secret.slice(0, 2)}****`;
}

/** Header names whose values are credentials. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-.*(token|key|secret|auth|signature).*|.*api[-_]?key.*)$/i;

function maskHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, SECRET_HEADER.test(k) ? mask(v) : v]));
}

function fromUrl(url: string, secretPathParts: number[] = []): { endpoint: string; host: string; port: number; tls: string; login?: string } {
  const u = new URL(url);
  const login = u.username ? decodeURIComponent(u.username) : undefined;
  u.username = '';
  u.password = '';
  const parts = u.pathname.split('/');
  for (const i of secretPathParts) {
    const at = i < 0 ? parts.length + i : i;
    if (parts[at]) parts[at] = mask(decodeURIComponent(parts[at] as string));
  }
  u.pathname = parts.join('/');
  for (const [k, v] of u.searchParams) if (/token|key|secret|auth|sig|pass/i.test(k)) u.searchParams.set(k, mask(v));
  const https = u.protocol === 'https:';
  const out = { endpoint: decodeURI(u.toString()), host: u.hostname, port: Number(u.port || (https ? 443 : 80)), tls: https ? 'https' : 'http (no TLS)' };
  return login ? { ...out, login } : out;
}

const str = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined && v !== false)
      .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  );

/** What every plan starts from: the channel's name, no header, no option. */
type PlanBase = { channel: string; headers: Record<string, string>; options: Record<string, string> };

export function describeChannel(c: ChannelConfig): ChannelPlan {
  const base: PlanBase = { channel: c.name, headers: {}, options: {} };
  switch (c.type) {
    case 'discord-webhook': {
      const url = new URL(discordWebhookPostUrl(c.url));
      if (c.thread) url.searchParams.set('thread_id', c.thread);
      const { type: _t, name: _n, url: _u, events: _e, minSeverity: _m, quietHours: _q, ...opts } = c;
      return {
        ...base,
        service: 'Discord webhook',
        ...fromUrl(url.toString(), [-1]),
        endpoint: `POST ${fromUrl(url.toString(), [-1]).endpoint}`,
        targets: [`webhook ${url.pathname.split('/').at(-2)}`],
        options: str(opts),
      };
    }
    case 'discord-bot': {
      const url = `${c.apiUrl.replace(/\/+$/, '')}/v10/channels/${c.channelId}/messages`;
      return {
        ...base,
        service: 'Discord bot',
        ...fromUrl(url),
        endpoint: `POST ${url}`,
        targets: [`channel ${c.channelId}`],
        headers: { Authorization: `Bot ${mask(c.token)}` },
      };
    }
    case 'slack': {
      if (c.token) {
        const url = `${c.apiUrl.replace(/\/+$/, '')}/chat.postMessage`;
        return {
          ...base,
          service: 'Slack bot',
          ...fromUrl(url),
          endpoint: `POST ${url}`,
          targets: c.channels ?? [],
          headers: { Authorization: `Bearer ${mask(c.token)}` },
          options: str({ botname: c.botname }),
        };
      }
      const u = fromUrl(c.url as string, [-1]);
      return {
        ...base,
        service: 'Slack webhook',
        ...u,
        endpoint: `POST ${u.endpoint}`,
        targets: c.channels ?? ['(the webhook’s channel)'],
        options: str({ botname: c.botname }),
      };
    }
    case 'email':
      return describeEmail(c, base);
    case 'webhook': {
      const u = fromUrl(c.url);
      const query = new URLSearchParams(c.params ?? {}).toString();
      const headers = maskHeaders(c.headers);
      if (u.login) headers.Authorization = `Basic ${mask('credentials')} (${u.login})`;
      return {
        ...base,
        service: `${c.format.toUpperCase()} webhook`,
        ...u,
        endpoint: `${c.method} ${u.endpoint}${query ? `${u.endpoint.includes('?') ? '&' : '?'}${query}` : ''}`,
        targets: [u.endpoint],
        headers,
        options: str({ payload: c.payload ? JSON.stringify(c.payload) : undefined }),
      };
    }
    case 'ntfy':
      return describeNtfy(c, base);
    case 'gotify': {
      const u = fromUrl(`${c.url.replace(/\/*$/, '/')}message`);
      return {
        ...base,
        service: 'Gotify',
        ...u,
        endpoint: `POST ${u.endpoint}`,
        targets: ['application of the token'],
        headers: { 'X-Gotify-Key': mask(c.token) },
        options: str({ priority: c.priority ?? 5, markdown: c.markdown }),
      };
    }
    case 'telegram': {
      const url = `${c.apiUrl.replace(/\/+$/, '')}/bot${mask(c.token)}/sendMessage`;
      return {
        ...base,
        service: 'Telegram',
        ...fromUrl(c.apiUrl),
        endpoint: `POST ${url}`,
        targets: c.chatIds.map((id) => `chat ${id}${c.topic ? ` topic ${c.topic}` : ''}`),
        options: str({ format: c.format, silent: c.silent, preview: c.preview }),
      };
    }
    case 'pushover': {
      const url = `${c.apiUrl.replace(/\/+$/, '')}/1/messages.json`;
      return {
        ...base,
        service: 'Pushover',
        ...fromUrl(url),
        endpoint: `POST ${url}`,
        login: `user key ${mask(c.user)}, token ${mask(c.token)}`,
        targets: c.devices?.map((d) => `device ${d}`) ?? ['all devices of the user'],
        options: str({ priority: c.priority, sound: c.sound, retry: c.retry, expire: c.expire }),
      };
    }
    case 'matrix':
      return describeMatrix(c, base);
  }
}

function describeEmail(c: Extract<ChannelConfig, { type: 'email' }>, base: PlanBase): ChannelPlan {
  const mode = smtpModeOf(c.smtp);
  const tls = mode === 'ssl' ? 'ssl (TLS from the first byte)' : mode === 'starttls' ? 'starttls (required)' : 'insecure (plain SMTP; STARTTLS if offered)';
  const to = Array.isArray(c.to) ? c.to : [c.to];
  const targets = [...to.map((t) => `to ${t}`), ...(c.cc ?? []).map((t) => `cc ${t}`), ...(c.bcc ?? []).map((t) => `bcc ${t}`)];
  const plan: ChannelPlan = {
    ...base,
    service: 'Email (SMTP)',
    endpoint: `smtp://${c.smtp.host}:${c.smtp.port}`,
    host: c.smtp.host,
    port: c.smtp.port,
    tls,
    targets,
    headers: maskHeaders(c.headers),
    options: str({ from: c.fromName ? `${c.fromName} <${c.from}>` : c.from, password: c.smtp.password ? mask(c.smtp.password) : undefined }),
  };
  if (c.smtp.user) plan.login = c.smtp.user;
  return plan;
}

function describeNtfy(c: Extract<ChannelConfig, { type: 'ntfy' }>, base: PlanBase): ChannelPlan {
  const u = fromUrl(c.url);
  const headers: Record<string, string> = c.token
    ? { Authorization: `Bearer ${mask(c.token)}` }
    : c.user
      ? { Authorization: `Basic ${mask(c.password ?? '')}` }
      : {};
  const plan: ChannelPlan = {
    ...base,
    service: 'ntfy',
    ...u,
    endpoint: `POST ${u.endpoint}`,
    targets: c.topics.map((t) => `topic ${t}`),
    headers,
    options: str({ priority: c.priority, tags: c.tags, click: c.click, attach: c.attach, markdown: c.markdown }),
  };
  if (c.user) plan.login = c.user;
  return plan;
}

function describeMatrix(c: Extract<ChannelConfig, { type: 'matrix' }>, base: PlanBase): ChannelPlan {
  if (c.mode === 't2bot') {
    const url = `${c.url.replace(/\/+$/, '')}/${mask(c.token ?? '')}`;
    return { ...base, service: 'Matrix (t2bot webhook)', ...fromUrl(c.url), endpoint: `POST ${url}`, targets: ['the webhook’s room'] };
  }
  const u = fromUrl(c.url);
  const plan: ChannelPlan = {
    ...base,
    service: `Matrix (${c.mode === 'login' ? 'password login' : 'access token'})`,
    ...u,
    endpoint: `PUT ${u.endpoint}_matrix/client/v3/rooms/…/send/m.room.message/…`,
    targets: c.rooms.map((r) => `room ${r}`),
    headers: { Authorization: `Bearer ${c.mode === 'token' ? mask(c.token ?? '') : '(from login)'}` },
    options: str({ msgtype: c.msgtype }),
  };
  if (c.user) plan.login = c.user;
  return plan;
}
