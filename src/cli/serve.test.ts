import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutput } from './output.js';
import { serveVerb } from './serve.js';

const VARS = ['CAMPUS_SYNC_CONFIG_DIR', 'CAMPUS_SYNC_DATA_DIR', 'PORT', 'HOST', 'API_KEY', 'API_KEYS', 'API_KEYS_FILE', 'DATABASE_URL', 'LOG_LEVEL'] as const;
let saved: Record<string, string | undefined>;
let root: string;

beforeEach(async () => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  root = await mkdtemp(join(tmpdir(), 'campus-sync-serve-'));
  Object.assign(process.env, {
    CAMPUS_SYNC_CONFIG_DIR: join(root, 'configs'),
    CAMPUS_SYNC_DATA_DIR: join(root, 'data'),
    PORT: '0',
    API_KEY: 'serve-test-key-123',
    LOG_LEVEL: 'error',
  });
});
afterEach(async () => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  await rm(root, { recursive: true, force: true });
});

describe('serve', () => {
  it('prints the URL, serves until SIGTERM, then stops and exits 0', async () => {
    const listenersBefore = process.listenerCount('SIGTERM');
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (c: Buffer) => (printed += c.toString()));
    const exit = serveVerb({ args: [], values: { json: true }, out: createOutput(true, stdout as unknown as NodeJS.WriteStream) });
    await expect.poll(() => printed, { timeout: 10_000 }).toContain('"url"');
    const { url, docs } = JSON.parse(printed.trim()) as { url: string; docs: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(docs).toBe(`${url}/docs`);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/v1/alerts`, { headers: { 'x-api-key': 'serve-test-key-123' } })).status).toBe(200);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });

  it('exits 1 with a message when the store cannot be opened', async () => {
    process.env.DATABASE_URL = 'postgres://u:pw@127.0.0.1:1/nothing';
    const out = createOutput(true, new PassThrough() as unknown as NodeJS.WriteStream);
    expect(await serveVerb({ args: [], values: { json: true }, out })).toBe(1);
  });
});
