/**
 * Apprise URLs turned into channel objects, one table entry per service: which schemes, which options
 * (with Apprise's names and aliases), and what each piece of the URL means. The grammar is apprise-url.ts;
 * each entry cites the Apprise plugin whose parse_url it follows (caronc/apprise 1.13, apprise/plugins/…).
 * Anything not in an entry is refused with the scheme and the option named: a URL is never accepted and
 * then sent somewhere else, nor an option silently dropped.
 */
import type { LocalText } from '../lib/index.js';
import { decode, parseAppriseParts, parseBool, schemeOf, splitList, urlError, why, type AppriseUrlParts } from './apprise-url.js';
import { buildEmail } from './apprise-email.js';
import { NTFY_CLOUD_URL, T2BOT_HOOK_URL } from './push-schemas.js';

export { AppriseUrlError } from './apprise-url.js';

export const DISCORD_API_URL = 'https://discord.com/api';
export const SLACK_HOOKS_URL = 'https://hooks.slack.com/services';
export const SLACK_API_URL = 'https://slack.com/api';

/** A channel object before the schema checks it (the schema gives the precise message for a bad value). */
export type AppriseChannel = { name: string; type: string } & Record<string, unknown>;

/** Options every service takes (apprise/url.py post_process_parse_url_results): read by the grammar itself. */
const GRAMMAR_OPTIONS = ['user', 'pass', 'password', 'port'];

export interface ServiceSpec {
  service: string;
  schemes: string[];
  /** An example of a URL that works, for error messages and the README. */
  example: string;
  /** Option names campus-sync honours, aliases included. */
  options: string[];
  /** `?+Name=` items are headers (json/form/xml, email). */
  headers?: boolean;
  /** `?-name=` and `?:name=` items (json/form/xml). */
  payload?: boolean;
  build(p: AppriseUrlParts, fail: (why: LocalText) => never): { type: string } & Record<string, unknown>;
}

const hostPort = (p: AppriseUrlParts): string => `${p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host}${p.port ? `:${p.port}` : ''}`;
const baseUrl = (p: AppriseUrlParts): string => `${p.secure ? 'https' : 'http'}://${hostPort(p)}`;
const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
const optBool = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : parseBool(v, false));

/** Prefix lookup in order, as Apprise's priority maps are read (`str(priority).lower().startswith(k)`). */
function byPrefix<T>(value: string | undefined, map: [string, T][], what: string, fail: (why: LocalText) => never): T | undefined {
  if (value === undefined || value === '') return undefined;
  const hit = map.find(([k]) => value.toLowerCase().startsWith(k));
  if (!hit) fail(why('notOneOf', { what, value, allowed: map.map(([k]) => k).join(', ') }));
  return hit[1];
}

function intOption(value: string | undefined, what: string, fail: (why: LocalText) => never): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) fail(why('notWhole', { what, value }));
  return Number(value);
}

/** NotifyBase's `format` (apprise/plugins/base.py): text, markdown or html. */
function formatOption(p: AppriseUrlParts, allowed: string[], fail: (why: LocalText) => never): string | undefined {
  const f = p.qsd.format?.toLowerCase();
  if (f === undefined || f === '') return undefined;
  if (!allowed.includes(f)) fail(why('format', { allowed: allowed.join(' or '), value: f }));
  return f;
}

/** apprise/plugins/discord.py parse_url: webhook id in the host, token the first path token, options. */
const discord: ServiceSpec = {
  service: 'Discord',
  schemes: ['discord'],
  example: 'discord://webhook_id/webhook_token or https://discord.com/api/webhooks/webhook_id/webhook_token',
  options: ['botname', 'avatar', 'avatar_url', 'tts', 'footer', 'thread', 'format', 'href', 'url', 'ping', 'flags'],
  build(p, fail) {
    const [token, ...extra] = p.path;
    if (!/^\d{5,25}$/.test(p.host)) fail(why('webhookId'));
    if (!token) return fail(why('webhookToken'));
    if (!/^[A-Za-z0-9_-]{10,}$/.test(token)) fail(why('webhookTokenShape'));
    if (extra.length > 0) fail(why('webhookExtra', { count: extra.length }));
    const q = p.qsd;
    const href = q.href ?? q.url;
    // Apprise switches to markdown (embeds) when a thread or a link is given; its own default is text.
    const format = formatOption(p, ['text', 'markdown'], fail) ?? (q.thread !== undefined || href !== undefined ? 'markdown' : 'text');
    const ping = splitList(q.ping).map((x) => x.replace(/^<@?(&?\d+)>$/, '$1').replace(/^@/, ''));
    return defined({
      type: 'discord-webhook',
      url: `${DISCORD_API_URL}/webhooks/${p.host}/${token}`,
      botname: q.botname || p.user || undefined,
      avatar: parseBool(q.avatar, true),
      avatarUrl: q.avatar_url || undefined,
      tts: parseBool(q.tts, false),
      footer: parseBool(q.footer, false),
      thread: q.thread || undefined,
      format,
      href: href || undefined,
      ping: ping.length > 0 ? ping : undefined,
      flags: intOption(q.flags, 'flags', fail),
    });
  },
};

