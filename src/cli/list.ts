import { configDir, instanceDataDir, listConfigFiles, loadConfigFile } from '../config/index.js';
import { describeError, translator } from '../lib/index.js';
import { readLastRun, readWorkerStatusFile } from '../instance/index.js';
import { hostZone, personTime, stateWord } from './human.js';
import { cliLocale } from './locale.js';
import { EXIT } from './output.js';
import type { VerbContext } from './main.js';

export async function listVerb({ out }: VerbContext): Promise<number> {
  const locale = cliLocale();
  const t = translator(locale);
  const files = await listConfigFiles(configDir());
  if (files.length === 0) out.line(out.dim(`${t('cli.status.noConfigs', { dir: configDir() })} (configs/example.yml)`));
  for (const { name, file } of files) {
    const dir = instanceDataDir(name);
    const last = await readLastRun(dir);
    const status = await readWorkerStatusFile(dir);
    let valid = true;
    let error: string | undefined;
    // Times are shown in the config's zone; an invalid config's in the host's.
    let zone = hostZone();
    try {
      zone = (await loadConfigFile(file)).timezone;
    } catch (err) {
      valid = false;
      error = describeError(err);
    }
    out.result({ name, file, valid, error, lastRun: last, nextRun: status?.nextRun ?? null }, () => {
      const state = valid ? out.green(t('cli.status.valid')) : out.red(t('cli.status.invalid'));
      const run = last
        ? t('cli.status.lastRun', { at: personTime(last.finishedAt, zone, locale), outcome: stateWord('outcome', last.outcome, locale) })
        : t('cli.status.neverRun');
      out.line(`${name.padEnd(20)} ${state}  ${run}${status?.nextRun ? t('cli.status.next', { at: personTime(status.nextRun, zone, locale) }) : ''}`);
      if (error) out.line(`  ${out.red(error)}`);
    });
  }
  return EXIT.ok;
}
