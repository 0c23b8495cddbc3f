/**
 * The Discord Gateway connection (v10, JSON), on @discordjs/ws with @discordjs/rest for
 * `GET {apiUrl}/v10/gateway/bot`. What the library already does, read in its source (2.0.4,
 * dist/index.mjs, WebSocketShard), and is therefore not redone here:
 * - the first heartbeat after `heartbeat_interval × random`, then every interval (Hello handler);
 * - zombie detection: a heartbeat due while the previous one was not ACKed closes (4200) and resumes;
 * - op 7 and resumable closes (1006, 4000, 4009, …): reconnect to `resume_gateway_url` and Resume with
 *   session_id and seq; op 9 `d:true` resumes, `d:false` drops the session and identifies anew;
 * - identify throttled per `max_concurrency` bucket from /gateway/bot (SimpleIdentifyThrottler, 5 s);
 * - 4004, 4010–4014 end the shard without reconnecting.
 * What it lacks, added here through its option hooks:
 * - its reconnects wait a fixed 500 ms, forever: every reconnect after a close waits a bounded, jittered,
 *   growing delay (`retrieveSessionInfo`, which the shard calls just before each connection);
 * - op 9 `d:false` asks for a 1–5 s wait before identifying (reference, Gateway v10): every identify but the
 *   first waits that (the identify throttler), which costs nothing for the other re-identifies;
 * - its sessions live in a module-wide store shared by every manager in the process: ours is per client;
 * - its stop errors ("Authentication failed") name neither the setting nor the intent: ours do, and a
 *   stop is reported once (state `stopped` with the reason) instead of leaving a connect() pending.
 */
import { REST } from '@discordjs/rest';
import { SimpleIdentifyThrottler, WebSocketManager, WebSocketShardEvents, type SessionInfo } from '@discordjs/ws';
import { DISCORD_API_URL } from '../config/index.js';
import { backoffDelay, describeError, makeRedactor, silentLogger, systemClock, type Clock, type Logger } from '../lib/index.js';

/** Intent bits (discord-api-docs, gateway "List of Intents"): the three the reference names. */
export const GATEWAY_INTENTS = { guilds: 1 << 0, guildMessages: 1 << 9, messageContent: 1 << 15 } as const;
export const INGEST_INTENTS = GATEWAY_INTENTS.guilds | GATEWAY_INTENTS.guildMessages | GATEWAY_INTENTS.messageContent;

/** First reconnect delay: a cut or op 7 is resumed within about a second (the library adds its own 500 ms). */
export const RECONNECT_BASE_MS = 250;
/** No reconnect waits longer: an outage of hours still reconnects within a minute of its end. */
export const RECONNECT_MAX_MS = 60_000;
/** Reference (Gateway v10): after op 9 d:false wait 1–5 s before identifying anew. */
export const REIDENTIFY_MIN_MS = 1_000;
export const REIDENTIFY_MAX_MS = 5_000;

/** Close codes that end the connection for good (discord-api-docs, opcodes-and-status-codes), with what to fix. */
function stopReason(code: number, tokenSetting: string): string | undefined {
  switch (code) {
    case 4004:
      return `Discord refused the bot token (gateway close 4004): check ${tokenSetting}`;
    case 4014:
      return 'Discord refused the privileged Message Content intent (gateway close 4014): enable "Message Content Intent" for the bot in the Discord Developer Portal (Bot tab)';
    case 4013:
      return 'Discord refused the intents as invalid (gateway close 4013)';
    case 4012:
      return 'Discord refused the gateway API version (gateway close 4012)';
    case 4010:
    case 4011:
      return `Discord refused the shard layout (gateway close ${code})`;
    default:
      return undefined;
  }
}

export type GatewayStatus = 'connecting' | 'connected' | 'resuming' | 'reconnecting' | 'stopped';

