import { apiKeysFromEnv, startApi } from '../api/index.js';
import { bookingExtension } from '../api/booking/index.js';
import { createSessions, dashboardExtension } from '../api/dashboard/index.js';
import { onboardExtension } from '../api/onboard/index.js';
import { selfPageExtension } from '../api/self/index.js';
import { configDir, dataDir } from '../config/index.js';
import { ingestConfigFromEnv, type LiveSink } from '../ingest/index.js';
import { startDiscordIngestion, type RunningIngestion } from './discord-ingestion.js';
import { createLogger, describeError, wantsJson } from '../lib/index.js';
import { createBookingDeps } from './booking-deps.js';
import { createDashboardActions } from './dashboard-actions.js';
import { createInstanceManager } from './instance-manager.js';
import { createOnboardChecks } from './onboard-checks.js';
import { EXIT } from './output.js';
import { watchParentPipe } from './parent-pipe.js';
import type { VerbContext } from './main.js';

/**
 * Long-running: the reporting API alone (the store, the importer of the workers' files, HTTP on PORT/HOST)
 * until SIGTERM/SIGINT. The first signal stops accepting, lets requests in flight finish and closes the
 * store; a second one exits at once.
 */
export async function serveVerb({ out }: VerbContext): Promise<number> {
  const apiKeys = apiKeysFromEnv(process.env);
  // The keys and the bot token are secrets: redacted from every log line, should one ever carry them.
  const botToken = process.env.DISCORD_BOT_TOKEN?.trim();
  const logger = createLogger({ instance: 'api', secrets: [...apiKeys, ...(botToken ? [botToken] : [])], json: wantsJson(out.json || undefined) });
  // Discord ingestion (DISCORD_BOT_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_IDS) runs here when configured:
  // this process is the store's one writer. Bad settings are a config error before anything starts.
  const discord = await ingestConfigFromEnv(process.env);
  // The pages on the same server: the dashboard (its buttons run CLI verbs and talk to the supervisor) and
  // the booking tunnel (Cal.com and the notification channels, through an outbox of this process).
  const booking = createBookingDeps({ dataDir: dataDir(), configDir: configDir(), env: process.env, logger: logger.child({ phase: 'booking' }) });
  // One login for the dashboard and its guided form (issue 23: new configs, invitations).
  const sessions = createSessions();
  // Pause, password, test, delete of one instance (the status page /me/<token> and the dashboard's Delete).
  const manager = createInstanceManager({ configDir: configDir(), dataDir: dataDir(), env: process.env });
  const extensions = [
    dashboardExtension({ actions: createDashboardActions({ configDir: configDir(), dataDir: dataDir() }), sessions, manager }),
    onboardExtension({ checks: createOnboardChecks(), sessions, env: process.env, ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}) }),
    bookingExtension({ ...booking, env: process.env }),
    selfPageExtension({ manager, env: process.env }),
  ];
  // /health shows the Gateway's state live; ingestion starts after the API (it writes into the API's store).
  const ingestionHealth: { current: RunningIngestion['health'] | null } = { current: null };
  let api;
  try {
    api = await startApi({ logger, apiKeys, extensions, discordHealth: () => ingestionHealth.current?.() ?? null });
  } catch (err) {
    logger.error(`the API could not start: ${describeError(err)}`);
    await booking.stop();
    return EXIT.failed;
  }
  const { url } = api;
  let ingestion: RunningIngestion | null = null;
  if (discord) {
    const sink: LiveSink = api.store;
    ingestion = startDiscordIngestion({
      settings: discord,
      sink,
      dataDir: dataDir(),
      logger: logger.child({ phase: 'ingest' }),
      onFatal: (h) => logger.error(`Discord ingestion stopped and will not retry: ${h.reason ?? 'unknown reason'}`),
    });
    ingestionHealth.current = ingestion.health;
  }
  out.result({ url, docs: `${url}/docs`, ingesting: discord ? discord.channels.length : 0 }, () =>
    out.line(`campus-sync API listening on ${url} (docs: ${url}/docs)${discord ? `, ingesting ${discord.channels.length} Discord channel(s)` : ''}`),
  );

  let signals = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn(`${sig} again: exiting now`);
      process.exit(EXIT.failed);
    }
    logger.info(`${sig}: finishing the requests in flight, then exiting`);
    void Promise.resolve(ingestion?.stop())
      .then(() => api.stop())
      .then(() => booking.stop())
      .catch((err: unknown) => logger.warn(`while stopping: ${describeError(err)}`))
      .finally(resolveStopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The supervisor's companion: its stdin closes when the supervisor dies, SIGKILL included; an API left
  // behind would hold the port the next supervisor's API needs.
  const unwatch = watchParentPipe(() => {
    if (signals > 0) return;
    logger.warn('the supervisor is gone (its pipe closed)');
    onSignal('SIGTERM');
  });
  await stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  unwatch();
  return EXIT.ok;
}
