import { apiKeysFromEnv, startApi } from '../api/index.js';
import { createLogger, describeError, wantsJson } from '../lib/index.js';
import { EXIT } from './output.js';
import type { VerbContext } from './main.js';

/**
 * Long-running: the reporting API alone (the store, the importer of the workers' files, HTTP on PORT/HOST)
 * until SIGTERM/SIGINT. The first signal stops accepting, lets requests in flight finish and closes the
 * store; a second one exits at once.
 */
export async function serveVerb({ out }: VerbContext): Promise<number> {
  const apiKeys = apiKeysFromEnv(process.env);
  // The keys are secrets: redacted from every log line, should one ever carry them.
  const logger = createLogger({ instance: 'api', secrets: apiKeys, json: wantsJson(out.json || undefined) });
  let api;
  try {
    api = await startApi({ logger, apiKeys });
  } catch (err) {
    logger.error(`the API could not start: ${describeError(err)}`);
    return EXIT.failed;
  }
  const { url } = api;
  out.result({ url, docs: `${url}/docs` }, () => out.line(`campus-sync API listening on ${url} (docs: ${url}/docs)`));

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
    void api
      .stop()
      .catch((err: unknown) => logger.warn(`while stopping: ${describeError(err)}`))
      .finally(resolveStopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return EXIT.ok;
}
