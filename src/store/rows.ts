import { createHash } from 'node:crypto';
import { encodeCursor, type CursorKey, type CursorScope } from './cursor.js';
import { InvalidParameterError } from './errors.js';
import type { AlertRow, ErrorRow, JsonPage, MessageRow, Page, RunRow, SyncedEventRow } from './interface.js';
import { timeFromDb, timeFromDbOrNull, toStoreTime, toStoreTimeOrNull } from './time.js';

/**
 * The pure half of both stores: checking and normalising what goes in (times to UTC, counts to integers),
 * mapping what comes out (snake_case columns, pg's bigint strings and Dates, SQLite's 0/1 booleans) to the
 * same rows, and cutting pages.
 */

/** The API's documented maximum; the store clamps to it whatever a caller asks (a page is held in memory). */
export const MAX_PAGE_SIZE = 500;
/** What a caller gets for a limit that is not a number at all. */
export const DEFAULT_PAGE_SIZE = 100;

export function clampLimit(limit: number): number {
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/** Cuts a page out of `limit + 1` fetched rows: the extra row only says that another page exists. */
export function toPage<T>(rows: T[], limit: number, scope: CursorScope, keyOf: (row: T) => CursorKey): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1] as T;
  return { items, nextCursor: encodeCursor(scope, keyOf(last)) };
}

/**
 * A JSON page out of `limit + 1` rows of [item JSON, time, tie] (a listing with select 'json'): the items
 * joined into one array text, the cursor from the last kept row's sort key, as toPage would make it.
 */
export function toJsonPage(rows: unknown[][], limit: number, scope: CursorScope, tieIsNumber: boolean): JsonPage {
  const kept = rows.length > limit ? rows.slice(0, limit) : rows;
  const itemsJson = `[${kept.map((r) => String(r[0])).join(',')}]`;
  if (rows.length <= limit) return { itemsJson, count: kept.length, nextCursor: null };
  const last = kept[kept.length - 1] as unknown[];
  // pg gives BIGINT ids as strings; the cursor holds them as numbers, as runKey and friends do.
  const tie = tieIsNumber ? num(last[2]) : str(last[2]);
  return { itemsJson, count: kept.length, nextCursor: encodeCursor(scope, { time: timeFromDb(last[1]), tie }) };
}

// ---- values going in ----

function text(value: unknown, parameter: string, opts: { empty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new InvalidParameterError(parameter, `expected text, got ${value === null ? 'null' : typeof value}`);
  if (!opts.empty && value === '') throw new InvalidParameterError(parameter, 'must not be empty');
  return value;
}

function textOrNull(value: unknown, parameter: string): string | null {
  return value === null || value === undefined ? null : text(value, parameter, { empty: true });
}

function count(value: unknown, parameter: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidParameterError(parameter, `expected a whole number >= 0, got ${String(value)}`);
  }
  return value;
}

export function normalizeRun(run: Omit<RunRow, 'id'>): Omit<RunRow, 'id'> {
  return {
    instance: text(run.instance, 'instance'),
    startedAt: toStoreTime(run.startedAt, 'startedAt'),
    finishedAt: toStoreTime(run.finishedAt, 'finishedAt'),
    outcome: text(run.outcome, 'outcome'),
    phase: textOrNull(run.phase, 'phase'),
    error: textOrNull(run.error, 'error'),
    courses: count(run.courses, 'courses'),
    created: count(run.created, 'created'),
    updated: count(run.updated, 'updated'),
    adopted: count(run.adopted, 'adopted'),
    deleted: count(run.deleted, 'deleted'),
    unchanged: count(run.unchanged, 'unchanged'),
    skipped: count(run.skipped, 'skipped'),
    failed: count(run.failed, 'failed'),
    durationMs: count(run.durationMs, 'durationMs'),
  };
}

