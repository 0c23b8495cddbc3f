/**
 * A local Slack incoming-webhook endpoint as /work/shared/reference/slots-and-alerts.md describes it:
 * POST a JSON message to `/services/T../B../X..`, answered `ok` or a plain-text error string
 * (400 invalid_payload, 403 invalid_token, 404 channel_not_found, 410 channel_is_archived, 500 rollup_error).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { startLoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

export interface SlackSimOptions {
  latencyMs?: number;
  /** Whose timer `latencyMs` waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
}

export interface SlackSimMessage {
  /** The full webhook URL the message was posted to. */
  webhook: string;
  body: any;
}

export interface SlackSim {
  url: string;
  /** A registered webhook: the full URL `${url}/services/T…/B…/X…`. */
  createWebhook(): string;
  /**
   * A bot token (xoxb-…) that may post to these channels through `POST /api/chat.postMessage`
   * (api.slack.com/methods/chat.postMessage: Bearer token, JSON {channel, text, blocks}; answers 200
   * `{ok:true,channel,ts}` or `{ok:false,error}` — invalid_auth, channel_not_found, not_in_channel).
   */
  createBot(channels: string[]): string;
  /** Messages posted by bots: channel as the client named it. */
  botMessages(): { token: string; channel: string; body: any }[];
  /** Afterwards 410 `channel_is_archived`. */
  archive(webhookUrl: string): void;
  /** Afterwards 403 `invalid_token`. */
  revoke(webhookUrl: string): void;
  messages(): SlackSimMessage[];
  failNext(n: number, status: 500): void;
  /**
   * The next n posts answer 429 `rate_limited` with `Retry-After` (default 1 s). Not in the reference
   * beyond "about 1 message/s"; Slack's documented web API answer to a burst.
   */
  rateLimitNext(n: number, retryAfterSeconds?: number): void;
  requests: SimLoggedRequest[];
  resetLog(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM_MIXED = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DEFAULT_RETRY_AFTER_SECONDS = 1;

function randomString(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

const plain = (status: number, text: string, headers?: Record<string, string>): SimAnswer => ({
  status,
  text,
  contentType: 'text/plain; charset=utf-8',
  ...(headers ? { headers } : {}),
});

type HookState = 'active' | 'archived' | 'revoked';

/** The body of a post: JSON, or the form-encoded `payload=<json>` Slack also accepts. */
function parsePayload(c: SimCall): unknown {
  const type = (c.headers['content-type'] ?? '').toLowerCase();
  let raw = c.rawBody;
  if (type.startsWith('application/x-www-form-urlencoded')) raw = new URLSearchParams(c.rawBody).get('payload') ?? '';
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function isValidMessage(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  const hasText = typeof b.text === 'string' && b.text.trim() !== '';
  const hasBlocks = Array.isArray(b.blocks) && b.blocks.length > 0;
  if (b.text !== undefined && typeof b.text !== 'string') return false;
  if (b.blocks !== undefined && !Array.isArray(b.blocks)) return false;
  if (b.attachments !== undefined && !Array.isArray(b.attachments)) return false;
  // As the team's brief asks: a message needs text or blocks (attachments alone are refused).
  return hasText || hasBlocks;
}

export async function startSlackSim(opts: SlackSimOptions = {}): Promise<SlackSim> {
  const hooks = new Map<string, HookState>(); // path → state
  const stored: { path: string; body: unknown }[] = [];
  const injected: SimAnswer[] = [];
  let base = '';

  const pathOf = (webhookUrl: string): string => (webhookUrl.startsWith('/') ? webhookUrl : new URL(webhookUrl).pathname);
  const setState = (webhookUrl: string, state: HookState): void => {
    const path = pathOf(webhookUrl);
    if (!hooks.has(path)) throw new Error(`unknown Slack webhook ${webhookUrl}`);
    hooks.set(path, state);
  };

  const bots = new Map<string, Set<string>>();
  const botStored: { token: string; channel: string; body: unknown }[] = [];
  const postMessage = (c: SimCall): SimAnswer => {
    const inj = injected.shift();
    if (inj) return inj;
    const token = (c.headers.authorization ?? '').replace(/^Bearer /, '');
    const channels = bots.get(token);
    if (!channels) return { status: 200, json: { ok: false, error: 'invalid_auth' } };
    const body = (c.body ?? {}) as { channel?: unknown };
    const channel = typeof body.channel === 'string' ? body.channel : '';
    if (!channels.has(channel.replace(/^#/, ''))) return { status: 200, json: { ok: false, error: 'channel_not_found' } };
    if (!isValidMessage(body)) return { status: 200, json: { ok: false, error: 'no_text' } };
    botStored.push({ token, channel, body });
    return { status: 200, json: { ok: true, channel: `C${randomString(ALNUM, 8)}`, ts: `${Date.now() / 1000}` } };
  };

  const route = (c: SimCall): SimAnswer => {
    if (c.method === 'POST' && c.path === '/api/chat.postMessage') return postMessage(c);
    if (!c.path.startsWith('/services/')) return plain(404, 'no_service');
    const state = hooks.get(c.path);
    if (state === undefined) return plain(404, 'channel_not_found');
    if (c.method !== 'POST') return plain(405, 'invalid_method');
    const inj = injected.shift();
    if (inj) return inj;
    if (state === 'revoked') return plain(403, 'invalid_token');
    if (state === 'archived') return plain(410, 'channel_is_archived');
    const body = parsePayload(c);
    if (!isValidMessage(body)) return plain(400, 'invalid_payload');
    stored.push({ path: c.path, body });
    return plain(200, 'ok');
  };

  const server = await startLoggedServer(route, { latencyMs: opts.latencyMs ?? 0, ...(opts.clock ? { clock: opts.clock } : {}) });
  base = server.url;
  return {
    url: base,
    createBot: (channels) => {
      const token = `xoxb-${randomString(ALNUM, 10)}-${randomString(ALNUM_MIXED, 24)}`;
      bots.set(token, new Set(channels.map((ch) => ch.replace(/^#/, ''))));
      return token;
    },
    botMessages: () => botStored.map((m) => ({ ...m, body: m.body })),
    createWebhook: () => {
      const path = `/services/T${randomString(ALNUM, 8)}/B${randomString(ALNUM, 10)}/${randomString(ALNUM_MIXED, 24)}`;
      hooks.set(path, 'active');
      return `${base}${path}`;
    },
    archive: (u) => setState(u, 'archived'),
    revoke: (u) => setState(u, 'revoked'),
    messages: () => stored.map((m) => ({ webhook: `${base}${m.path}`, body: m.body })),
    failNext: (n, status) => {
      for (let i = 0; i < n; i++) injected.push(plain(status, 'rollup_error'));
    },
    rateLimitNext: (n, retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS) => {
      for (let i = 0; i < n; i++) injected.push(plain(429, 'rate_limited', { 'Retry-After': String(retryAfterSeconds) }));
    },
    requests: server.requests,
    resetLog: server.resetLog,
    setLatency: server.setLatency,
    close: server.close,
  };
}
