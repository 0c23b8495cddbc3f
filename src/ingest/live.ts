/**
 * Live ingestion: the Gateway's message events into the store, nothing lost and nothing twice.
 * - Each configured channel's resume point is the newest message id stored (`discord:after:<channelId>`,
 *   the cursor polling also uses).
 * - A resumed session (RESUMED) replays what was missed: nothing else to do.
 * - A new session (READY: the first one, or after op 9 / a failed resume / a restart) may follow a gap:
 *   every channel is read by REST from its resume point (`after=`, 100 a page, rate limits honoured) while
 *   live events keep coming; rows are upserted by message id, so a message seen both ways is stored once.
 *   While a channel catches up, live events do not move its resume point past the gap (a crash then
 *   re-reads the gap instead of skipping it).
 * - Deletions made during a gap are invisible to REST (a deleted message is simply not listed): the
 *   polling fallback's re-read is the only way to see those.
 */
import { describeError, silentLogger, systemClock, type Clock } from '../lib/index.js';
import { readAfter } from './catchup.js';
import { readerFor, type DiscordSourceOptions, type IngestChannel } from './client.js';
import { createGatewayClient, type GatewayClient, type GatewayDispatch, type GatewayState } from './gateway.js';
import { problemOf, type ChannelOutcome } from './health.js';
import { learnThreads, liveOpOf, type LiveScope } from './live-events.js';
import { createLiveWriter, type FlushResult, type LiveSink } from './live-writer.js';
import { cursorKeys } from './sink.js';
import { maxSnowflake, snowflakeToMs } from './snowflake.js';

export interface LiveHealth {
  gateway: GatewayState;
  /** ISO time of the last dispatch received (heartbeats do not count). */
  lastEventAt: string | null;
  /** For the last message created: how long after it was posted it reached us (ms). */
  lagMs: number | null;
  /** Channels being read by REST after a gap. */
  catchingUp: string[];
}

export interface LiveIngestionOptions extends DiscordSourceOptions {
  channels: IngestChannel[];
  sink: LiveSink;
  /** Follow threads of the configured channels too. */
  threads?: boolean;
  batchMs?: number;
  /** How the token setting is named for the user (a stop on 4004 names it). */
  tokenSetting?: string;
  reconnect?: { baseMs?: number; maxMs?: number };
  random?: () => number;
  /** Called when the gateway's state changes and after each catch-up (health records, alerts). */
  onHealth?: (health: LiveHealth) => void;
  /** After each catch-up of a channel (for the channel health record). */
  onCatchUp?: (outcome: ChannelOutcome) => void;
  /** After each batch written (counters, tests). */
  onFlush?: (r: FlushResult) => void;
}

export interface LiveIngestion {
  /** Closes the gateway with 1000, writes what is queued, resolves when done. */
  stop(): Promise<void>;
  health(): LiveHealth;
  /** Resolves when the gateway stops for good (a refused token or intent, or stop()). */
  stopped: Promise<GatewayState>;
  /** Writes what is queued now and waits for any catch-up under way (tests, shutdown). */
  settle(): Promise<void>;
}

