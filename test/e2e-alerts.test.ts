import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateTimetable,
  startClicrdvSim,
  startDiscordSim,
  startEcalSim,
  startMonCampusSim,
  type ClicrdvSim,
  type DiscordSim,
  type EcalSim,
  type MonCampusSim,
} from '../src/sim/index.js';
import { API_KEY, API_SECRET, PASSWORD, makeWorkspace, nestedConfig, runCli, writeConfig, type Workspace } from './helpers.js';

const CLIC_KEY = 'clic-key-e2e-1';
const day = (n: number): string => DateTime.now().setZone('Europe/Paris').plus({ days: n }).toISODate()!;

describe('the worker alerts: new slots and login transitions reach Discord, once each', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let clic: ClicrdvSim;
  let discord: DiscordSim;
  let ws: Workspace;
  let webhook: { id: string; token: string; url: string };
  const env = () => ({ ...ws.env, RUN_ONCE: '1' });
  const texts = () => discord.messages().map((m) => JSON.stringify(m.body));

  const write = (password: string) =>
    writeConfig(
      ws,
      'olga',
      nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-10-31', password }) +
        [
          'slots:',
          '  - name: consulat',
          '    provider: clicrdv',
          `    url: "${clic.url}/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${CLIC_KEY}"`,
          '    daysAhead: 5',
          '    bookingUrl: https://www.clicrdv.com/consulat',
          'notify:',
          '  - name: discord',
          '    type: discord-webhook',
          `    url: ${webhook.url}`,
          '',
        ].join('\n'),
    );

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses: generateTimetable({ count: 10, start: '2025-09-01', seed: 9 }) });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: ['aaaaaaaaaaaaaaaaaaaaaaaa'] });
    clic = await startClicrdvSim({ apikey: CLIC_KEY, slots: [{ start: `${day(1)} 09:00:00`, slot: 1, capacity: 1 }] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();
    ws = await makeWorkspace();
    await write(PASSWORD);
  });
  afterAll(async () => {
    await Promise.all([mc?.close(), ecal?.close(), clic?.close(), discord?.close()]);
  });

  it('the first check is a baseline: nothing is sent', async () => {
    const r = await runCli(['worker', 'olga'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/baseline of 1 slot/);
    expect(discord.messages()).toHaveLength(0);
  });

  it('a new slot is one message naming it, with the booking link; the same slots again send nothing', async () => {
    clic.setSlots([
      { start: `${day(1)} 09:00:00`, slot: 1, capacity: 1 },
      { start: `${day(3)} 14:30:00`, slot: 2, capacity: 1 },
    ]);
    const r = await runCli(['worker', 'olga'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(discord.messages()).toHaveLength(1);
    expect(texts()[0]).toMatch(/14:30/);
    expect(texts()[0]).toContain('https://www.clicrdv.com/consulat');
    await runCli(['worker', 'olga'], env());
    expect(discord.messages()).toHaveLength(1);
    // The delivery journal the reporting store imports: queued, then delivered, for the one channel.
    const journal = (await readFile(join(ws.data, 'olga', 'alerts.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; deliveredAt: string | null; channel: string });
    const slotLines = journal.filter((l) => l.kind === 'slot.new');
    expect(slotLines.map((l) => [l.channel, l.deliveredAt === null])).toEqual([
      ['discord', true],
      ['discord', false],
    ]);
  });

  it('a refused login alerts once when it starts and once when it recovers, never with the password', async () => {
    const wrong = 'Wrong-Olga-Pass-1';
    await write(wrong);
    mc.expireSessions(); // a valid session would need no password at all
    await runCli(['worker', 'olga'], env());
    await runCli(['worker', 'olga'], env());
    const failed = texts().filter((t) => t.includes('connexion refusée'));
    expect(failed).toHaveLength(1);
    await write(PASSWORD);
    await runCli(['worker', 'olga'], env());
    expect(texts().filter((t) => t.includes('la connexion fonctionne de nouveau'))).toHaveLength(1);
    for (const t of texts()) {
      expect(t).not.toContain(wrong);
      expect(t).not.toContain(PASSWORD);
      expect(t).not.toContain(CLIC_KEY);
      expect(t).not.toContain(webhook.token);
    }
  });
});
