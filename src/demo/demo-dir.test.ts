import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { loadConfigFile } from '../config/index.js';
import { DEMO_MARKER, prepareDemoDir, writeDemoConfigs } from './demo-dir.js';

describe('prepareDemoDir', () => {
  const made: string[] = [];
  const temp = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'campus-sync-demo-dir-'));
    made.push(d);
    return d;
  };
  afterAll(async () => {
    await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('makes the folders of a missing demo folder and marks it', async () => {
    const root = join(await temp(), 'demo');
    const dirs = await prepareDemoDir(root);
    expect(existsSync(dirs.configs) && existsSync(dirs.data)).toBe(true);
    expect(await readdir(root)).toContain(DEMO_MARKER);
  });

  it("wipes the previous run's configs, data and log", async () => {
    const root = await temp();
    const first = await prepareDemoDir(root);
    await writeFile(join(first.configs, 'old.yml'), 'x: 1\n');
    await mkdir(join(first.data, 'old'), { recursive: true });
    await writeFile(first.log, 'old log\n');
    const again = await prepareDemoDir(root);
    expect(await readdir(again.configs)).toEqual([]);
    expect(await readdir(again.data)).toEqual([]);
    expect(existsSync(again.log)).toBe(false);
  });

  it('takes the folder of an earlier demo (configs/ and data/ only), refuses one holding anything else', async () => {
    const old = await temp();
    await mkdir(join(old, 'configs'));
    await writeFile(join(old, 'configs', 'demo.yml'), 'x: 1\n');
    await expect(prepareDemoDir(old)).resolves.toMatchObject({ root: old });
    const foreign = await temp();
    await writeFile(join(foreign, 'thesis.tex'), 'precious\n');
    await mkdir(join(foreign, 'data'));
    await expect(prepareDemoDir(foreign)).rejects.toThrow(/files the demo did not make/);
    expect(existsSync(join(foreign, 'thesis.tex')) && existsSync(join(foreign, 'data'))).toBe(true);
  });

  it('writes configs the config loader accepts', async () => {
    const dirs = await prepareDemoDir(await temp());
    const [file] = await writeDemoConfigs(dirs.configs, {
      solo: { timezone: 'Europe/Paris', slots: [{ name: 'w', provider: 'calcom', eventTypeId: 3, url: 'http://127.0.0.1:9/' }] },
    });
    const config = await loadConfigFile(file!);
    expect(config.name).toBe('solo');
    expect(config.slots).toHaveLength(1);
  });
});