/** The instance's events, each normalised; a later row with the same reference replaces an earlier one. */
export function normalizeEvents(instance: string, rows: SyncedEventRow[]): SyncedEventRow[] {
  const name = text(instance, 'instance');
  const byReference = new Map<string, SyncedEventRow>();
  for (const row of rows) {
    if (row.instance !== name) throw new InvalidParameterError('instance', `an event of ${JSON.stringify(row.instance)} given for ${JSON.stringify(name)}`);
    const reference = text(row.reference, 'reference');
    byReference.set(reference, {
      instance: name,
      reference,
      ecalId: textOrNull(row.ecalId, 'ecalId'),
      title: text(row.title, 'title', { empty: true }),
      start: toStoreTime(row.start, 'start'),
      end: toStoreTime(row.end, 'end'),
      lastChange: toStoreTime(row.lastChange, 'lastChange'),
    });
  }
  return [...byReference.values()];
}

export function normalizeAlert(a: Omit<AlertRow, 'id'>): Omit<AlertRow, 'id'> {
  return {
    alertId: text(a.alertId, 'alertId'),
    instance: text(a.instance, 'instance'),
    kind: text(a.kind, 'kind'),
    severity: text(a.severity, 'severity'),
    channel: text(a.channel, 'channel'),
    summary: text(a.summary, 'summary', { empty: true }),
    createdAt: toStoreTime(a.createdAt, 'createdAt'),
    deliveredAt: toStoreTimeOrNull(a.deliveredAt, 'deliveredAt'),
    attempts: count(a.attempts, 'attempts'),
    lastError: textOrNull(a.lastError, 'lastError'),
  };
}

export function normalizeError(e: Omit<ErrorRow, 'id'>): Omit<ErrorRow, 'id'> {
  return {
    instance: text(e.instance, 'instance'),
    at: toStoreTime(e.at, 'at'),
    phase: text(e.phase, 'phase', { empty: true }),
    message: text(e.message, 'message', { empty: true }),
  };
}

/**
 * What makes an error line the same line again (the importer re-reads errors.log after a restart). A hash
 * rather than the message itself because PostgreSQL cannot index text longer than ~2.7 kB.
 */
export function errorDedupeKey(e: Omit<ErrorRow, 'id'>): string {
  return createHash('sha256').update(`${e.instance}\u0000${e.at}\u0000${e.message}`).digest('hex');
}

export function normalizeMessage(m: MessageRow): MessageRow {
  return {
    messageId: text(m.messageId, 'messageId'),
    guildId: text(m.guildId, 'guildId'),
    channelId: text(m.channelId, 'channelId'),
    authorId: text(m.authorId, 'authorId'),
    authorName: text(m.authorName, 'authorName', { empty: true }),
    content: text(m.content, 'content', { empty: true }),
    createdAt: toStoreTime(m.createdAt, 'createdAt'),
    editedAt: toStoreTimeOrNull(m.editedAt, 'editedAt'),
    deleted: m.deleted === true,
    attachmentCount: count(m.attachmentCount, 'attachmentCount'),
    embedCount: count(m.embedCount, 'embedCount'),
    rawJson: text(m.rawJson, 'rawJson', { empty: true }),
    ingestedAt: toStoreTime(m.ingestedAt, 'ingestedAt'),
  };
}

/**
 * True when `incoming` may overwrite `stored`: it is not an older version (an unedited copy is older than any
 * edit). The SQL upserts apply the same rule against the stored row.
 */
export function isSameOrNewerVersion(stored: MessageRow, incoming: MessageRow): boolean {
  if (stored.editedAt === null) return true;
  return incoming.editedAt !== null && incoming.editedAt >= stored.editedAt;
}

/**
 * One row per message id out of a batch (a multi-row upsert may not touch a row twice), keeping the newest
 * version (a later copy of the same version wins, `deleted` included, as if upserted one after the other).
 */
export function newestPerMessage(rows: MessageRow[]): MessageRow[] {
  const byId = new Map<string, MessageRow>();
  for (const row of rows.map(normalizeMessage)) {
    const seen = byId.get(row.messageId);
    byId.set(row.messageId, seen === undefined || isSameOrNewerVersion(seen, row) ? row : seen);
  }
  return [...byId.values()];
}

/** Decimal ids only, as Discord's snowflakes are; leading zeros dropped so length orders them. */
const DECIMAL_ID = /^\d{1,20}$/;

