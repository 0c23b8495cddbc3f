import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError, TransientError, makeRedactor, type Logger } from '../lib/index.js';
import { PermanentChannelError, type Channel, type SendProgress } from './channel.js';
import { createChannel } from './channels/create.js';
import { createDiscordWebhookChannel } from './channels/discord.js';
import { startFakeHttp } from './fake-http.test-helper.js';
import { createAlert, type Alert, type AlertKind } from './message.js';
import { createOutbox } from './outbox.js';
import { channelsSchema, notifySecrets } from '../config/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const noRedact = (s: string): string => s;

function captureLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string) => (message: string) => void lines.push({ level, message });
  const logger = { lines, error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), child: () => logger };
  return logger;
}

/** A channel double: records what it was given and fails as scripted. */
function scriptedChannel(name: string, extra: Partial<Channel> = {}) {
  const sent: Alert[] = [];
  const failures: unknown[] = [];
  let calls = 0;
  const channel: Channel = {
    name,
    type: 'webhook',
    ...extra,
    async send(alert: Alert) {
      calls++;
      const f = failures.shift();
      if (f) throw f;
      sent.push(alert);
    },
  };
  return { channel, sent, failNext: (...errs: unknown[]) => failures.push(...errs), calls: () => calls };
}

const tmp = () => mkdtemp(join(tmpdir(), 'cs-outbox-'));
const mk = (kind: AlertKind, title: string, clock = fakeClock('2025-06-01T10:00:00Z')): Alert =>
  createAlert({ kind, instance: 'alice', title, text: `${title} text` }, clock);

