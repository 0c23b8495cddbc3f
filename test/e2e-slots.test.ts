/**
 * End to end: the real `campus-sync worker` process (dist/cli.js) with configs that hold only `slots:` and
 * `notify:` (no timetable), against the ClicRDV, Cal.com, Discord and Slack simulators, a generic webhook
 * receiver and a real SMTP server (STARTTLS + AUTH) in this process. Mostly RUN_ONCE=1 cycles, each a
 * new process, so every cycle is also a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCalcomSim,
  startClicrdvSim,
  startDiscordSim,
  startSlackSim,
  type CalcomSim,
  type CalcomSlotSpec,
  type ClicrdvSim,
  type DiscordSim,
  type SlackSim,
} from '../src/sim/index.js';
import { makeWorkspace, runCli, startCli, waitFor, writeConfig, type CliResult, type Workspace } from './helpers.js';
import {
  ZONE,
  calStart,
  clicStart,
  forward,
  freePort,
  makeLocalCert,
  pendingDeliveries,
  readTree,
  rewrite,
  secretLeaks,
  startSmtp,
  startWebhookReceiver,
  type SmtpSink,
  type TlsFiles,
} from './slots-helpers.js';

const CAL_KEY = 'cal_live_k3y_4d9e2f';
const CAL_BAD_KEY = 'cal_live_revoked_77a1';
const CAL_TOKEN = 'cal_tok_bearer_91b3c5d7';
const CLIC_KEY = 'clic-apikey-5566aa';
const BOT_TOKEN = 'MTEzNDU2Nzg5.bot-secret.Zx9Qw';
const SMTP_USER = 'mailer';
const SMTP_PASS = 'smtp-P4ss-e2e-31';

/** The label a slot carries in alerts (src/slots/slot.ts: French, in the watcher's zone). */
const label = (iso: string): string => DateTime.fromISO(iso, { setZone: true }).setZone(ZONE).setLocale('fr').toFormat('ccc d LLL HH:mm');
/** ClicRDV starts are Paris wall-clock strings. */
const clicIso = (start: string): string => DateTime.fromFormat(start, 'yyyy-MM-dd HH:mm:ss', { zone: ZONE }).toISO()!;

let tls: TlsFiles;
let smtp: SmtpSink;
let certDir: Workspace;

beforeAll(async () => {
  certDir = await makeWorkspace();
  tls = await makeLocalCert(certDir.root);
  smtp = await startSmtp({ user: SMTP_USER, password: SMTP_PASS, tls });
});
afterAll(async () => {
  await smtp?.close();
});

