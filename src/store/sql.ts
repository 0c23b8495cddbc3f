import { decodeCursor, type CursorScope } from './cursor.js';
import type { JsonListQuery } from './interface.js';
import { InvalidParameterError } from './errors.js';
import { clampLimit } from './rows.js';
import { toStoreTime } from './time.js';

/** The store's two engines; listings' SQL text differs only in placeholders and casts. */
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

/** The filter of each listing, as the store's list* methods and listJson take it. */
export function listingFilter(q: JsonListQuery): Pick<ListingRequest, 'equals' | 'extra'> {
  switch (q.scope) {
    case 'runs':
    case 'events':
    case 'errors':
      return { equals: [['instance', q.instance]] };
    case 'alerts':
      return { equals: q.instance === undefined ? [] : [['instance', q.instance]] };
    case 'messages': {
      const equals: [string, string][] = [['guild_id', q.guildId]];
      if (q.channelId !== undefined) equals.push(['channel_id', q.channelId]);
      return { equals, extra: q.includeDeleted ? [] : ['NOT deleted'] };
    }
  }
}

type JsonKind = 'text' | 'int' | 'bool' | 'time';

/**
 * Each listing's items in the API's JSON, key → column: the same fields, in the same order, as the row
 * types converted to snake_case (rows.test.ts holds the two together); a message's raw_json is left out.
 */
export const JSON_FIELDS: Record<CursorScope, readonly (readonly [key: string, column: string, kind: JsonKind])[]> = {
  runs: [
    ['id', 'id', 'int'],
    ['instance', 'instance', 'text'],
    ['started_at', 'started_at', 'time'],
    ['finished_at', 'finished_at', 'time'],
    ['outcome', 'outcome', 'text'],
    ['phase', 'phase', 'text'],
    ['error', 'error', 'text'],
    ...(['courses', 'created', 'updated', 'adopted', 'deleted', 'unchanged', 'skipped', 'failed', 'duration_ms'] as const).map((c) => [c, c, 'int'] as const),
  ],
  events: [
    ['instance', 'instance', 'text'],
    ['reference', 'reference', 'text'],
    ['ecal_id', 'ecal_id', 'text'],
    ['title', 'title', 'text'],
    ['start', 'start_at', 'time'],
    ['end', 'end_at', 'time'],
    ['last_change', 'last_change', 'time'],
  ],
  alerts: [
    ['id', 'id', 'int'],
    ['alert_id', 'alert_id', 'text'],
    ['instance', 'instance', 'text'],
    ['kind', 'kind', 'text'],
    ['severity', 'severity', 'text'],
    ['channel', 'channel', 'text'],
    ['summary', 'summary', 'text'],
    ['created_at', 'created_at', 'time'],
    ['delivered_at', 'delivered_at', 'time'],
    ['attempts', 'attempts', 'int'],
    ['last_error', 'last_error', 'text'],
  ],
  errors: [
    ['id', 'id', 'int'],
    ['instance', 'instance', 'text'],
    ['at', 'at', 'time'],
    ['phase', 'phase', 'text'],
    ['message', 'message', 'text'],
  ],
  messages: [
    ['message_id', 'message_id', 'text'],
    ['guild_id', 'guild_id', 'text'],
    ['channel_id', 'channel_id', 'text'],
    ['author_id', 'author_id', 'text'],
    ['author_name', 'author_name', 'text'],
    ['content', 'content', 'text'],
    ['created_at', 'created_at', 'time'],
    ['edited_at', 'edited_at', 'time'],
    ['deleted', 'deleted', 'bool'],
    ['attachment_count', 'attachment_count', 'int'],
    ['embed_count', 'embed_count', 'int'],
    ['ingested_at', 'ingested_at', 'time'],
  ],
};

