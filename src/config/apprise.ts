/**
 * Apprise-style URLs (`discord://id/token`, `slack://T/B/X`, `mailto://…`, `json://…`) turned into
 * the same channel objects the long form gives, so users can paste what they already use elsewhere.
 */

export const DISCORD_API_URL = 'https://discord.com/api';
export const SLACK_HOOKS_URL = 'https://hooks.slack.com/services';
/** Submission port with STARTTLS: what providers (Gmail, Outlook) ask for. */
export const DEFAULT_SMTP_PORT = 587;
/** SMTPS: TLS from the first byte. */
export const SMTPS_PORT = 465;

export type AppriseChannel =
  | { name: string; type: 'discord-webhook'; url: string }
  | { name: string; type: 'slack'; url: string }
  | {
      name: string;
      type: 'email';
      smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
      from: string;
      to: string | string[];
    }
  | { name: string; type: 'webhook'; url: string };

export class AppriseUrlError extends Error {}

const SCHEMES = ['discord', 'slack', 'mailto', 'mailtos', 'json', 'jsons'] as const;

/** The scheme as written, for error messages, without ever echoing tokens or passwords. */
function schemeOf(raw: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw.trim());
  return m?.[1]?.toLowerCase();
}

function fail(scheme: string, why: string, example: string): never {
  throw new AppriseUrlError(`${scheme}:// URL: ${why} (expected ${example})`);
}

