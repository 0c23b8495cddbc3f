import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configDir, instanceDataDir, isValidInstanceName, loadConfigFile, type InstanceConfig } from '../config/index.js';
import { UsageError } from './output.js';

/** `<name>` means `configs/<name>.yml` (or .yaml); `--config <path>` names any file. */
export function configPathFor(name: string | undefined, configFlag: string | undefined): string {
  if (configFlag) return configFlag;
  if (!name) throw new UsageError('name a config (e.g. `alice` for configs/alice.yml) or give --config <path>');
  if (!isValidInstanceName(name)) throw new UsageError(`"${name}" is not a config name: use [a-z0-9][a-z0-9_-]*`);
  const dir = configDir();
  for (const ext of ['yml', 'yaml']) {
    const file = join(dir, `${name}.${ext}`);
    if (existsSync(file)) return file;
  }
  throw new UsageError(`no config named "${name}" in ${dir}`);
}

export async function loadInstance(name: string | undefined, configFlag: string | undefined): Promise<{ config: InstanceConfig; dir: string }> {
  const config = await loadConfigFile(configPathFor(name, configFlag));
  return { config, dir: instanceDataDir(config.name) };
}
