import { decodeCursor, type CursorScope } from './cursor.js';
import { InvalidParameterError } from './errors.js';
import { clampLimit } from './rows.js';
import { toStoreTime } from './time.js';

/** SQL text shared by both stores; only placeholders and casts differ between the dialects. */
export type Dialect = 'sqlite' | 'postgres';

interface ListingSpec {
  table: string;
  /** The row's main time: `from`/`to` filter on it, pages go newest first on it. */
  time: string;
  /** Breaks ties between rows with the same time, so the order (and a cursor position) is total. */
  tie: string;
  tieType: 'bigint' | 'text';
}

export const LISTINGS: Record<CursorScope, ListingSpec> = {
  runs: { table: 'runs', time: 'started_at', tie: 'id', tieType: 'bigint' },
  events: { table: 'synced_events', time: 'start_at', tie: 'reference', tieType: 'text' },
  alerts: { table: 'alerts', time: 'created_at', tie: 'id', tieType: 'bigint' },
  errors: { table: 'errors', time: 'at', tie: 'id', tieType: 'bigint' },
  messages: { table: 'discord_messages', time: 'created_at', tie: 'message_id', tieType: 'text' },
};

export interface ListingRequest {
  /** column = value conditions (instance, guild, channel). */
  equals: [column: string, value: string][];
  /** Conditions without parameters, e.g. `NOT deleted`. */
  extra?: string[];
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface Listing {
  sql: string;
  params: unknown[];
  /** The clamped page size; the SQL fetches one more row to know whether a next page exists. */
  limit: number;
}

/**
 * A keyset page: rows strictly after the cursor's (time, tie) in (time DESC, tie DESC) order. Written as a
 * row-value comparison so both engines turn it into one index range scan.
 * Throws InvalidParameterError for a bad `from`/`to`, InvalidCursorError for a bad cursor.
 */
export function buildListing(dialect: Dialect, scope: CursorScope, req: ListingRequest): Listing {
  const spec = LISTINGS[scope];
  const params: unknown[] = [];
  const param = (value: unknown, cast?: string): string => {
    params.push(value);
    if (dialect === 'sqlite') return '?';
    return cast ? `$${params.length}::${cast}` : `$${params.length}`;
  };
  const where: string[] = [];
  for (const [column, value] of req.equals) where.push(`${column} = ${param(value)}`);
  where.push(...(req.extra ?? []));
  const from = req.from === undefined ? undefined : toStoreTime(req.from, 'from');
  const to = req.to === undefined ? undefined : toStoreTime(req.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new InvalidParameterError('to', `${req.to} is before from (${req.from})`);
  if (from !== undefined) where.push(`${spec.time} >= ${param(from, 'timestamptz')}`);
  if (to !== undefined) where.push(`${spec.time} < ${param(to, 'timestamptz')}`);
  if (req.cursor !== undefined) {
    const key = decodeCursor(scope, req.cursor);
    where.push(`(${spec.time}, ${spec.tie}) < (${param(key.time, 'timestamptz')}, ${param(key.tie, spec.tieType)})`);
  }
  const limit = clampLimit(req.limit);
  const sql =
    `SELECT * FROM ${spec.table}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${spec.time} DESC, ${spec.tie} DESC LIMIT ${param(limit + 1, 'integer')}`;
  return { sql, params, limit };
}

/** Columns of discord_messages in the order the upserts bind them. */
export const MESSAGE_COLUMNS = [
  'message_id',
  'guild_id',
  'channel_id',
  'author_id',
  'author_name',
  'content',
  'created_at',
  'edited_at',
  'deleted',
  'attachment_count',
  'embed_count',
  'raw_json',
  'ingested_at',
] as const;

/**
 * The conflict clause of a message upsert, the same on both engines: a version that is not older than the
 * stored one (see isSameOrNewerVersion) and differs from it replaces the editable fields and `deleted`
 * (Discord listing a message proves it exists, so a re-listed message is no longer deleted); the first
 * ingestion time stays. A stale version touches nothing, not even `deleted`: it may have been read before
 * the deletion. When nothing changes no row is touched, which is how a message ingested twice counts
 * neither as inserted nor as updated.
 */
export const MESSAGE_CONFLICT_CLAUSE = `ON CONFLICT (message_id) DO UPDATE SET
  author_name = excluded.author_name,
  content = excluded.content,
  edited_at = excluded.edited_at,
  attachment_count = excluded.attachment_count,
  embed_count = excluded.embed_count,
  raw_json = excluded.raw_json,
  deleted = excluded.deleted,
  deleted_at = CASE WHEN excluded.deleted THEN discord_messages.deleted_at ELSE NULL END
WHERE (discord_messages.edited_at IS NULL OR excluded.edited_at >= discord_messages.edited_at)
  AND (discord_messages.author_name IS DISTINCT FROM excluded.author_name
    OR discord_messages.content IS DISTINCT FROM excluded.content
    OR discord_messages.edited_at IS DISTINCT FROM excluded.edited_at
    OR discord_messages.attachment_count IS DISTINCT FROM excluded.attachment_count
    OR discord_messages.embed_count IS DISTINCT FROM excluded.embed_count
    OR discord_messages.raw_json IS DISTINCT FROM excluded.raw_json
    OR discord_messages.deleted IS DISTINCT FROM excluded.deleted)`;

/**
 * listMessageIds: ids >= the bound as integers, compared as (length, text). Ids are decimal strings without
 * leading zeros, so a longer id is a larger number and ids of one length sort as text (message_id is
 * byte-ordered on both engines: SQLite's BINARY, PostgreSQL's COLLATE "C"). Text, not a cast to a 64-bit
 * integer, so no stored id, however odd, can make the query fail.
 * Parameters: channel id, bound length, bound length, bound.
 */
export function messageIdsSql(dialect: Dialect): string {
  const p = dialect === 'sqlite' ? ['?', '?', '?', '?'] : ['$1', '$2', '$3', '$4'];
  return `SELECT message_id FROM discord_messages
    WHERE channel_id = ${p[0]} AND NOT deleted
      AND (length(message_id) > ${p[1]} OR (length(message_id) = ${p[2]} AND message_id >= ${p[3]}))`;
}

/** Tables that carry an instance column, for `instances()`. */
export const INSTANCE_TABLES = ['runs', 'synced_events', 'alerts', 'errors'] as const;

/** `($1, $2), ($3, $4)` for a PostgreSQL multi-row INSERT of `rows` rows of `columns` values. */
export function pgValuesList(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}
