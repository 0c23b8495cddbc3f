import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/index.js';
import { controlRequest, startControlServer } from './control.js';
import type { ActualWorker, Runtime } from './interface.js';

/** A runtime that records calls: the control socket's job is routing, tested here without processes. */
function recordingRuntime(names: string[]): Runtime & { calls: string[] } {
  const calls: string[] = [];
  const worker = (name: string): ActualWorker => ({ name, id: name, configHash: 'h', state: 'running', restartCount: 0 });
  return {
    kind: 'process',
    capabilities: { sharedWorkers: false, countsRestarts: false, needsRevival: false, sharedEngine: false },
    calls,
    ping: async () => true,
    list: async () => names.map(worker),
    specHash: () => 'h',
    create: async (w) => void calls.push(`create ${w.name}`),
    remove: async (ref) => void calls.push(`remove ${ref.by === 'name' ? ref.name : ref.id}`),
    start: async (n) => void calls.push(`start ${n}`),
    stop: async (n) => void calls.push(`stop ${n}`),
    restart: async (n) => void calls.push(`restart ${n}`),
    logs: async function* () {},
    close: async () => {},
  };
}

describe('the control socket', () => {
  it('routes start/stop/restart to the runtime and refuses unknown workers', async () => {
    const socketPath = join(await mkdtemp(join(tmpdir(), 'cs-ctl-')), 'control.sock');
    const runtime = recordingRuntime(['alice']);
    let reconciles = 0;
    const server = await startControlServer({ socketPath, runtime, reconcileNow: async () => void reconciles++, logger: silentLogger });
    try {
      expect((await controlRequest(socketPath, '/workers/alice/stop')).status).toBe(200);
      expect((await controlRequest(socketPath, '/workers/alice/restart')).status).toBe(200);
      const unknown = await controlRequest(socketPath, '/workers/bob/start');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatch(/no worker named bob/);
      expect((await controlRequest(socketPath, '/reconcile')).status).toBe(200);
      expect(runtime.calls).toEqual(['stop alice', 'restart alice']);
      expect(reconciles).toBe(3); // after stop, after restart, and the one asked for
    } finally {
      await server.close();
    }
    await expect(controlRequest(socketPath, '/reconcile')).rejects.toThrow();
  });
});
