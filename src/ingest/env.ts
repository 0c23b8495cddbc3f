/**
 * Ingestion settings from the environment, as the seed's `.env` names them (DISCORD_BOT_TOKEN,
 * DISCORD_GUILD_ID, DISCORD_CHANNEL_IDS) plus DISCORD_BOT_TOKEN_FILE (a Docker/compose secret),
 * DISCORD_API_URL (simulators), DISCORD_INGEST_MODE (gateway, the default, or poll: the fallback),
 * DISCORD_THREADS (true: threads of the channels too), DISCORD_ALERT_URL (an Apprise URL told when live ingestion
 * stops for good) and DISCORD_POLL_SECONDS (poll mode). Checked by the same schema as the config
 * section (config.ts), with every message naming the variable to fix.
 */
import { ConfigError } from '../lib/index.js';
import { INGEST_MODES, resolveIngestConfig, type IngestSettings } from './config.js';
import { isSnowflake } from './snowflake.js';

/** The variables, keyed by the config section's key they stand for. */
export const DISCORD_ENV = {
  token: 'DISCORD_BOT_TOKEN',
  tokenFile: 'DISCORD_BOT_TOKEN_FILE',
  guildId: 'DISCORD_GUILD_ID',
  channels: 'DISCORD_CHANNEL_IDS',
  apiUrl: 'DISCORD_API_URL',
  pollSeconds: 'DISCORD_POLL_SECONDS',
  mode: 'DISCORD_INGEST_MODE',
  threads: 'DISCORD_THREADS',
  alert: 'DISCORD_ALERT_URL',
} as const;

type SectionKey = keyof typeof DISCORD_ENV;

/** `['discord', 'channels', 1]` → `DISCORD_CHANNEL_IDS (id 2)`. */
function variableName(path: readonly PropertyKey[]): string {
  const key = path[1];
  const name = typeof key === 'string' && key in DISCORD_ENV ? DISCORD_ENV[key as SectionKey] : 'the DISCORD_* variables';
  const index = path[2];
  return typeof index === 'number' ? `${name} (id ${index + 1})` : name;
}

/**
 * The settings, or null when ingestion is not configured (neither DISCORD_BOT_TOKEN nor
 * DISCORD_BOT_TOKEN_FILE set: a blank value counts as unset, as compose passes them). Throws a
 * ConfigError naming each variable that is missing or wrong; the token never appears in a message.
 * A relative DISCORD_BOT_TOKEN_FILE is read from `baseDir` (default: the working directory).
 */
export async function ingestConfigFromEnv(env: NodeJS.ProcessEnv = process.env, opts: { baseDir?: string } = {}): Promise<IngestSettings | null> {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const token = get(DISCORD_ENV.token);
  const tokenFile = get(DISCORD_ENV.tokenFile);
  if (token === undefined && tokenFile === undefined) return null;

  // Checked here rather than left to the schema: its messages are worded for a YAML file.
  const problems: string[] = [];
  if (token !== undefined && tokenFile !== undefined)
    problems.push(`${DISCORD_ENV.tokenFile}: set either ${DISCORD_ENV.token} or ${DISCORD_ENV.tokenFile}, not both`);
  const guildId = get(DISCORD_ENV.guildId);
  if (guildId === undefined) problems.push(`${DISCORD_ENV.guildId}: required: the id of the Discord server (guild) whose channels are read`);
  else if (!isSnowflake(guildId)) problems.push(`${DISCORD_ENV.guildId}: ${JSON.stringify(guildId)} is not a Discord id (digits)`);
  const channelList = get(DISCORD_ENV.channels);
  const channels = (channelList ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (channels.length === 0) problems.push(`${DISCORD_ENV.channels}: required: the channel ids to read, comma-separated`);
  const badChannels = channels.filter((c) => !isSnowflake(c));
  if (badChannels.length > 0) problems.push(`${DISCORD_ENV.channels}: not Discord ids (digits): ${badChannels.map((c) => JSON.stringify(c)).join(', ')}`);
  const pollText = get(DISCORD_ENV.pollSeconds);
  if (pollText !== undefined && !/^\d+$/.test(pollText)) problems.push(`${DISCORD_ENV.pollSeconds}: must be whole seconds, got ${JSON.stringify(pollText)}`);
  const mode = get(DISCORD_ENV.mode);
  if (mode !== undefined && !(INGEST_MODES as readonly string[]).includes(mode))
    problems.push(`${DISCORD_ENV.mode}: must be ${INGEST_MODES.join(' or ')}, got ${JSON.stringify(mode)}`);
  const threads = get(DISCORD_ENV.threads);
  if (threads !== undefined && threads !== 'true' && threads !== 'false')
    problems.push(`${DISCORD_ENV.threads}: must be true or false, got ${JSON.stringify(threads)}`);
  if (problems.length > 0) throw new ConfigError(`invalid Discord ingestion settings:\n  ${problems.join('\n  ')}`);

  const apiUrl = get(DISCORD_ENV.apiUrl);
  const alert = get(DISCORD_ENV.alert);
  const section = {
    discord: {
      ...(token !== undefined ? { token } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
      guildId,
      channels,
      ...(pollText !== undefined ? { pollSeconds: Number(pollText) } : {}),
      ...(apiUrl !== undefined ? { apiUrl } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(threads !== undefined ? { threads: threads === 'true' } : {}),
      ...(alert !== undefined ? { alert } : {}),
    },
  };
  const settings = await resolveIngestConfig(section, { ...opts, keyName: variableName });
  return {
    ...settings,
    settingNames: { token: tokenFile !== undefined ? DISCORD_ENV.tokenFile : DISCORD_ENV.token, channels: DISCORD_ENV.channels },
  };
}
