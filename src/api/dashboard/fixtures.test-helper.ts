import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRow } from '../../store/index.js';

/** Secrets planted in the test configs: a sweep checks none of them is ever served. */
export const PASSWORD = 'Pa55-word-of-alice-123';
export const ECAL_KEY = 'ecal-key-of-alice-456';
export const ECAL_SECRET = 'ecal-secret-of-alice-789';
export const CLIC_KEY = 'clicrdv-apikey-abcdef';
export const WEBHOOK_TOKEN = 'webhook-token-XYZ0123456789';
export const API_KEY = 'dashboard-api-key-0123456789abcdef';
export const SECRETS = [PASSWORD, ECAL_KEY, ECAL_SECRET, CLIC_KEY, WEBHOOK_TOKEN, API_KEY];

/** A timetable with a slot watcher and a notification channel, written as a person would. */
export function timetableYaml(
  o: { moncampusUrl?: string; casUrl?: string; ecalUrl?: string; webhookUrl?: string; clicUrl?: string; from?: string; to?: string } = {},
): string {
  return [
    'timezone: Europe/Paris',
    'schedule: "46 6-18 * * *"',
    'moncampus:',
    ...(o.moncampusUrl ? [`  url: ${o.moncampusUrl}`] : []),
    ...(o.casUrl ? [`  casUrl: ${o.casUrl}`] : []),
    '  username: alice.martin',
    `  password: "${PASSWORD}"`,
    '  window:',
    ...(o.from ? [`    from: "${o.from}"`, `    to: "${o.to}"`] : ['    pastDays: 7', '    futureDays: 30']),
    'ecal:',
    ...(o.ecalUrl ? [`  url: ${o.ecalUrl}`] : []),
    `  apiKey: "${ECAL_KEY}"`,
    `  apiSecret: "${ECAL_SECRET}"`,
    '  calendarId: aaaaaaaaaaaaaaaaaaaaaaaa',
    'slots:',
    '  - name: consulat',
    '    provider: clicrdv',
    `    url: "${o.clicUrl ?? 'http://127.0.0.1:9/api/v2/availabletimeslots'}?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${CLIC_KEY}"`,
    '    daysAhead: 5',
    'notify:',
    '  - name: discord',
    '    type: discord-webhook',
    `    url: ${o.webhookUrl ?? `http://127.0.0.1:9/api/webhooks/123456/${WEBHOOK_TOKEN}`}`,
    '',
  ].join('\n');
}

/** Slots only: no timetable, so no "run now". */
export const slotsOnlyYaml = [
  'timezone: Europe/Paris',
  'slots:',
  '  - name: prefecture',
  '    provider: clicrdv',
  `    url: "http://127.0.0.1:9/api/v2/availabletimeslots?group_id=1&from={date}&apikey=${CLIC_KEY}"`,
  '',
].join('\n');

/** Invalid (an unknown key), and it holds alice's password: its error must not show it. */
export const invalidYaml = [
  'timezone: Europe/Paris',
  'moncampus:',
  '  username: bob',
  `  password: "${PASSWORD}"`,
  'ecal:',
  '  apiKey: x',
  'colour: blue',
  '',
].join('\n');

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

export function runRow(instance: string, startedAt: Date, over: Partial<Omit<RunRow, 'id'>> = {}): Omit<RunRow, 'id'> {
  return {
    instance,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 2_000).toISOString(),
    durationMs: 2_000,
    outcome: 'success',
    phase: null,
    error: null,
    courses: 20,
    created: 0,
    updated: 0,
    adopted: 0,
    deleted: 0,
    unchanged: 20,
    skipped: 0,
    failed: 0,
    ...over,
  };
}
