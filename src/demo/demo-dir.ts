import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../lib/index.js';
import type { DemoConfig } from './world.js';

/** Marks a folder as the demo's own: only such a folder (or an empty one) is ever wiped. */
export const DEMO_MARKER = '.campus-sync-demo';
export const SUPERVISOR_LOG = 'supervisor.log';

export interface DemoDirs {
  root: string;
  configs: string;
  data: string;
  log: string;
}

/**
 * A fresh demo folder for each run: the simulators start empty, so configs, worker state (slot
 * baselines, synced-event ids) and the store of a previous run would only tell stale stories.
 * Refuses a folder holding anything else, unless marked as the demo's, so `--dir ~` cannot wipe anything
 * that matters (a folder of an earlier demo, configs/ and data/ only, is taken).
 */
export async function prepareDemoDir(root: string): Promise<DemoDirs> {
  const dirs = { root, configs: join(root, 'configs'), data: join(root, 'data'), log: join(root, SUPERVISOR_LOG) };
  const entries = existsSync(root) ? await readdir(root) : [];
  const ours = new Set([DEMO_MARKER, 'configs', 'data', SUPERVISOR_LOG]);
  if (!entries.includes(DEMO_MARKER) && entries.some((e) => !ours.has(e))) {
    throw new ConfigError(`${root} holds files the demo did not make (no ${DEMO_MARKER} in it): give another folder with --dir`);
  }
  await Promise.all([dirs.configs, dirs.data, dirs.log].map((p) => rm(p, { recursive: true, force: true })));
  await mkdir(dirs.configs, { recursive: true });
  await mkdir(dirs.data, { recursive: true });
  await writeFile(join(root, DEMO_MARKER), 'Made by `npm run demo`: wiped and rewritten on every run.\n');
  return dirs;
}

/** configs/<name>.yml for each demo config, as a person would write them. */
export async function writeDemoConfigs(configsDir: string, configs: Record<string, DemoConfig>): Promise<string[]> {
  const files: string[] = [];
  for (const [name, config] of Object.entries(configs)) {
    const file = join(configsDir, `${name}.yml`);
    await writeFile(file, `# Written by \`npm run demo\`: points at the simulators on 127.0.0.1 (rewritten every run).\n${stringify(config)}`);
    files.push(file);
  }
  return files;
}
