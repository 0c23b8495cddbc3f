/**
 * Apprise URLs, parsed as a user pastes them, delivered through the outbox to each service's simulator:
 * the message, the rate-limit answer (waited as the service asked) and the refusals that disable a channel.
 */
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRedactor } from '../lib/index.js';
import {
  startGotifySim,
  startMatrixSim,
  startNtfySim,
  startPushoverSim,
  startTelegramSim,
  startWebhookReceiverSim,
  type GotifySim,
  type MatrixSim,
  type NtfySim,
  type PushoverSim,
  type TelegramSim,
  type WebhookReceiverSim,
} from '../sim/index.js';
import { channelsSchema, notifySecrets, type ChannelConfig } from '../config/index.js';
import { createChannel, type CreateChannelOptions } from './channels/create.js';
import { createAlert } from './message.js';
import { createOutbox } from './outbox.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const tmp = () => mkdtemp(join(tmpdir(), 'cs-push-sim-'));
const T0 = '2025-06-01T10:00:00Z';

function configOf(url: string, patch: Record<string, unknown> = {}): ChannelConfig {
  const [parsed] = channelsSchema.parse([url]);
  const [config] = channelsSchema.parse([{ ...parsed, ...patch }]);
  return config as ChannelConfig;
}

async function outboxFor(config: ChannelConfig, opts: CreateChannelOptions = {}) {
  const clock = fakeClock(T0);
  const outbox = createOutbox({
    dir: await tmp(),
    channels: [createChannel(config, opts)],
    redact: makeRedactor(notifySecrets([config])),
    clock,
    random: () => 1,
  });
  const enqueue = (title: string) => outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title, text: `${title} <details> & more` }, clock));
  return { outbox, clock, enqueue };
}

let hook: WebhookReceiverSim;
let ntfy: NtfySim;
let gotify: GotifySim;
let telegram: TelegramSim;
let pushover: PushoverSim;
let matrix: MatrixSim;
beforeAll(async () => {
  hook = await startWebhookReceiverSim({ requiredHeaders: { 'x-token': 'abc+123' } });
  ntfy = await startNtfySim({ protected: { alerts: { user: 'bob', password: 'ntfy-pass-1' } } });
  gotify = await startGotifySim();
  telegram = await startTelegramSim();
  pushover = await startPushoverSim();
  matrix = await startMatrixSim();
});
afterAll(async () => {
  for (const s of [hook, ntfy, gotify, telegram, pushover, matrix]) await s.close();
});

const hostOf = (url: string) => new URL(url).host;

describe('json:// to a receiver that checks a header', () => {
  it('sends the + header, the - query item, the : field and the method; 429 Retry-After is waited; a missing header disables', async () => {
    const config = configOf(`json://${hostOf(hook.url)}/in?+X-Token=abc%2B123&-source=cs&:message=text&method=PUT`);
    const { outbox, clock, enqueue } = await outboxFor(config);
    hook.rateLimitNext(1, 7);
    await enqueue('first');
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(6_999);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(1);
    expect(await outbox.drain()).toMatchObject({ sent: 1, pending: 0 });
    const got = hook.messages().at(-1);
    expect(got).toMatchObject({ method: 'PUT', path: '/in', query: { source: 'cs' }, contentType: 'application/json' });
    expect(got?.body).toEqual({ version: '1.0', title: 'first', text: 'first <details> & more', attachments: [], type: 'warning' });

    const without = await outboxFor(configOf(`json://${hostOf(hook.url)}/in`));
    await without.enqueue('nope');
    expect(await without.outbox.drain()).toMatchObject({ sent: 0, failed: 1 });
    expect((await without.outbox.disabledChannels())[0]?.reason).toContain('401');
  });

  it('form:// and xml:// reach the same receiver in their own shapes', async () => {
    for (const kind of ['form', 'xml'] as const) {
      const { outbox, enqueue } = await outboxFor(configOf(`${kind}://${hostOf(hook.url)}/${kind}?+X-Token=abc%2B123`));
      await enqueue(kind);
      expect(await outbox.drain()).toMatchObject({ sent: 1 });
    }
    const [form, xml] = hook.messages().slice(-2);
    expect(form?.body).toMatchObject({ version: '1.0', title: 'form', type: 'warning' });
    expect(String(xml?.body)).toContain('<title>xml</title><message>xml &lt;details&gt; &amp; more</message>');
  });
});

