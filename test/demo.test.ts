/**
 * `npm run demo` end to end: the built demo as a user runs it (simulators, configs, the real supervisor
 * with the process runtime, its workers and API), in a temporary demo folder with PORT=0. Waits for the
 * printed dashboard URL, a timetable landing in the simulated ECAL, a slot alert and a timetable-change alert
 * (a class moved in the MonCampus simulator) reaching the simulated Discord; then Ctrl+C (SIGINT) must stop it all with exit code 0 and leave no process behind.
 */
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { API_WAIT_MS } from '../src/demo/supervisor-child.js';
import { alive, processes, startDemo, type Proc, type RunningDemo } from './demo-helpers.js';

describe('npm run demo', () => {
  let demo: RunningDemo;
  let tree: Proc[] = [];

  beforeAll(async () => {
    demo = await startDemo();
  }, 60_000);

  afterAll(async () => {
    // Only if the test failed half-way: nothing of this run may outlive it.
    await demo?.cleanup(tree);
  });

  it('prints the dashboard, shows the timetables in ECAL and a slot alert in Discord; Ctrl+C leaves nothing running', async () => {
    // As long as the demo itself waits for its dashboard: a busy CI machine took over 30 s once.
    const url = (await demo.waitForOutput(/Dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\//, API_WAIT_MS))[1]!;
    const apiKey = (await demo.waitForOutput(/API key:\s+(\S+)/, 1_000))[1]!;
    await demo.waitForOutput(/alice: \d+ events in ECAL \(\d+ created\)/, 30_000);
    await demo.waitForOutput(/bob: \d+ events in ECAL/, 10_000);
    await demo.waitForOutput(/Discord #\S+ received: "\S+ : un nouveau créneau/, 30_000);
    // A class moved in the MonCampus simulator: the next sync's change alert, in French, on alice's channel.
    await demo.waitForOutput(/MonCampus: alice's .* moves an hour later/, 30_000);
    await demo.waitForOutput(/Discord #alice received: "alice : un cours change" .* déplacé : /, 45_000);

    // A student's message in the reporting channel reaches the dashboard live (the Gateway simulator), within a second or so.
    const posted = await demo.waitForOutput(/Discord #reporting: (\S+): "([^"]+)"/, 30_000);
    const summary = async (): Promise<string> =>
      ((await (await fetch(`${url}/dashboard/state.json`, { headers: { 'x-api-key': apiKey } })).json()) as { html: { summary: { html: string } } }).html
        .summary.html;
    // Its latency promise is checked on a fake clock (src/ingest/live.test.ts); here, that it gets there.
    await expect.poll(summary, { timeout: 10_000, interval: 100 }).toContain(`<strong>${posted[1]}</strong>: ${posted[2]}`);
    expect(((await (await fetch(`${url}/health`)).json()) as { discord?: { gateway: { status: string } } }).discord?.gateway.status).toBe('connected');

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { instances: { name: string }[] };
    expect(body.instances.map((i) => i.name).sort()).toEqual(['alice', 'bob', 'office-hours']);
    // The printed key is the one the API takes.
    expect((await fetch(`${url}/v1/instances`, { headers: { 'x-api-key': apiKey } })).status).toBe(200);

    // The supervisor, its API and one worker per config, all under the demo.
    tree = await demo.tree();
    expect(tree.filter((p) => p.args.includes('supervise --runtime process'))).toHaveLength(1);
    expect(tree.filter((p) => p.args.includes(' serve'))).toHaveLength(1);
    expect(tree.filter((p) => p.args.includes(` worker --config ${demo.dir}`))).toHaveLength(3);

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/stopped: nothing of the demo is left running/);
    expect(tree.filter((p) => alive(p.pid))).toEqual([]);
    expect((await processes()).filter((p) => p.args.includes(demo.dir))).toEqual([]);
  }, 150_000);

  it('a demo killed with SIGKILL (no handler runs) takes its supervisor, API and workers along', async () => {
    const killed = await startDemo();
    let procs: Proc[] = [];
    try {
      await killed.waitForOutput(/alice: \d+ events in ECAL/, 30_000);
      procs = await killed.tree();
      expect(procs.filter((p) => p.args.includes('supervise --runtime process'))).toHaveLength(1);
      expect(procs.filter((p) => p.args.includes(` worker --config ${killed.dir}`))).toHaveLength(3);
      killed.child.kill('SIGKILL');
      await killed.exited;
      // Each closes when its parent's pipe does: the supervisor stops its workers and its API, as on Ctrl+C.
      const deadline = Date.now() + 30_000;
      while (procs.some((p) => alive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(procs.filter((p) => alive(p.pid))).toEqual([]);
    } finally {
      await killed.cleanup(procs);
    }
  }, 90_000);
});