/** The bound of listMessageIds, canonical ("0042" → "42"). InvalidParameterError for anything but a decimal id. */
export function normalizeMessageIdBound(fromId: unknown): string {
  if (typeof fromId !== 'string' || !DECIMAL_ID.test(fromId)) {
    throw new InvalidParameterError('fromId', `expected a decimal message id, got ${JSON.stringify(fromId)}`);
  }
  return fromId.replace(/^0+(?=\d)/, '');
}

/** channelId and bound of listMessageIds, checked, as the parameters messageIdsSql takes. */
export function messageIdsParams(channelId: unknown, fromId: unknown): unknown[] {
  const channel = text(channelId, 'channelId');
  const bound = normalizeMessageIdBound(fromId);
  return [channel, bound.length, bound.length, bound];
}

// ---- rows coming out ----

type DbRow = Record<string, unknown>;

/** pg returns BIGINT as a string (it may exceed 2^53); our ids and counts never do. */
function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`expected a number from the database, got ${String(value)}`);
  return n;
}

const str = (value: unknown): string => String(value);
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function runFromDb(r: DbRow): RunRow {
  return {
    id: num(r.id),
    instance: str(r.instance),
    startedAt: timeFromDb(r.started_at),
    finishedAt: timeFromDb(r.finished_at),
    outcome: str(r.outcome),
    phase: strOrNull(r.phase),
    error: strOrNull(r.error),
    courses: num(r.courses),
    created: num(r.created),
    updated: num(r.updated),
    adopted: num(r.adopted),
    deleted: num(r.deleted),
    unchanged: num(r.unchanged),
    skipped: num(r.skipped),
    failed: num(r.failed),
    durationMs: num(r.duration_ms),
  };
}

export function eventFromDb(r: DbRow): SyncedEventRow {
  return {
    instance: str(r.instance),
    reference: str(r.reference),
    ecalId: strOrNull(r.ecal_id),
    title: str(r.title),
    start: timeFromDb(r.start_at),
    end: timeFromDb(r.end_at),
    lastChange: timeFromDb(r.last_change),
  };
}

export function alertFromDb(r: DbRow): AlertRow {
  return {
    id: num(r.id),
    alertId: str(r.alert_id),
    instance: str(r.instance),
    kind: str(r.kind),
    severity: str(r.severity),
    channel: str(r.channel),
    summary: str(r.summary),
    createdAt: timeFromDb(r.created_at),
    deliveredAt: timeFromDbOrNull(r.delivered_at),
    attempts: num(r.attempts),
    lastError: strOrNull(r.last_error),
  };
}

export function errorFromDb(r: DbRow): ErrorRow {
  return { id: num(r.id), instance: str(r.instance), at: timeFromDb(r.at), phase: str(r.phase), message: str(r.message) };
}

export function messageFromDb(r: DbRow): MessageRow {
  return {
    messageId: str(r.message_id),
    guildId: str(r.guild_id),
    channelId: str(r.channel_id),
    authorId: str(r.author_id),
    authorName: str(r.author_name),
    content: str(r.content),
    createdAt: timeFromDb(r.created_at),
    editedAt: timeFromDbOrNull(r.edited_at),
    // SQLite has no boolean: 0/1.
    deleted: r.deleted === true || r.deleted === 1 || r.deleted === 1n,
    attachmentCount: num(r.attachment_count),
    embedCount: num(r.embed_count),
    rawJson: str(r.raw_json),
    ingestedAt: timeFromDb(r.ingested_at),
  };
}

// Sort keys of each listing, for cursors: the same columns the SQL orders by.
export const runKey = (r: RunRow): CursorKey => ({ time: r.startedAt, tie: r.id });
export const eventKey = (r: SyncedEventRow): CursorKey => ({ time: r.start, tie: r.reference });
export const alertKey = (r: AlertRow): CursorKey => ({ time: r.createdAt, tie: r.id });
export const errorKey = (r: ErrorRow): CursorKey => ({ time: r.at, tie: r.id });
export const messageKey = (r: MessageRow): CursorKey => ({ time: r.createdAt, tie: r.messageId });
