import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { zeroCounts } from '../instance/index.js';
import { fakeClock, type FakeClock } from '../lib/fake-clock.test-helper.js';
import { openStore, type Store } from '../store/index.js';
import { CONFIG_CACHE_MS } from './config-source.js';
import { createConfigView } from './instances.js';
import { createKnownInstances } from './known-instances.js';
import { tempDirs, type TempDirs } from './test-support.test-helper.js';

const run = (instance: string) => ({
  instance,
  startedAt: '2025-01-01T08:00:00.000Z',
  finishedAt: '2025-01-01T08:01:00.000Z',
  outcome: 'success',
  phase: null,
  error: null,
  courses: 1,
  ...zeroCounts(),
  created: 1,
  durationMs: 60_000,
});

describe('createKnownInstances', () => {
  let dirs: TempDirs;
  let store: Store;
  let clock: FakeClock;
  /** What each answer cost: config directory reads and store queries. */
  let calls: { names: number; lastRun: number; instances: number };
  let known: (name: string) => Promise<boolean>;
  /** Moves the directory's mtime to a time of its own: a coarse file system must not hide the change from the test. */
  let touches = 0;
  const touchDir = () => utimes(dirs.configDir, new Date(), new Date(Date.UTC(2030, 0, 1, 0, 0, ++touches)));

  beforeEach(async () => {
    dirs = await tempDirs();
    store = await openStore({ dataDir: dirs.dataDir });
    clock = fakeClock();
    calls = { names: 0, lastRun: 0, instances: 0 };
    const configs = createConfigView(dirs.configDir);
    await writeFile(join(dirs.configDir, 'alice.yml'), 'timezone: Europe/Paris\n');
    await touchDir();
    await store.insertRun(run('ghost'));
    known = createKnownInstances({
      configDir: dirs.configDir,
      configNames: () => {
        calls.names++;
        return configs.names();
      },
      store: {
        lastRun: (name) => {
          calls.lastRun++;
          return store.lastRun(name);
        },
        instances: () => {
          calls.instances++;
          return store.instances();
        },
      },
      clock,
    });
  });
  afterEach(async () => {
    await store.close();
    await dirs.cleanup();
  });

  it('knows a config, an instance with history only, and nothing else (an invalid name costs nothing)', async () => {
    expect(await known('alice')).toBe(true);
    expect(await known('ghost')).toBe(true);
    expect(await known('nobody')).toBe(false);
    expect(await known('../etc')).toBe(false);
    expect(calls).toEqual({ names: 3, lastRun: 2, instances: 1 });
  });

  it('answers a known name again without reading the directory or the store, while the directory is unchanged', async () => {
    await known('alice');
    await known('ghost');
    const before = { ...calls };
    for (let i = 0; i < 5; i++) {
      expect(await known('alice')).toBe(true);
      expect(await known('ghost')).toBe(true);
    }
    expect(calls).toEqual(before);
  });

  it('never remembers an unknown name: a config added later counts at once', async () => {
    expect(await known('carol')).toBe(false);
    await writeFile(join(dirs.configDir, 'carol.yml'), 'timezone: Europe/Paris\n');
    await touchDir();
    expect(await known('carol')).toBe(true);
  });

  it('forgets once the directory changes: a config removed, with no history, is no instance any more', async () => {
    expect(await known('alice')).toBe(true);
    await rm(join(dirs.configDir, 'alice.yml'));
    await touchDir();
    expect(await known('alice')).toBe(false);
  });

  it('looks again after CONFIG_CACHE_MS even when the directory looks unchanged', async () => {
    await known('ghost');
    const before = { ...calls };
    clock.advance(CONFIG_CACHE_MS - 1);
    expect(await known('ghost')).toBe(true);
    expect(calls).toEqual(before);
    clock.advance(1);
    expect(await known('ghost')).toBe(true);
    expect(calls).toEqual({ names: before.names + 1, lastRun: before.lastRun + 1, instances: before.instances });
  });
});
