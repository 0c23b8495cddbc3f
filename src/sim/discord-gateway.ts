/**
 * Discord's Gateway v10, beside the REST simulator of discord.ts (which it starts and extends), as
 * /work/shared/reference/slots-and-alerts.md ("Discord", point "Gateway v10", from discord-api-docs
 * `events/gateway.mdx`) describes it:
 * - `GET /api/v10/gateway/bot` gives the URL, the recommended `shards` and `session_start_limit` with
 *   `max_concurrency`;
 * - a WebSocket on that URL (`?v=10&encoding=json`): Hello (op 10) with `heartbeat_interval`; every
 *   heartbeat (op 1) answered by an ACK (op 11); Identify (op 2: token, intents) → READY (`session_id`,
 *   `resume_gateway_url`); every dispatch (op 0) carries `s`;
 * - op 7 Reconnect; Resume (op 6: token, session_id, seq) → the missed dispatches replayed, then RESUMED;
 *   op 9 Invalid Session (`d:false`: identify anew; `d:true`: may resume);
 * - close 4004 on a bad token, 4014 on a privileged intent the application was not granted (Message
 *   Content here, the simulator's `messageContentIntent: false`).
 * MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE / MESSAGE_DELETE_BULK come from every change to a
 * channel's history, whichever way it was made (a user through the controls, the bot or a webhook by REST).
 * Controls cut connections (no close frame), stall them (no more ACKs or dispatches: a zombie), close them
 * with a code, or send op 7 / op 9, so a client's lifecycle can be tested.
 * Where the reference is silent, discord-api-docs' behaviour is followed and said in a comment.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { sendJson, startServer, type SimServer } from './http-util.js';
import { startDiscordSim, type DiscordSim, type DiscordSimChannelMessage, type DiscordSimHistoryChange, type DiscordSimOptions } from './discord.js';
import type { SimAnswer, SimCall } from './logged-server.js';

/** Gateway opcodes (discord-api-docs, opcodes-and-status-codes). */
export const GATEWAY_OP = { dispatch: 0, heartbeat: 1, identify: 2, resume: 6, reconnect: 7, invalidSession: 9, hello: 10, heartbeatAck: 11 } as const;
/** Intent bits (discord-api-docs, gateway "List of Intents"); the reference names these three. */
export const INTENTS = { guilds: 1 << 0, guildMessages: 1 << 9, messageContent: 1 << 15 } as const;
/** Gateway close codes (discord-api-docs, opcodes-and-status-codes). */
export const GATEWAY_CLOSE = {
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  invalidSeq: 4007,
  sessionTimedOut: 4009,
  invalidApiVersion: 4012,
  disallowedIntents: 4014,
} as const;

/** Discord's own Hello says 41250 ms; tests pass a few hundred. */
const DEFAULT_HEARTBEAT_INTERVAL_MS = 41_250;
/** discord-api-docs: identifies are limited per 5 s per rate-limit key (shard_id % max_concurrency). */
const IDENTIFY_WINDOW_MS = 5_000;
/** Discord's daily session starts for a small bot. */
const SESSION_START_TOTAL = 1000;
const DAY_MS = 86_400_000;
/** A resumable session is kept this long after its connection is gone (Discord does not publish a figure; a few minutes is what is observed). */
const SESSION_KEEP_MS = 3 * 60_000;

export interface DiscordGatewaySimOptions extends Omit<DiscordSimOptions, 'onHistoryChange' | 'extraRoute'> {
  heartbeatIntervalMs?: number;
  /** Recommended shard count answered by /gateway/bot (default 1). */
  shards?: number;
  /** session_start_limit.max_concurrency (default 1, as for every bot under 150,000 guilds). */
  maxConcurrency?: number;
}

export interface GatewayLogEntry {
  /** Which connection (counting from 1). */
  connection: number;
  dir: 'in' | 'out';
  op: number;
  t?: string;
  s?: number;
  /** The path the connection came in on: '/' (the URL of /gateway/bot) or '/resume' (resume_gateway_url). */
  path: string;
  at: number;
}

