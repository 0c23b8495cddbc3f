import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError, TransientError } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError } from '../channel.js';
import { startFakeHttp } from '../fake-http.test-helper.js';
import { createAlert, discordLimitViolations, type DiscordMessage } from '../message.js';
import { parseAppriseUrl } from '../../config/index.js';
import { DISCORD_USER_AGENT, createDiscordBotChannel, createDiscordWebhookChannel, discordWebhookPostUrl } from './discord.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';

const alert = createAlert({ kind: 'sync.failed', instance: 'alice', title: 'Sync failed', text: 'ECAL timed out' }, fakeClock('2025-05-26T07:00:00Z'));
let fake: Awaited<ReturnType<typeof startFakeHttp>>;
beforeAll(async () => {
  fake = await startFakeHttp({ status: 204 });
});
afterAll(() => fake.close());

describe('Discord channels', () => {
  it('webhook: POSTs embeds as JSON to the webhook URL, under /api/v10 (the pasted URL runs v6)', async () => {
    fake.received.length = 0;
    const ch = createDiscordWebhookChannel({ name: 'dw', url: `${fake.url}/api/webhooks/123/tok_en` });
    await ch.send(alert);
    const req = fake.received[0];
    expect(req).toMatchObject({ method: 'POST', path: '/api/v10/webhooks/123/tok_en' });
    expect(req?.headers['content-type']).toContain('application/json');
    const body = JSON.parse(req?.body ?? '') as DiscordMessage;
    expect(discordLimitViolations(body)).toEqual([]);
    expect(body.embeds[0]).toMatchObject({ title: 'Sync failed', description: 'ECAL timed out', footer: { text: 'campus-sync alice' } });
  });

  it('bot: POSTs to /v10/channels/{id}/messages with Bot auth and the DiscordBot user agent', async () => {
    fake.received.length = 0;
    fake.reply({ status: 200, body: '{"id":"1"}' });
    const ch = createDiscordBotChannel({ name: 'bot', token: 'bot-token-xyz', channelId: '4242', apiUrl: `${fake.url}/api/` });
    await ch.send(alert);
    expect(fake.received[0]).toMatchObject({ path: '/api/v10/channels/4242/messages' });
    expect(fake.received[0]?.headers).toMatchObject({ authorization: 'Bot bot-token-xyz', 'user-agent': DISCORD_USER_AGENT });
  });

  it('maps answers: 429 retry_after (seconds, float) and global, 404 10015 permanent, 400 payload error, 5xx transient', async () => {
    const ch = createDiscordWebhookChannel({ name: 'dw', url: `${fake.url}/api/webhooks/123/secret-token-1` });
    fake.reply({
      status: 429,
      body: '{"message":"You are being rate limited.","retry_after":2.5,"global":false}',
      headers: { 'Content-Type': 'application/json', 'Retry-After': '3' },
    });
    const limited = await ch.send(alert).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ChannelTransientError);
    expect(limited).toMatchObject({ retryAfterMs: 2500, global: false, status: 429 });

    fake.reply({ status: 429, body: 'slow down', headers: { 'Retry-After': '7', 'X-RateLimit-Global': 'true' } });
    expect(await ch.send(alert).catch((e: unknown) => e)).toMatchObject({ retryAfterMs: 7000, global: true });

    fake.reply({ status: 404, body: '{"message":"Unknown Webhook","code":10015}' });
    const gone = await ch.send(alert).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(PermanentChannelError);
    expect(String(gone)).toContain('unknown webhook');

    fake.reply({ status: 400, body: '{"code":50035,"message":"Invalid Form Body","errors":{}}' });
    const bad = await ch.send(alert).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RemoteError);
    expect(bad).not.toBeInstanceOf(PermanentChannelError);

    fake.reply({ status: 502, body: 'bad gateway' });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(TransientError);

    fake.reply({ status: 403, body: '{"message":"Missing Permissions","code":50013}' });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(PermanentChannelError);
  });

  it('moves every pasted form of a webhook URL to /api/v10, keeping host and query', () => {
    const v10 = 'https://discord.com/api/v10/webhooks/123456/tok-en_1';
    expect(discordWebhookPostUrl('https://discord.com/api/webhooks/123456/tok-en_1')).toBe(v10);
    expect(discordWebhookPostUrl('https://discord.com/api/v6/webhooks/123456/tok-en_1')).toBe(v10);
    expect(discordWebhookPostUrl('https://discord.com/api/v10/webhooks/123456/tok-en_1')).toBe(v10);
    expect(discordWebhookPostUrl('https://canary.discordapp.com/api/webhooks/123456/tok-en_1?thread_id=99')).toBe(
      'https://canary.discordapp.com/api/v10/webhooks/123456/tok-en_1?thread_id=99',
    );
    const apprise = parseAppriseUrl('discord://123456/tok-en_1234');
    expect(apprise.type === 'discord-webhook' && discordWebhookPostUrl(apprise.url as string)).toBe('https://discord.com/api/v10/webhooks/123456/tok-en_1234');
    // A proxy of the user's own, without /api/: left alone.
    expect(discordWebhookPostUrl('https://hooks.example.org/webhooks/123456/tok-en_1')).toBe('https://hooks.example.org/webhooks/123456/tok-en_1');
  });

  it('a refused connection is transient and its message holds no token', async () => {
    const ch = createDiscordWebhookChannel({ name: 'dw', url: 'http://127.0.0.1:1/api/webhooks/123/very-secret-token' });
    const err = await ch.send(alert).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(String(err)).not.toContain('very-secret-token');
  });

  it('skips parts an earlier attempt delivered and reports each part', async () => {
    fake.received.length = 0;
    const many = createAlert({
      kind: 'slot.new',
      instance: 'a',
      title: 'slots',
      text: '',
      slots: Array.from({ length: 300 }, (_, i) => ({ label: `s${i} ${'x'.repeat(150)}`, start: '2025-06-01T09:00:00+02:00' })),
    });
    const ch = createDiscordWebhookChannel({ name: 'dw', url: `${fake.url}/api/webhooks/1/t` });
    const marks: number[] = [];
    await ch.send(many, { done: 2, markDone: async (n) => void marks.push(n) });
    expect(marks[0]).toBe(3);
    expect(fake.received.length).toBe(marks.length);
    expect(fake.received.length).toBeGreaterThan(0);
  });
});