const dec = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Parses one Apprise URL; `index` (0-based position in the list) names the channel `<scheme>-<index+1>`. */
export function parseAppriseUrl(raw: string, index = 0): AppriseChannel {
  const scheme = schemeOf(raw);
  if (scheme === undefined) {
    throw new AppriseUrlError(`not a channel URL: expected one of ${SCHEMES.map((s) => `${s}://`).join(', ')} or a channel object`);
  }
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new AppriseUrlError(`unsupported notification URL scheme "${scheme}://"; supported: ${SCHEMES.map((s) => `${s}://`).join(', ')}`);
  }
  const name = `${scheme}-${index + 1}`;
  // Everything after "scheme://", parsed by hand: WHATWG URL rules for unknown schemes keep the host
  // as-is but we want the same behaviour for every scheme.
  const rest = raw.trim().slice(scheme.length + 3);
  const hashAt = rest.indexOf('#');
  const qAt = rest.indexOf('?');
  const beforeQuery = qAt === -1 ? rest : rest.slice(0, qAt);
  const query = new URLSearchParams(qAt === -1 ? '' : rest.slice(qAt + 1));
  if (scheme !== 'slack' && hashAt !== -1 && (qAt === -1 || hashAt < qAt)) {
    fail(scheme, 'a "#" fragment is not supported', `${scheme}://…`);
  }
  const slash = beforeQuery.indexOf('/');
  const authority = slash === -1 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash === -1 ? '' : beforeQuery.slice(slash);
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  const host = at === -1 ? authority : authority.slice(at + 1);
  const parts = path.split('/').filter(Boolean);

  switch (scheme) {
    case 'discord': {
      const example = 'discord://webhook_id/webhook_token';
      // Apprise puts the webhook id where a host goes; the optional user part is a bot name we do not use.
      const segments = [host, ...parts].filter(Boolean);
      if (segments.length !== 2) fail(scheme, `needs exactly a webhook id and a webhook token, got ${segments.length} part(s)`, example);
      const [id, token] = segments as [string, string];
      if (!/^\d{5,25}$/.test(id)) fail(scheme, 'the webhook id must be digits', example);
      if (!/^[A-Za-z0-9_-]{10,}$/.test(token)) fail(scheme, 'the webhook token looks wrong (letters, digits, - and _ only)', example);
      rejectQuery(scheme, query, [], example);
      return { name, type: 'discord-webhook', url: `${DISCORD_API_URL}/webhooks/${id}/${token}` };
    }
    case 'slack': {
      const example = 'slack://T…/B…/token';
      const segments = [host, ...parts].filter(Boolean);
      if (segments.some((s) => s.startsWith('#') || s.startsWith('@'))) {
        fail(scheme, 'channel overrides are not supported: an incoming webhook posts to the channel it was created for', example);
      }
      if (segments.length !== 3) fail(scheme, `needs exactly three tokens, got ${segments.length}`, example);
      const [a, b, c] = segments as [string, string, string];
      if (!/^T[A-Z0-9]+$/i.test(a) || !/^B[A-Z0-9]+$/i.test(b)) fail(scheme, 'the first token starts with T and the second with B', example);
      if (!/^[A-Za-z0-9]+$/.test(c)) fail(scheme, 'the third token has letters and digits only', example);
      rejectQuery(scheme, query, [], example);
      return { name, type: 'slack', url: `${SLACK_HOOKS_URL}/${a}/${b}/${c}` };
    }
    case 'mailto':
    case 'mailtos': {
      const example = `${scheme}://user:password@smtp.example.com[:port]?to=a@example.com,b@example.com&from=bot@example.com`;
      const { hostname, port } = splitHostPort(scheme, host, example);
      if (parts.length > 0) fail(scheme, 'no path is expected after the host; put recipients in ?to=', example);
      rejectQuery(scheme, query, ['to', 'from', 'mode'], example);
      let user: string | undefined;
      let password: string | undefined;
      if (userinfo !== undefined) {
        const colon = userinfo.indexOf(':');
        user = dec(colon === -1 ? userinfo : userinfo.slice(0, colon));
        password = colon === -1 ? undefined : dec(userinfo.slice(colon + 1));
        if (user === '') fail(scheme, 'empty user name', example);
      }
      // Apprise's `mode` defaults to starttls (port 587) for mailtos:// too; implicit TLS (465) only with mode=ssl.
      const mode = query.get('mode') ?? 'starttls';
      if (mode !== 'ssl' && mode !== 'starttls') fail(scheme, `mode must be "ssl" or "starttls", not "${mode}"`, example);
      const secure = mode === 'ssl';
      const fallbackAddress = user !== undefined ? (user.includes('@') ? user : `${user}@${hostname}`) : undefined;
      const from = query.get('from') ?? fallbackAddress;
      const to = (query.get('to') ?? fallbackAddress ?? '').split(/[,\s]+/).filter(Boolean);
      if (from === undefined) fail(scheme, 'no sender: add ?from=address or a user name', example);
      if (to.length === 0) fail(scheme, 'no recipient: add ?to=address', example);
      for (const addr of [from, ...to]) if (!/^[^@\s]+@[^@\s]+$/.test(addr)) fail(scheme, `"${addr}" is not an email address`, example);
      const smtp: { host: string; port: number; secure: boolean; user?: string; password?: string } = {
        host: hostname,
        port: port ?? (secure ? SMTPS_PORT : DEFAULT_SMTP_PORT),
        secure,
      };
      if (user !== undefined) smtp.user = user;
      if (password !== undefined) smtp.password = password;
      return { name, type: 'email', smtp, from, to: to.length === 1 ? (to[0] as string) : to };
    }
    case 'json':
    case 'jsons': {
      const example = `${scheme}://host[:port]/path`;
      const { hostname, port } = splitHostPort(scheme, host, example);
      const target = new URL(`${scheme === 'jsons' ? 'https' : 'http'}://${hostname}${port !== undefined ? `:${port}` : ''}`);
      target.pathname = path || '/';
      target.search = query.toString();
      if (userinfo !== undefined) {
        const colon = userinfo.indexOf(':');
        target.username = colon === -1 ? userinfo : userinfo.slice(0, colon);
        if (colon !== -1) target.password = userinfo.slice(colon + 1);
      }
      return { name, type: 'webhook', url: target.toString() };
    }
    default:
      throw new AppriseUrlError(`unsupported scheme ${scheme}`);
  }
}

function splitHostPort(scheme: string, host: string, example: string): { hostname: string; port: number | undefined } {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d*))?$/i.exec(host);
  if (!m || !m[1]) fail(scheme, host === '' ? 'missing host' : `"${host}" is not a host[:port]`, example);
  const hostname = m[1];
  if (!/^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)$/i.test(hostname)) fail(scheme, `"${hostname}" is not a host name`, example);
  if (m[2] === undefined || m[2] === '') return { hostname, port: undefined };
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(scheme, `port ${m[2]} is out of range`, example);
  return { hostname, port };
}

function rejectQuery(scheme: string, query: URLSearchParams, allowed: string[], example: string): void {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) {
      fail(scheme, `unknown option "${key}"${allowed.length ? ` (known: ${allowed.join(', ')})` : ''}`, example);
    }
  }
}
