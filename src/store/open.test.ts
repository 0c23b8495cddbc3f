import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../lib/index.js';
import { StoreError } from './errors.js';
import { openStore } from './open.js';

/** A 127.0.0.1 port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openStore', () => {
  it('opens SQLite under the data dir when no URL is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'campus-sync-open-'));
    try {
      const store = await openStore({ dataDir: dir, databaseUrl: '' });
      expect(store.kind).toBe('sqlite');
      expect(store.description).toBe(`SQLite ${join(dir, 'campus-sync.db')}`);
      await store.ping();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable PostgreSQL as a retryable StoreError naming it, without the password', async () => {
    const port = await closedPort();
    const err = await openStore({ databaseUrl: `postgres://cs:hunter22-secret@127.0.0.1:${port}/reports`, dataDir: tmpdir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`PostgreSQL reports@127.0.0.1:${port}`);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).not.toContain('hunter22-secret');
    expect((err as StoreError).retryable).toBe(true);
  });

  it('refuses an unsupported URL with a ConfigError', async () => {
    await expect(openStore({ databaseUrl: 'mysql://u:pw@h/db', dataDir: tmpdir() })).rejects.toBeInstanceOf(ConfigError);
  });
});
