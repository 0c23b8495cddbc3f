/**
 * A power cut while an alert waits in the outbox, through the real worker (RUN_ONCE cycles of `node
 * dist/cli.js worker`), the Cal.com and Discord simulators: the watcher's seen set, the queued delivery and
 * disabled.json are found damaged. The worker sets each aside and says so once, the queued alert is still
 * delivered, once, and no slot is alerted twice. Each file × each damage is in src/worker/instance-files.test.ts.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCalcomSim, startDiscordSim, type CalcomSim, type DiscordSim } from '../src/sim/index.js';
import { makeWorkspace, runCli, writeConfig, type CliResult, type Workspace } from './helpers.js';
import { calStart, forward, freePort, pendingDeliveries } from './slots-helpers.js';

const CAL_TOKEN = 'cal_tok_power_cut_5e1f';

describe('power cuts: the files behind a queued alert', () => {
  let cal: CalcomSim;
  let discord: DiscordSim;
  let ws: Workspace;
  let port: number;
  let webhook: { id: string; token: string; url: string };
  let up: { close(): Promise<void> } | undefined;
  const x = { eventTypeId: 606, start: calStart(2, 10, 10) };
  const y = { eventTypeId: 606, start: calStart(3, 11, 20) };
  const dir = () => join(ws.data, 'paula');
  const cycle = (): Promise<CliResult> => runCli(['worker', 'paula'], { ...ws.env, RUN_ONCE: '1' });
  const posts = () => discord.messages().filter((m) => m.webhookId === webhook.id);

  beforeAll(async () => {
    cal = await startCalcomSim({ token: CAL_TOKEN, slots: [] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();
    port = await freePort();
    ws = await makeWorkspace();
    // The webhook's own id and token, on a port where nothing listens yet: the alert waits in the outbox.
    const downUrl = `http://127.0.0.1:${port}/api/webhooks/${webhook.id}/${webhook.token}`;
    await writeConfig(
      ws,
      'paula',
      [
        'slots:',
        '  - name: doc',
        '    provider: calcom',
        '    eventTypeId: 606',
        `    token: ${CAL_TOKEN}`,
        `    url: ${cal.url}`,
        'notify:',
        '  - name: discord',
        '    type: discord-webhook',
        `    url: ${downUrl}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await up?.close();
    await Promise.all([cal?.close(), discord?.close()]);
  });

  it('each is set aside and said once; the queued alert is delivered once; no slot is alerted twice', async () => {
    expect((await cycle()).code).toBe(0); // baseline
    cal.setSlots([x]);
    const queued = await cycle();
    expect(queued.code, queued.stderr).toBe(0);
    const [pending] = await pendingDeliveries(ws.data, 'paula');
    // The config's locale is French by default: the title the worker gives, and the one the rebuilt alert must keep.
    expect(pending?.alert.title).toBe('paula : un nouveau créneau (doc)');

    // The power cut: the seen set full of NUL bytes, the delivery cut short, disabled.json of another shape.
    const seen = join(dir(), 'slots', 'doc.json');
    const [deliveryName] = await readdir(join(dir(), 'outbox', 'deliveries'));
    const delivery = join(dir(), 'outbox', 'deliveries', deliveryName!);
    const disabled = join(dir(), 'outbox', 'disabled.json');
    await writeFile(seen, Buffer.alloc((await readFile(seen)).length));
    await writeFile(delivery, (await readFile(delivery)).subarray(0, 40));
    await writeFile(disabled, '[1, 2, 3]\n');

    // Power back, and the channel with it.
    up = await forward(port, Number(new URL(discord.url).port));
    const after = await cycle();
    expect(after.code, after.stderr).toBe(0);
    const out = after.stdout + after.stderr;
    const errorsLog = await readFile(join(dir(), 'errors.log'), 'utf8');
    for (const file of [seen, delivery, disabled]) {
      expect(
        out.split('\n').filter((l) => l.includes(`${file} was damaged`)),
        file,
      ).toHaveLength(1);
      expect(
        errorsLog.split('\n').filter((l) => l.includes(`${file} was damaged`)),
        file,
      ).toHaveLength(1);
      expect((await readdir(join(file, '..'))).filter((n) => n.startsWith(`${file.split('/').at(-1)!}.damaged-`))).toHaveLength(1);
    }
    // The queued alert went out once; x, seen before the cut, is not alerted again (the rebuilt seen set is a baseline).
    expect(posts()).toHaveLength(1);
    expect(JSON.stringify(posts()[0]!.body)).toContain('paula : un nouveau créneau (doc)');
    expect(await pendingDeliveries(ws.data, 'paula')).toEqual([]);

    // Later: a new slot alerts once, and nothing more is said about the damage.
    cal.setSlots([x, y]);
    const later = await cycle();
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout + later.stderr).not.toContain('was damaged');
    expect(posts()).toHaveLength(2);
    expect(JSON.stringify(posts()[1]!.body)).toContain('paula : un nouveau créneau (doc)');
  });
});
