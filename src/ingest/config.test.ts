import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { ingestConfigSchema, resolveIngestConfig } from './config.js';

const TOKEN = 'MTE0.bot-token-from-config.xyz';
const valid = () => ({ discord: { token: TOKEN, guildId: '123456789012345678', channels: ['223456789012345678', '323456789012345678'] } });

describe('ingestion config', () => {
  it('applies the defaults and gives one channel entry per id with the guild', async () => {
    expect(ingestConfigSchema.parse(valid()).discord).toMatchObject({ apiUrl: 'https://discord.com/api', pollSeconds: 30 });
    expect(await resolveIngestConfig(valid())).toEqual({
      token: TOKEN,
      apiUrl: 'https://discord.com/api',
      channels: [
        { guildId: '123456789012345678', channelId: '223456789012345678' },
        { guildId: '123456789012345678', channelId: '323456789012345678' },
      ],
      intervalMs: 30_000,
      mode: 'gateway',
      threads: false,
    });
  });

  it('reads tokenFile (relative to baseDir, trailing newline dropped)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-config-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const { token: _t, ...rest } = valid().discord;
    const settings = await resolveIngestConfig(
      { discord: { ...rest, tokenFile: 'token', pollSeconds: 120, apiUrl: 'http://127.0.0.1:9/api' } },
      { baseDir: dir },
    );
    expect(settings).toMatchObject({ token: TOKEN, intervalMs: 120_000, apiUrl: 'http://127.0.0.1:9/api' });
    await writeFile(join(dir, 'empty'), '\n');
    await expect(resolveIngestConfig({ discord: { ...rest, tokenFile: 'empty' } }, { baseDir: dir })).rejects.toThrow(/tokenFile: .*empty/);
    await expect(resolveIngestConfig({ discord: { ...rest, tokenFile: 'missing' } }, { baseDir: dir })).rejects.toThrow(/tokenFile: cannot read .*ENOENT/);
  });

  it('refuses bad sections with a ConfigError naming each key, never printing the token', async () => {
    const d = valid().discord;
    const cases: Array<[unknown, RegExp]> = [
      [{ discord: { ...d, token: undefined } }, /discord\.token: required \(or tokenFile/],
      [{ discord: { ...d, tokenFile: '/x' } }, /discord\.tokenFile: give either token or tokenFile/],
      // biome-ignore lint/correctness/noPrecisionLoss: the point: a snowflake written as a YAML number has already lost digits, so it is refused
      [{ discord: { ...d, guildId: 123456789012345678 } }, /discord\.guildId/],
      [{ discord: { ...d, channels: [] } }, /discord\.channels: list at least one/],
      [{ discord: { ...d, channels: ['general'] } }, /discord\.channels\.0: must be a Discord id/],
      [{ discord: { ...d, channels: ['223456789012345678', '223456789012345678'] } }, /discord\.channels: lists a channel twice/],
      [{ discord: { ...d, pollSeconds: 1 } }, /discord\.pollSeconds/],
      [{ discord: { ...d, pollSeconds: 7200 } }, /discord\.pollSeconds/],
      [{ discord: { ...d, apiUrl: 'ftp://x' } }, /discord\.apiUrl: must be an http\(s\) URL/],
      [{ discord: { ...d, tokn: 'x' } }, /tokn/],
      [{}, /discord/],
    ];
    for (const [input, pattern] of cases) {
      const err = await resolveIngestConfig(input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toContain(TOKEN);
    }
    const short = await resolveIngestConfig({ discord: { ...d, token: 'sekret42' } }).catch((e: unknown) => e);
    expect((short as Error).message).toMatch(/discord\.token: must be a bot token/);
    expect((short as Error).message).not.toContain('sekret42');
  });
});