describe('outbox', () => {
  it('has the delivery on disk when enqueue resolves, sends it once, then nothing is left', async () => {
    const dir = await tmp();
    const ch = scriptedChannel('a');
    const outbox = createOutbox({ dir, channels: [ch.channel], redact: noRedact });
    await outbox.enqueue(mk('sync.failed', 'one'));
    const files = await readdir(join(dir, 'deliveries'));
    expect(files).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'deliveries', files[0] as string), 'utf8'))).toMatchObject({ channel: 'a', alert: { title: 'one' } });
    expect(await outbox.drain()).toEqual({ sent: 1, pending: 0, failed: 0 });
    expect(await outbox.drain()).toEqual({ sent: 0, pending: 0, failed: 0 });
    expect(ch.sent.map((a) => a.title)).toEqual(['one']);
    expect(await readdir(join(dir, 'deliveries'))).toEqual([]);
  });

  it('routes by events and severity, and enqueuing the same alert twice delivers it once', async () => {
    const dir = await tmp();
    const all = scriptedChannel('all');
    const crit = scriptedChannel('crit', { minSeverity: 'critical' });
    const slots = scriptedChannel('slots', { events: ['slot.new'] });
    const outbox = createOutbox({ dir, channels: [all.channel, crit.channel, slots.channel], redact: noRedact });
    const failed = mk('sync.failed', 'f');
    await outbox.enqueue(failed);
    await outbox.enqueue(failed);
    await outbox.enqueue(mk('auth.failed', 'auth'));
    await outbox.enqueue(mk('slot.new', 'slot'));
    await outbox.enqueue(mk('sync.done', 'done'));
    await outbox.drain();
    expect(all.sent.map((a) => a.title)).toEqual(['f', 'auth', 'slot']);
    expect(crit.sent.map((a) => a.title)).toEqual(['auth']);
    expect(slots.sent.map((a) => a.title)).toEqual(['slot']);
  });

  it('a channel down for several drains gets every alert exactly once, in order, after backoff', async () => {
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const down = scriptedChannel('down');
    const up = scriptedChannel('up');
    const outbox = createOutbox({ dir, channels: [down.channel, up.channel], redact: noRedact, clock, random: () => 1 });
    for (const t of ['1', '2', '3']) await outbox.enqueue(mk('sync.failed', t, clock));
    down.failNext(new TransientError('503'), new TransientError('503'), new TransientError('timeout'));
    const r1 = await outbox.drain();
    expect(r1).toEqual({ sent: 3, pending: 3, failed: 0 }); // "up" got its three
    // Backoff: 2 s, then 4 s, then 8 s (random = 1 → the full delay); an early drain does not call the channel.
    await outbox.drain();
    expect(down.calls()).toBe(1);
    clock.advance(2_000);
    await outbox.drain();
    clock.advance(3_999);
    await outbox.drain();
    expect(down.calls()).toBe(2);
    clock.advance(1);
    await outbox.drain();
    clock.advance(8_000);
    const last = await outbox.drain();
    expect(last).toEqual({ sent: 3, pending: 0, failed: 0 });
    expect(down.sent.map((a) => a.title)).toEqual(['1', '2', '3']);
    expect(up.sent.map((a) => a.title)).toEqual(['1', '2', '3']);
    expect(down.calls()).toBe(6);
  });

  it('journals each delivery: queued, each failed try, then delivered, with the attempt count', async () => {
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const ch = scriptedChannel('down');
    const journalFile = join(dir, 'alerts.jsonl');
    const outbox = createOutbox({ dir: join(dir, 'outbox'), channels: [ch.channel], redact: noRedact, clock, random: () => 1, journalFile });
    const alert = mk('sync.failed', 'journaled', clock);
    await outbox.enqueue(alert);
    ch.failNext(new TransientError('503'));
    await outbox.drain();
    clock.advance(2_000);
    await outbox.drain();
    const lines = (await readFile(journalFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.deliveredAt === null ? 'open' : 'delivered', l.attempts, l.lastError])).toEqual([
      ['open', 0, null],
      ['open', 1, '503'],
      ['delivered', 2, '503'],
    ]);
    for (const l of lines) expect(l).toMatchObject({ alertId: alert.id, channel: 'down', kind: 'sync.failed', summary: 'journaled' });
  });

  it('a new outbox over the same directory resumes after a crash, skipping the parts already sent', async () => {
    const dir = await tmp();
    let firstProgress: SendProgress | undefined;
    let marked!: () => void;
    const partSaved = new Promise<void>((resolve) => (marked = resolve));
    const crashing: Channel = {
      name: 'a',
      type: 'discord-webhook',
      async send(_alert, progress) {
        firstProgress = progress;
        await progress?.markDone(1);
        marked();
        await new Promise(() => {}); // the process dies here
      },
    };
    const before = createOutbox({ dir, channels: [crashing], redact: noRedact });
    await before.enqueue(mk('sync.failed', 'early'));
    void before.drain();
    await partSaved;
    expect(firstProgress?.done).toBe(0);

    const seen: { title: string; done: number | undefined }[] = [];
    const after = createOutbox({
      dir,
      redact: noRedact,
      channels: [{ name: 'a', type: 'discord-webhook', send: async (alert, progress) => void seen.push({ title: alert.title, done: progress?.done }) }],
    });
    await after.enqueue(mk('sync.failed', 'late'));
    expect(await after.drain()).toEqual({ sent: 2, pending: 0, failed: 0 });
    expect(seen).toEqual([
      { title: 'early', done: 1 },
      { title: 'late', done: 0 },
    ]);
  });

  it('a refused payload (400) fails that alert only; an alert older than the max age is dropped with an error line', async () => {
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const logger = captureLogger();
    const ch = scriptedChannel('a');
    const outbox = createOutbox({ dir, channels: [ch.channel], redact: noRedact, clock, logger, maxAgeMs: 60 * 60_000 });
    await outbox.enqueue(mk('sync.failed', 'bad', clock));
    await outbox.enqueue(mk('sync.failed', 'good', clock));
    ch.failNext(new RemoteError('400 Invalid Form Body', { status: 400 }));
    expect(await outbox.drain()).toEqual({ sent: 1, pending: 0, failed: 1 });
    expect(ch.sent.map((a) => a.title)).toEqual(['good']);
    expect(await readdir(join(dir, 'failed'))).toHaveLength(1);

    await outbox.enqueue(mk('sync.failed', 'old', clock));
    ch.failNext(new TransientError('down'));
    await outbox.drain();
    clock.advance(2 * 60 * 60_000);
    ch.failNext(new TransientError('still down'));
    expect(await outbox.drain()).toEqual({ sent: 0, pending: 0, failed: 1 });
    expect(
      logger.lines
        .filter((l) => l.level === 'error')
        .map((l) => l.message)
        .join('\n'),
    ).toMatch(/dropped after 2 attempts.*still down/);
  });

  it('a permanent error disables the channel once, records why, and never calls it again until its config changes', async () => {
    const dir = await tmp();
    const logger = captureLogger();
    const ch = scriptedChannel('dead', { fingerprint: 'v1' });
    const ok = scriptedChannel('ok');
    const outbox = createOutbox({ dir, channels: [ch.channel, ok.channel], redact: noRedact, logger });
    await outbox.enqueue(mk('sync.failed', '1'));
    await outbox.enqueue(mk('sync.failed', '2'));
    ch.failNext(new PermanentChannelError('Discord webhook "dead" answered 404 (unknown webhook)', { status: 404 }));
    expect(await outbox.drain()).toEqual({ sent: 2, pending: 0, failed: 2 });
    await outbox.enqueue(mk('sync.failed', '3'));
    await outbox.drain();
    expect(ch.calls()).toBe(1);
    expect(ok.sent).toHaveLength(3);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(await outbox.disabledChannels()).toEqual([
      { name: 'dead', reason: expect.stringContaining('unknown webhook') as string, at: expect.any(String) as string },
    ]);
    expect(JSON.parse(await readFile(join(dir, 'disabled.json'), 'utf8'))).toHaveProperty('dead');

    // Restarted with the same config: still disabled. With a changed config: back.
    const same = scriptedChannel('dead', { fingerprint: 'v1' });
    const again = createOutbox({ dir, channels: [same.channel], redact: noRedact });
    await again.enqueue(mk('sync.failed', '4'));
    await again.drain();
    expect(same.calls()).toBe(0);
    const fixed = scriptedChannel('dead', { fingerprint: 'v2' });
    const edited = createOutbox({ dir, channels: [fixed.channel], redact: noRedact });
    expect(await edited.disabledChannels()).toEqual([]);
    await edited.enqueue(mk('sync.failed', '5'));
    await edited.drain();
    expect(fixed.sent.map((a) => a.title)).toEqual(['5']);
  });

  it('holds alerts during quiet hours and delivers them as one digest when they end; critical goes through', async () => {
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T21:00:00Z'); // 23:00 in Paris
    const ch = scriptedChannel('night', { quietHours: { from: '22:00', to: '07:00', timezone: 'Europe/Paris' } });
    const outbox = createOutbox({ dir, channels: [ch.channel], redact: noRedact, clock });
    await outbox.enqueue(mk('sync.failed', 'sync 1', clock));
    await outbox.enqueue(mk('slot.new', 'slots', clock));
    await outbox.enqueue(mk('auth.failed', 'login refused', clock));
    expect(await outbox.drain()).toEqual({ sent: 1, pending: 2, failed: 0 });
    expect(ch.sent.map((a) => a.title)).toEqual(['login refused']);
    expect((await outbox.pending()).every((p) => p.held)).toBe(true);
    clock.set('2025-06-02T04:30:00Z'); // 06:30: still quiet
    await outbox.enqueue(mk('sync.failed', 'sync 2', clock));
    await outbox.drain();
    expect(ch.sent).toHaveLength(1);
    clock.set('2025-06-02T05:00:00Z'); // 07:00: quiet hours over
    expect(await outbox.drain()).toEqual({ sent: 3, pending: 0, failed: 0 });
    expect(ch.sent).toHaveLength(2);
    const digest = ch.sent[1];
    expect(digest?.title).toBe('3 alerts held during quiet hours');
    expect(digest?.text).toContain('sync 1');
    expect(digest?.text).toContain('sync 2');
    expect(digest?.severity).toBe('warning');
  });

  it('start() drains in the background, soon after enqueue; stop() waits for the pass', async () => {
    const dir = await tmp();
    const ch = scriptedChannel('a');
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const outbox = createOutbox({ dir, channels: [ch.channel], redact: noRedact, clock });
    outbox.start(60_000);
    await outbox.enqueue(mk('sync.failed', 'bg', clock));
    // The first pass is due at once (a 0 ms timer), the next one a minute after it ends.
    await clock.tickAsync(0);
    await clock.whenPending();
    await outbox.stop();
    expect(ch.sent.map((a) => a.title)).toEqual(['bg']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('outbox with real HTTP channels', () => {
  let fake: Awaited<ReturnType<typeof startFakeHttp>>;
  beforeAll(async () => {
    fake = await startFakeHttp({ status: 204 });
  });
  afterAll(() => fake.close());

  it("honours Discord's 429 retry_after before calling again", async () => {
    fake.received.length = 0;
    const dir = await tmp();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const channel = createDiscordWebhookChannel({ name: 'dw', url: `${fake.url}/api/webhooks/1/tok` });
    const outbox = createOutbox({ dir, channels: [channel], redact: noRedact, clock });
    await outbox.enqueue(mk('sync.failed', 'x', clock));
    fake.reply({ status: 429, body: '{"message":"You are being rate limited.","retry_after":2.5,"global":false}' });
    expect(await outbox.drain()).toEqual({ sent: 0, pending: 1, failed: 0 });
    clock.advance(2_000);
    await outbox.drain();
    expect(fake.received).toHaveLength(1);
    clock.advance(500);
    expect(await outbox.drain()).toEqual({ sent: 1, pending: 0, failed: 0 });
    expect(fake.received).toHaveLength(2);
  });

  it('never puts a secret in any payload, whatever the alert text contains', async () => {
    fake.received.length = 0;
    const configs = channelsSchema.parse([
      { name: 'dw', type: 'discord-webhook', url: `${fake.url}/api/webhooks/123456/DiscordSecretToken` },
      { name: 'bot', type: 'discord-bot', token: 'BotSecretToken123', channelId: '123456789', apiUrl: `${fake.url}/api` },
      { name: 'sl', type: 'slack', url: `${fake.url}/services/T1/B2/SlackSecretToken` },
      { name: 'hook', type: 'webhook', url: `http://user:HookSecretPass@127.0.0.1:${new URL(fake.url).port}/x` },
      { name: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: 1, user: 'u', password: 'SmtpSecretPass' }, from: 'a@example.com', to: 'b@example.com' },
    ]);
    const secrets = notifySecrets(configs);
    const channels = configs.filter((c) => c.type !== 'email').map((c) => createChannel(c));
    const dir = await tmp();
    const outbox = createOutbox({ dir, channels, redact: makeRedactor(secrets) });
    const leaky = secrets.join(' and ');
    await outbox.enqueue(
      createAlert({
        kind: 'slot.new',
        instance: 'alice',
        title: `failed with ${leaky}`,
        text: `error: ${leaky}`,
        fields: [{ name: leaky, value: leaky }],
        url: `https://x/${secrets[0] ?? ''}`,
        slots: [{ label: leaky, start: '2025-06-01T09:00:00+02:00', bookingUrl: `https://book/${encodeURIComponent(secrets[1] ?? '')}` }],
      }),
    );
    const storedFiles = await readdir(join(dir, 'deliveries'));
    const stored = (await Promise.all(storedFiles.map((f) => readFile(join(dir, 'deliveries', f), 'utf8')))).join('\n');
    expect(stored).toContain('[REDACTED]');
    expect(await outbox.drain()).toMatchObject({ sent: 4, pending: 0 });
    expect(fake.received).toHaveLength(4);
    const bodies = fake.received.map((r) => r.body).join('\n');
    for (const s of secrets) {
      expect(bodies).not.toContain(s);
      expect(stored).not.toContain(s);
    }
    expect(bodies).toContain('[REDACTED]');
  });
});
