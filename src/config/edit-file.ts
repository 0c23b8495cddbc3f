import { randomBytes } from 'node:crypto';
import { chown, link, lstat, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, LOCALES, writeFileAtomic, type Locale } from '../lib/index.js';
import { applyConfigChanges, contentHash, type ConfigChange } from './edit.js';
import type { ConfigIssue } from './env.js';
import { configErrorFrom } from './issues.js';
import { parseConfig } from './load.js';
import { INSTANCE_NAME_PATTERN, isValidInstanceName } from './paths.js';

/**
 * The file side of the config writer (issue 23): create, edit and delete `configs/<name>.yml` for the dashboard
 * and invitations. A form carries the hash of the text it was filled from; a file changed on disk since then is a
 * conflict, never overwritten. Every write is validated first with the loader `campus-sync validate` uses, then
 * written atomically (a reader sees the old file or the new one, never half).
 */

/** The image's `node` user: the uid worker containers run as and read configs as (compose.template.yml `user:`). */
export const WORKER_UID = 1000;
/** Configs hold passwords: readable by their owner only, as `add-config` writes them. */
const CONFIG_MODE = 0o600;

export type ConfigWriteResult =
  | { kind: 'written'; file: string; hash: string }
  | { kind: 'deleted'; file: string }
  /** The file is not what the form was filled from (changed, created or deleted meanwhile): reload and redo. */
  | { kind: 'conflict'; file: string; hash: string | null }
  /** The changes, or the file they make, do not pass `validate`: nothing was written. */
  | { kind: 'invalid'; file: string; issues: ConfigIssue[]; message: string; messageIn: Record<Locale, string> }
  | { kind: 'not-found'; file: string };

export interface ConfigFileState {
  file: string;
  /** null when there is no such file. */
  text: string | null;
  hash: string | null;
}

/** `configs/<name>.yml`, or the existing `<name>.yaml` when that is how the owner named it. */
export async function configFileFor(dir: string, name: string): Promise<string> {
  if (!isValidInstanceName(name)) throw new ConfigError(`invalid instance name ${JSON.stringify(name)}: expected ${INSTANCE_NAME_PATTERN.source}`);
  const yml = path.join(path.resolve(dir), `${name}.yml`);
  const yaml = path.join(path.resolve(dir), `${name}.yaml`);
  const exists = (f: string): Promise<boolean> =>
    lstat(f).then(
      () => true,
      () => false,
    );
  if (!(await exists(yml)) && (await exists(yaml))) return yaml;
  return yml;
}

/** The text a form is filled from, and the hash it carries back. */
export async function readConfigState(file: string): Promise<ConfigFileState> {
  try {
    const bytes = await readFile(file);
    return { file, text: bytes.toString('utf8'), hash: contentHash(bytes) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, text: null, hash: null };
    throw err;
  }
}

export interface WriteConfigOptions {
  file: string;
  /** The hash of the text the form was filled from; null: the form creates a new file (none may exist). */
  expectedHash: string | null;
  changes: readonly ConfigChange[];
  /** For `${VAR}` while validating (default process.env), as the supervisor would read the file. */
  env?: NodeJS.ProcessEnv;
}

function invalid(file: string, issues: ConfigIssue[]): ConfigWriteResult {
  return invalidFrom(file, configErrorFrom(path.basename(file), issues), issues);
}

/** The refusal with its message in English (`message`) and in each language for a page (`messageIn`), without the server's folder. */
function invalidFrom(file: string, err: ConfigError, issues: ConfigIssue[]): ConfigWriteResult {
  const strip = (text: string): string => text.split(`${path.dirname(file)}${path.sep}`).join('');
  const messageIn = Object.fromEntries(LOCALES.map((l) => [l, strip(err.localized(l))])) as Record<Locale, string>;
  return { kind: 'invalid', file, issues, message: strip(err.message), messageIn };
}

/** Writes `text` at `file` only if nothing is there: a temp file hard-linked into place (EEXIST: someone was first). */
async function createExclusive(file: string, text: string): Promise<boolean> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', CONFIG_MODE);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** A file named by a `*File` key, relative to the config's folder, as the loader reads it. */
function secretFilePath(configFile: string, written: string): string {
  return path.resolve(path.dirname(configFile), written);
}

/**
 * Creates (expectedHash null) or edits a config file. Order: hash check, apply, validate the whole result with
 * `parseConfig` (what `validate` runs), then secrets files, then the config itself, each atomically. The hash is
 * checked again just before the config is replaced, so a save racing a hand edit loses to the hand edit.
 */
export async function writeConfig(opts: WriteConfigOptions): Promise<ConfigWriteResult> {
  const file = path.resolve(opts.file);
  const before = await readConfigState(file);
  if (before.hash !== opts.expectedHash) return { kind: 'conflict', file, hash: before.hash };
  const edited = applyConfigChanges(before.text ?? undefined, opts.changes);
  if (!edited.ok) return invalid(file, edited.issues);
  try {
    await parseConfig(edited.text, { file, ...(opts.env ? { env: opts.env } : {}) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // The loader's message names the file and each key; keep it whole, without the server's folder.
    return invalidFrom(file, err, []);
  }
  for (const s of edited.secretFiles) await writeFileAtomic(secretFilePath(file, s.path), `${s.value}\n`, CONFIG_MODE);
  if (before.text === null) {
    if (!(await createExclusive(file, edited.text))) return { kind: 'conflict', file, hash: (await readConfigState(file)).hash };
    // Worker containers run as the image's `node` user and read this file through a bind mount.
    if (process.getuid?.() === 0) await chown(file, WORKER_UID, WORKER_UID);
  } else {
    const info = await stat(file);
    const again = await readConfigState(file);
    if (again.hash !== opts.expectedHash) return { kind: 'conflict', file, hash: again.hash };
    await writeFileAtomic(file, edited.text, info.mode & 0o777);
    if (process.getuid?.() === 0) await chown(file, info.uid, info.gid);
  }
  return { kind: 'written', file, hash: contentHash(edited.text) };
}

/** Deletes a config file the form was filled from (same hash rule). Its worker and data are the supervisor's. */
export async function deleteConfig(opts: { file: string; expectedHash: string }): Promise<ConfigWriteResult> {
  const file = path.resolve(opts.file);
  const now = await readConfigState(file);
  if (now.hash === null) return { kind: 'not-found', file };
  if (now.hash !== opts.expectedHash) return { kind: 'conflict', file, hash: now.hash };
  await unlink(file);
  return { kind: 'deleted', file };
}
