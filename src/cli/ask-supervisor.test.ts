import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../instance/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { askSupervisor, supervisorFailure } from './ask-supervisor.js';

let dataDir: string;
let server: Server | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cs-ask-supervisor-'));
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** A control socket answering each path as told (a path left out is never answered). */
async function listen(answers: Record<string, { status: number; body: unknown }>): Promise<void> {
  const socket = controlSocketPath(dataDir);
  await mkdir(dirname(socket), { recursive: true });
  server = createServer((req, res) => {
    const a = answers[req.url ?? ''];
    if (!a) return;
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server?.listen(socket, () => resolve()));
}

describe('askSupervisor', () => {
  it('says no supervisor when nothing listens on the control socket', async () => {
    expect(await askSupervisor(dataDir, '/reconcile')).toEqual({ kind: 'no-supervisor' });
  });

  it('sorts the answers: done, no such worker, refused with its reason', async () => {
    await listen({
      '/workers/alice/stop': { status: 200, body: { ok: true } },
      '/workers/nobody/stop': { status: 404, body: { error: 'no worker named nobody' } },
      '/workers/bob/stop': { status: 500, body: { error: 'engine gone' } },
      '/workers/carol/stop': { status: 503, body: {} },
    });
    expect(await askSupervisor(dataDir, '/workers/alice/stop')).toEqual({ kind: 'ok' });
    expect(await askSupervisor(dataDir, '/workers/nobody/stop')).toEqual({ kind: 'no-worker', why: 'no worker named nobody' });
    const refused = await askSupervisor(dataDir, '/workers/bob/stop');
    expect(refused).toEqual({ kind: 'refused', why: 'engine gone' });
    expect(supervisorFailure(refused)).toBe('engine gone');
    expect(await askSupervisor(dataDir, '/workers/carol/stop')).toEqual({ kind: 'refused', why: 'the supervisor answered 503' });
    expect(supervisorFailure({ kind: 'no-worker', why: 'x' })).toBeNull();
  });

  it('gives up on a supervisor that does not answer in time, leaving no timer behind', async () => {
    await listen({});
    const clock = fakeClock();
    const asked = askSupervisor(dataDir, '/workers/alice/restart', { timeoutMs: 35_000, clock });
    await expect.poll(() => clock.pendingTimers()).toBe(1);
    await clock.tickAsync(35_000);
    const answer = await asked;
    expect(answer).toEqual({ kind: 'unanswered', error: 'the supervisor did not answer within 35 s' });
    expect(supervisorFailure(answer)).toBe('the supervisor did not answer within 35 s');
    expect(clock.pendingTimers()).toBe(0);
  });
});