export interface DiscordGatewaySim extends DiscordSim {
  /** 'ws://127.0.0.1:<port>': what /gateway/bot answers. */
  gatewayUrl: string;
  /** Removes several messages at once, dispatched as one MESSAGE_DELETE_BULK. */
  deleteMessages(channelId: string, messageIds: string[]): void;
  /** Sends op 7 Reconnect on every open connection (the client should resume on resume_gateway_url). */
  requestReconnect(): void;
  /** Sends op 9 on every open connection; `resumable: false` also forgets the sessions, so what happens until the next identify is not delivered. */
  invalidateSessions(resumable: boolean): void;
  /** Drops every connection without a close frame (a network cut: the client sees 1006); sessions stay resumable. */
  cutConnections(): void;
  /** Open connections stop answering heartbeats and receiving dispatches (a zombie); new connections are normal. */
  stallConnections(): void;
  /** true: new connections are refused (the socket is dropped during the handshake, as when Discord is unreachable); their times are kept. */
  refuseConnections(on: boolean): void;
  /** When each refused connection attempt came (ms since epoch). */
  refusedAt: number[];
  /** Closes every open connection with this code (e.g. 4000, 4009). */
  closeConnections(code: number, reason?: string): void;
  /** What the gateway sent and received, in order (no payload bodies: tokens stay out of logs). */
  gatewayLog: GatewayLogEntry[];
  /** Connections open now. */
  openConnections(): number;
  /** Identify / Resume payloads received (counts), and how many sessions reached READY / RESUMED. */
  gatewayStats(): { connections: number; identifies: number; resumes: number; ready: number; resumed: number; invalidated: number };
  /** Resolves at the next gateway log entry matching `pred` (or at once if one at or after `since` already does). */
  waitForGateway(pred: (e: GatewayLogEntry) => boolean, opts?: { since?: number; timeoutMs?: number }): Promise<GatewayLogEntry>;
}

interface Session {
  id: string;
  intents: number;
  shard: [number, number];
  seq: number;
  /** Every dispatch of the session, for replay on Resume (Discord replays from the client's seq). */
  sent: { s: number; t: string; d: unknown }[];
  socket: Conn | null;
  /** When its connection went away (for SESSION_KEEP_MS). */
  lostAt: number | null;
}

interface Conn {
  n: number;
  ws: WebSocket;
  path: string;
  session: Session | null;
  stalled: boolean;
}
/** Everything the Gateway simulator remembers: sessions, live connections, the log tests wait on, the switches. */
interface GatewayState {
  opts: DiscordGatewaySimOptions;
  heartbeatInterval: number;
  shards: number;
  maxConcurrency: number;
  botToken: string;
  contentIntent: boolean;
  sessions: Map<string, Session>;
  conns: Set<Conn>;
  gatewayLog: GatewayLogEntry[];
  waiters: { pred: (e: GatewayLogEntry) => boolean; resolve: (e: GatewayLogEntry) => void }[];
  identifyTimes: Map<number, number[]>;
  stats: { connections: number; identifies: number; resumes: number; ready: number; resumed: number; invalidated: number };
  startsUsed: number;
  suppressDeletes: boolean;
  gatewayUrl: string;
  refusing: boolean;
  refusedAt: number[];
}

function newGatewayState(opts: DiscordGatewaySimOptions): GatewayState {
  return {
    opts,
    heartbeatInterval: opts.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    shards: opts.shards ?? 1,
    maxConcurrency: opts.maxConcurrency ?? 1,
    botToken: opts.botToken ?? 'test-bot-token',
    contentIntent: opts.messageContentIntent ?? true,
    sessions: new Map(),
    conns: new Set(),
    gatewayLog: [],
    waiters: [],
    identifyTimes: new Map(),
    stats: { connections: 0, identifies: 0, resumes: 0, ready: 0, resumed: 0, invalidated: 0 },
    startsUsed: 0,
    suppressDeletes: false,
    gatewayUrl: '',
    refusing: false,
    refusedAt: [],
  };
}

/** discord-api-docs (sharding): a guild's events go to shard (guild_id >> 22) % num_shards. */
const shardOf = (guildId: string, count: number): number => Number((BigInt(guildId) >> 22n) % BigInt(count));

