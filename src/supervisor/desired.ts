import { createHash } from 'node:crypto';
import path from 'node:path';
import { configReferences, displayPath, listConfigFiles, parseConfig, readConfigText, resolveConfigText, usesEnv } from '../config/index.js';
import { describeError, describeErrorIn, localText, renderText, verbatim, type Locale, type LocalText } from '../lib/index.js';
import type { DesiredWorker } from './interface.js';

/** A config file the supervisor cannot run now; its message comes from the config module (never a secret). */
export interface InvalidConfig {
  name: string;
  file: string;
  /** In English, for the log. */
  error: string;
  /** The same in a person's language (errors.log): absent, `error` as it is. */
  localized?: (locale: Locale) => string;
}

export interface ScanResult {
  /** Sorted by name. */
  desired: DesiredWorker[];
  /** Sorted by name, then file. */
  invalid: InvalidConfig[];
}

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Reads every config file of `dir` once: valid ones become desired workers, the rest are reported.
 * The hash is taken from the very bytes that were validated, so an edit racing the scan cannot pair
 * an old hash with a new content.
 */
export async function scanConfigs(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<ScanResult> {
  const files = await listConfigFiles(dir);
  const byName = new Map<string, string[]>();
  for (const f of files) byName.set(f.name, [...(byName.get(f.name) ?? []), f.file]);

  const desired: DesiredWorker[] = [];
  const invalid: InvalidConfig[] = [];
  for (const [name, group] of byName) {
    if (group.length > 1) {
      // Picking one would depend on readdir order: refuse both, so the operator chooses.
      const names = group.map((f) => verbatim(path.basename(f)));
      const shown = names.slice(1).reduce((left, right) => localText('configErrors.and', { left, right }), names[0] as LocalText);
      for (const file of group) {
        const text = localText('configErrors.duplicateName', { name, files: shown });
        const say = (locale: Locale): string => `${displayPath(file)}: ${renderText(text, locale)}`;
        invalid.push({ name, file, error: say('en'), localized: say });
      }
      continue;
    }
    const file = group[0]!;
    try {
      // Size and encoding limits first: a 20 MB or non-UTF-8 file is refused before it is parsed.
      const text = await readConfigText(file);
      const config = await parseConfig(text, { file, env });
      const refs = configReferences(text);
      const delivery = {
        envVars: refs.envVars,
        secretFiles: refs.secretFiles,
        inlineSecrets: config.secrets.some((secret) => text.includes(secret)),
      };
      if (usesEnv(text)) {
        const resolvedConfig = resolveConfigText(text, { file, env });
        desired.push({ name, configFile: file, configSha: sha256(resolvedConfig), resolvedConfig, ...delivery });
      } else {
        // Valid UTF-8 re-encodes to the very bytes read: this is the hash of the file's bytes.
        desired.push({ name, configFile: file, configSha: sha256(text), ...delivery });
      }
    } catch (err) {
      invalid.push({ name, file, error: describeError(err), localized: (locale) => describeErrorIn(err, locale) });
    }
  }
  return { desired, invalid };
}
