import { chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidInstanceName } from '../config/index.js';
import { DEFAULT_LOCALE, describeError, type Clock, type Logger } from '../lib/index.js';
import { createErrorFile, ERRORS_FILE } from '../instance/index.js';
import type { InvalidConfig } from './desired.js';

/** The supervisor's errors.log lines, each with its stable code (the phase follows from it). */
export type SupervisorErrorCode = 'config.invalid' | 'file.damaged' | 'worker.crashLooping';
export type AppendInstanceError = (name: string, code: SupervisorErrorCode, detail: string) => Promise<void>;

const PHASE_OF: Record<SupervisorErrorCode, 'config' | 'state' | 'run'> = {
  'config.invalid': 'config',
  'file.damaged': 'state',
  'worker.crashLooping': 'run',
};

/**
 * One coded line in data/<name>/errors.log, its sentence in the default locale: the supervisor cannot know the
 * language of a config it could not load (nothing for a name that cannot be an instance's). The supervisor may
 * run as root (compose.yml) while the worker runs as uid 1000: a file it creates is given to the owner of
 * data/<name>/, or the worker could never append its own errors to it (appendFile creates it 0600).
 */
export function instanceErrorWriter(opts: { dataDir: string; clock: Clock; logger: Logger }): AppendInstanceError {
  return async (name, code, detail) => {
    if (!isValidInstanceName(name)) return;
    const path = join(opts.dataDir, name, ERRORS_FILE);
    try {
      await createErrorFile({ path, redact: (t) => t }).report(PHASE_OF[code], code, detail, opts.clock.now());
      await giveToDirOwner(path);
    } catch (err) {
      opts.logger.warn(`cannot write ${name}'s errors.log: ${describeError(err)}`);
    }
  };
}

/** The config errors: one log line and one errors.log line per change of the text, never per rescan. */
export function invalidConfigReporter(opts: { logger: Logger; appendError: AppendInstanceError }): (invalid: readonly InvalidConfig[]) => Promise<void> {
  /** Config errors already reported, by name: a line is written only when the text changes. */
  const reported = new Map<string, string>();
  return async (invalid) => {
    const now = new Map<string, string>();
    /** errors.log's sentence, in the default locale (see instanceErrorWriter). */
    const local = new Map<string, string>();
    for (const i of invalid) {
      const said = i.localized?.(DEFAULT_LOCALE) ?? i.error;
      now.set(i.name, now.has(i.name) ? `${now.get(i.name)}; ${i.error}` : i.error);
      local.set(i.name, local.has(i.name) ? `${local.get(i.name)}; ${said}` : said);
    }
    for (const [name, error] of now) {
      if (reported.get(name) === error) continue;
      reported.set(name, error);
      opts.logger.error(`config ${name} is invalid (its worker, if any, is left as it was): ${error}`, { instance: name });
      await opts.appendError(name, 'config.invalid', local.get(name) ?? error);
    }
    for (const name of [...reported.keys()]) {
      if (now.has(name)) continue;
      reported.delete(name);
      opts.logger.info(`config ${name} is no longer invalid`, { instance: name });
    }
  };
}

/** Root only: chown `file` to the owner of its directory when they differ (nothing to do, or allowed, otherwise). */
async function giveToDirOwner(file: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const [dir, own] = await Promise.all([stat(join(file, '..')), stat(file)]);
  if (dir.uid !== own.uid || dir.gid !== own.gid) await chown(file, dir.uid, dir.gid);
}
