import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { configDir, listConfigFiles, loadConfigFile, warningIn } from '../config/index.js';
import { ConfigError, describeError, describeErrorIn, translator } from '../lib/index.js';
import { outputLocale } from './locale.js';
import { EXIT } from './output.js';
import type { VerbContext } from './main.js';

export async function validateVerb({ args, out }: VerbContext): Promise<number> {
  const locale = outputLocale(out.json);
  const t = translator(locale);
  const files = args.length > 0 ? await expandDirectories(args) : (await listConfigFiles(configDir())).map((c) => c.file);
  if (files.length === 0) {
    out.error(t('cli.validate.noFiles', { dir: configDir() }));
    return EXIT.usage;
  }
  let bad = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    try {
      const config = await loadConfigFile(file);
      out.result({ file: shown, valid: true, name: config.name, legacy: config.legacy, warnings: config.warnings }, () => {
        out.line(`${out.green('✓')} ${shown}${config.legacy ? out.dim(t('cli.validate.legacy')) : ''}`);
        for (const w of config.warnings) out.line(`  ${out.yellow('!')} ${warningIn(w, locale)}`);
      });
    } catch (err) {
      bad++;
      // --json keeps the English message scripts read; a person reads it in LANG's language.
      const message = err instanceof ConfigError ? err.message : describeError(err);
      out.result({ file: shown, valid: false, error: message }, () => {
        out.line(`${out.red('✗')} ${describeErrorIn(err, locale)}`);
      });
    }
  }
  return bad > 0 ? EXIT.usage : EXIT.ok;
}

/** `validate configs/` checks the folder's config files, as the supervisor would read them. */
async function expandDirectories(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const isDir = await stat(arg).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir) out.push(...(await listConfigFiles(arg)).map((c) => c.file));
    else out.push(arg);
  }
  return out;
}