/** One RUN_ONCE cycle of the worker: a new process each time. */
const cycle = (ws: Workspace, name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runCli(['worker', name], { ...ws.env, RUN_ONCE: '1', ...extraEnv });

const slackTexts = (sim: SlackSim, hook: string): string[] =>
  sim
    .messages()
    .filter((m) => m.webhook === hook)
    .map((m) => JSON.stringify(m.body));
const discordTexts = (sim: DiscordSim, webhookId: string): string[] =>
  sim
    .messages()
    .filter((m) => m.webhookId === webhookId)
    .map((m) => JSON.stringify(m.body));

/**
 * Waits until every waiting delivery's backoff has passed, so the next drain retries them (bounded). One of
 * the real-time waits of this file (test/wall-clock-allowed.txt): the CLI child reads the system clock.
 */
async function waitUntilDue(dataDir: string, name: string, maxMs = 15_000): Promise<void> {
  const due = Math.max(0, ...(await pendingDeliveries(dataDir, name)).map((d) => (d.nextAttemptAt ? Date.parse(d.nextAttemptAt) : 0)));
  const wait = due - Date.now() + 50;
  if (wait > maxMs) throw new Error(`a delivery waits ${wait} ms, more than the test allows`);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

describe('Cal.com v1 and v2 watchers in a worker with no timetable', () => {
  let cal: CalcomSim;
  let slack: SlackSim;
  let hook: string;
  let ws: Workspace;
  const base: CalcomSlotSpec[] = [
    { eventTypeId: 101, start: calStart(2, 9, 15) },
    { eventTypeId: 202, start: calStart(3, 9, 15) },
  ];
  const newV2 = { eventTypeId: 202, start: calStart(4, 10, 45) };
  const newV1a = { eventTypeId: 101, start: calStart(5, 14, 5) };
  const newV1b = { eventTypeId: 101, start: calStart(6, 16, 40) };
  const texts = () => slackTexts(slack, hook);

  beforeAll(async () => {
    cal = await startCalcomSim({ apiKey: CAL_KEY, token: CAL_TOKEN, slots: base });
    slack = await startSlackSim();
    hook = slack.createWebhook();
    ws = await makeWorkspace();
    await writeConfig(
      ws,
      'calvin',
      [
        'timezone: Europe/Paris',
        'slots:',
        '  - name: cal-v1',
        '    provider: calcom',
        '    apiVersion: v1',
        '    eventTypeId: 101',
        `    apiKey: ${CAL_KEY}`,
        `    url: ${cal.url}`,
        '    bookingUrl: https://cal.example/dr-one',
        // Every second, for the long-running part below; RUN_ONCE ignores schedules.
        '    schedule: "* * * * * *"',
        '  - name: cal-v2',
        '    provider: calcom',
        '    eventTypeId: 202',
        `    token: ${CAL_TOKEN}`,
        `    url: ${cal.url}`,
        '    bookingUrl: https://cal.example/dr-two',
        '    schedule: "* * * * * *"',
        'notify:',
        '  - name: team',
        '    type: slack',
        `    url: ${hook}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([cal?.close(), slack?.close()]);
  });

  it('the first cycle is a baseline: one request per watcher with the right auth, nothing sent, state persisted', async () => {
    const r = await cycle(ws, 'calvin');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/slots cal-v1: baseline of 1 slot/);
    expect(r.stderr).toMatch(/slots cal-v2: baseline of 1 slot/);
    expect(texts()).toHaveLength(0);
    // Cal.com v1 answers 410 since 2026-04-08: the watcher written for it is served by v2 with its key, and its owner is warned.
    expect(cal.requests.filter((q) => q.path.startsWith('/v1/'))).toHaveLength(0);
    expect(r.stderr).toMatch(/slot watcher "cal-v1": apiVersion v1: Cal\.com shut API v1 down/);
    const byType = (id: string) => cal.requests.filter((q) => q.path === '/v2/slots' && q.query.eventTypeId === id);
    expect(byType('101')).toHaveLength(1);
    expect(byType('202')).toHaveLength(1);
    expect(byType('101')[0]).toMatchObject({ status: 200, headers: { authorization: `Bearer ${CAL_KEY}`, 'cal-api-version': '2024-09-04' } });
    expect(byType('101')[0]?.query.apiKey).toBeUndefined();
    expect(byType('202')[0]).toMatchObject({ status: 200, headers: { authorization: `Bearer ${CAL_TOKEN}`, 'cal-api-version': '2024-09-04' } });
    const state = JSON.parse(await readFile(join(ws.data, 'calvin', 'slots', 'cal-v2.json'), 'utf8')) as {
      baselineDone: boolean;
      seen: Record<string, unknown>;
    };
    expect(state.baselineDone).toBe(true);
    expect(Object.keys(state.seen)).toHaveLength(1);
  });

  it('one new v2 slot is exactly one message naming it, with its booking link', async () => {
    cal.setSlots([...base, newV2]);
    cal.resetLog();
    const r = await cycle(ws, 'calvin');
    expect(r.code, r.stderr).toBe(0);
    expect(cal.requests).toHaveLength(2);
    expect(texts()).toHaveLength(1);
    const msg = texts()[0]!;
    expect(msg).toContain('calvin : un nouveau créneau (cal-v2)');
    expect(msg).toContain(label(newV2.start));
    expect(msg).toContain('https://cal.example/dr-two');
    for (const old of base) expect(msg).not.toContain(label(old.start));
  });

  it('two new v1 slots in one check are ONE grouped message listing both', async () => {
    cal.setSlots([...base, newV2, newV1a, newV1b]);
    const r = await cycle(ws, 'calvin');
    expect(r.code, r.stderr).toBe(0);
    expect(texts()).toHaveLength(2);
    const msg = texts()[1]!;
    expect(msg).toContain('calvin : 2 nouveaux créneaux (cal-v1)');
    expect(msg).toContain(label(newV1a.start));
    expect(msg).toContain(label(newV1b.start));
    expect(msg).not.toContain(label(newV2.start));
  });

  it('same slots again: nothing, in a long-running worker (checks every second) and after a restart; a slot added meanwhile alerts once', async () => {
    cal.resetLog();
    const worker = startCli(['worker', 'calvin'], ws.env);
    try {
      // Two checks of each watcher with nothing new.
      await waitFor(() => cal.requests.length >= 4, 15_000, 'two checks per watcher');
      expect(texts()).toHaveLength(2);
      const late = { eventTypeId: 202, start: calStart(7, 8, 50) };
      cal.setSlots([...base, newV2, newV1a, newV1b, late]);
      await waitFor(() => texts().length >= 3, 15_000, 'the alert of the slot added while running');
      const seenAt = cal.requests.length;
      await waitFor(() => cal.requests.length >= seenAt + 4, 15_000, 'two more checks per watcher');
      expect(texts()).toHaveLength(3);
      expect(texts()[2]).toContain(label(late.start));
      expect(texts()[2]).toContain('calvin : un nouveau créneau (cal-v2)');
    } finally {
      worker.child.kill('SIGTERM');
    }
    const stopped = await worker.result;
    expect(stopped.code, stopped.stderr).toBe(0);
    const restart = await cycle(ws, 'calvin');
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).not.toMatch(/baseline/);
    expect(texts()).toHaveLength(3);
  });
});

describe('a slot that disappears and comes back', () => {
  let cal: CalcomSim;
  let discord: DiscordSim;
  let webhook: { id: string; token: string; url: string };
  let ws: Workspace;
  const a = { eventTypeId: 303, start: calStart(3, 9, 0) };
  const b = { eventTypeId: 303, start: calStart(3, 11, 30) };
  const texts = () => discordTexts(discord, webhook.id);

  beforeAll(async () => {
    cal = await startCalcomSim({ token: CAL_TOKEN, slots: [a, b] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();
    ws = await makeWorkspace();
    // Two watchers of the same source that differ only in realertAfter: the same gap alerts one, not the other.
    const watcher = (name: string, realertAfter: string) => [
      `  - name: ${name}`,
      '    provider: calcom',
      '    eventTypeId: 303',
      `    token: ${CAL_TOKEN}`,
      `    url: ${cal.url}`,
      `    realertAfter: "${realertAfter}"`,
    ];
    await writeConfig(
      ws,
      'rita',
      [
        'slots:',
        ...watcher('quick', '2s'),
        ...watcher('slow', '1h'),
        'notify:',
        '  - name: discord',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([cal?.close(), discord?.close()]);
  });

  it('alerts again when back later than realertAfter, and not when the gap was shorter', async () => {
    expect((await cycle(ws, 'rita')).code).toBe(0); // baseline {a, b}
    cal.setSlots([b]);
    expect((await cycle(ws, 'rita')).code).toBe(0);
    expect(texts()).toHaveLength(0);
    type Seen = { seen: Record<string, { lastSeen: string; goneSince?: string; start: string }> };
    const quick = JSON.parse(await readFile(join(ws.data, 'rita', 'slots', 'quick.json'), 'utf8')) as Seen;
    const entryA = Object.values(quick.seen).find((e) => Date.parse(e.start) === Date.parse(a.start));
    // The gap is recorded (a check saw it gone), not inferred from downtime.
    expect(entryA?.goneSince).toBeDefined();
    const lastSeen = Date.parse(entryA!.lastSeen);
    await new Promise((r) => setTimeout(r, Math.max(0, lastSeen + 2_300 - Date.now())));

    cal.setSlots([a, b]);
    expect((await cycle(ws, 'rita')).code).toBe(0);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain('rita : un nouveau créneau (quick)');
    expect(texts()[0]).toContain(label(a.start));
    expect(texts()[0]).not.toContain(label(b.start));

    expect((await cycle(ws, 'rita')).code).toBe(0);
    expect(texts()).toHaveLength(1);
  });
});

describe('a channel down for a while, then up', () => {
  let cal: CalcomSim;
  let discord: DiscordSim;
  let ws: Workspace;
  let port: number;
  let webhook: { id: string; token: string; url: string };
  let up: { close(): Promise<void> } | undefined;
  const x = { eventTypeId: 404, start: calStart(2, 10, 10) };
  const y = { eventTypeId: 404, start: calStart(4, 12, 20) };
  const texts = () => discordTexts(discord, webhook.id);

  beforeAll(async () => {
    cal = await startCalcomSim({ token: CAL_TOKEN, slots: [] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();
    port = await freePort();
    ws = await makeWorkspace();
    // The webhook's own id and token, on a port where nothing listens yet.
    const downUrl = `http://127.0.0.1:${port}/api/webhooks/${webhook.id}/${webhook.token}`;
    await writeConfig(
      ws,
      'dora',
      [
        'slots:',
        '  - name: doc',
        '    provider: calcom',
        '    eventTypeId: 404',
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

  it('alerts wait in the outbox while the channel refuses connections, then each is delivered exactly once, in order', async () => {
    expect((await cycle(ws, 'dora')).code).toBe(0); // baseline: nothing
    cal.setSlots([x]);
    const r1 = await cycle(ws, 'dora');
    expect(r1.code, r1.stderr).toBe(0); // the check succeeded; only the delivery waits
    expect(r1.stderr).toMatch(/will be retried/);
    let pending = await pendingDeliveries(ws.data, 'dora');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ channel: 'discord', attempts: 1 });
    expect(pending[0]!.lastError).toMatch(/ECONNREFUSED/);

    cal.setSlots([x, y]);
    expect((await cycle(ws, 'dora')).code).toBe(0);
    pending = await pendingDeliveries(ws.data, 'dora');
    expect(pending.map((p) => p.alert.slots?.map((s) => s.label))).toEqual([[label(x.start)], [label(y.start)]]);
    expect(discord.requests).toHaveLength(0);

    up = await forward(port, Number(new URL(discord.url).port));
    await waitUntilDue(ws.data, 'dora');
    const r3 = await cycle(ws, 'dora');
    expect(r3.code, r3.stderr).toBe(0);
    expect(texts()).toHaveLength(2);
    expect(texts()[0]).toContain(label(x.start));
    expect(texts()[1]).toContain(label(y.start));
    expect(await pendingDeliveries(ws.data, 'dora')).toHaveLength(0);

    expect((await cycle(ws, 'dora')).code).toBe(0);
    expect(texts()).toHaveLength(2);
    expect(discord.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
  });
});

describe('quiet hours', () => {
  let cal: CalcomSim;
  let slack: SlackSim;
  let discord: DiscordSim;
  let hook: string;
  let webhook: { id: string; token: string; url: string };
  let ws: Workspace;
  let file: string;
  const a = { eventTypeId: 505, start: calStart(2, 8, 20) };
  const b = { eventTypeId: 505, start: calStart(5, 17, 35) };
  const utc = (hours: number): string => DateTime.utc().plus({ hours }).toFormat('HH:mm');
  const quietTexts = () => slackTexts(slack, hook);
  const liveTexts = () => discordTexts(discord, webhook.id);

  beforeAll(async () => {
    cal = await startCalcomSim({ token: CAL_TOKEN, slots: [] });
    slack = await startSlackSim();
    discord = await startDiscordSim();
    hook = slack.createWebhook();
    webhook = discord.createWebhook();
    ws = await makeWorkspace();
    file = await writeConfig(
      ws,
      'quinn',
      [
        'slots:',
        '  - name: doc',
        '    provider: calcom',
        '    eventTypeId: 505',
        `    token: ${CAL_TOKEN}`,
        `    url: ${cal.url}`,
        'notify:',
        '  - name: night',
        '    type: slack',
        `    url: ${hook}`,
        // An hour either side of now: the period covers the whole test.
        `    quietHours: { from: "${utc(-1)}", to: "${utc(1)}", timezone: UTC }`,
        '  - name: live',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([cal?.close(), slack?.close(), discord?.close()]);
  });

  it('holds non-critical alerts on the quiet channel only, then delivers them as ONE digest once the period is over', async () => {
    expect((await cycle(ws, 'quinn')).code).toBe(0); // baseline
    cal.setSlots([a]);
    expect((await cycle(ws, 'quinn')).code).toBe(0);
    cal.setSlots([a, b]);
    expect((await cycle(ws, 'quinn')).code).toBe(0);
    expect(liveTexts()).toHaveLength(2); // the channel without quiet hours got each alert at once
    expect(quietTexts()).toHaveLength(0);
    const held = await pendingDeliveries(ws.data, 'quinn');
    expect(held.map((d) => [d.channel, d.held])).toEqual([
      ['night', true],
      ['night', true],
    ]);

    // The quiet period no longer covers now (the same as waiting for its end, without waiting).
    await rewrite(file, /quietHours: \{[^}]*\}/, `quietHours: { from: "${utc(2)}", to: "${utc(3)}", timezone: UTC }`);
    expect((await cycle(ws, 'quinn')).code).toBe(0);
    expect(quietTexts()).toHaveLength(1);
    const digest = quietTexts()[0]!;
    expect(digest).toContain('2 alertes retenues pendant les heures calmes');
    expect(digest).toContain(label(a.start));
    expect(digest).toContain(label(b.start));
    expect(await pendingDeliveries(ws.data, 'quinn')).toHaveLength(0);

    expect((await cycle(ws, 'quinn')).code).toBe(0);
    expect(quietTexts()).toHaveLength(1);
    expect(liveTexts()).toHaveLength(2);
  });
});

describe('ClicRDV {date} scanning', () => {
  let clic: ClicrdvSim;
  let discord: DiscordSim;
  let webhook: { id: string; token: string; url: string };
  let ws: Workspace;
  const DAYS = 8;
  const CONCURRENCY = 3;
  const first = clicStart(1, '09:00');
  const lastDay = clicStart(DAYS - 1, '15:45');
  const beyond = clicStart(DAYS, '16:00');

  beforeAll(async () => {
    // 150 ms per answer: requests made one after another could never overlap.
    clic = await startClicrdvSim({ apikey: CLIC_KEY, latencyMs: 150, slots: [{ start: first, slot: 1 }] });
    discord = await startDiscordSim();
    webhook = discord.createWebhook();
    ws = await makeWorkspace();
    await writeConfig(
      ws,
      'clara',
      [
        'slots:',
        '  - name: consulat',
        '    provider: clicrdv',
        `    url: "${clic.url}/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${CLIC_KEY}"`,
        `    daysAhead: ${DAYS}`,
        `    concurrency: ${CONCURRENCY}`,
        'notify:',
        '  - name: discord',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([clic?.close(), discord?.close()]);
  });

  it('one request per day for daysAhead days, overlapping but never more than `concurrency` at once', async () => {
    const r = await cycle(ws, 'clara');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/baseline of 1 slot/);
    const today = DateTime.now().setZone(ZONE).startOf('day');
    const expected = Array.from({ length: DAYS }, (_, i) => today.plus({ days: i }).toISODate());
    expect(clic.requests.map((q) => q.query.from).sort()).toEqual(expected);
    expect(clic.requests.every((q) => q.status === 200)).toBe(true);
    expect(clic.maxConcurrent()).toBe(CONCURRENCY);
  });

  it('a slot on the last scanned day alerts; one a day beyond the window is not seen', async () => {
    clic.setSlots([
      { start: first, slot: 1 },
      { start: lastDay, slot: 2 },
      { start: beyond, slot: 3 },
    ]);
    clic.resetLog();
    const r = await cycle(ws, 'clara');
    expect(r.code, r.stderr).toBe(0);
    expect(clic.requests).toHaveLength(DAYS);
    const texts = discordTexts(discord, webhook.id);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain(label(clicIso(lastDay)));
    expect(texts[0]).not.toContain(label(clicIso(beyond)));
  });
});

describe('secrets never leave in a payload, a log or a file', () => {
  let cal: CalcomSim;
  let clic: ClicrdvSim;
  let discord: DiscordSim;
  let slack: SlackSim;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let ws: Workspace;
  let webhook: { id: string; token: string; url: string };
  let slackHook: string;
  let botChannel: string;
  let receiverUrl: string;
  const WEBHOOK_TOKEN = 'whk_tok_0d1e2f3a4b';
  const WEBHOOK_PASS = 'whk-pass-8c7b6a';
  const outputs: { where: string; text: string }[] = [];
  const env = () => ({ NODE_EXTRA_CA_CERTS: tls.certFile });

  beforeAll(async () => {
    cal = await startCalcomSim({
      apiKey: CAL_KEY,
      token: CAL_TOKEN,
      slots: [
        { eventTypeId: 601, start: calStart(2, 9, 5) },
        { eventTypeId: 602, start: calStart(2, 9, 10) },
      ],
    });
    clic = await startClicrdvSim({ apikey: CLIC_KEY, slots: [{ start: clicStart(1, '10:00'), slot: 1 }] });
    discord = await startDiscordSim({ botToken: BOT_TOKEN });
    slack = await startSlackSim();
    receiver = await startWebhookReceiver();
    webhook = discord.createWebhook();
    botChannel = discord.createChannel();
    slackHook = slack.createWebhook();
    receiverUrl = `http://hookuser:${WEBHOOK_PASS}@127.0.0.1:${new URL(receiver.url).port}/hook?token=${WEBHOOK_TOKEN}`;
    ws = await makeWorkspace();
    await writeConfig(
      ws,
      'sam',
      [
        'slots:',
        '  - name: cal-v1',
        '    provider: calcom',
        '    apiVersion: v1',
        '    eventTypeId: 601',
        `    apiKey: ${CAL_KEY}`,
        `    url: ${cal.url}`,
        '  - name: cal-v2',
        '    provider: calcom',
        '    eventTypeId: 602',
        `    token: ${CAL_TOKEN}`,
        `    url: ${cal.url}`,
        // A revoked key: its failure is logged, and the log must not carry it.
        '  - name: cal-revoked',
        '    provider: calcom',
        '    apiVersion: v1',
        '    eventTypeId: 603',
        `    apiKey: ${CAL_BAD_KEY}`,
        `    url: ${cal.url}`,
        // A wrong base URL: Cal.com's 404 body echoes the request's path and query.
        '  - name: cal-misrouted',
        '    provider: calcom',
        '    apiVersion: v1',
        '    eventTypeId: 601',
        `    apiKey: ${CAL_KEY}`,
        `    url: ${cal.url}/wrong-base`,
        '  - name: clic',
        '    provider: clicrdv',
        `    url: "${clic.url}/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=${CLIC_KEY}"`,
        '    daysAhead: 3',
        'notify:',
        '  - name: dw',
        '    type: discord-webhook',
        `    url: ${webhook.url}`,
        '  - name: bot',
        '    type: discord-bot',
        `    token: ${BOT_TOKEN}`,
        `    channelId: "${botChannel}"`,
        `    apiUrl: ${discord.url}`,
        '  - name: slack',
        '    type: slack',
        `    url: ${slackHook}`,
        '  - name: mail',
        '    type: email',
        `    smtp: { host: 127.0.0.1, port: ${smtp.port}, user: ${SMTP_USER}, password: "${SMTP_PASS}" }`,
        '    from: bot@example.com',
        '    to: sam@example.com',
        '  - name: hook',
        '    type: webhook',
        `    url: "${receiverUrl}"`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await Promise.all([cal?.close(), clic?.close(), discord?.close(), slack?.close(), receiver?.close()]);
  });

  it('after alerts to every kind of channel (some retried), no configured secret appears anywhere we can read', async () => {
    const keep = (where: string, r: CliResult): CliResult => {
      outputs.push({ where: `${where} stdout`, text: r.stdout }, { where: `${where} stderr`, text: r.stderr });
      return r;
    };
    const mailsBefore = smtp.received.length;
    const base = keep('baseline', await cycle(ws, 'sam', env()));
    expect(base.code).toBe(1); // two checks failed
    expect(base.stderr).toMatch(/cal-revoked: Cal\.com refused the API key/);
    expect(base.stderr).toMatch(/cal-misrouted: .*404/);
    // A failing watcher leaves a line in the instance's error file, where a slots-only user looks.
    const errorLines = (await readFile(join(ws.data, 'sam', 'errors.log'), 'utf8')).trim().split('\n');
    expect(errorLines.filter((l) => / slots \[slots\.failed\] .*cal-revoked: Cal\.com refused the API key/.test(l))).toHaveLength(1);
    expect(errorLines.filter((l) => / slots \[slots\.failed\] .*cal-misrouted: /.test(l))).toHaveLength(1);
    // The simulator's 404 body echoes the request's path and query: the worker had it in hand.
    expect(cal.requests.some((q) => q.status === 404)).toBe(true);

    cal.setSlots([
      { eventTypeId: 601, start: calStart(2, 9, 5) },
      { eventTypeId: 602, start: calStart(2, 9, 10) },
      { eventTypeId: 601, start: calStart(3, 13, 25) },
      { eventTypeId: 602, start: calStart(3, 13, 50) },
    ]);
    clic.setSlots([
      { start: clicStart(1, '10:00'), slot: 1 },
      { start: clicStart(2, '11:40'), slot: 2 },
    ]);
    receiver.failNext(1);
    slack.failNext(1, 500);
    keep('alerts', await cycle(ws, 'sam', env()));
    // Deliveries waiting for a retry, with their last error, are on disk now: sweep them as they are.
    const pending = await pendingDeliveries(ws.data, 'sam');
    expect(pending.map((p) => p.channel).sort()).toEqual(['hook', 'hook', 'hook', 'slack', 'slack', 'slack']);
    const midway = (await readTree(join(ws.data, 'sam'))).map((f) => ({ where: `${f.path} (while retrying)`, text: f.text }));

    expect(keep('notify test', await runCli(['notify', 'test', 'sam'], { ...ws.env, ...env() })).code).toBe(0);
    await waitUntilDue(ws.data, 'sam');
    keep('retry', await cycle(ws, 'sam', env()));
    expect(await pendingDeliveries(ws.data, 'sam')).toHaveLength(0);

    // Every channel got the three slot alerts and the test message.
    const newSlots = [calStart(3, 13, 25), calStart(3, 13, 50), clicIso(clicStart(2, '11:40'))].map(label);
    const mails = smtp.received.slice(mailsBefore);
    const payloads = {
      dw: discord
        .messages()
        .filter((m) => m.webhookId === webhook.id)
        .map((m) => JSON.stringify(m.body)),
      bot: discord
        .messages()
        .filter((m) => m.via === 'bot')
        .map((m) => JSON.stringify(m.body)),
      slack: slack.messages().map((m) => JSON.stringify(m.body)),
      hook: receiver.requests.filter((q) => q.status === 200).map((q) => JSON.stringify(q.body)),
    };
    for (const [channel, list] of Object.entries(payloads)) {
      expect(list, channel).toHaveLength(4);
      for (const l of newSlots) expect(list.join('\n'), `${channel} names ${l}`).toContain(l);
    }
    expect(mails).toHaveLength(4);
    expect(mails.every((m) => m.secure && m.user === SMTP_USER)).toBe(true);

    const haystacks = [
      ...outputs,
      ...midway,
      ...(await readTree(join(ws.data, 'sam'))).map((f) => ({ where: f.path, text: f.text })),
      // Bodies of every request each simulator received, refused ones included.
      ...discord.requests.map((q, i) => ({ where: `discord request ${i} body`, text: JSON.stringify(q.body ?? '') })),
      ...slack.requests.map((q, i) => ({ where: `slack request ${i} body`, text: JSON.stringify(q.body ?? '') })),
      ...receiver.requests.map((q, i) => ({ where: `webhook request ${i} body`, text: JSON.stringify(q.body ?? '') })),
      ...cal.requests.map((q, i) => ({ where: `cal.com request ${i} body`, text: JSON.stringify(q.body ?? '') })),
      ...mails.map((m, i) => ({ where: `email ${i}`, text: m.raw })),
    ];
    const secrets = {
      'Cal.com apiKey': CAL_KEY,
      'Cal.com revoked apiKey': CAL_BAD_KEY,
      'Cal.com token': CAL_TOKEN,
      'ClicRDV apikey': CLIC_KEY,
      'Discord webhook token': webhook.token,
      'Discord bot token': BOT_TOKEN,
      'Slack webhook token': new URL(slackHook).pathname.split('/').at(-1)!,
      'SMTP password': SMTP_PASS,
      'webhook URL token': WEBHOOK_TOKEN,
      'webhook URL password': WEBHOOK_PASS,
    };
    expect(secretLeaks(secrets, haystacks)).toEqual([]);
    // The sweep is not vacuous: it read the alerts, the logs and the retry errors.
    const all = haystacks.map((h) => h.text).join('\n');
    expect(all).toContain(newSlots[0]);
    expect(all).toMatch(/503/);
    expect(all).toMatch(/refused the API key/);
  });
});

describe('an Apprise mailtos:// channel string, through a real SMTP server (STARTTLS + AUTH)', () => {
  let cal: CalcomSim;
  let ws: Workspace;
  const env = () => ({ ...ws.env, NODE_EXTRA_CA_CERTS: tls.certFile });
  const slot = { eventTypeId: 701, start: calStart(3, 15, 55) };
  // A password with a reserved character, percent-encoded as a URL requires.
  const password = `${SMTP_PASS}/x`;
  const mailUrl = (mode: string) =>
    `mailtos://${SMTP_USER}:${encodeURIComponent(password)}@127.0.0.1:${smtpStarttls.port}?to=ops@example.com&from=bot@example.com${mode}`;
  let smtpStarttls: SmtpSink;

  beforeAll(async () => {
    smtpStarttls = await startSmtp({ user: SMTP_USER, password, tls });
    cal = await startCalcomSim({ token: CAL_TOKEN, slots: [] });
    ws = await makeWorkspace();
    const config = (mode: string) =>
      [
        'locale: en',
        'slots:',
        '  - name: doc',
        '    provider: calcom',
        '    eventTypeId: 701',
        `    token: ${CAL_TOKEN}`,
        `    url: ${cal.url}`,
        'notify:',
        `  - "${mailUrl(mode)}"`,
        '',
      ].join('\n');
    await writeConfig(ws, 'mona', config('&mode=starttls'));
    await writeConfig(ws, 'mina', config(''));
  });
  afterAll(async () => {
    await Promise.all([cal?.close(), smtpStarttls?.close()]);
  });

  it('`notify test` reports the channel and the mail arrives over STARTTLS, authenticated', async () => {
    const r = await runCli(['notify', 'test', 'mona'], env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ mailtos-1 \(email\): sent/);
    expect(smtpStarttls.received).toHaveLength(1);
    const mail = smtpStarttls.received[0]!;
    expect(mail).toMatchObject({ from: 'bot@example.com', to: ['ops@example.com'], secure: true, user: SMTP_USER });
    expect(mail.raw).toContain('Subject: [campus-sync mona] campus-sync: test notification');
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('a new slot seen by the worker arrives as an email naming it', async () => {
    expect((await cycle(ws, 'mona', { NODE_EXTRA_CA_CERTS: tls.certFile })).code).toBe(0); // baseline
    cal.setSlots([slot]);
    const r = await cycle(ws, 'mona', { NODE_EXTRA_CA_CERTS: tls.certFile });
    expect(r.code, r.stderr).toBe(0);
    expect(smtpStarttls.received).toHaveLength(2);
    const mail = smtpStarttls.received[1]!;
    expect(mail.secure).toBe(true);
    expect(mail.raw).toContain('Subject: [campus-sync mona] mona: one new slot (doc)');
    expect(mail.raw).toContain(DateTime.fromISO(slot.start).setZone(ZONE).toFormat('ccc d LLL yyyy HH:mm'));
    expect(await pendingDeliveries(ws.data, 'mona')).toHaveLength(0);
  });

  // Apprise reads `mailtos://` without `mode=` as STARTTLS (its `mode` default, port 587 when none is given).
  it('without mode=, mailtos:// speaks STARTTLS as Apprise does', async () => {
    const r = await runCli(['notify', 'test', 'mina'], env());
    expect(r.stdout).toMatch(/✓ mailtos-1 \(email\): sent/);
    expect(r.code).toBe(0);
  });
});
