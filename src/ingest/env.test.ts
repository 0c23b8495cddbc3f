import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { ingestConfigFromEnv } from './env.js';

const TOKEN = 'MTE0.bot-token-from-env.xyz';
const GUILD = '123456789012345678';
const env = (over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  DISCORD_BOT_TOKEN: TOKEN,
  DISCORD_GUILD_ID: GUILD,
  DISCORD_CHANNEL_IDS: '223456789012345678, 323456789012345678',
  ...over,
});

async function configError(e: NodeJS.ProcessEnv): Promise<string> {
  const err = await ingestConfigFromEnv(e).catch((x: unknown) => x);
  expect(err, JSON.stringify(e)).toBeInstanceOf(ConfigError);
  const message = (err as Error).message;
  expect(message).not.toContain(TOKEN);
  return message;
}

describe('ingestConfigFromEnv', () => {
  it('is null when no token is set (blank counts as unset), whatever else is', async () => {
    expect(await ingestConfigFromEnv({})).toBeNull();
    expect(await ingestConfigFromEnv(env({ DISCORD_BOT_TOKEN: undefined }))).toBeNull();
    expect(await ingestConfigFromEnv(env({ DISCORD_BOT_TOKEN: '  ', DISCORD_BOT_TOKEN_FILE: '' }))).toBeNull();
  });

  it('maps the seed variables onto the settings, with the defaults, naming the variables for messages', async () => {
    expect(await ingestConfigFromEnv(env())).toEqual({
      token: TOKEN,
      apiUrl: 'https://discord.com/api',
      channels: [
        { guildId: GUILD, channelId: '223456789012345678' },
        { guildId: GUILD, channelId: '323456789012345678' },
      ],
      intervalMs: 30_000,
      mode: 'gateway',
      threads: false,
      settingNames: { token: 'DISCORD_BOT_TOKEN', channels: 'DISCORD_CHANNEL_IDS' },
    });
    const custom = await ingestConfigFromEnv(
      env({ DISCORD_API_URL: 'http://127.0.0.1:9/api', DISCORD_POLL_SECONDS: '120', DISCORD_CHANNEL_IDS: '223456789012345678,' }),
    );
    expect(custom).toMatchObject({ apiUrl: 'http://127.0.0.1:9/api', intervalMs: 120_000, channels: [{ guildId: GUILD, channelId: '223456789012345678' }] });
  });

  it('reads the fallback switch DISCORD_INGEST_MODE and DISCORD_THREADS, naming them when wrong', async () => {
    expect(await ingestConfigFromEnv(env({ DISCORD_INGEST_MODE: 'poll', DISCORD_THREADS: 'true' }))).toMatchObject({ mode: 'poll', threads: true });
    await expect(ingestConfigFromEnv(env({ DISCORD_INGEST_MODE: 'websocket' }))).rejects.toThrow(
      /DISCORD_INGEST_MODE: must be gateway or poll, got "websocket"/,
    );
    await expect(ingestConfigFromEnv(env({ DISCORD_THREADS: 'yes' }))).rejects.toThrow(/DISCORD_THREADS: must be true or false/);
  });

  it('reads DISCORD_BOT_TOKEN_FILE (relative to baseDir, trailing newline dropped)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-env-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const settings = await ingestConfigFromEnv(env({ DISCORD_BOT_TOKEN: undefined, DISCORD_BOT_TOKEN_FILE: 'token' }), { baseDir: dir });
    expect(settings).toMatchObject({ token: TOKEN, settingNames: { token: 'DISCORD_BOT_TOKEN_FILE' } });
    const missing = await ingestConfigFromEnv(env({ DISCORD_BOT_TOKEN: undefined, DISCORD_BOT_TOKEN_FILE: join(dir, 'nope') })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toMatch(/^DISCORD_BOT_TOKEN_FILE: cannot read .*nope \(ENOENT\)/);
  });

  it('refuses bad values with a ConfigError naming each variable, never printing the token', async () => {
    const cases: Array<[Record<string, string | undefined>, RegExp]> = [
      [{ DISCORD_GUILD_ID: undefined }, /DISCORD_GUILD_ID: required/],
      [{ DISCORD_GUILD_ID: 'my-server' }, /DISCORD_GUILD_ID: "my-server" is not a Discord id/],
      [{ DISCORD_CHANNEL_IDS: undefined }, /DISCORD_CHANNEL_IDS: required: the channel ids to read, comma-separated/],
      [{ DISCORD_CHANNEL_IDS: ' , ' }, /DISCORD_CHANNEL_IDS: required/],
      [{ DISCORD_CHANNEL_IDS: '223456789012345678,general' }, /DISCORD_CHANNEL_IDS: not Discord ids \(digits\): "general"/],
      [{ DISCORD_CHANNEL_IDS: '223456789012345678,223456789012345678' }, /DISCORD_CHANNEL_IDS: lists a channel twice/],
      [{ DISCORD_POLL_SECONDS: 'soon' }, /DISCORD_POLL_SECONDS: must be whole seconds, got "soon"/],
      [{ DISCORD_POLL_SECONDS: '1' }, /DISCORD_POLL_SECONDS: /],
      [{ DISCORD_API_URL: 'ftp://x' }, /DISCORD_API_URL: must be an http\(s\) URL/],
      [{ DISCORD_BOT_TOKEN_FILE: '/run/secrets/t' }, /DISCORD_BOT_TOKEN_FILE: set either DISCORD_BOT_TOKEN or DISCORD_BOT_TOKEN_FILE, not both/],
    ];
    for (const [over, pattern] of cases) expect(await configError(env(over))).toMatch(pattern);
    // Several problems at once are all named.
    const both = await configError(env({ DISCORD_GUILD_ID: undefined, DISCORD_CHANNEL_IDS: undefined }));
    expect(both).toMatch(/DISCORD_GUILD_ID/);
    expect(both).toMatch(/DISCORD_CHANNEL_IDS/);
    const short = await ingestConfigFromEnv(env({ DISCORD_BOT_TOKEN: 'sekret42' })).catch((e: unknown) => e);
    expect((short as Error).message).toMatch(/DISCORD_BOT_TOKEN: must be a bot token/);
    expect((short as Error).message).not.toContain('sekret42');
  });
});
