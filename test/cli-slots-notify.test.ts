import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCalcomSim,
  startClicrdvSim,
  startDiscordSim,
  startSlackSim,
  type CalcomSim,
  type ClicrdvSim,
  type DiscordSim,
  type SlackSim,
} from '../src/sim/index.js';
import { makeWorkspace, runCli, writeConfig, type Workspace } from './helpers.js';

const CLIC_KEY = 'clic-key-7788';
const CAL_KEY = 'cal_test_key';

describe('slots check and notify test', () => {
  let clic: ClicrdvSim;
  let cal: CalcomSim;
  let discord: DiscordSim;
  let slack: SlackSim;
  let ws: Workspace;
  let webhook: { id: string; token: string; url: string };
  let slackUrl: string;

  beforeAll(async () => {
    const day = (n: number) => DateTime.now().setZone('Europe/Paris').plus({ days: n }).toISODate()!;
    clic = await startClicrdvSim({
      apikey: CLIC_KEY,
      slots: [
        { start: `${day(2)} 09:30:00`, slot: 1, capacity: 1 },
        { start: `${day(5)} 14:00:00`, slot: 2, capacity: 1 },
      ],
    });
    cal = await startCalcomSim({
      apiKey: CAL_KEY,
      slots: [
        { eventTypeId: 42, start: DateTime.now().setZone('Europe/Paris').plus({ days: 3 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 }).toISO()! },
      ],
    });
    discord = await startDiscordSim();
    slack = await startSlackSim();
    webhook = discord.createWebhook();
    slackUrl = slack.createWebhook();
    ws = await makeWorkspace();
    await writeConfig(
      ws,
      'nina',
      [
        'moncampus:',
        '  username: nina',
        '  password: "nina-password-1"',
        'slots:',
        '  - name: consulat',
        '    provider: clicrdv',
        `    url: "${clic.url}/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${CLIC_KEY}"`,
        '    daysAhead: 7',
        '  - name: docteur',
        '    provider: calcom',
        '    eventTypeId: 42',
        `    apiKey: ${CAL_KEY}`,
        '    apiVersion: v1',
        `    url: ${cal.url}`,
        'notify:',
        '  - name: discord',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '  - name: slack',
        '    type: slack',
        `    url: ${slackUrl}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([clic?.close(), cal?.close(), discord?.close(), slack?.close()]);
  });

  it('slots check prints what each watcher sees now, and records nothing', async () => {
    const r = await runCli(['slots', 'check', 'nina'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/consulat \(clicrdv\): 2 slot\(s\) now, 7 request\(s\)/);
    expect(r.stdout).toMatch(/docteur \(calcom\): 1 slot\(s\) now, 1 request\(s\)/);
    expect(r.stdout + r.stderr).not.toContain(CLIC_KEY);
    const json = await runCli(['slots', 'check', 'nina', '--watcher', 'docteur', '--json'], ws.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ watcher: 'docteur', slots: [{ id: expect.any(String) }] });
    expect(discord.messages()).toHaveLength(0);
  });

  it('notify test sends one message per channel, and a dead webhook fails clearly without its token', async () => {
    const r = await runCli(['notify', 'test', 'nina'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ discord \(discord-webhook\): sent/);
    expect(r.stdout).toMatch(/✓ slack \(slack\): sent/);
    expect(discord.messages()).toHaveLength(1);
    expect(slack.messages()).toHaveLength(1);
    discord.deleteWebhook(webhook.id);
    const dead = await runCli(['notify', 'test', 'nina', '--channel', 'discord'], ws.env);
    expect(dead.code).toBe(1);
    expect(dead.stdout).toMatch(/✗ discord/);
    expect(dead.stdout + dead.stderr).not.toContain(webhook.token);
  });
});
