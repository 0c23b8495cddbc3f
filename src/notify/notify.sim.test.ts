import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRedactor } from '../lib/index.js';
import { startDiscordSim, startSlackSim, type DiscordSim, type SlackSim } from '../sim/index.js';
import { createChannel } from './channels/create.js';
import { createAlert, type Alert } from './message.js';
import { createOutbox } from './outbox.js';
import { channelsSchema, notifySecrets } from '../config/index.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

let discord: DiscordSim;
let slack: SlackSim;
beforeAll(async () => {
  discord = await startDiscordSim();
  slack = await startSlackSim();
});
afterAll(async () => {
  await discord.close();
  await slack.close();
});

const tmp = () => mkdtemp(join(tmpdir(), 'cs-notify-sim-'));

function slotAlert(n: number, clock = fakeClock('2025-06-01T10:00:00Z')): Alert {
  return createAlert(
    {
      kind: 'slot.new',
      instance: 'alice',
      title: `${n} new slots`,
      text: 'New slots at the consulate',
      slots: Array.from({ length: n }, (_, i) => ({
        label: `Passport appointment #${i} ${'·'.repeat(120)}`,
        start: `2025-07-${String((i % 28) + 1).padStart(2, '0')}T09:00:00+02:00`,
        bookingUrl: `https://user.clicrdv.com/consulat?slot=${i}`,
      })),
    },
    clock,
  );
}

describe('against the Discord simulator', () => {
  it('200 new slots via webhook and via bot: every split message accepted, every slot listed', async () => {
    const hook = discord.createWebhook();
    const channelId = discord.createChannel();
    const configs = channelsSchema.parse([
      { name: 'dw', type: 'discord-webhook', url: hook.url },
      { name: 'bot', type: 'discord-bot', token: 'test-bot-token', channelId, apiUrl: discord.url },
    ]);
    const outbox = createOutbox({ dir: await tmp(), channels: configs.map((c) => createChannel(c)), redact: makeRedactor(notifySecrets(configs)) });
    await outbox.enqueue(slotAlert(200));
    expect(await outbox.drain()).toEqual({ sent: 2, pending: 0, failed: 0 });
    for (const via of ['webhook', 'bot'] as const) {
      const msgs = discord.messages().filter((m) => m.via === via && (via === 'webhook' ? m.webhookId === hook.id : m.channelId === channelId));
      expect(msgs.length).toBeGreaterThan(1);
      const text = JSON.stringify(msgs.map((m) => m.body as unknown));
      for (let i = 0; i < 200; i++) expect(text).toContain(`slot=${i})`);
    }
  });

  it('429 retry_after and the global flag are honoured; a 503 is retried; nothing is lost or doubled', async () => {
    const hook = discord.createWebhook();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const [config] = channelsSchema.parse([{ name: 'dw', type: 'discord-webhook', url: hook.url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s, clock, random: () => 1 });
    for (const t of ['a', 'b', 'c']) await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: t, text: t }, clock));
    discord.rateLimitNext(1, 3.2, true);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 3 });
    clock.advance(3_000);
    await outbox.drain();
    expect(discord.messages().filter((m) => m.webhookId === hook.id)).toHaveLength(0);
    clock.advance(300);
    discord.failNext(1, 503);
    await outbox.drain();
    // Second failed attempt: 4 s of backoff (random = 1 → the full delay).
    clock.advance(3_999);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 3 });
    clock.advance(1);
    expect(await outbox.drain()).toMatchObject({ sent: 3, pending: 0 });
    const titles = discord
      .messages()
      .filter((m) => m.webhookId === hook.id)
      .map((m) => (m.body as { embeds: { title: string }[] }).embeds[0]?.title);
    expect(titles).toEqual(['a', 'b', 'c']);
  });

  it('a webhook URL as pasted (unversioned, v6: milliseconds) is posted under /api/v10, so a 1.5 s limit waits 1.5 s, not 25 minutes', async () => {
    const hook = discord.createWebhook();
    expect(new URL(hook.url).pathname).toBe(`/api/webhooks/${hook.id}/${hook.token}`);
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const [config] = channelsSchema.parse([{ name: 'dw', type: 'discord-webhook', url: hook.url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s, clock, random: () => 1 });
    await outbox.enqueue(createAlert({ kind: 'slot.new', instance: 'alice', title: 'slot', text: 'slot' }, clock));
    discord.resetLog();
    discord.rateLimitNext(1, 1.5);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    expect(discord.requests[0]).toMatchObject({ path: `/api/v10/webhooks/${hook.id}/${hook.token}`, status: 429 });
    clock.advance(1_499);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(1);
    expect(await outbox.drain()).toMatchObject({ sent: 1, pending: 0 });
    expect(discord.messages().filter((m) => m.webhookId === hook.id)).toHaveLength(1);
  });

  it('a deleted webhook (404, 10015) disables the channel and is never called again', async () => {
    const hook = discord.createWebhook();
    discord.deleteWebhook(hook.id);
    const [config] = channelsSchema.parse([{ name: 'dw', type: 'discord-webhook', url: hook.url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s });
    discord.resetLog();
    await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'x', text: 'x' }));
    await outbox.drain();
    await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'y', text: 'y' }));
    await outbox.drain();
    expect(discord.requests).toHaveLength(1);
    expect((await outbox.disabledChannels())[0]?.reason).toContain('10015');
  });
});

