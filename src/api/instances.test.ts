import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigView, CONFIG_CACHE_MS, readWorkerStatus, WORKER_STATUS_FILE } from './instances.js';
import { tempDirs, writeConfig, type TempDirs } from './test-support.test-helper.js';

const SECRET = 'a-Very-secret-Passw0rd';
let dirs: TempDirs;
beforeAll(async () => {
  dirs = await tempDirs('campus-sync-instances-');
  await writeConfig(dirs.configDir, 'alice', SECRET);
  await writeFile(join(dirs.configDir, 'broken.yml'), 'timezone: [\n');
});
afterAll(async () => dirs.cleanup());

describe('createConfigView', () => {
  it('gives valid, invalid and removed instances without any config value but harmless ones', async () => {
    const view = createConfigView(dirs.configDir);
    const states = await view.states(['alice', 'zed']);
    expect(states).toEqual([
      {
        name: 'alice',
        state: 'valid',
        schedule: '46 6-18 * * *',
        timezone: 'Europe/Paris',
        features: { timetable: true, ecal: true, ics: true, slot_watchers: 0, notify_channels: 0 },
      },
      { name: 'broken', state: 'invalid', error: expect.stringContaining('broken.yml') },
      { name: 'zed', state: 'removed' },
    ]);
    expect(JSON.stringify(states)).not.toContain(SECRET);
    expect(await view.names()).toEqual(['alice', 'broken']);
  });

  it('redacts the secrets of every valid config, and follows changes of the files', async () => {
    let now = 0;
    const view = createConfigView(dirs.configDir, { now: () => now });
    expect((await view.redactor())(`pw ${SECRET}-key!`)).toBe('pw [REDACTED]!');
    await writeConfig(dirs.configDir, 'bob', 'bobs-own-secret');
    expect((await view.redactor())('bobs-own-secret')).toBe('[REDACTED]');
    // A secret that changed outside the config file (here: the environment) is picked up within CONFIG_CACHE_MS.
    const alice = await readFile(join(dirs.configDir, 'alice.yml'), 'utf8');
    await writeFile(join(dirs.configDir, 'carol.yml'), alice.replace(SECRET, '${CAROL_PW}'));
    const env = { CAROL_PW: 'first-carol-pw' };
    const envView = createConfigView(dirs.configDir, { env, now: () => now });
    expect((await envView.redactor())('first-carol-pw')).toBe('[REDACTED]');
    env.CAROL_PW = 'second-carol-pw';
    expect((await envView.redactor())('second-carol-pw')).toBe('second-carol-pw');
    now += CONFIG_CACHE_MS + 1;
    expect((await envView.redactor())('second-carol-pw')).toBe('[REDACTED]');
  });
});

describe('readWorkerStatus', () => {
  it('reads worker.json, and gives null when absent or unreadable', async () => {
    await mkdir(join(dirs.dataDir, 'alice'), { recursive: true });
    await writeFile(
      join(dirs.dataDir, 'alice', WORKER_STATUS_FILE),
      JSON.stringify({ pid: 1, state: 'running', nextRun: null, updatedAt: '2025-01-01T00:00:00.000Z' }),
    );
    expect(await readWorkerStatus(dirs.dataDir, 'alice')).toEqual({ state: 'running', next_run: null, updated_at: '2025-01-01T00:00:00.000Z' });
    expect(await readWorkerStatus(dirs.dataDir, 'nobody')).toBeNull();
    await mkdir(join(dirs.dataDir, 'bad'), { recursive: true });
    await writeFile(join(dirs.dataDir, 'bad', WORKER_STATUS_FILE), '{');
    expect(await readWorkerStatus(dirs.dataDir, 'bad')).toBeNull();
  });
});
