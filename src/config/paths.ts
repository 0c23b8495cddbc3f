import path from 'node:path';
// lib's own file, not its barrel: the HEALTHCHECK probe (dist/health.js) imports this module.
import { ConfigError } from '../lib/errors.js';

/** The instance name is used in Docker names, labels and `data/<name>/`: keep it to safe characters. */
export const INSTANCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
/**
 * Swarm service names stop at 63 characters and ours are prefixed (e.g. `campus-sync-`); 48 leaves
 * room for a prefix and a suffix without ever truncating a name into a collision.
 */
export const MAX_INSTANCE_NAME_LENGTH = 48;

export const CONFIG_DIR_ENV = 'CAMPUS_SYNC_CONFIG_DIR';
export const DATA_DIR_ENV = 'CAMPUS_SYNC_DATA_DIR';

export function isValidInstanceName(name: string): boolean {
  return name.length <= MAX_INSTANCE_NAME_LENGTH && INSTANCE_NAME_PATTERN.test(name);
}

/** `configs/alice.yml` → `alice`: the instance is named after its file. */
export function instanceNameFromFile(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

/** A path as people want to read it: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return abs;
  return rel;
}

function dirFromEnv(env: NodeJS.ProcessEnv, key: string, fallback: string): string {
  const value = env[key];
  return path.resolve(value !== undefined && value !== '' ? value : fallback);
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return dirFromEnv(env, CONFIG_DIR_ENV, 'configs');
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return dirFromEnv(env, DATA_DIR_ENV, 'data');
}

/** Checks the name so a crafted one (`../x`) can never point outside the data directory. */
export function instanceDataDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!isValidInstanceName(name)) {
    throw new ConfigError(`invalid instance name ${JSON.stringify(name)}: expected ${INSTANCE_NAME_PATTERN.source}`);
  }
  return path.join(dataDir(env), name);
}
