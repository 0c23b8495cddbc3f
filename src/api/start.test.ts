import { createServer } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { listenAddressFromEnv, startApi } from './start.js';
import { captureLogger, get, tempDirs, writeConfig, type TempDirs } from './test-support.test-helper.js';

describe('listenAddressFromEnv', () => {
  it('defaults to 127.0.0.1:8080, 0.0.0.0 in a container, and follows PORT and HOST', () => {
    expect(listenAddressFromEnv({})).toEqual({ port: 8080, host: '127.0.0.1' });
    expect(listenAddressFromEnv({ CAMPUS_SYNC_IN_CONTAINER: '1' })).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(listenAddressFromEnv({ CAMPUS_SYNC_IN_CONTAINER: '1', HOST: '::1', PORT: '9000' })).toEqual({ port: 9000, host: '::1' });
    expect(listenAddressFromEnv({ PORT: '0' })).toEqual({ port: 0, host: '127.0.0.1' });
  });

  it.each(['http', '-1', '65536', '80.5'])('refuses PORT=%s', (port) => {
    expect(() => listenAddressFromEnv({ PORT: port })).toThrow(ConfigError);
  });
});

describe('startApi', () => {
  let dirs: TempDirs;
  beforeAll(async () => {
    dirs = await tempDirs('campus-sync-start-');
  });
  afterAll(async () => dirs.cleanup());

  it('opens the store under the data dir, imports the workers’ files, serves, and stops cleanly', async () => {
    await writeConfig(dirs.configDir, 'alice', 'some-long-secret');
    const env = { CAMPUS_SYNC_CONFIG_DIR: dirs.configDir, CAMPUS_SYNC_DATA_DIR: dirs.dataDir, API_KEY: 'k-0123456789', PORT: '0' };
    const { logger, lines } = captureLogger();
    const api = await startApi({ env, logger, importIntervalMs: 50 });
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.store.kind).toBe('sqlite');
    expect(api.store.description).toContain(dirs.dataDir);

    await mkdir(join(dirs.dataDir, 'alice'), { recursive: true });
    const record = {
      instance: 'alice',
      startedAt: '2025-01-01T06:46:00Z',
      finishedAt: '2025-01-01T06:47:00Z',
      durationMs: 1000,
      outcome: 'success',
      courses: 3,
      counts: { created: 3, updated: 0, adopted: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 0 },
    };
    await writeFile(join(dirs.dataDir, 'alice', 'runs.jsonl'), `${JSON.stringify(record)}\n`);
    await expect
      .poll(async () => ((await get(api.url, '/v1/instances/alice/runs', { key: 'k-0123456789' })).json as { items: unknown[] }).items.length, {
        timeout: 5_000,
      })
      .toBe(1);
    expect((await get(api.url, '/health')).json).toMatchObject({ status: 'ok', instances: [{ name: 'alice', lastRun: { outcome: 'success' } }] });
    expect(lines.some((l) => l.message.includes(`reporting API listening on ${api.url}`))).toBe(true);

    await api.stop(1_000);
    await api.stop(); // idempotent
    await expect(get(api.url, '/health')).rejects.toThrow();
    await expect(api.store.ping()).rejects.toThrow();
  });

  it('refuses to start on a port in use, and leaves nothing open', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(
        startApi({
          env: { CAMPUS_SYNC_CONFIG_DIR: dirs.configDir, CAMPUS_SYNC_DATA_DIR: dirs.dataDir },
          port,
          host: '127.0.0.1',
          logger: captureLogger().logger,
        }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
