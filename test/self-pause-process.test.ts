/**
 * A pause from the status page survives a supervisor restart under the process runtime (issue 23), as it does
 * under Docker (the exited container) and Swarm (the service scaled to 0): the real `campus-sync supervise
 * --runtime process` (which runs `serve` beside it), the real `/me/<token>` routes with their CSRF field, and the
 * MonCampus simulator. Paused, the supervisor is stopped and started again: no worker process comes back, the
 * status page and `campus-sync status` say paused/stopped; Resume starts it, and it syncs again.
 */
import { execFileSync } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOPPED_MARK_FILE } from '../src/instance/index.js';
import { createInstanceToken } from '../src/invite/index.js';
import { translator } from '../src/lib/index.js';
import { generateTimetable, startMonCampusSim, type MonCampusSim } from '../src/sim/index.js';
import { readSupervisorStatus } from '../src/supervisor/status.js';
import { makeWorkspace, PASSWORD, runCli, startCli, until, type Workspace } from './helpers.js';
import { freePort } from './slots-helpers.js';

const en = translator('en');

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/** Worker processes of lea in this workspace, from `ps`: what really runs. */
function workerPids(ws: Workspace): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(` worker --config ${ws.configs}/lea.yml`))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('a pause from the status page under the process runtime', () => {
  let mc: MonCampusSim;
  let ws: Workspace;
  let supervisor: ReturnType<typeof startCli> | undefined;
  let base: string;
  let env: NodeJS.ProcessEnv;
  let token: string;

  /** A supervisor, and its API answering; resolves with the startedAt of its status file. */
  const startSupervisor = async (): Promise<string> => {
    const before = (await readSupervisorStatus(ws.data))?.startedAt;
    supervisor = startCli(['supervise', '--runtime', 'process'], env);
    await until('the API', () =>
      fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    return until('a status file of this supervisor', async () => {
      const s = await readSupervisorStatus(ws.data);
      return s && s.startedAt !== before && s.instances.some((i) => i.name === 'lea') ? s.startedAt : undefined;
    });
  };
  const leaState = async (): Promise<string | undefined> => (await readSupervisorStatus(ws.data))?.instances.find((i) => i.name === 'lea')?.state;
  const statusPage = async (): Promise<string> => {
    const res = await fetch(`${base}/me/${token}`, { headers: { 'accept-language': 'en' } });
    expect(res.status).toBe(200);
    return res.text();
  };
  /** A form of the page, posted as the browser does: its CSRF field from the page just served. */
  const post = async (action: 'pause' | 'resume'): Promise<{ status: number; html: string }> => {
    const html = await statusPage();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toBeDefined();
    expect(html).toContain(`action="/me/${token}/${action}"`);
    const res = await fetch(`${base}/me/${token}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', origin: base },
      body: new URLSearchParams({ csrf: csrf as string }).toString(),
    });
    return { status: res.status, html: await res.text() };
  };

  beforeAll(async () => {
    const today = DateTime.now().setZone('Europe/Paris');
    mc = await startMonCampusSim({
      users: { student: PASSWORD },
      courses: generateTimetable({ count: 10, start: today.toISODate() as string, seed: 7 }),
    });
    ws = await makeWorkspace();
    await writeFile(
      join(ws.configs, 'lea.yml'),
      ['timezone: Europe/Paris', 'moncampus:', `  url: ${mc.url}`, `  casUrl: ${mc.casUrl}`, '  username: student', `  password: "${PASSWORD}"`, ''].join('\n'),
    );
    token = await createInstanceToken({ dataDir: ws.data }, 'lea');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...ws.env, CAMPUS_SYNC_RUNTIME: 'process', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    supervisor?.child.kill('SIGTERM');
    await supervisor?.result;
    await mc?.close();
  });

  it('stays paused across a supervisor restart, and resumes after it', async () => {
    await startSupervisor();
    await until("lea's worker", async () => workerPids(ws).length === 1);
    await until("lea's first run", () => exists(join(ws.data, 'lea', 'last-run.json')));

    const paused = await post('pause');
    expect(paused.status).toBe(200);
    expect(paused.html).toContain(en('self.result.paused'));
    await until("lea's worker stopped", async () => workerPids(ws).length === 0);
    expect(await exists(join(ws.data, 'lea', STOPPED_MARK_FILE))).toBe(true);

    // The supervisor ends (its children with it) and a new one starts: lea must not come back.
    supervisor?.child.kill('SIGTERM');
    expect((await supervisor?.result)?.code).toBe(0);
    await startSupervisor();
    // The new supervisor has reconciled (lea is in its status file): it created lea stopped, with no process.
    expect(await leaState()).toBe('stopped');
    expect(workerPids(ws)).toEqual([]);
    const page = await statusPage();
    expect(page).toContain(en('self.paused'));
    expect(page).toContain(`action="/me/${token}/resume"`);
    const status = await runCli(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { instances: { name: string; state: string }[] }).instances).toMatchObject([{ name: 'lea', state: 'stopped' }]);

    const resumed = await post('resume');
    expect(resumed.status).toBe(200);
    expect(resumed.html).toContain(en('self.result.resumed'));
    await until("lea's worker again", async () => workerPids(ws).length === 1);
    expect(await exists(join(ws.data, 'lea', STOPPED_MARK_FILE))).toBe(false);
    await until('lea running in the status file', async () => (await leaState()) === 'running');
    expect(await statusPage()).not.toContain(en('self.paused'));
  }, 180_000);
});