/** apprise/plugins/slack.py parse_url: three webhook tokens, or a bot token (`xo…`), then channels. */
const slack: ServiceSpec = {
  service: 'Slack',
  schemes: ['slack'],
  example: 'slack://TokenA/TokenB/TokenC[/#channel], slack://xoxb-…/#channel or https://hooks.slack.com/services/…',
  options: ['to', 'token'],
  build(p, fail) {
    let tokens = [p.host, ...p.path].filter(Boolean);
    if (p.qsd.token)
      tokens = [
        ...splitList(p.qsd.token)
          .flatMap((t) => t.split(/[#/\\]+/))
          .filter(Boolean),
        ...p.path,
      ];
    const first = tokens[0] ?? '';
    const botname = p.user || undefined;
    if (first.startsWith('xo')) {
      const channels = [...tokens.slice(1), ...splitList(p.qsd.to)];
      return defined({ type: 'slack', token: first, channels, botname });
    }
    const [a = '', b = '', c = '', ...targets] = tokens;
    if (!/^[A-Z0-9]+$/i.test(a) || !/^[A-Z0-9]+$/i.test(b) || !/^[A-Za-z0-9]+$/.test(c)) {
      fail(why('slackTokens'));
    }
    const channels = [...targets, ...splitList(p.qsd.to)];
    return defined({ type: 'slack', url: `${SLACK_HOOKS_URL}/${a}/${b}/${c}`, channels: channels.length > 0 ? channels : undefined, botname });
  },
};

const email: ServiceSpec = {
  service: 'Email',
  schemes: ['mailto', 'mailtos'],
  example: 'mailto://user:password@gmail.com or mailtos://user:password@example.com?smtp=mail.example.com&to=me@example.com',
  options: ['to', 'cc', 'bcc', 'from', 'name', 'smtp', 'mode'],
  headers: true,
  build: (p, fail) => ({ type: 'email', ...buildEmail(p, fail) }),
};

/** Apprise's priority names and numbers for ntfy (apprise/plugins/ntfy.py NTFY_PRIORITY_MAP). */
const NTFY_PRIORITY: [string, string][] = [
  ['l', 'low'],
  ['mo', 'low'],
  ['n', 'default'],
  ['h', 'high'],
  ['e', 'max'],
  ['mi', 'min'],
  ['ma', 'max'],
  ['d', 'default'],
  ['1', 'min'],
  ['2', 'low'],
  ['3', 'default'],
  ['4', 'high'],
  ['5', 'max'],
];
/** apprise/plugins/ntfy.py: a token is recognised by its `tk_` prefix. */
const NTFY_TOKEN = /^tk_\S+$/i;

/** apprise/plugins/ntfy.py parse_url: `ntfy://topic` (ntfy.sh) or `ntfy[s]://[auth@]host[:port]/topic…`. */
const ntfy: ServiceSpec = {
  service: 'ntfy',
  schemes: ['ntfy', 'ntfys'],
  example: 'ntfy://topic (ntfy.sh) or ntfys://user:password@ntfy.example.org/topic',
  options: ['to', 'priority', 'tags', 'xtags', 'click', 'attach', 'filename', 'delay', 'email', 'token', 'auth', 'mode', 'format'],
  build(p, fail) {
    const q = p.qsd;
    const topics = [...p.path, ...splitList(q.to)];
    let auth = q.token ? 'token' : undefined;
    let token = q.token || undefined;
    if (q.auth) auth = q.auth.toLowerCase();
    if (auth !== undefined && auth !== 'basic' && auth !== 'token') fail(why('auth', { value: auth }));
    if (!auth && p.user && !p.password) auth = NTFY_TOKEN.test(p.user) ? 'token' : 'basic';
    // ntfy.py template_args: auth defaults to basic.
    auth ??= 'basic';
    if (auth === 'token' && !token) token = p.user && !p.password ? p.user : p.password;
    const isHost = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9a-f:.]+\]$/i.test(p.host);
    const mode = q.mode?.toLowerCase() || (isHost && topics.length > 0 ? 'private' : 'cloud');
    if (mode !== 'cloud' && mode !== 'private') fail(why('ntfyMode', { value: mode }));
    if (mode === 'cloud' && !/ntfy\.sh/i.test(p.host)) topics.unshift(p.host);
    if (topics.length === 0) fail(why('topic'));
    const format = formatOption(p, ['text', 'markdown', 'html'], fail);
    const tags = splitList(q.xtags || q.tags);
    const cloud = mode === 'cloud';
    return defined({
      type: 'ntfy',
      url: cloud ? NTFY_CLOUD_URL : baseUrl(p),
      topics,
      priority: byPrefix(q.priority, NTFY_PRIORITY, 'priority', fail),
      tags: tags.length > 0 ? tags : undefined,
      click: q.click || undefined,
      attach: q.attach || undefined,
      filename: q.filename || undefined,
      delay: q.delay || undefined,
      email: q.email || undefined,
      // ntfy.py sends no credentials in cloud mode (the host was a topic).
      user: !cloud && auth === 'basic' ? p.user : undefined,
      password: !cloud && auth === 'basic' ? p.password : undefined,
      token: !cloud && auth === 'token' ? token : undefined,
      markdown: format === 'markdown' ? true : undefined,
    });
  },
};

/** apprise/plugins/gotify.py GOTIFY_PRIORITY_MAP, in its order ('10' before '1'). */
const GOTIFY_PRIORITY: [string, number][] = [
  ['l', 0],
  ['m', 3],
  ['n', 5],
  ['h', 8],
  ['e', 10],
  ['10', 10],
  ['0', 0],
  ['1', 0],
  ['2', 0],
  ['3', 3],
  ['4', 3],
  ['5', 5],
  ['6', 5],
  ['7', 5],
  ['8', 8],
  ['9', 8],
];

/** apprise/plugins/gotify.py parse_url: the last path token is the app token, the rest the server's path. */
const gotify: ServiceSpec = {
  service: 'Gotify',
  schemes: ['gotify', 'gotifys'],
  example: 'gotifys://gotify.example.org/AppToken?priority=high',
  options: ['priority', 'format'],
  build(p, fail) {
    if (!p.host) fail(why('serverHost'));
    const token = p.path.at(-1);
    if (!token) fail(why('appToken'));
    const prefix = p.path.slice(0, -1).map(encodeURIComponent).join('/');
    return defined({
      type: 'gotify',
      url: `${baseUrl(p)}/${prefix ? `${prefix}/` : ''}`,
      token,
      priority: byPrefix(p.qsd.priority, GOTIFY_PRIORITY, 'priority', fail),
      markdown: formatOption(p, ['text', 'markdown', 'html'], fail) === 'markdown' ? true : undefined,
    });
  },
};

/** apprise/plugins/telegram.py parse_url: `tgram://[bot]123456:ABC…/chat_id…`; the token's `:` is read before the grammar. */
const TGRAM = /^tgram:\/\/(?:bot)?((?:[a-z0-9_-]+(?::[a-z0-9_-]+)?@)?)(\d+)(?::|%3A)+(.*)$/i;

const telegram: ServiceSpec = {
  service: 'Telegram',
  schemes: ['tgram'],
  example: 'tgram://123456789:ABCdef…/chat_id',
  options: ['to', 'topic', 'thread', 'silent', 'preview', 'format'],
  build(p, fail) {
    const [secondHalf, ...chats] = p.path;
    if (!/^\d+$/.test(p.host) || !secondHalf) fail(why('botToken'));
    const chatIds = [...chats, ...splitList(p.qsd.to)];
    if (chatIds.length === 0) fail(why('chatId'));
    const format = formatOption(p, ['text', 'markdown', 'html'], fail) ?? 'html';
    return defined({
      type: 'telegram',
      token: `${p.host}:${secondHalf}`,
      chatIds,
      topic: intOption(p.qsd.topic || p.qsd.thread, 'topic', fail),
      silent: optBool(p.qsd.silent),
      preview: optBool(p.qsd.preview),
      format,
    });
  },
};

/** apprise/plugins/pushover.py PUSHOVER_PRIORITY_MAP, in its order. */
const PUSHOVER_PRIORITY: [string, number][] = [
  ['l', -2],
  ['m', -1],
  ['n', 0],
  ['h', 1],
  ['e', 2],
  ['-2', -2],
  ['-1', -1],
  ['0', 0],
  ['1', 1],
  ['2', 2],
];

/** apprise/plugins/pushover.py parse_url: `pover://user_key@app_token[/device…]`. */
const pushover: ServiceSpec = {
  service: 'Pushover',
  schemes: ['pover'],
  example: 'pover://user_key@app_token[/device]?priority=high&sound=siren',
  options: ['to', 'priority', 'sound', 'url', 'url_title', 'expire', 'interval'],
  build(p, fail) {
    if (!p.user) fail(why('pushoverKeys'));
    const devices = [...p.path, ...splitList(p.qsd.to)];
    const priority = byPrefix(p.qsd.priority, PUSHOVER_PRIORITY, 'priority', fail);
    // pushover.py: an emergency message repeats every `interval` s (default 900) until `expire` s (default 3600).
    const emergency = priority === 2;
    return defined({
      type: 'pushover',
      user: p.user,
      token: p.host,
      devices: devices.length > 0 ? devices : undefined,
      priority,
      sound: p.qsd.sound || undefined,
      url: p.qsd.url || undefined,
      urlTitle: p.qsd.url_title || undefined,
      retry: intOption(p.qsd.interval, 'interval', fail) ?? (emergency ? 900 : undefined),
      expire: intOption(p.qsd.expire, 'expire', fail) ?? (emergency ? 3600 : undefined),
    });
  },
};

/** apprise/plugins/matrix/base.py parse_url: t2bot webhook, user login or access token; rooms in the path. */
const matrix: ServiceSpec = {
  service: 'Matrix',
  schemes: ['matrix', 'matrixs'],
  example: 'matrixs://user:password@matrix.example.org/#room:example.org or matrix://t2bot_webhook_id',
  options: ['to', 'mode', 'msgtype', 'token', 'version', 'v'],
  build(p, fail) {
    if (!p.host) fail(why('matrixHost'));
    const rooms = [...p.path, ...splitList(p.qsd.to)];
    const mode = p.qsd.mode?.toLowerCase() || (!p.password && rooms.length === 0 ? 't2bot' : 'off');
    if (mode !== 't2bot' && mode !== 'off') fail(why('matrixMode', { value: mode }));
    const version = p.qsd.version || p.qsd.v;
    if (version !== undefined && version !== '3') fail(why('matrixVersion', { value: version }));
    const msgtype = p.qsd.msgtype?.toLowerCase() || undefined;
    if (mode === 't2bot') return defined({ type: 'matrix', mode: 't2bot', url: T2BOT_HOOK_URL, token: p.qsd.token || p.host, msgtype });
    let user = p.user;
    let password = p.password;
    if (p.qsd.token) password = p.qsd.token;
    else if (!password && user) {
      password = user;
      user = undefined;
    }
    if (!password) fail(why('matrixAuth'));
    return defined(
      user
        ? { type: 'matrix', mode: 'login', url: baseUrl(p), user, password, rooms, msgtype }
        : { type: 'matrix', mode: 'token', url: baseUrl(p), token: password, rooms, msgtype },
    );
  },
};

function webhook(format: 'json' | 'form' | 'xml', _source: string): ServiceSpec {
  return {
    service: `${format.toUpperCase()} webhook`,
    schemes: [format, `${format}s`],
    example: `${format}s://user:password@host[:port]/path?+X-Token=abc&method=PUT&:message=text&-key=value`,
    options: ['method'],
    headers: true,
    payload: true,
    /** `apprise/plugins/${source}` parse_url: `+` headers, `-` query parameters, `:` payload fields, method. */
    build(p, fail) {
      if (!/^([A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?|\[[0-9a-f:.]+\])$/i.test(p.host)) fail(p.host ? why('notHost', { host: p.host }) : why('needsHost'));
      const target = new URL(`${baseUrl(p)}${p.fullpath || '/'}`);
      if (p.user) target.username = encodeURIComponent(p.user);
      if (p.password) target.password = encodeURIComponent(p.password);
      const method = p.qsd.method?.toUpperCase() || undefined;
      const nonEmpty = (o: Record<string, string>) => (Object.keys(o).length > 0 ? o : undefined);
      return defined({
        type: 'webhook',
        url: target.toString(),
        format,
        method,
        headers: nonEmpty(p.add),
        params: nonEmpty(p.del),
        payload: nonEmpty(p.colon),
      });
    },
  };
}

export const APPRISE_SERVICES: readonly ServiceSpec[] = [
  discord,
  slack,
  email,
  webhook('json', 'custom_json.py'),
  webhook('form', 'custom_form.py'),
  webhook('xml', 'custom_xml.py'),
  ntfy,
  gotify,
  telegram,
  pushover,
  matrix,
];

const BY_SCHEME = new Map(APPRISE_SERVICES.flatMap((s) => s.schemes.map((scheme) => [scheme, s] as const)));
export const SUPPORTED_SCHEMES: readonly string[] = [...BY_SCHEME.keys()];

/**
 * The native URLs Apprise recognises when a URL's scheme is none of its own (parse_native_url):
 * discord.py (discord.com and the legacy discordapp.com) and slack.py (hooks.slack.com, hooks.slack-gov.com).
 */
const NATIVE: { re: RegExp; rewrite: (m: RegExpExecArray) => string }[] = [
  {
    re: /^https?:\/\/discord(?:app)?\.com\/api\/webhooks\/(\d+)\/([A-Z0-9_-]+)\/?(\?.+)?$/i,
    rewrite: (m) => `discord://${m[1]}/${m[2]}/${m[3] ?? ''}`,
  },
  {
    re: /^https?:\/\/hooks\.slack\.com\/services\/([A-Z0-9]+)\/([A-Z0-9]+)\/([A-Z0-9]+)\/?(\?.+)?$/i,
    rewrite: (m) => `slack://${m[1]}/${m[2]}/${m[3]}/${m[4] ?? ''}`,
  },
];

/** Which options of the URL this service does not take: names as the user wrote them. */
function unsupportedOptions(spec: ServiceSpec, p: AppriseUrlParts): string[] {
  const bad: string[] = [];
  for (const key of Object.keys(p.qsd)) {
    const mark = key.slice(0, 1);
    if ((mark === '+' || mark === ' ') && spec.headers) continue;
    if ((mark === '-' || mark === ':') && spec.payload) continue;
    if (GRAMMAR_OPTIONS.includes(key) || spec.options.includes(key)) continue;
    bad.push(key);
  }
  return bad;
}

/** The URL made into a channel object; AppriseUrlError names the scheme and the problem, never a secret. */
export function parseAppriseUrl(raw: string, index = 0): AppriseChannel {
  let url = raw.trim();
  let scheme = schemeOf(url);
  if (scheme === 'http' || scheme === 'https') {
    const native = NATIVE.map(({ re, rewrite }) => {
      const m = re.exec(url);
      return m ? rewrite(m) : undefined;
    }).find(Boolean);
    if (!native) {
      throw urlError('httpPasted', { scheme: scheme ?? '' });
    }
    url = native;
    scheme = schemeOf(url);
  }
  const spec = scheme === undefined ? undefined : BY_SCHEME.get(scheme);
  if (!spec) {
    if (scheme === undefined) throw urlError('notUrlSchemes', { schemes: SUPPORTED_SCHEMES.map((s) => `${s}://`).join(', ') });
    throw urlError('unsupportedScheme', { scheme, schemes: SUPPORTED_SCHEMES.map((s) => `${s}://`).join(', ') });
  }
  if (scheme === 'tgram') {
    const m = TGRAM.exec(url);
    if (!m) throw urlError('failed', { scheme: 'tgram', why: why('botToken'), example: telegram.example });
    url = `tgram://${m[1]}${m[2]}/${m[3]}`;
  }
  if (scheme === 'pover') {
    // pushover.py: a "#" before the options is part of a device name, not the end of the URL.
    const q = url.indexOf('?');
    url = (q === -1 ? url : url.slice(0, q)).replace(/#/g, '%23') + (q === -1 ? '' : url.slice(q));
  }
  const fail = (reason: LocalText): never => {
    throw urlError('failed', { scheme: scheme ?? '', why: reason, example: spec.example });
  };
  const parts = parseAppriseParts(url);
  const bad = unsupportedOptions(spec, parts);
  if (bad.length > 0) {
    const known = [...spec.options, ...(spec.headers ? ['+Header'] : []), ...(spec.payload ? ['-param', ':field'] : [])];
    fail(why('options', { count: bad.length, options: bad.map((b) => `"${b}"`).join(', '), service: spec.service, known: known.join(', ') }));
  }
  return { name: `${scheme}-${index + 1}`, ...spec.build(parts, fail) };
}

export { decode };
