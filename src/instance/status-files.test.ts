import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisorStatusPath, WORKER_STATUS_FILE } from './names.js';
import {
  HEARTBEAT_STALE_MS,
  isHeartbeatFresh,
  readSupervisorStatus,
  supervisorHeartbeatSchema,
  writeSupervisorStatus,
  type SupervisorStatus,
} from './supervisor-status.js';
import { readWorkerStatusFile, workerStatusSchema, writeWorkerStatusFile } from './worker-status.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campus-sync-status-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('worker.json', () => {
  it('reads back what was written, 0644, and null when absent, cut short or of another shape', async () => {
    const inst = join(dir, 'alice');
    expect(await readWorkerStatusFile(inst)).toBeNull();
    const status = {
      pid: 4242,
      state: 'idle',
      schedule: '0 6 * * *',
      timezone: 'Europe/Paris',
      nextRun: null,
      runRefused: { reason: 'held', since: '2026-01-01T00:00:00.000Z' },
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await writeWorkerStatusFile(inst, status);
    expect(await readWorkerStatusFile(inst)).toEqual(status);
    expect((await stat(join(inst, WORKER_STATUS_FILE))).mode & 0o777).toBe(0o644);
    // Key order as written: people read this file.
    expect(Object.keys(JSON.parse(await readFile(join(inst, WORKER_STATUS_FILE), 'utf8')) as object)).toEqual(Object.keys(status));
    await writeFile(join(inst, WORKER_STATUS_FILE), '{"pid": 42, "sta');
    expect(await readWorkerStatusFile(inst)).toBeNull();
    await writeFile(join(inst, WORKER_STATUS_FILE), '{"pid": 42}');
    expect(await readWorkerStatusFile(inst)).toBeNull();
  });

  it('reads a file of an older build (no pid, no times) and refuses a pid that cannot be a process', () => {
    expect(workerStatusSchema.safeParse({ state: 'running' }).success).toBe(true);
    expect(workerStatusSchema.safeParse({ state: 'running', pid: 0 }).success).toBe(false);
    expect(workerStatusSchema.safeParse({ state: 'running', runRefused: { since: 'x' } }).success).toBe(false);
  });
});

describe('.supervisor/status.json', () => {
  const status: SupervisorStatus = {
    pid: 7,
    runtime: 'process',
    startedAt: '2026-01-01T00:00:00.000Z',
    heartbeatAt: '2026-01-01T00:01:00.000Z',
    instances: [{ name: 'alice', state: 'failing', reason: 'runs refused', restartCount: 0, nextRun: null }],
  };

  it('reads back what was written, and null for a damaged file', async () => {
    expect(await readSupervisorStatus(dir)).toBeNull();
    await writeSupervisorStatus(dir, status);
    expect(await readSupervisorStatus(dir)).toEqual(status);
    await writeFile(supervisorStatusPath(dir), '\0\0\0');
    expect(await readSupervisorStatus(dir)).toBeNull();
  });

  it('judges the heartbeat fresh up to its limit, and lets the HEALTHCHECK read only the beat', async () => {
    const beat = Date.parse(status.heartbeatAt);
    expect(isHeartbeatFresh(status, new Date(beat + HEARTBEAT_STALE_MS))).toBe(true);
    expect(isHeartbeatFresh(status, new Date(beat + HEARTBEAT_STALE_MS + 1))).toBe(false);
    expect(isHeartbeatFresh(null, new Date(beat))).toBe(false);
    expect(supervisorHeartbeatSchema.safeParse({ pid: 7, heartbeatAt: status.heartbeatAt, instances: 'another shape' }).success).toBe(true);
    expect(supervisorHeartbeatSchema.safeParse({ pid: 7, heartbeatAt: 'yesterday' }).success).toBe(false);
  });
});