describe('against the Slack simulator', () => {
  it('delivers, then an archived or revoked webhook disables its channel', async () => {
    const live = slack.createWebhook();
    const archived = slack.createWebhook();
    const revoked = slack.createWebhook();
    const configs = channelsSchema.parse([
      { name: 'live', type: 'slack', url: live },
      { name: 'archived', type: 'slack', url: archived },
      { name: 'revoked', type: 'slack', url: revoked },
    ]);
    const outbox = createOutbox({ dir: await tmp(), channels: configs.map((c) => createChannel(c)), redact: makeRedactor(notifySecrets(configs)) });
    slack.archive(archived);
    slack.revoke(revoked);
    await outbox.enqueue(slotAlert(30));
    expect(await outbox.drain()).toEqual({ sent: 1, pending: 0, failed: 2 });
    expect(slack.messages().filter((m) => m.webhook === live)).toHaveLength(1);
    expect((await outbox.disabledChannels()).map((d) => d.name).sort()).toEqual(['archived', 'revoked']);
  });

  it('retries a 500 and a 429 with Retry-After', async () => {
    const url = slack.createWebhook();
    const clock = fakeClock('2025-06-01T10:00:00Z');
    const [config] = channelsSchema.parse([{ name: 's', type: 'slack', url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s, clock, random: () => 1 });
    await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'x', text: 'x' }, clock));
    slack.failNext(1, 500);
    await outbox.drain();
    clock.advance(2_000);
    slack.rateLimitNext(1, 5);
    await outbox.drain();
    clock.advance(4_999);
    expect(await outbox.drain()).toMatchObject({ sent: 0, pending: 1 });
    clock.advance(1);
    expect(await outbox.drain()).toMatchObject({ sent: 1, pending: 0 });
    expect(slack.messages().filter((m) => m.webhook === url)).toHaveLength(1);
  });
});

describe('Apprise URLs with options, against the Discord and Slack simulators', () => {
  it('discord://botname@id/token?… : name, tts, pings, no footer, text or embeds, into the thread, on /api/v10', async () => {
    const hook = discord.createWebhook();
    const [parsed] = channelsSchema.parse([`discord://Campus@${hook.id}/${hook.token}?tts=yes&ping=123456789&thread=987654321&footer=no`]);
    const [config] = channelsSchema.parse([{ ...parsed, url: hook.url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s });
    discord.resetLog();
    await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'Sync failed', text: 'ECAL 503' }));
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(discord.requests[0]).toMatchObject({ path: `/api/v10/webhooks/${hook.id}/${hook.token}`, query: { thread_id: '987654321' } });
    const body = discord.messages().filter((m) => m.webhookId === hook.id)[0]?.body as Record<string, any>;
    expect(body).toMatchObject({ username: 'Campus', tts: true, allowed_mentions: { parse: [], users: ['123456789'] } });
    expect(body.content).toBe('<@123456789>');
    // A thread switches Apprise to markdown: embeds, here without the footer (footer=no).
    expect(body.embeds[0].title).toBe('Sync failed');
    expect(body.embeds[0].footer).toBeUndefined();

    const plain = discord.createWebhook();
    const [p2] = channelsSchema.parse([`discord://${plain.id}/${plain.token}`]);
    const [c2] = channelsSchema.parse([{ ...p2, url: plain.url }]);
    const o2 = createOutbox({ dir: await tmp(), channels: [createChannel(c2!)], redact: (s) => s });
    await o2.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'Sync failed', text: 'ECAL 503' }));
    expect(await o2.drain()).toMatchObject({ sent: 1 });
    // Apprise's default format for Discord is text: the message is content, no embed.
    expect(discord.messages().filter((m) => m.webhookId === plain.id)[0]?.body).toMatchObject({ content: 'Sync failed\nECAL 503', embeds: [] });
  });

  it('slack://xoxb-…/#a/#b posts to each channel through chat.postMessage; an unknown channel disables', async () => {
    const token = slack.createBot(['alerts', 'ops']);
    const [parsed] = channelsSchema.parse([`slack://${token}/#alerts/#ops`]);
    const [config] = channelsSchema.parse([{ ...parsed, apiUrl: `${slack.url}/api` }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: makeRedactor(notifySecrets([config!])) });
    await outbox.enqueue(createAlert({ kind: 'slot.new', instance: 'alice', title: 'New slot', text: 'Tuesday 9:00' }));
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(
      slack
        .botMessages()
        .filter((m) => m.token === token)
        .map((m) => m.channel),
    ).toEqual(['#alerts', '#ops']);
    const [gone] = channelsSchema.parse([{ ...channelsSchema.parse([`slack://${token}/#nowhere`])[0], apiUrl: `${slack.url}/api` }]);
    const o2 = createOutbox({ dir: await tmp(), channels: [createChannel(gone!)], redact: makeRedactor(notifySecrets([gone!])) });
    await o2.enqueue(createAlert({ kind: 'slot.new', instance: 'alice', title: 'x', text: 'x' }));
    expect(await o2.drain()).toMatchObject({ failed: 1 });
    const reason = (await o2.disabledChannels())[0]?.reason ?? '';
    expect(reason).toContain('channel_not_found');
    expect(reason).not.toContain(token);
  });

  it('the native Slack webhook URL with a channel target sends the channel override', async () => {
    const url = slack.createWebhook();
    const [parsed] = channelsSchema.parse([`https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/?to=%23alerts`]);
    const [config] = channelsSchema.parse([{ ...parsed, url }]);
    const outbox = createOutbox({ dir: await tmp(), channels: [createChannel(config!)], redact: (s) => s });
    await outbox.enqueue(createAlert({ kind: 'slot.new', instance: 'alice', title: 'x', text: 'x' }));
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    expect(slack.messages().filter((m) => m.webhook === url)[0]?.body).toMatchObject({ channel: '#alerts' });
  });
});
