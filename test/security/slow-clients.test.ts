/**
 * Slow and idle clients against the real HTTP server on 127.0.0.1 (createApiServer with the real SQLite store),
 * with its timeouts shortened so the test waits on the server's own closes, not on the defaults' 10-15 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { createApiServer, type ApiServer } from '../../src/api/server.js';
import { captureLogger, tempDirs, type TempDirs } from '../../src/api/test-support.test-helper.js';
import { closed, openSocket, rawRequest } from './raw-http.js';
import { within } from '../helpers.js';

const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300, perClient: 8, total: 64 };

describe('slow clients', () => {
  let dirs: TempDirs;
  let store: Store;
  let server: ApiServer;
  let base = '';

  beforeAll(async () => {
    dirs = await tempDirs('campus-sync-slow-');
    const { logger } = captureLogger();
    store = await openStore({ dataDir: dirs.dataDir, logger });
    server = createApiServer({ store, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: ['k'], logger, limits: LIMITS });
    ({ url: base } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(async () => {
    await server?.close(100);
    await store?.close();
    await dirs?.cleanup();
  });

  it('closes a socket that never sends a byte, and one that never finishes its headers', async () => {
    const silent = await openSocket(base, '127.0.0.1');
    const partial = await openSocket(base, '127.0.0.1');
    partial.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    // Closed by the server (not by us), well before the test's own timeout.
    await within(Promise.all([closed(silent), closed(partial)]), 20_000, 'the server to close both sockets');
  });

  it('drops a POST whose body trickles in past the request timeout', async () => {
    const socket = await openSocket(base, '127.0.0.1');
    socket.write('POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    // One byte every 50 ms: a slowloris body that would take 50 s.
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('k');
    }, 50);
    await closed(socket);
    clearInterval(drip);
    expect(answer === '' || /^HTTP\/1\.1 (408|400|404)/.test(answer)).toBe(true);
  });

  it('caps open sockets per client and keeps answering other clients meanwhile', async () => {
    // A server of its own with the default (long) timeouts: the held sockets stay open while we count, whatever the load.
    const capped = createApiServer({
      store,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: ['k'],
      logger: captureLogger().logger,
      limits: { perClient: 8, total: 64 },
    });
    const { url } = await capped.listen(0, '127.0.0.1');
    try {
      const sockets = await Promise.all(Array.from({ length: 20 }, () => openSocket(url, '127.0.0.2')));
      // Wait for the server's own closes, counting them: exactly the 12 over the cap go, the 8 it holds stay.
      await new Promise<void>((resolve) => {
        let n = 0;
        for (const s of sockets) void closed(s).then(() => ++n === 12 && resolve());
      });
      expect(sockets.filter((s) => !s.destroyed)).toHaveLength(8);
      const health = await rawRequest(url, '/health');
      expect(health.status).toBe(200);
      for (const s of sockets) s.destroy();
    } finally {
      await capped.close(100);
    }
  });
});