/** PostgreSQL's TIMESTAMPTZ as the store's UTC text (`2025-01-31T07:30:00.000Z`); SQLite keeps that text already. */
const PG_STORE_TIME = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The SQL expression of one item as JSON text, in the dialect's own JSON functions. */
export function jsonItemSql(dialect: Dialect, scope: CursorScope): string {
  const parts = JSON_FIELDS[scope].map(([key, column, kind]) => {
    let value = column;
    if (dialect === 'sqlite' && kind === 'bool') value = `json(CASE WHEN ${column} THEN 'true' ELSE 'false' END)`;
    if (dialect === 'postgres' && kind === 'time') value = `to_char(${column} AT TIME ZONE 'UTC', ${PG_STORE_TIME})`;
    return `'${key}', ${value}`;
  });
  return dialect === 'sqlite' ? `json_object(${parts.join(', ')})` : `json_build_object(${parts.join(', ')})::text`;
}

export interface ListingRequest {
  /** column = value conditions (instance, guild, channel). */
  equals: [column: string, value: string][];
  /** Conditions without parameters, e.g. `NOT deleted`. */
  extra?: string[];
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
  /** What each row is: every column (rows), or the item as JSON text then the sort key (listJson). */
  select?: 'rows' | 'json';
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
    `SELECT ${req.select === 'json' ? `${jsonItemSql(dialect, scope)} AS item, ${spec.time}, ${spec.tie}` : '*'} FROM ${spec.table}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${spec.time} DESC, ${spec.tie} DESC LIMIT ${param(limit + 1, 'integer')}`;
  return { sql, params, limit };
}

/**
 * When a message upsert may replace the stored row (the WHERE of its DO UPDATE, the same on both engines): a
 * version that is not older than the stored one (see isSameOrNewerVersion) and differs from it. A stale
 * version touches nothing, not even `deleted`: it may have been read before the deletion. When nothing
 * changes no row is touched, which is how a message ingested twice counts neither as inserted nor as updated.
 */
export const MESSAGE_NEWER_AND_CHANGED = `(discord_messages.edited_at IS NULL OR excluded.edited_at >= discord_messages.edited_at)
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

/**
 * `lastRuns()`: each named instance's newest run in one statement. The names drive the query, so each costs one
 * probe of the (instance, started_at, id) index, as `lastRun` does alone, whatever the number of runs: a LATERAL
 * join on PostgreSQL (a plain join let it hash-join every run), the newest id then the row by its rowid on SQLite
 * (which has no LATERAL). CAST gives PostgreSQL the parameters' type (a bare VALUES parameter has none).
 */
export function lastRunsSql(dialect: Dialect, count: number): string {
  const param = (i: number): string => (dialect === 'sqlite' ? '?' : `$${i + 1}`);
  const names = `WITH names(instance) AS (VALUES ${Array.from({ length: count }, (_, i) => `(CAST(${param(i)} AS TEXT))`).join(', ')})`;
  const newest = 'FROM runs r WHERE r.instance = names.instance ORDER BY r.started_at DESC, r.id DESC LIMIT 1';
  if (dialect === 'postgres') return `${names} SELECT last.* FROM names CROSS JOIN LATERAL (SELECT r.* ${newest}) AS last`;
  return `${names} SELECT runs.* FROM names JOIN runs ON runs.rowid = (SELECT r.rowid ${newest})`;
}

/** Tables that carry an instance column, for `instances()`; each has an index that leads with it. */
export const INSTANCE_TABLES = ['runs', 'synced_events', 'alerts', 'errors'] as const;

/**
 * `instances()`: the distinct instances of every table, each table walked as a skip scan (the first instance,
 * then the first one after it, and so on: one index probe per instance) instead of reading every row, which
 * on 100,000 runs was a full scan of the index for a handful of names. The same text on both engines.
 */
export function instancesSql(): string {
  const walks = INSTANCE_TABLES.map((t, i) => {
    const first = (after: string) => `(SELECT instance FROM ${t}${after} ORDER BY instance LIMIT 1)`;
    return `i${i}(instance) AS (SELECT ${first('')} UNION ALL SELECT ${first(` WHERE instance > i${i}.instance`)} FROM i${i} WHERE i${i}.instance IS NOT NULL)`;
  });
  const union = INSTANCE_TABLES.map((_, i) => `SELECT instance FROM i${i} WHERE instance IS NOT NULL`).join(' UNION ');
  return `WITH RECURSIVE ${walks.join(', ')} ${union}`;
}
