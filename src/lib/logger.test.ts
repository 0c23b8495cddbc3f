import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createLogger', () => {
  it('puts the instance on every line and redacts secrets in message and fields', async () => {
    const out = capture();
    const log = createLogger({ instance: 'alice', secrets: ['hunter2-secret'], stream: out.stream, json: false });
    log.info('login with hunter2-secret', { url: 'https://x/?p=hunter2-secret' });
    log.child({ phase: 'push' }).warn('slow');
    await flush();
    const text = out.text();
    expect(text).not.toContain('hunter2-secret');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => l.includes('[alice]')),
    ).toBe(true);
    expect(text).toContain('phase=push');
  });

  it('writes one JSON object per line in JSON mode', async () => {
    const out = capture();
    const log = createLogger({ instance: 'bob', stream: out.stream, json: true });
    log.error('boom', { phase: 'fetch' });
    await flush();
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', message: 'boom', instance: 'bob', phase: 'fetch' });
  });
});
