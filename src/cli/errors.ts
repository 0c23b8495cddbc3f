import { join } from 'node:path';
import { configDir, instanceDataDir, isValidInstanceName } from '../config/index.js';
import { ERRORS_FILE, tailErrorFile } from '../instance/index.js';
import { translator } from '../lib/index.js';
import { configZones, hostZone, humanErrorLine } from './human.js';
import { cliLocale } from './locale.js';
import { EXIT, UsageError } from './output.js';
import type { VerbContext } from './main.js';

/** A lot of lines by default: an error file is short-lived reading, and `-n` narrows it. */
const DEFAULT_LINES = 200;

export async function errorsVerb({ args, values, out }: VerbContext): Promise<number> {
  const name = args[0];
  if (!name || !isValidInstanceName(name)) throw new UsageError('name a config, e.g. `campus-sync errors alice`');
  const n = values.lines === undefined ? DEFAULT_LINES : Number(values.lines);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('-n takes a whole number of lines');
  const path = join(instanceDataDir(name), ERRORS_FILE);
  const lines = await tailErrorFile(path, n);
  // --json: the lines as written (ISO times); a person reads each time on the config's clock.
  const zone = out.json ? hostZone() : ((await configZones(configDir())).get(name) ?? hostZone());
  out.result({ name, file: path, lines }, () => {
    const locale = cliLocale();
    if (lines.length === 0) out.line(out.dim(translator(locale)('cli.errors.none', { name, path })));
    for (const l of lines) out.line(humanErrorLine(l, zone, locale));
  });
  return EXIT.ok;
}
