import { configDir, instanceDataDir, listConfigFiles, loadConfigFile } from '../config/index.js';
import { describeError } from '../lib/index.js';
import { readLastRun, readWorkerStatusFile } from '../instance/index.js';
import { EXIT } from './output.js';
import type { VerbContext } from './main.js';

export async function listVerb({ out }: VerbContext): Promise<number> {
  const files = await listConfigFiles(configDir());
  if (files.length === 0) out.line(out.dim(`no configs in ${configDir()} (see configs/example.yml)`));
  for (const { name, file } of files) {
    const dir = instanceDataDir(name);
    const last = await readLastRun(dir);
    const status = await readWorkerStatusFile(dir);
    let valid = true;
    let error: string | undefined;
    try {
      await loadConfigFile(file);
    } catch (err) {
      valid = false;
      error = describeError(err);
    }
    out.result({ name, file, valid, error, lastRun: last, nextRun: status?.nextRun ?? null }, () => {
      const state = valid ? out.green('valid') : out.red('invalid');
      const run = last ? `last run ${last.finishedAt} ${last.outcome}` : 'never run';
      out.line(`${name.padEnd(20)} ${state}  ${run}${status?.nextRun ? `, next ${status.nextRun}` : ''}`);
      if (error) out.line(`  ${out.red(error)}`);
    });
  }
  return EXIT.ok;
}