describe('ntfy', () => {
  it('publishes with basic auth, priority and tags; waits out a 429; wrong credentials disable', async () => {
    const { outbox, clock, enqueue } = await outboxFor(configOf(`ntfy://bob:ntfy-pass-1@${hostOf(ntfy.url)}/alerts?priority=high&tags=warning,school`));
    ntfy.rateLimitNext(1);
    await enqueue('n1');
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(5_000);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(ntfy.messages().at(-1)).toEqual({ topic: 'alerts', title: 'n1', message: 'n1 <details> & more', priority: 4, tags: ['warning', 'school'] });
    const wrong = await outboxFor(configOf(`ntfy://bob:bad@${hostOf(ntfy.url)}/alerts`));
    await wrong.enqueue('n2');
    expect(await wrong.outbox.drain()).toMatchObject({ failed: 1 });
    expect((await wrong.outbox.disabledChannels())[0]?.reason).toMatch(/403: forbidden/);
  });
});

describe('Gotify', () => {
  it('posts with X-Gotify-Key and the priority Apprise names; an unknown token disables', async () => {
    const token = gotify.createApp();
    const { outbox, enqueue } = await outboxFor(configOf(`gotify://${hostOf(gotify.url)}/${token}?priority=high`));
    await enqueue('g1');
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(gotify.messages().at(-1)).toMatchObject({ appToken: token, title: 'g1', priority: 8 });
    const bad = await outboxFor(configOf(`gotify://${hostOf(gotify.url)}/Anotatoken`));
    await bad.enqueue('g2');
    expect(await bad.outbox.drain()).toMatchObject({ failed: 1 });
    const reason = (await bad.outbox.disabledChannels())[0]?.reason ?? '';
    expect(reason).toContain('401');
    expect(reason).not.toContain('Anotatoken');
  });
});

describe('Telegram', () => {
  it('sends HTML to each chat and topic; waits parameters.retry_after; an unknown chat disables', async () => {
    const token = telegram.createBot(['-100123', '42']);
    const apiUrl = telegram.url;
    const { outbox, clock, enqueue } = await outboxFor(configOf(`tgram://${token}/-100123/42?topic=7`, { apiUrl }));
    telegram.rateLimitNext(1, 3);
    await enqueue('t1');
    expect(await outbox.drain()).toMatchObject({ pending: 1 });
    clock.advance(3_000);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(telegram.messages().map((m) => [m.chatId, m.threadId, m.parseMode])).toEqual([
      ['-100123', 7, 'HTML'],
      ['42', 7, 'HTML'],
    ]);
    expect(telegram.messages()[0]?.text).toBe('<b>t1</b>\nt1 &lt;details&gt; &amp; more');
    const lost = await outboxFor(configOf(`tgram://${token}/999`, { apiUrl }));
    await lost.enqueue('t2');
    expect(await lost.outbox.drain()).toMatchObject({ failed: 1 });
    expect((await lost.outbox.disabledChannels())[0]?.reason).toContain('chat not found');
  });
});

describe('Pushover', () => {
  const user = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
  const token = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
  it('delivers priority and sound; a spent quota (429) waits an hour; an unknown user key disables', async () => {
    pushover.register(token, user);
    const { outbox, clock, enqueue } = await outboxFor(configOf(`pover://${user}@${token}/phone?priority=emergency&sound=siren`, { apiUrl: pushover.url }));
    pushover.quotaSpentNext(1);
    await enqueue('p1');
    expect(await outbox.drain()).toMatchObject({ pending: 1 });
    clock.advance(59 * 60_000);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(60_000);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(pushover.messages().at(-1)).toMatchObject({ user, title: 'p1', priority: 2, sound: 'siren', device: 'phone' });
    const other = await outboxFor(configOf(`pover://${'x'.repeat(30)}@${token}`, { apiUrl: pushover.url }));
    await other.enqueue('p2');
    expect(await other.outbox.drain()).toMatchObject({ failed: 1 });
  });
});

