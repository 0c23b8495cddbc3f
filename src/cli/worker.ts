import { createLogger, wantsJson } from '../lib/index.js';
import { startWorker } from '../worker/index.js';
import { EXIT } from './output.js';
import { watchParentPipe } from './parent-pipe.js';
import { loadInstance } from './resolve.js';
import type { VerbContext } from './main.js';

/** Long-running: the config's schedule until SIGTERM/SIGINT; a second signal exits at once. */
export async function workerVerb({ args, values, out }: VerbContext): Promise<number> {
  const { config, dir } = await loadInstance(args[0], values.config as string | undefined);
  const logger = createLogger({ instance: config.name, secrets: config.secrets, json: wantsJson(out.json || undefined) });
  for (const w of config.warnings) logger.warn(w);
  const runOnce = process.env.RUN_ONCE === '1' || process.env.RUN_ONCE === 'true';
  const worker = startWorker({ config, dir, logger, runOnce });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn(`${sig} again: exiting now`);
      process.exit(EXIT.failed);
    }
    logger.info(`${sig}: finishing the run in flight, then exiting`);
    void worker.stop().then((inTime) => {
      if (!inTime) logger.warn('the run in flight did not finish in time; the next run completes it');
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A worker of the process runtime: its stdin closes when the supervisor dies, however it died.
  const unwatch = watchParentPipe(() => {
    if (signals > 0) return;
    signals++;
    logger.warn('the supervisor is gone (its pipe closed): finishing the run in flight, then exiting');
    void worker.stop();
  });
  await worker.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  unwatch();
  if (runOnce) return worker.cycleSucceeded() ? EXIT.ok : EXIT.failed;
  return EXIT.ok;
}
