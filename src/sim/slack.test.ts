import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { startSlackSim, type SlackSim } from './slack.js';
import { expectAnswerAfter } from './latency.test-helper.js';

async function post(
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; text: string; type: string | null; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type'), headers: res.headers };
}

describe('Slack incoming-webhook simulator', () => {
  let sim: SlackSim;
  beforeAll(async () => {
    sim = await startSlackSim();
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.resetLog());

  it('creates webhook URLs shaped like hooks.slack.com/services/T../B../X..', () => {
    const url = sim.createWebhook();
    expect(url.startsWith(`${sim.url}/services/T`)).toBe(true);
    expect(new URL(url).pathname).toMatch(/^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{24}$/);
    expect(sim.createWebhook()).not.toBe(url);
  });

  it('answers 200 text/plain `ok` and records the message with its webhook', async () => {
    const hook = sim.createWebhook();
    const body = {
      text: 'Créneau libre',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }],
      username: 'campus-sync',
      icon_emoji: ':calendar:',
    };
    const r = await post(hook, body);
    expect(r.status).toBe(200);
    expect(r.text).toBe('ok');
    expect(r.type).toMatch(/^text\/plain/);
    expect(sim.messages().filter((m) => m.webhook === hook)).toEqual([{ webhook: hook, body }]);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: new URL(hook).pathname, body, status: 200 });
    expect(sim.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('accepts blocks without text, and the form-encoded payload= variant', async () => {
    const hook = sim.createWebhook();
    expect((await post(hook, { blocks: [{ type: 'divider' }] })).text).toBe('ok');
    const form = new URLSearchParams({ payload: JSON.stringify({ text: 'form' }) }).toString();
    expect((await post(hook, form, 'application/x-www-form-urlencoded')).text).toBe('ok');
    expect(
      sim
        .messages()
        .filter((m) => m.webhook === hook)
        .map((m) => m.body),
    ).toEqual([{ blocks: [{ type: 'divider' }] }, { text: 'form' }]);
  });

  it('answers 400 `invalid_payload` without text and blocks, or for a body that is not a JSON object', async () => {
    const hook = sim.createWebhook();
    for (const body of [{}, { text: '' }, { attachments: [{ text: 'a' }] }, { blocks: [] }, { text: 42 }, '{"text":', '[]']) {
      const r = await post(hook, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text).toBe('invalid_payload');
      expect(r.type).toMatch(/^text\/plain/);
    }
    expect(sim.messages().filter((m) => m.webhook === hook)).toHaveLength(0);
  });

  it('answers 404 `channel_not_found` for an unknown webhook', async () => {
    const r = await post(`${sim.url}/services/T000/B000/nope`, { text: 'x' });
    expect(r.status).toBe(404);
    expect(r.text).toBe('channel_not_found');
  });

  it('answers 410 `channel_is_archived` once archived and 403 `invalid_token` once revoked', async () => {
    const a = sim.createWebhook();
    const b = sim.createWebhook();
    sim.archive(a);
    sim.revoke(b);
    expect(await post(a, { text: 'x' })).toMatchObject({ status: 410, text: 'channel_is_archived' });
    expect(await post(b, { text: 'x' })).toMatchObject({ status: 403, text: 'invalid_token' });
    expect(() => sim.revoke(`${sim.url}/services/T1/B1/unknown`)).toThrow(/unknown/);
  });

  it('answers injected failures as 500 `rollup_error`, then recovers', async () => {
    const hook = sim.createWebhook();
    sim.failNext(2, 500);
    expect(await post(hook, { text: 'x' })).toMatchObject({ status: 500, text: 'rollup_error' });
    expect(await post(hook, { text: 'x' })).toMatchObject({ status: 500, text: 'rollup_error' });
    expect(await post(hook, { text: 'x' })).toMatchObject({ status: 200, text: 'ok' });
    expect(sim.messages().filter((m) => m.webhook === hook)).toHaveLength(1);
  });

  it('answers injected 429 `rate_limited` with Retry-After', async () => {
    const hook = sim.createWebhook();
    sim.rateLimitNext(1, 3);
    const r = await post(hook, { text: 'x' });
    expect(r.status).toBe(429);
    expect(r.text).toBe('rate_limited');
    expect(r.headers.get('retry-after')).toBe('3');
  });

  it('delays answers by the latency set on a running simulator', async () => {
    const clock = fakeClock();
    const slow = await startSlackSim({ clock });
    try {
      const hook = slow.createWebhook();
      slow.setLatency(120);
      const r = await expectAnswerAfter(clock, 120, () => post(hook, { text: 'slow' }));
      expect(r.text).toBe('ok');
    } finally {
      await slow.close();
    }
  });
});
