import { describe, expect, it } from 'vitest';
import { RemoteError, TransientError, discordRateLimitUnit } from '../../lib/index.js';
import { startFakeHttp } from '../fake-http.test-helper.js';
import { ChannelTransientError } from '../channel.js';
import { MAX_RETRY_AFTER_MS, answerRetryAfterMs, checkAnswer, createHttp, postJson, type HttpAnswer } from './http.js';

describe('a Retry-After header through answerRetryAfterMs', () => {
  const waitAsked = (value: string | undefined, nowMs?: number): number | undefined =>
    answerRetryAfterMs(
      { status: 429, headers: value === undefined ? {} : { 'retry-after': value }, text: '', json: undefined },
      nowMs === undefined ? {} : { nowMs },
    );
  it('reads seconds (fractions too), HTTP dates, and caps the wait', () => {
    expect(waitAsked('2.5')).toBe(2500);
    expect(waitAsked('Sun, 01 Jun 2025 10:00:30 GMT', Date.parse('2025-06-01T10:00:00Z'))).toBe(30_000);
    expect(waitAsked('999999')).toBe(MAX_RETRY_AFTER_MS);
    expect(waitAsked(undefined)).toBeUndefined();
    expect(waitAsked('soon')).toBeUndefined();
  });
});

describe('checkAnswer reads the wait through lib/http.ts', () => {
  const answer = (status: number, json: unknown, headers: Record<string, string> = {}): HttpAnswer => ({ status, headers, text: JSON.stringify(json), json });
  const waitOf = (a: HttpAnswer, defaultRetryAfterMs?: number): number | undefined => {
    try {
      checkAnswer(a, 'x', (t) => t, defaultRetryAfterMs !== undefined ? { defaultRetryAfterMs } : {});
    } catch (err) {
      expect(err).toBeInstanceOf(ChannelTransientError);
      return (err as ChannelTransientError).retryAfterMs;
    }
    throw new Error('checkAnswer accepted a failure');
  };
  it("Telegram's parameters.retry_after (seconds) and Matrix's retry_after_ms win over Retry-After; the default only when none is said", () => {
    expect(waitOf(answer(429, { ok: false, error_code: 429, parameters: { retry_after: 3 } }, { 'retry-after': '9' }))).toBe(3_000);
    expect(waitOf(answer(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1_250 }))).toBe(1_250);
    expect(waitOf(answer(503, { error: 'busy' }, { 'retry-after': '4' }))).toBe(4_000);
    expect(waitOf(answer(429, { parameters: { retry_after: 999_999 } }))).toBe(MAX_RETRY_AFTER_MS);
    expect(waitOf(answer(429, {}), 700)).toBe(700);
    expect(waitOf(answer(503, {}), 700)).toBeUndefined();
  });
});

describe('postJson over lib/http.ts', () => {
  const redact = (t: string): string => t.replaceAll('tok3n', '[redacted]');
  it('reads the answer and its wait: Discord body in seconds on /api/v10/, milliseconds on the unversioned path', async () => {
    const fake = await startFakeHttp();
    try {
      const http = createHttp(2_000);
      fake.reply({
        status: 429,
        body: '{"message":"You are being rate limited.","retry_after":0.376,"global":false}',
        headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
      });
      const v10 = `${fake.url}/api/v10/webhooks/1/tok3n`;
      const seconds = await postJson(http, v10, { content: 'x' }, 'hook', redact);
      expect(seconds.status).toBe(429);
      expect(answerRetryAfterMs(seconds, { unit: discordRateLimitUnit(v10) })).toBe(376);
      fake.reply({ status: 429, body: '{"retry_after":1500,"global":false}', headers: { 'Content-Type': 'application/json', 'Retry-After': '1500' } });
      const bare = `${fake.url}/api/webhooks/1/tok3n`;
      const millis = await postJson(http, bare, { content: 'x' }, 'hook', redact);
      expect(answerRetryAfterMs(millis, { unit: discordRateLimitUnit(bare) })).toBe(1_500);
      fake.reply({ status: 503, headers: { 'Retry-After': '7200' } });
      expect(answerRetryAfterMs(await postJson(http, `${fake.url}/x`, {}, 'hook', redact))).toBe(MAX_RETRY_AFTER_MS);
      expect(fake.received.map((r) => r.body)).toEqual(['{"content":"x"}', '{"content":"x"}', '{}']);
    } finally {
      await fake.close();
    }
  });

  it('a refused connection is a TransientError without the URL secret, an invalid URL a RemoteError', async () => {
    const fake = await startFakeHttp();
    const url = `${fake.url}/hook/tok3n`;
    await fake.close();
    const refused = await postJson(createHttp(2_000), url, {}, 'webhook "w"', redact).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransientError);
    expect((refused as Error).message).toMatch(/^webhook "w" failed \(ECONNREFUSED\)/);
    expect((refused as Error).message).not.toContain('tok3n');
    const invalid = await postJson(createHttp(2_000), 'http://bad host/tok3n', {}, 'webhook "w"', redact).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RemoteError);
    expect((invalid as Error).message).toBe('webhook "w": invalid URL');
  });
});