export interface GatewayState {
  status: GatewayStatus;
  /** ISO time the status began. */
  since: string;
  /** Why it stopped (or the last close that caused a reconnect). */
  reason?: string;
  /** Last close code seen. */
  closeCode?: number;
  /** Reconnects since the last READY/RESUMED. */
  attempts: number;
  /** A stop that needs a person (bad token, intent): no reconnect will be tried. */
  fatal?: boolean;
}

/** A dispatch (op 0) as the gateway sent it. */
export interface GatewayDispatch {
  t: string;
  s: number;
  d: unknown;
}

export interface GatewayClientOptions {
  token: string;
  /** Default https://discord.com/api; the simulator's URL in tests and the demo. */
  apiUrl?: string;
  intents?: number;
  logger?: Logger;
  /** How the token setting is called for the user (config key or variable). */
  tokenSetting?: string;
  /** Every dispatch, READY and RESUMED included, in order; awaited before the next one is handed over. */
  onDispatch: (event: GatewayDispatch) => void | Promise<void>;
  onState?: (state: GatewayState) => void;
  reconnect?: { baseMs?: number; maxMs?: number };
  /** Injected for tests (jitter). */
  random?: () => number;
  /** Our waits (reconnect backoff, the 1–5 s before a new identify) and the state's times; the library's own timers stay real. */
  clock?: Clock;
}

export interface GatewayClient {
  /** Connects; resolves once the first connection attempt is under way (the state tells the rest). */
  start(): Promise<void>;
  /** Closes with 1000 (the session is not kept); resolves when closed. */
  stop(): Promise<void>;
  state(): GatewayState;
  /** Resolves when the client stops for good (a fatal close or stop()). */
  stopped: Promise<GatewayState>;
}

/** Never resolves: what a connection attempt waits on once the client has stopped, so it never connects. */
const forever = (): Promise<never> => new Promise(() => undefined);

