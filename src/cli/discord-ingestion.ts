import {
  channelHealth,
  createGatewayHealthRecorder,
  createHealthRecorder,
  recordGatewayHealth,
  startIngestion,
  startLiveIngestion,
  type GatewayHealth,
  type IngestSettings,
  type LiveHealth,
  type LiveSink,
} from '../ingest/index.js';
import { describeError, type Logger } from '../lib/index.js';

/**
 * Discord ingestion as `serve` and `ingest live` run it: live through the Gateway (the default), or REST
 * polling when DISCORD_INGEST_MODE=poll (discord.mode: poll), the fallback for when a websocket cannot be
 * kept open. The channels' and the Gateway's health go to data/.ingest/discord.json, which `status`, the
 * dashboard and /health read.
 */
export interface RunningIngestion {
  mode: 'gateway' | 'poll';
  /** The Gateway's state now (null when polling). */
  health(): Omit<GatewayHealth, 'at'> | null;
  /** Resolves when live ingestion stops for good (a refused token or intent); never when polling. */
  stopped: Promise<Omit<GatewayHealth, 'at'>>;
  /** Closes the Gateway with 1000 and writes what is queued (or lets the poll in progress finish). */
  stop(): Promise<void>;
}

export interface StartDiscordIngestionOptions {
  settings: IngestSettings;
  sink: LiveSink;
  dataDir: string;
  logger: Logger;
  /** A stop a person must fix (bad token, Message Content intent): said once (log, alert). */
  onFatal?: (health: Omit<GatewayHealth, 'at'>) => void;
}

const gatewayHealthOf = (h: LiveHealth): Omit<GatewayHealth, 'at'> => ({
  status: h.gateway.status,
  since: h.gateway.since,
  ...(h.gateway.reason !== undefined ? { reason: h.gateway.reason } : {}),
  ...(h.gateway.closeCode !== undefined ? { closeCode: h.gateway.closeCode } : {}),
  ...(h.gateway.fatal ? { fatal: true } : {}),
  lastEventAt: h.lastEventAt,
  lagMs: h.lagMs,
});

export function startDiscordIngestion(opts: StartDiscordIngestionOptions): RunningIngestion {
  const { settings, sink, dataDir, logger } = opts;
  const configured = settings.channels.map((c) => c.channelId);
  const recordChannels = createHealthRecorder(dataDir, configured);
  const warn = (err: unknown): void => logger.warn(`cannot record the ingestion's health: ${describeError(err)}`);

  if (settings.mode === 'poll') {
    // No gateway state is shown while polling: a stale one from an earlier live run would mislead.
    void recordGatewayHealth(dataDir, null).catch(warn);
    const polling = startIngestion({
      ...settings,
      sink,
      logger,
      onPoll: (result) => void recordChannels(channelHealth(result.channels, result.at, 'poll')).catch(warn),
    });
    logger.info(`Discord ingestion by polling (${settings.channels.length} channel(s), every ${Math.round(settings.intervalMs / 1000)} s)`);
    return { mode: 'poll', health: () => null, stopped: new Promise(() => undefined), stop: () => polling.stop() };
  }

  const recordGateway = createGatewayHealthRecorder(dataDir);
  let fatalSaid = false;
  const live = startLiveIngestion({
    ...settings,
    sink,
    logger,
    ...(settings.settingNames?.token !== undefined ? { tokenSetting: settings.settingNames.token } : {}),
    onHealth: (h) => {
      const gateway = gatewayHealthOf(h);
      void recordGateway(gateway).catch(warn);
      if (gateway.fatal && !fatalSaid) {
        fatalSaid = true;
        opts.onFatal?.(gateway);
      }
    },
    onCatchUp: (outcome) => void recordChannels(channelHealth([outcome], new Date().toISOString(), 'live')).catch(warn),
  });
  logger.info(`Discord ingestion live through the Gateway (${settings.channels.length} channel(s)${settings.threads ? ' and their threads' : ''})`);
  return {
    mode: 'gateway',
    health: () => gatewayHealthOf(live.health()),
    stopped: live.stopped.then(() => gatewayHealthOf(live.health())),
    stop: async () => {
      await live.stop();
      // The last word in the file: stopped, with the time (a later `status` must not show "connected").
      await recordGatewayHealth(dataDir, { ...gatewayHealthOf(live.health()), at: new Date().toISOString() }).catch(warn);
    },
  };
}
