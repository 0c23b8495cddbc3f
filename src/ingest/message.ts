/**
 * Discord message object → `discord_messages` row. Pure: the boundary where Discord's JSON is checked
 * (zod) before anything is stored.
 */
import { z } from 'zod';
import { RemoteError } from '../lib/index.js';
import type { MessageRow } from './sink.js';
import { SNOWFLAKE_PATTERN } from './snowflake.js';

const snowflake = z.string().regex(SNOWFLAKE_PATTERN, 'expected a snowflake (decimal id)');

/** Discord timestamps: "2025-03-01T10:00:00.123000+00:00" (microseconds, explicit offset); Z and no fraction accepted too. */
const DISCORD_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** ISO-8601 UTC with milliseconds, or null when the text is not a Discord timestamp. */
export function normalizeDiscordTimestamp(text: string): string | null {
  const m = DISCORD_TIMESTAMP.exec(text);
  if (!m) return null;
  // Milliseconds are what Date (and the snowflake) hold; Discord's microseconds are always zero beyond them in practice.
  const ms = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  const t = Date.parse(`${m[1]}T${m[2]}.${ms}${m[4]}`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const timestamp = z.string().refine((s) => normalizeDiscordTimestamp(s) !== null, 'expected an ISO-8601 timestamp');

/**
 * The fields of the reference's message object that a row needs; everything else is kept as is in
 * raw_json. `guild_id` is optional: REST answers leave it out (only gateway events carry it).
 */
export const discordMessageSchema = z.looseObject({
  id: snowflake,
  channel_id: snowflake,
  guild_id: snowflake.optional(),
  author: z.looseObject({ id: snowflake, username: z.string() }),
  content: z.string(),
  timestamp,
  edited_timestamp: timestamp.nullable().optional(),
  attachments: z.array(z.unknown()).optional(),
  embeds: z.array(z.unknown()).optional(),
});
export type DiscordMessage = z.infer<typeof discordMessageSchema>;

export interface RowContext {
  /** The configured guild, used when the message does not name one (REST never does). */
  guildId: string;
  /** When this ingestion saw it (ISO UTC). */
  ingestedAt: string;
  /** For error messages: the channel being read. */
  channelId?: string;
}

const idOf = (raw: unknown): string | undefined => {
  const id = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).id : undefined;
  return typeof id === 'string' ? id : undefined;
};

/** Checks one message of Discord's answer; RemoteError naming the channel, the message and the field otherwise. */
export function parseDiscordMessage(raw: unknown, channelId?: string): DiscordMessage {
  const parsed = discordMessageSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'message';
  const id = idOf(raw);
  const inChannel = channelId !== undefined ? ` in channel ${channelId}` : '';
  throw new RemoteError(`Discord sent an unreadable message${id ? ` ${id}` : ''}${inChannel}: ${where}: ${issue?.message ?? 'invalid'}`);
}

/** The row for one Discord message object (`raw` as received: it becomes raw_json unchanged). */
export function toMessageRow(raw: unknown, ctx: RowContext): MessageRow {
  const m = parseDiscordMessage(raw, ctx.channelId);
  const edited = m.edited_timestamp ?? null;
  return {
    messageId: m.id,
    guildId: m.guild_id ?? ctx.guildId,
    channelId: m.channel_id,
    authorId: m.author.id,
    authorName: m.author.username,
    content: m.content,
    // Both checked by the schema, so never null here.
    createdAt: normalizeDiscordTimestamp(m.timestamp) ?? m.timestamp,
    editedAt: edited === null ? null : (normalizeDiscordTimestamp(edited) ?? edited),
    deleted: false,
    attachmentCount: m.attachments?.length ?? 0,
    embedCount: m.embeds?.length ?? 0,
    rawJson: JSON.stringify(raw),
    ingestedAt: ctx.ingestedAt,
  };
}
