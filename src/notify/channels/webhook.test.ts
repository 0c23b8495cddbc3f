import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError } from '../channel.js';
import { startFakeHttp } from '../fake-http.test-helper.js';
import { createAlert } from '../message.js';
import { createWebhookChannel } from './webhook.js';

const alert = createAlert({ kind: 'sync.recovered', instance: 'alice', title: 'Sync back', text: 'All good' });
let fake: Awaited<ReturnType<typeof startFakeHttp>>;
beforeAll(async () => {
  fake = await startFakeHttp({ status: 200, body: '{}' });
});
afterAll(() => fake.close());

describe('JSON webhook channel', () => {
  it('POSTs the Apprise json:// shape', async () => {
    await createWebhookChannel({ name: 'h', url: `${fake.url}/hook` }).send(alert);
    expect(JSON.parse(fake.received.at(-1)?.body ?? '')).toEqual({ version: '1.0', title: 'Sync back', message: 'All good', type: 'success' });
  });

  it('maps 5xx/429 to retry, 404/410/401 to a disabled channel, other 4xx and redirects to a refused alert', async () => {
    const ch = createWebhookChannel({ name: 'h', url: `${fake.url}/hook` });
    fake.reply({ status: 503, headers: { 'Retry-After': '4' } });
    expect(await ch.send(alert).catch((e: unknown) => e)).toMatchObject({ retryAfterMs: 4000 });
    fake.reply({ status: 429 });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(ChannelTransientError);
    fake.reply({ status: 410 });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(PermanentChannelError);
    fake.reply({ status: 422, body: 'bad' });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(RemoteError);
    fake.reply({ status: 302, headers: { Location: 'http://elsewhere/' } });
    expect(String(await ch.send(alert).catch((e: unknown) => e))).toContain('redirect');
  });
});
