/**
 * The ingestion section of a configuration, kept here until the lead decides where it lives:
 *
 *   discord:
 *     tokenFile: /run/secrets/discord-bot-token   # or token: "…"
 *     guildId: "123456789012345678"
 *     channels: ["123456789012345678", "987654321098765432"]
 *     mode: gateway                                # optional: gateway (live, default) or poll (fallback)
 *     threads: false                               # optional: also the threads of those channels (live only)
 *     pollSeconds: 30                              # optional (mode: poll)
 *     apiUrl: https://discord.com/api              # optional (simulators)
 *     alert: ntfys://ntfy.sh/my-topic              # optional: an Apprise URL told when live ingestion stops for good
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { channelsSchema, DISCORD_API_URL, notifySecrets, type ChannelConfig } from '../config/index.js';
import { ConfigError } from '../lib/index.js';
import { DEFAULT_POLL_INTERVAL_MS } from './poll.js';
import type { IngestChannel, SettingNames } from './client.js';
import { SNOWFLAKE_PATTERN } from './snowflake.js';

/** Below 5 s a poll gains nothing for reporting and a few channels approach Discord's per-channel buckets. */
export const MIN_POLL_SECONDS = 5;
/** Above an hour it is no longer "near real time". */
export const MAX_POLL_SECONDS = 3600;

/**
 * gateway: live through the Discord Gateway (the default); poll: REST polling, the fallback for when a
 * websocket cannot be kept open (a proxy that cuts long connections) or the gateway cannot be used.
 */
export const INGEST_MODES = ['gateway', 'poll'] as const;
export type IngestMode = (typeof INGEST_MODES)[number];

const snowflake = z.string().regex(SNOWFLAKE_PATTERN, 'must be a Discord id (digits, as a quoted string)');

export const ingestConfigSchema = z.strictObject({
  discord: z
    .strictObject({
      token: z.string().min(10, 'must be a bot token').optional(),
      tokenFile: z.string().min(1, 'must be a file path').optional(),
      apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default(DISCORD_API_URL),
      guildId: snowflake,
      channels: z
        .array(snowflake)
        .min(1, 'list at least one channel id')
        .refine((ids) => new Set(ids).size === ids.length, 'lists a channel twice'),
      pollSeconds: z
        .number()
        .int('must be whole seconds')
        .min(MIN_POLL_SECONDS)
        .max(MAX_POLL_SECONDS)
        .default(DEFAULT_POLL_INTERVAL_MS / 1000),
      mode: z.enum(INGEST_MODES, { error: `must be ${INGEST_MODES.join(' or ')}` }).default('gateway'),
      threads: z.boolean({ error: 'must be true or false' }).default(false),
      /** Where a stop a person must fix (a refused token or intent) is said: one notification URL (Apprise grammar). */
      alert: z.string().min(1, 'must be a notification URL').optional(),
    })
    .superRefine((d, ctx) => {
      if (d.token !== undefined && d.tokenFile !== undefined)
        ctx.addIssue({ code: 'custom', path: ['tokenFile'], message: 'give either token or tokenFile, not both' });
      if (d.token === undefined && d.tokenFile === undefined)
        ctx.addIssue({ code: 'custom', path: ['token'], message: 'required (or tokenFile: a file holding it)' });
    }),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

/** What backfill/pollOnce/startIngestion take, the token read. */
export interface IngestSettings {
  token: string;
  apiUrl: string;
  channels: IngestChannel[];
  intervalMs: number;
  /** gateway (default) or poll (fallback). */
  mode: IngestMode;
  /** Live mode: threads of the configured channels too. */
  threads: boolean;
  /** Told once when live ingestion stops for good (DISCORD_ALERT_URL / discord.alert), with its secrets for redaction. */
  alert?: { channel: ChannelConfig; secrets: string[] };
  /** Set when the settings are not named as in a config file (environment variables): for error messages. */
  settingNames?: SettingNames;
}

export interface ResolveIngestOptions {
  /** Relative tokenFile paths start here (default: the working directory). */
  baseDir?: string;
  /** How a key is called in messages (default `discord.guildId` etc.; the environment names variables). */
  keyName?: (path: readonly PropertyKey[]) => string;
}

const defaultKeyName = (path: readonly PropertyKey[]): string => (path.length ? path.map(String).join('.') : '(ingestion section)');

/**
 * Checks the section and reads the token file (relative paths from `baseDir`). ConfigError naming the
 * key; the token itself never appears in a message (zod's messages above do not echo values).
 */
export async function resolveIngestConfig(input: unknown, opts: ResolveIngestOptions = {}): Promise<IngestSettings> {
  const keyName = opts.keyName ?? defaultKeyName;
  const parsed = ingestConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${keyName(i.path)}: ${i.message}`);
    throw new ConfigError(`invalid Discord ingestion settings:\n  ${lines.join('\n  ')}`);
  }
  const d = parsed.data.discord;
  let token = d.token;
  if (token === undefined && d.tokenFile !== undefined) {
    const file = isAbsolute(d.tokenFile) ? d.tokenFile : resolve(opts.baseDir ?? process.cwd(), d.tokenFile);
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new ConfigError(`${keyName(['discord', 'tokenFile'])}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (token === '') throw new ConfigError(`${keyName(['discord', 'tokenFile'])}: ${file} is empty`);
  }
  return {
    token: token ?? '',
    apiUrl: d.apiUrl,
    channels: d.channels.map((channelId) => ({ guildId: d.guildId, channelId })),
    intervalMs: d.pollSeconds * 1000,
    mode: d.mode,
    threads: d.threads,
    ...(d.alert !== undefined ? { alert: alertChannel(d.alert, keyName(['discord', 'alert'])) } : {}),
  };
}

/** The operator's channel for ingestion stops, parsed as a config's `notify:` entry is (same grammar, same refusals). */
function alertChannel(url: string, key: string): { channel: ChannelConfig; secrets: string[] } {
  const parsed = channelsSchema.safeParse([url]);
  if (!parsed.success) throw new ConfigError(`${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const channel = { ...parsed.data[0]!, name: 'discord-ingestion-alert' } as ChannelConfig;
  return { channel, secrets: notifySecrets([channel]) };
}
