import { configDir as defaultConfigDir, dataDir as defaultDataDir } from '../config/index.js';
import { ConfigError, type Clock, type Logger } from '../lib/index.js';
import { openStore, type Store } from '../store/index.js';
import { createConfigSource } from './config-source.js';
import { startImporter, type Importer } from './importer.js';
import { apiKeysFromEnv } from './keys.js';
import { CLOSE_GRACE_MS, createApiServer, type ApiExtension, type ApiServerOptions } from './server.js';

export const DEFAULT_PORT = 8080;
/** Outside a container the API is for this machine only; in one, the port mapping decides who reaches it. */
export const DEFAULT_HOST = '127.0.0.1';
export const CONTAINER_HOST = '0.0.0.0';

/** `PORT` (default 8080) and `HOST` (default 127.0.0.1, or 0.0.0.0 with CAMPUS_SYNC_IN_CONTAINER=1). */
export function listenAddressFromEnv(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const rawPort = env.PORT?.trim();
  let port = DEFAULT_PORT;
  if (rawPort) {
    if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535)
      throw new ConfigError(`PORT: expected a port number from 0 to 65535, got ${JSON.stringify(rawPort)}`);
    port = Number(rawPort);
  }
  const host = env.HOST?.trim() || (env.CAMPUS_SYNC_IN_CONTAINER === '1' ? CONTAINER_HOST : DEFAULT_HOST);
  return { port, host };
}

export interface StartApiOptions {
  logger: Logger;
  /** Where PORT, HOST, DATABASE_URL, API_KEY(S)(_FILE) and the config/data dirs are read when not given. */
  env?: NodeJS.ProcessEnv;
  configDir?: string;
  dataDir?: string;
  databaseUrl?: string;
  port?: number;
  host?: string;
  apiKeys?: readonly string[];
  importIntervalMs?: number;
  clock?: Clock;
  /** More pages on the server (dashboard, booking tunnel), composed by the caller. */
  extensions?: readonly ApiExtension[];
  /** Live Discord ingestion's Gateway state, for /health (serve runs it beside the API). */
  discordHealth?: ApiServerOptions['discordHealth'];
}

export interface RunningApi {
  url: string;
  store: Store;
  importer: Importer;
  /** Two-stage: stop accepting and let requests in flight finish (up to graceMs), stop importing, close the store. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The API process: opens the store (migrating it), imports the workers' files into it periodically, and
 * serves HTTP. `campus-sync serve` runs it alone; the supervisor runs it in its own process. This process is
 * the store's only writer.
 */
export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  const env = opts.env ?? process.env;
  const configDir = opts.configDir ?? defaultConfigDir(env);
  const dataDir = opts.dataDir ?? defaultDataDir(env);
  const address = listenAddressFromEnv(env);
  const apiKeys = opts.apiKeys ?? apiKeysFromEnv(env);
  const databaseUrl = opts.databaseUrl ?? env.DATABASE_URL;
  const logger = opts.logger;

  const store = await openStore({ dataDir, logger, ...(databaseUrl ? { databaseUrl } : {}) });
  // One reader of the config directory for the importer's redaction and the server's answers.
  const configs = createConfigSource(configDir, { env });
  const importer = startImporter({
    store,
    dataDir,
    logger,
    redactor: async () => (await configs.load()).redact,
    ...(opts.importIntervalMs ? { intervalMs: opts.importIntervalMs } : {}),
  });
  const server = createApiServer({
    store,
    configDir,
    dataDir,
    apiKeys,
    logger,
    env,
    configSource: configs,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.extensions ? { extensions: opts.extensions } : {}),
    ...(opts.discordHealth ? { discordHealth: opts.discordHealth } : {}),
  });
  let url: string;
  try {
    ({ url } = await server.listen(opts.port ?? address.port, opts.host ?? address.host));
  } catch (err) {
    await importer.stop();
    await store.close();
    throw err;
  }
  // 0.0.0.0 is where it listens, not an address anyone can open: say so (the supervisor logs the URL to open).
  const where = /\/\/(0\.0\.0\.0|\[::\]):/.test(url) ? `all interfaces, port ${new URL(url).port}` : url;
  logger.info(`reporting API listening on ${where} (${store.description}, ${apiKeys.length} API key(s))`);

  let stopping: Promise<void> | null = null;
  return {
    url,
    store,
    importer,
    stop(graceMs = CLOSE_GRACE_MS) {
      stopping ??= (async () => {
        await server.close(graceMs);
        await importer.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}
