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
  it('POSTs the Apprise json:// shape (custom_json.py: version, title, message, attachments, type)', async () => {
    await createWebhookChannel({ name: 'h', url: `${fake.url}/hook` }).send(alert);
    expect(JSON.parse(fake.received.at(-1)?.body ?? '')).toEqual({ version: '1.0', title: 'Sync back', message: 'All good', attachments: [], type: 'success' });
  });

  it('sends + items as headers, - items as query parameters, : items as payload fields, with the method and basic auth', async () => {
    const url = fake.url.replace('http://', 'http://bob:s3cret-pass@');
    await createWebhookChannel({
      name: 'h',
      url: `${url}/hook`,
      method: 'PUT',
      headers: { 'X-Token': 'abc' },
      params: { key: 'v 1' },
      payload: { message: 'text', type: '', extra: 'x' },
    }).send(alert);
    const got = fake.received.at(-1);
    expect(got).toMatchObject({ method: 'PUT', path: '/hook?key=v+1' });
    expect(got?.headers['x-token']).toBe('abc');
    expect(got?.headers.authorization).toBe(`Basic ${Buffer.from('bob:s3cret-pass').toString('base64')}`);
    expect(JSON.parse(got?.body ?? '')).toEqual({ version: '1.0', title: 'Sync back', text: 'All good', attachments: [], extra: 'x' });
  });

  it('form:// posts a form (a GET puts it in the query) and xml:// a SOAP envelope, version 1.1', async () => {
    await createWebhookChannel({ name: 'f', url: `${fake.url}/f`, format: 'form' }).send(alert);
    expect(fake.received.at(-1)?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(fake.received.at(-1)?.body))).toEqual({
      version: '1.0',
      title: 'Sync back',
      message: 'All good',
      type: 'success',
    });
    await createWebhookChannel({ name: 'f', url: `${fake.url}/f`, format: 'form', method: 'GET' }).send(alert);
    expect(fake.received.at(-1)?.path).toBe('/f?version=1.0&title=Sync+back&message=All+good&type=success');
    await createWebhookChannel({ name: 'x', url: `${fake.url}/x`, format: 'xml', payload: { 'bad name!': 'v' } }).send(alert);
    const xml = fake.received.at(-1)?.body ?? '';
    expect(fake.received.at(-1)?.headers['content-type']).toBe('application/xml');
    expect(xml).toContain(
      '<soapenv:Body><Notification><version>1.1</version><title>Sync back</title><message>All good</message><type>success</type><badname>v</badname></Notification>',
    );
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