/** Sending on a connection, logging both ways (and waking the tests that wait on the log), dispatching to a session. */
interface GatewayWire {
  log(c: Conn, dir: 'in' | 'out', payload: { op: number; t?: string | null; s?: number | null }): void;
  send(c: Conn, payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void;
  dispatch(session: Session, t: string, d: unknown): void;
  close(c: Conn, code: number, reason: string): void;
}

function gatewayWire(s: GatewayState): GatewayWire {
  const { gatewayLog, waiters } = s;

  const log = (c: Conn, dir: 'in' | 'out', payload: { op: number; t?: string | null; s?: number | null }): void => {
    const entry: GatewayLogEntry = { connection: c.n, dir, op: payload.op, path: c.path, at: Date.now() };
    if (payload.t) entry.t = payload.t;
    if (typeof payload.s === 'number') entry.s = payload.s;
    gatewayLog.push(entry);
    for (const w of [...waiters]) {
      if (w.pred(entry)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
  };

  const send = (c: Conn, payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void => {
    if (c.stalled || c.ws.readyState !== c.ws.OPEN) return;
    log(c, 'out', payload);
    c.ws.send(JSON.stringify({ s: null, t: null, ...payload }));
  };

  /** Records a dispatch in the session (for replay) and sends it if the session has a live connection. */
  const dispatch = (session: Session, t: string, d: unknown): void => {
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.sent.push(event);
    if (session.socket) send(session.socket, { op: GATEWAY_OP.dispatch, ...event });
  };

  const close = (c: Conn, code: number, reason: string): void => {
    if (c.ws.readyState === c.ws.OPEN) c.ws.close(code, reason);
  };

  return { log, send, dispatch, close };
}

/** Turns the REST simulator's history changes into MESSAGE_* dispatches to the sessions that should see them. */
function historyDispatcher(s: GatewayState, wire: GatewayWire): (change: DiscordSimHistoryChange) => void {
  const { sessions } = s;
  const { dispatch } = wire;

  /** Without the Message Content intent, others' content, embeds and attachments arrive blank (reference, "Silent failures when reading"). */
  const forIntents = (session: Session, m: DiscordSimChannelMessage): DiscordSimChannelMessage =>
    (session.intents & INTENTS.messageContent) !== 0 ? m : { ...m, content: '', embeds: [], attachments: [] };

  const onChange = (change: DiscordSimHistoryChange): void => {
    if (change.kind === 'delete' && s.suppressDeletes) return;
    const now = Date.now();
    for (const session of sessions.values()) {
      if (session.socket === null && session.lostAt !== null && now - session.lostAt > SESSION_KEEP_MS) {
        sessions.delete(session.id);
        continue;
      }
      if ((session.intents & INTENTS.guildMessages) === 0) continue;
      if (shardOf(change.guildId, session.shard[1]) !== session.shard[0]) continue;
      // Gateway message events carry guild_id, unlike REST message objects (reference: "guild_id?").
      if (change.kind === 'delete') dispatch(session, 'MESSAGE_DELETE', { id: change.messageId, channel_id: change.channelId, guild_id: change.guildId });
      else
        dispatch(session, change.kind === 'create' ? 'MESSAGE_CREATE' : 'MESSAGE_UPDATE', {
          ...forIntents(session, change.message),
          guild_id: change.guildId,
          member: {},
        });
    }
  };

  return onChange;
}

/** `GET /api/v10/gateway/bot`, served through the REST simulator's extra route. */
function gatewayBotRoute(s: GatewayState): (c: SimCall) => SimAnswer | null {
  const { shards, maxConcurrency, botToken } = s;

  const gatewayBot = (c: SimCall): SimAnswer | null => {
    if (c.path !== '/api/v10/gateway/bot') return null;
    if (c.headers.authorization !== `Bot ${botToken}`) return { status: 401, json: { message: '401: Unauthorized', code: 0 } };
    return {
      status: 200,
      json: {
        url: s.gatewayUrl,
        shards,
        session_start_limit: {
          total: SESSION_START_TOTAL,
          remaining: SESSION_START_TOTAL - s.startsUsed,
          reset_after: DAY_MS,
          max_concurrency: maxConcurrency,
        },
      },
    };
  };

  return gatewayBot;
}

/** What a connection's payloads do: heartbeat, Identify, Resume, and the closes for anything else. */
function gatewayOps(s: GatewayState, wire: GatewayWire, rest: DiscordSim): (c: Conn, raw: string) => void {
  const { maxConcurrency, botToken, sessions, identifyTimes, stats } = s;
  const { log, send, dispatch, close } = wire;

  const identify = (c: Conn, d: Record<string, unknown>): void => {
    stats.identifies += 1;
    if (c.session) return close(c, GATEWAY_CLOSE.alreadyAuthenticated, 'Already authenticated.');
    if (d.token !== botToken) return close(c, GATEWAY_CLOSE.authenticationFailed, 'Authentication failed.');
    const intents = typeof d.intents === 'number' ? d.intents : 0;
    // Message Content is privileged: asked for without being granted, Discord closes 4014 (reference).
    if ((intents & INTENTS.messageContent) !== 0 && !s.contentIntent) return close(c, GATEWAY_CLOSE.disallowedIntents, 'Disallowed intent(s).');
    const shardIn = Array.isArray(d.shard) ? (d.shard as number[]) : [0, 1];
    const shard: [number, number] = [shardIn[0] ?? 0, shardIn[1] ?? 1];
    // discord-api-docs: more identifies than max_concurrency per rate-limit key within 5 s earn op 9.
    const key = shard[0] % maxConcurrency;
    const now = Date.now();
    const recent = (identifyTimes.get(key) ?? []).filter((t) => now - t < IDENTIFY_WINDOW_MS);
    if (recent.length >= 1) {
      identifyTimes.set(key, recent);
      stats.invalidated += 1;
      return send(c, { op: GATEWAY_OP.invalidSession, d: false });
    }
    identifyTimes.set(key, [...recent, now]);
    s.startsUsed += 1;
    const session: Session = { id: randomBytes(16).toString('hex'), intents, shard, seq: 0, sent: [], socket: c, lostAt: null };
    sessions.set(session.id, session);
    c.session = session;
    stats.ready += 1;
    dispatch(session, 'READY', {
      v: 10,
      user: { id: '0', username: 'campus-sync-test-bot', bot: true },
      guilds: [{ id: rest.guildId, unavailable: true }],
      session_id: session.id,
      resume_gateway_url: `${s.gatewayUrl}/resume`,
      shard,
      application: { id: '0', flags: 0 },
    });
  };

  const resume = (c: Conn, d: Record<string, unknown>): void => {
    stats.resumes += 1;
    if (d.token !== botToken) return close(c, GATEWAY_CLOSE.authenticationFailed, 'Authentication failed.');
    const session = typeof d.session_id === 'string' ? sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === 'number' ? d.seq : -1;
    // An unknown or expired session cannot be resumed: op 9 d:false (discord-api-docs, "Resuming").
    if (!session || (session.socket === null && session.lostAt !== null && Date.now() - session.lostAt > SESSION_KEEP_MS)) {
      stats.invalidated += 1;
      return send(c, { op: GATEWAY_OP.invalidSession, d: false });
    }
    if (seq > session.seq) return close(c, GATEWAY_CLOSE.invalidSeq, 'Invalid seq.');
    if (session.socket && session.socket !== c) close(session.socket, 4000, 'Session resumed elsewhere.');
    session.socket = c;
    session.lostAt = null;
    c.session = session;
    // Replayed in order, then RESUMED (discord-api-docs: "the Gateway will replay missed events").
    for (const e of session.sent.filter((x) => x.s > seq)) send(c, { op: GATEWAY_OP.dispatch, ...e });
    stats.resumed += 1;
    dispatch(session, 'RESUMED', null);
  };

  const onMessage = (c: Conn, raw: string): void => {
    if (c.stalled) return;
    let payload: { op?: unknown; d?: unknown };
    try {
      payload = JSON.parse(raw) as { op?: unknown; d?: unknown };
    } catch {
      return close(c, GATEWAY_CLOSE.decodeError, 'Error while decoding payload.');
    }
    const op = typeof payload.op === 'number' ? payload.op : -1;
    log(c, 'in', { op });
    const d = payload.d !== null && typeof payload.d === 'object' ? (payload.d as Record<string, unknown>) : {};
    if (op === GATEWAY_OP.heartbeat) return send(c, { op: GATEWAY_OP.heartbeatAck, d: null });
    if (op === GATEWAY_OP.identify) return identify(c, d);
    if (op === GATEWAY_OP.resume) return resume(c, d);
    if (!c.session) return close(c, GATEWAY_CLOSE.notAuthenticated, 'Not authenticated.');
    // Presence, voice and member requests are not simulated; anything else is an unknown opcode.
    if (op !== 3 && op !== 4 && op !== 8) close(c, GATEWAY_CLOSE.unknownOpcode, 'Unknown opcode.');
  };

  return onMessage;
}

/** WebSocket upgrades on the server: refused while `refusing`, else a connection greeted with Hello. */
function acceptConnections(s: GatewayState, server: SimServer, wss: WebSocketServer, wire: GatewayWire, onMessage: (c: Conn, raw: string) => void): void {
  const { heartbeatInterval, conns, stats, refusedAt } = s;
  const { send, close } = wire;
  server.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (s.refusing) {
      refusedAt.push(Date.now());
      socket.destroy();
      return;
    }
    // Only v10 JSON is served here (reference: connect with `?v=10&encoding=json`).
    wss.handleUpgrade(req, socket, head, (ws) => {
      stats.connections += 1;
      const c: Conn = { n: stats.connections, ws, path: url.pathname, session: null, stalled: false };
      conns.add(c);
      ws.on('message', (data) => onMessage(c, data.toString()));
      ws.on('close', () => {
        conns.delete(c);
        if (c.session && c.session.socket === c) {
          c.session.socket = null;
          c.session.lostAt = Date.now();
        }
      });
      ws.on('error', () => undefined);
      if (url.searchParams.get('v') !== '10') return close(c, GATEWAY_CLOSE.invalidApiVersion, 'Invalid API version.');
      if ((url.searchParams.get('encoding') ?? 'json') !== 'json') return close(c, GATEWAY_CLOSE.decodeError, 'Only JSON is simulated.');
      send(c, { op: GATEWAY_OP.hello, d: { heartbeat_interval: heartbeatInterval } });
    });
  });
}

/** What tests hold: the REST simulator's handle plus the Gateway's controls and log. */
function gatewayHandle(s: GatewayState, wire: GatewayWire, rest: DiscordSim, server: SimServer, wss: WebSocketServer): DiscordGatewaySim {
  const { sessions, conns, gatewayLog, waiters, stats, refusedAt } = s;
  const { send, dispatch, close } = wire;
  return {
    ...rest,
    gatewayUrl: s.gatewayUrl,
    setMessageContentIntent: (enabled) => {
      s.contentIntent = enabled;
      rest.setMessageContentIntent(enabled);
    },
    deleteMessages: (channelId, messageIds) => {
      s.suppressDeletes = true;
      try {
        for (const id of messageIds) rest.deleteMessage(channelId, id);
      } finally {
        s.suppressDeletes = false;
      }
      const guildId = rest.channelGuild(channelId) ?? rest.guildId;
      for (const session of sessions.values()) {
        if ((session.intents & INTENTS.guildMessages) === 0 || shardOf(guildId, session.shard[1]) !== session.shard[0]) continue;
        dispatch(session, 'MESSAGE_DELETE_BULK', { ids: messageIds, channel_id: channelId, guild_id: guildId });
      }
    },
    requestReconnect: () => {
      for (const c of conns) send(c, { op: GATEWAY_OP.reconnect, d: null });
    },
    invalidateSessions: (resumable) => {
      for (const c of conns) {
        stats.invalidated += 1;
        send(c, { op: GATEWAY_OP.invalidSession, d: resumable });
        if (!resumable && c.session) {
          sessions.delete(c.session.id);
          c.session = null;
        }
      }
    },
    cutConnections: () => {
      for (const c of conns) c.ws.terminate();
    },
    stallConnections: () => {
      for (const c of conns) {
        c.stalled = true;
        // The stalled connection no longer carries the session's dispatches; a Resume elsewhere replays them.
        if (c.session && c.session.socket === c) {
          c.session.socket = null;
          c.session.lostAt = Date.now();
        }
      }
    },
    refuseConnections: (on) => {
      s.refusing = on;
    },
    refusedAt,
    closeConnections: (code, reason = '') => {
      for (const c of conns) close(c, code, reason);
    },
    gatewayLog,
    openConnections: () => conns.size,
    gatewayStats: () => ({ ...stats }),
    waitForGateway: (pred, wopts = {}) => {
      const since = wopts.since ?? Number.POSITIVE_INFINITY;
      const found = gatewayLog.find((e) => e.at >= since && pred(e));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        if (wopts.timeoutMs !== undefined) {
          setTimeout(() => {
            const i = waiters.indexOf(w);
            if (i !== -1) {
              waiters.splice(i, 1);
              reject(new Error(`no gateway event matched within ${wopts.timeoutMs} ms`));
            }
          }, wopts.timeoutMs).unref();
        }
      });
    },
    close: async () => {
      for (const c of conns) c.ws.terminate();
      wss.close();
      await server.close();
      await rest.close();
    },
  };
}

export async function startDiscordGatewaySim(opts: DiscordGatewaySimOptions = {}): Promise<DiscordGatewaySim> {
  const s = newGatewayState(opts);
  const wire = gatewayWire(s);
  const rest = await startDiscordSim({ ...opts, onHistoryChange: historyDispatcher(s, wire), extraRoute: gatewayBotRoute(s) });
  const wss = new WebSocketServer({ noServer: true });
  const server: SimServer = await startServer((_req, res) => sendJson(res, 404, { message: '404: Not Found', code: 0 }));
  s.gatewayUrl = `ws://127.0.0.1:${server.port}`;
  acceptConnections(s, server, wss, wire, gatewayOps(s, wire, rest));
  return gatewayHandle(s, wire, rest, server, wss);
}