export function createGatewayClient(opts: GatewayClientOptions): GatewayClient {
  const logger = opts.logger ?? silentLogger;
  const random = opts.random ?? Math.random;
  const clock = opts.clock ?? systemClock;
  const baseMs = opts.reconnect?.baseMs ?? RECONNECT_BASE_MS;
  const maxMs = opts.reconnect?.maxMs ?? RECONNECT_MAX_MS;
  const tokenSetting = opts.tokenSetting ?? 'discord.token / tokenFile';
  const redact = makeRedactor([opts.token]);
  const halt = new AbortController();
  let session: SessionInfo | null = null;
  let closedSinceConnect = false;
  let identifies = 0;
  let state: GatewayState = { status: 'connecting', since: clock.now().toISOString(), attempts: 0 };
  let resolveStopped!: (s: GatewayState) => void;
  const stopped = new Promise<GatewayState>((resolve) => (resolveStopped = resolve));
  /** Dispatches are handed over one after another, in the gateway's order. */
  let chain: Promise<void> = Promise.resolve();

  const setState = (next: Omit<GatewayState, 'since'>): void => {
    state = { ...next, since: clock.now().toISOString() };
    opts.onState?.(state);
    if (next.status === 'stopped') resolveStopped(state);
  };

  const stopFor = (reason: string, extra: { closeCode?: number; fatal?: boolean } = {}): void => {
    if (state.status === 'stopped') return;
    halt.abort();
    setState({ status: 'stopped', reason, attempts: state.attempts, ...extra });
    if (extra.fatal) logger.error(`Discord gateway stopped: ${reason}`);
  };

  const rest = new REST({ version: '10', api: (opts.apiUrl ?? DISCORD_API_URL).replace(/\/+$/, ''), hashSweepInterval: 0, handlerSweepInterval: 0 }).setToken(
    opts.token,
  );

  const manager = new WebSocketManager({
    token: opts.token,
    intents: (opts.intents ?? INGEST_INTENTS) as 0,
    rest,
    // Ours alone (the library's default store is shared by the whole process).
    retrieveSessionInfo: async () => {
      if (closedSinceConnect) {
        // Called by the shard just before it opens a new connection after a close: the backoff goes here.
        closedSinceConnect = false;
        const attempts = state.attempts + 1;
        const delay = backoffDelay(attempts, baseMs, maxMs, random);
        setState({
          status: session ? 'resuming' : 'reconnecting',
          attempts,
          ...(state.reason ? { reason: state.reason } : {}),
          ...(state.closeCode ? { closeCode: state.closeCode } : {}),
        });
        logger.info('Discord gateway reconnecting', { attempt: attempts, delayMs: delay, resume: session !== null });
        await clock.sleep(delay, halt.signal);
      }
      if (halt.signal.aborted) return forever();
      return session;
    },
    updateSessionInfo: (_shardId, info) => {
      session = info;
    },
    buildIdentifyThrottler: async (m) => {
      const info = await m.fetchGatewayInformation();
      const inner = new SimpleIdentifyThrottler(info.session_start_limit.max_concurrency);
      return {
        waitForIdentify: async (shardId, signal) => {
          identifies += 1;
          if (identifies > 1) await clock.sleep(REIDENTIFY_MIN_MS + random() * (REIDENTIFY_MAX_MS - REIDENTIFY_MIN_MS), signal);
          await inner.waitForIdentify(shardId, signal);
        },
      };
    },
  });

  manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    const event: GatewayDispatch = { t: payload.t, s: payload.s, d: payload.d };
    const handle = async (): Promise<void> => {
      await opts.onDispatch(event);
      // Connected once the session's start is handled (a catch-up after READY has begun by then).
      if ((event.t === 'READY' || event.t === 'RESUMED') && state.status !== 'stopped') setState({ status: 'connected', attempts: 0 });
    };
    chain = chain.then(handle, handle);
    chain.catch((err: unknown) => logger.error('Discord gateway event not handled', { event: event.t, error: describeError(err) }));
  });
  manager.on(WebSocketShardEvents.Closed, (code) => {
    if (state.status === 'stopped') return;
    const reason = stopReason(code, tokenSetting);
    if (reason !== undefined) return stopFor(reason, { closeCode: code, fatal: true });
    closedSinceConnect = true;
    state = { ...state, closeCode: code, reason: `connection closed (${code})` };
  });
  // The library also emits an error for the fatal closes handled above; other errors are socket noise it recovers from.
  manager.on(WebSocketShardEvents.Error, (err) => logger.debug('Discord gateway error', { error: redact(describeError(err)) }));
  manager.on(WebSocketShardEvents.SocketError, (err) => logger.debug('Discord gateway socket error', { error: redact(describeError(err)) }));

  /** /gateway/bot or the first connection failed before any shard ran: retried with backoff unless the token was refused. */
  const connect = async (): Promise<void> => {
    for (let attempt = 1; !halt.signal.aborted; attempt++) {
      try {
        await manager.connect();
        return;
      } catch (err) {
        if (halt.signal.aborted || state.status === 'stopped') return;
        const status = (err as { status?: unknown }).status;
        if (status === 401) return stopFor(`Discord refused the bot token (401 on GET /v10/gateway/bot): check ${tokenSetting}`, { fatal: true });
        const delay = backoffDelay(attempt, baseMs * 4, maxMs, random);
        setState({ status: 'reconnecting', attempts: attempt, reason: redact(describeError(err)) });
        logger.warn('Discord gateway could not connect', { attempt, delayMs: delay, error: redact(describeError(err)) });
        await clock.sleep(delay, halt.signal);
      }
    }
  };

  return {
    start: async () => {
      void connect();
      await Promise.resolve();
    },
    stop: async () => {
      if (state.status !== 'stopped') stopFor('stopped');
      halt.abort();
      await Promise.resolve(manager.destroy({ code: 1000, reason: 'campus-sync stopping' })).catch(() => undefined);
      await chain.catch(() => undefined);
    },
    state: () => state,
    stopped,
  };
}
