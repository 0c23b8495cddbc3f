import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteError, TransientError } from '../../lib/index.js';
import { ChannelTransientError, PermanentChannelError } from '../channel.js';
import { startFakeHttp } from '../fake-http.test-helper.js';
import { createAlert } from '../message.js';
import { createSlackChannel } from './slack.js';

const alert = createAlert({ kind: 'auth.failed', instance: 'alice', title: 'Login refused', text: 'CAS answered 401' });
let fake: Awaited<ReturnType<typeof startFakeHttp>>;
beforeAll(async () => {
  fake = await startFakeHttp({ status: 200, body: 'ok' });
});
afterAll(() => fake.close());

describe('Slack channel', () => {
  it('POSTs text + blocks to the webhook', async () => {
    const ch = createSlackChannel({ name: 'sl', url: `${fake.url}/services/T1/B2/XYZ` });
    await ch.send(alert);
    const body = JSON.parse(fake.received.at(-1)?.body ?? '') as { text: string; blocks: unknown[] };
    expect(fake.received.at(-1)?.path).toBe('/services/T1/B2/XYZ');
    expect(body.text).toContain('Login refused');
    expect(body.blocks.length).toBeGreaterThan(1);
  });

  it.each([
    [404, 'channel_not_found', PermanentChannelError],
    [410, 'channel_is_archived', PermanentChannelError],
    [403, 'invalid_token', PermanentChannelError],
    [400, 'invalid_payload', RemoteError],
    [500, 'rollup_error', TransientError],
    [429, 'rate limited', ChannelTransientError],
  ])('maps %i %s', async (status, body, type) => {
    const ch = createSlackChannel({ name: 'sl', url: `${fake.url}/services/T1/B2/XYZ` });
    fake.reply({ status, body, headers: status === 429 ? { 'Retry-After': '2' } : {} });
    const err = await ch.send(alert).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    if (status === 400) expect(err).not.toBeInstanceOf(PermanentChannelError);
    if (status === 429) expect(err).toMatchObject({ retryAfterMs: 2000 });
    expect(String(err)).toContain(body);
  });
});
