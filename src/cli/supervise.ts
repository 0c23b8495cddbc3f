import { configDir, dataDir } from '../config/index.js';
import { createLogger, describeError, wantsJson, type Logger } from '../lib/index.js';
import { controlSocketPath, SUPERVISOR_DIR } from '../instance/index.js';
import { createSupervisor, startCompanion, startControlServer } from '../supervisor/index.js';
import { API_KEY_FILE, dashboardUrl, ensureApiKey, keysGivenByEnv } from './api-key.js';
import { EXIT } from './output.js';
import { watchParentPipe } from './parent-pipe.js';
import { openRuntime, parseRuntimeChoice, supervisorIdentity } from './runtime.js';
import type { VerbContext } from './main.js';

/**
 * Long-running: one worker per valid config through the chosen runtime, until SIGTERM/SIGINT.
 * `--remove-workers-on-exit` (env CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT=1 in compose) removes them on exit;
 * by default Docker workers keep running (and are adopted by the next supervisor).
 */
export async function superviseVerb({ values, out }: VerbContext): Promise<number> {
  const logger = createLogger({ instance: 'supervisor', json: wantsJson(out.json || undefined) });
  const runtime = await openRuntime(parseRuntimeChoice(values.runtime), logger);
  const removeWorkers = values['remove-workers-on-exit'] === true || process.env.CAMPUS_SYNC_REMOVE_WORKERS_ON_EXIT === '1';
  const heartbeatMs = positiveInt(process.env.CAMPUS_SYNC_HEARTBEAT_MS);
  const runtimeRetryBaseMs = positiveInt(process.env.CAMPUS_SYNC_RUNTIME_RETRY_MS);
  const supervisor = createSupervisor({
    runtime,
    supervisorId: supervisorIdentity(),
    takeOver: values['take-over'] === true,
    configDir: configDir(),
    dataDir: dataDir(),
    logger,
    ...(heartbeatMs ? { heartbeatMs } : {}),
    ...(runtimeRetryBaseMs ? { runtimeRetryBaseMs } : {}),
  });
  const control = await startControlServer({
    socketPath: controlSocketPath(dataDir()),
    runtime,
    reconcileNow: (reason) => supervisor.reconcileNow(reason),
    logger,
  });
  logger.info(`supervising ${configDir()} with the ${runtime.kind} runtime (data in ${dataDir()})`);
  // The reporting API (`campus-sync serve`) in its own process beside the workers: the one writer of the store.
  const api = apiWanted(values['no-api'] === true, process.env)
    ? startCompanion({ name: 'api', args: ['serve', ...(out.json ? ['--json'] : [])], logger, env: await apiEnv(logger) })
    : null;
  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stop = (sig: string): void => {
    if (stopping !== null) {
      logger.warn(`${sig} again: exiting now`);
      process.exit(EXIT.failed);
    }
    logger.info(`${sig}: stopping${removeWorkers ? ' and removing the workers' : ''}`);
    stopping = (async () => {
      await control.close().catch(() => {});
      await Promise.all([supervisor.stop({ removeWorkers }), api?.stop()]);
    })().finally(resolveStopped);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Started by the demo: its stdin closes when the demo dies, SIGKILL included.
  const unwatch = watchParentPipe(() => {
    if (stopping !== null) return;
    logger.warn('the process that started this supervisor is gone (its pipe closed)');
    stop('SIGTERM');
  });
  void stopped.then(unwatch);
  try {
    await supervisor.start();
  } catch (err) {
    logger.error(`the supervisor could not start: ${describeError(err)}`);
    await control.close().catch(() => {});
    await api?.stop();
    await runtime.close().catch(() => {});
    return EXIT.failed;
  }
  await stopped;
  return EXIT.ok;
}

/**
 * The API companion's environment: with no key set (API_KEY, API_KEYS, API_KEYS_FILE), the key made at the
 * first start (api-key.ts) as its API_KEYS_FILE. The key is printed in this log once, when it is made, with
 * the URL to open; every start names the URL.
 */
async function apiEnv(logger: Logger): Promise<NodeJS.ProcessEnv> {
  const { url, network } = dashboardUrl(process.env);
  const env = { ...process.env };
  if (!keysGivenByEnv(process.env)) {
    const made = await ensureApiKey(dataDir());
    if (made.setAside) logger.warn(`the API key file was damaged: set aside as ${made.setAside}, a new key was made`);
    if (made.created)
      logger.warn(
        `dashboard and API key made for this installation: ${made.key} — open ${url} and sign in with it (\`./campus-sync api-key\` shows it again; kept in data/${SUPERVISOR_DIR}/${API_KEY_FILE})`,
      );
    env.API_KEYS_FILE = made.path;
  }
  logger.info(
    network
      ? `dashboard: ${url} — open it from a phone or computer on the same network (CAMPUS_SYNC_API_BIND=0.0.0.0: every device on the network reaches it; the key guards it)`
      : `dashboard: ${url} (this machine only; CAMPUS_SYNC_API_BIND=0.0.0.0 in .env opens it to the home network)`,
  );
  return env;
}

/** The API runs unless `--no-api` or CAMPUS_SYNC_API=off (0, false, no). */
export function apiWanted(noApiFlag: boolean, env: NodeJS.ProcessEnv): boolean {
  if (noApiFlag) return false;
  return !['0', 'off', 'false', 'no'].includes((env.CAMPUS_SYNC_API ?? '').trim().toLowerCase());
}

/**
 * CAMPUS_SYNC_HEARTBEAT_MS (status rewrite and crash-loop check period) and CAMPUS_SYNC_RUNTIME_RETRY_MS
 * (first delay before asking an unreachable engine again; it still doubles up to the 30 s cap): tests
 * shorten them; anything that is not a positive integer keeps the default.
 */
function positiveInt(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}