describe('Matrix', () => {
  it('logs in, joins the room alias, sends once per transaction; waits retry_after_ms', async () => {
    matrix.addUser('bot', 'matrix-pass-1');
    const roomId = matrix.createRoom('#alerts:127.0.0.1');
    const { outbox, clock, enqueue } = await outboxFor(configOf(`matrix://bot:matrix-pass-1@${hostOf(matrix.url)}/#alerts`));
    await enqueue('m1');
    matrix.rateLimitNext(1, 2_500);
    expect(await outbox.drain()).toMatchObject({ pending: 1 });
    clock.advance(2_500);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(matrix.messages()).toHaveLength(1);
    expect(matrix.messages()[0]).toMatchObject({ roomId, user: 'bot', content: { msgtype: 'm.text', body: 'm1\nm1 <details> & more' } });
  });

  it('a t2bot webhook id posts to its hook', async () => {
    const id = matrix.createHook();
    const { outbox, enqueue } = await outboxFor(configOf(`matrix://${id}`, { url: `${matrix.url}/api/v1/matrix/hook` }));
    await enqueue('h1');
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(matrix.hooks().at(-1)).toMatchObject({ id, body: { format: 'markdown' } });
  });
});

describe('email through a provider template', () => {
  const mails: { user: unknown; secure: boolean; from?: string; to: string[] }[] = [];
  let server: SMTPServer;
  let port = 0;
  beforeAll(async () => {
    // smtp-server offers STARTTLS with its built-in self-signed certificate, as smtp.gmail.com:587 offers it.
    server = new SMTPServer({
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _s, cb) =>
        auth.username === 'student@gmail.com' && auth.password === 'app-pass-1234' ? cb(null, { user: auth.username }) : cb(new Error('Invalid login')),
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          mails.push({
            user: session.user,
            secure: session.secure,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('mailto://student:…@gmail.com goes to smtp.gmail.com:587 with STARTTLS, logging in as the whole address', async () => {
    const config = configOf('mailto://student:app-pass-1234@gmail.com?cc=prof@example.org');
    expect(config).toMatchObject({ smtp: { host: 'smtp.gmail.com', port: 587, mode: 'starttls', user: 'student@gmail.com' } });
    // The host is overridden for the test only: the template's server is reached on 127.0.0.1.
    const { outbox, enqueue } = await outboxFor(config, { emailConnectTo: { host: '127.0.0.1', port }, emailTls: { rejectUnauthorized: false } });
    await enqueue('e1');
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(mails.at(-1)).toEqual({ user: 'student@gmail.com', secure: true, from: 'student@gmail.com', to: ['student@gmail.com', 'prof@example.org'] });
  });
  it('mailto:// is plain SMTP as Apprise means it: a server without STARTTLS or AUTH gets the mail', async () => {
    const plain: { secure: boolean; to: string[] }[] = [];
    const relay = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          plain.push({ secure: session.secure, to: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.server.address() as AddressInfo).port;
    try {
      const config = configOf(`mailto://127.0.0.1:${relayPort}/me@example.org?from=campus-sync@example.org&name=Campus`);
      expect(config).toMatchObject({ smtp: { host: '127.0.0.1', port: relayPort, mode: 'insecure' }, from: 'campus-sync@example.org', fromName: 'Campus' });
      const { outbox, enqueue } = await outboxFor(config);
      await enqueue('e2');
      expect(await outbox.drain()).toMatchObject({ sent: 1 });
      expect(plain).toEqual([{ secure: false, to: ['me@example.org'] }]);
      // The same server under mailtos:// (STARTTLS required) is refused rather than spoken to in clear.
      const strict = await outboxFor(configOf(`mailtos://127.0.0.1:${relayPort}/me@example.org?from=campus-sync@example.org`));
      await strict.enqueue('e3');
      expect(await strict.outbox.drain()).toMatchObject({ sent: 0 });
      expect(plain).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });
});