export function startLiveIngestion(opts: LiveIngestionOptions): LiveIngestion {
  const logger = opts.logger ?? silentLogger;
  const clock: Clock = opts.clock ?? systemClock;
  const reader = readerFor(opts);
  const scope: LiveScope = { channels: new Map(opts.channels.map((c) => [c.channelId, c.guildId])), threads: opts.threads === true, threadParents: new Map() };
  /** Channels reading a gap now, and the newest id live events brought meanwhile. */
  const catchingUp = new Map<string, string>();
  const halt = new AbortController();
  let lastEventAt: string | null = null;
  let lagMs: number | null = null;
  let catchUpRun: Promise<void> = Promise.resolve();
  let catchUpAgain = false;
  let catchUpActive = false;

  const health = (): LiveHealth => ({ gateway: gateway.state(), lastEventAt, lagMs, catchingUp: [...catchingUp.keys()] });
  const report = (): void => opts.onHealth?.(health());

  /** A live batch moves a channel's resume point, unless the channel is reading a gap (then it waits for the end of it). */
  const advance = async (r: FlushResult): Promise<void> => {
    for (const [channelId, newest] of r.newest) {
      const pending = catchingUp.get(channelId);
      if (pending !== undefined) {
        catchingUp.set(channelId, maxSnowflake(pending, newest));
        continue;
      }
      const key = cursorKeys.after(channelId);
      const current = await opts.sink.getCursor(key);
      // Never before the first catch-up of a channel: with no resume point yet, the first catch-up sets it.
      if (current !== null) await opts.sink.setCursor(key, maxSnowflake(current, newest));
    }
    opts.onFlush?.(r);
  };

  const writer = createLiveWriter({ sink: opts.sink, clock, logger, ...(opts.batchMs !== undefined ? { batchMs: opts.batchMs } : {}), onFlush: advance });

  const catchUpChannel = async (channel: IngestChannel): Promise<void> => {
    catchingUp.set(channel.channelId, '0');
    try {
      const r = await readAfter({ reader, sink: opts.sink, guildId: channel.guildId, channelId: channel.channelId, clock, signal: halt.signal });
      // What came live meanwhile is stored (the writer is flushed first), so the resume point may pass it.
      await writer.flush();
      const live = catchingUp.get(channel.channelId) ?? '0';
      if (live !== '0' && !halt.signal.aborted) await opts.sink.setCursor(cursorKeys.after(channel.channelId), maxSnowflake(r.after, live));
      if (r.fetched > 0)
        logger.info('Discord channel caught up after a gap', { channelId: channel.channelId, fetched: r.fetched, inserted: r.inserted, pages: r.pages });
      opts.onCatchUp?.({ channelId: channel.channelId, guildId: channel.guildId });
    } catch (err) {
      const problem = problemOf(err);
      logger.warn('Discord catch-up of a channel failed', { channelId: channel.channelId, error: describeError(err) });
      opts.onCatchUp?.({ channelId: channel.channelId, guildId: channel.guildId, ...(problem ? { problem } : { error: describeError(err) }) });
    } finally {
      catchingUp.delete(channel.channelId);
    }
  };

  /** One catch-up at a time; a READY during one asks for another after it. */
  const catchUp = (): void => {
    if (catchUpActive) {
      catchUpAgain = true;
      return;
    }
    catchUpActive = true;
    catchUpRun = (async () => {
      do {
        catchUpAgain = false;
        for (const channel of opts.channels) {
          if (halt.signal.aborted) break;
          await catchUpChannel(channel);
        }
        report();
      } while (catchUpAgain && !halt.signal.aborted);
    })().finally(() => {
      catchUpActive = false;
    });
  };

  const onDispatch = (e: GatewayDispatch): void => {
    const now = clock.now();
    lastEventAt = now.toISOString();
    if (e.t === 'READY') {
      logger.info('Discord gateway session started; reading what may have been missed by REST');
      catchUp();
      return;
    }
    learnThreads(scope, e);
    const op = liveOpOf(scope, e);
    if (op === null) return;
    if (op.kind === 'create') {
      const id = op.raw.id;
      if (typeof id === 'string') lagMs = Math.max(0, now.getTime() - snowflakeToMs(id));
    }
    writer.push(op);
  };

  const gateway: GatewayClient = createGatewayClient({
    token: opts.token,
    ...(opts.apiUrl !== undefined ? { apiUrl: opts.apiUrl } : {}),
    logger,
    ...(opts.tokenSetting !== undefined ? { tokenSetting: opts.tokenSetting } : {}),
    ...(opts.reconnect !== undefined ? { reconnect: opts.reconnect } : {}),
    ...(opts.random !== undefined ? { random: opts.random } : {}),
    clock,
    onDispatch,
    onState: (s) => {
      if (s.status === 'connected') logger.info('Discord gateway connected');
      report();
    },
  });
  void gateway.start();

  const settle = async (): Promise<void> => {
    await catchUpRun;
    await writer.flush();
  };

  return {
    stop: async () => {
      halt.abort();
      await gateway.stop();
      await catchUpRun.catch(() => undefined);
      await writer.close();
    },
    health,
    stopped: gateway.stopped,
    settle,
  };
}
