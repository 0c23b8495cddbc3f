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
import { join } from 'node:path';
import { INGEST_OUTBOX_DIR } from '../instance/index.js';
import { describeError, makeRedactor, type Logger } from '../lib/index.js';
import { createAlert, createChannel, createOutbox, type Outbox } from '../notify/index.js';

/** How often the alert outbox retries: an ingestion stop is rare, but must not wait long once its channel is back. */
const ALERT_DRAIN_MS = 5_000;

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
  const alerts = alertOutbox(opts);
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
        if (alerts) void alertStop(alerts, gateway, opts);
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
      await alerts?.stop();
      // The last word in the file: stopped, with the time (a later `status` must not show "connected").
      await recordGatewayHealth(dataDir, { ...gatewayHealthOf(live.health()), at: new Date().toISOString() }).catch(warn);
    },
  };
}

/**
 * DISCORD_ALERT_URL's outbox (data/.ingest/outbox): durable like an instance's, so a stop said while the channel
 * is down, or just before a restart, is delivered later. Null when no alert URL is set.
 */
function alertOutbox(opts: StartDiscordIngestionOptions): Outbox | null {
  const alert = opts.settings.alert;
  if (!alert) return null;
  const outbox = createOutbox({
    dir: join(opts.dataDir, INGEST_OUTBOX_DIR),
    channels: [createChannel(alert.channel)],
    redact: makeRedactor([opts.settings.token, ...alert.secrets]),
    logger: opts.logger.child({ phase: 'ingest-alert' }),
  });
  outbox.start(ALERT_DRAIN_MS);
  return outbox;
}

async function alertStop(outbox: Outbox, gateway: Omit<GatewayHealth, 'at'>, opts: StartDiscordIngestionOptions): Promise<void> {
  try {
    await outbox.enqueue(
      createAlert({
        kind: 'ingest.stopped',
        instance: 'discord-ingestion',
        title: 'Discord ingestion stopped',
        text: `${gateway.reason ?? 'Discord closed the Gateway for good'}. Nothing is ingested until this is fixed and the reporting server restarted.`,
      }),
    );
    await outbox.drain();
  } catch (err) {
    opts.logger.error(`cannot queue the ingestion-stop alert: ${describeError(err)}`);
  }
}
