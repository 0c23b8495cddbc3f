import type { Logger } from '../lib/index.js';

/**
 * The reporting store's contract, the same on SQLite and PostgreSQL. Times in and out are ISO-8601 strings;
 * the store returns them in UTC (`2025-01-31T07:30:00.000Z`) whatever offset they came in with, at
 * millisecond precision.
 */

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` for the next (older) page. Null on the last page. */
  nextCursor: string | null;
}

/** `from` inclusive, `to` exclusive, on the row's main time. `limit` is clamped to 1..MAX_PAGE_SIZE. */
export interface ListQuery {
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface RunRow {
  id: number;
  instance: string;
  startedAt: string;
  finishedAt: string;
  outcome: string;
  phase: string | null;
  error: string | null;
  courses: number;
  created: number;
  updated: number;
  adopted: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  failed: number;
  durationMs: number;
}

export interface SyncedEventRow {
  instance: string;
  reference: string;
  ecalId: string | null;
  title: string;
  start: string;
  end: string;
  lastChange: string;
}

export interface AlertRow {
  id: number;
  alertId: string;
  instance: string;
  kind: string;
  severity: string;
  channel: string;
  summary: string;
  createdAt: string;
  deliveredAt: string | null;
  attempts: number;
  lastError: string | null;
}

export interface ErrorRow {
  id: number;
  instance: string;
  at: string;
  phase: string;
  message: string;
}

/** One ingested Discord message: the seed's `discord_messages` table. Ids stay decimal strings: snowflakes exceed 2^53. */
export interface MessageRow {
  messageId: string;
  guildId: string;
  channelId: string;
  authorId: string;
  /** Discord `author.username`. */
  authorName: string;
  /** "" when the bot lacks the Message Content intent (Discord then blanks it). */
  content: string;
  /** ISO-8601 UTC with milliseconds, e.g. "2025-03-01T10:00:00.000Z". */
  createdAt: string;
  /** Same format; null until the message is edited. */
  editedAt: string | null;
  /** Always false from Discord (it lists only messages that exist); set true through markMessageDeleted. */
  deleted: boolean;
  attachmentCount: number;
  embedCount: number;
  /** The message object exactly as Discord sent it, as JSON text. */
  rawJson: string;
  /** When ingestion first saw the message (ISO UTC). */
  ingestedAt: string;
}

export interface MessageQuery {
  guildId: string;
  channelId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
  includeDeleted?: boolean;
}

export type AlertQuery = ListQuery & { instance?: string };

/** Which listing a JSON page is cut from, with that listing's own filter (as the matching list* method takes it). */
export type JsonListQuery =
  | (ListQuery & { scope: 'runs' | 'events' | 'errors'; instance: string })
  | (AlertQuery & { scope: 'alerts' })
  | (MessageQuery & { scope: 'messages' });

/**
 * A page as JSON text built by the database itself, in the reporting API's shape: snake_case keys, times
 * in the store's UTC form, booleans as booleans, a message's raw_json left out. The reporting API sends
 * it as it is (PostgREST works the same way): no row objects, no shaping, no JSON.stringify per request.
 */
export interface JsonPage {
  /** A JSON array of the page's items, newest first. */
  itemsJson: string;
  count: number;
  nextCursor: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** For people and logs, never with a password: "SQLite data/campus-sync.db", "PostgreSQL db@host:5432". */
  readonly description: string;
  /** Resolves when the database answers a trivial query; throws a StoreError otherwise. */
  ping(): Promise<void>;

  /** Idempotent on (instance, startedAt): importing the same run twice keeps the first. */
  insertRun(run: Omit<RunRow, 'id'>): Promise<void>;
  /** Newest first by startedAt. */
  listRuns(instance: string, q: ListQuery): Promise<Page<RunRow>>;
  lastRun(instance: string): Promise<RunRow | null>;
  /** The newest run of each named instance that has one, in one statement (a list page or /health: no query per instance). */
  lastRuns(instances: readonly string[]): Promise<Map<string, RunRow>>;
  /** Instances that have any run, event, alert or error, sorted. */
  instances(): Promise<string[]>;

  /** Replaces the instance's current synced events with these (a later row with the same reference wins). */
  replaceEvents(instance: string, rows: SyncedEventRow[]): Promise<void>;
  /** Newest first by start, then reference. */
  listEvents(instance: string, q: ListQuery): Promise<Page<SyncedEventRow>>;

  /**
   * Keyed on (alertId, channel): a later call updates delivery info (attempts never go down, the first
   * delivery time is kept, the last error follows the highest attempt count).
   */
  upsertAlert(a: Omit<AlertRow, 'id'>): Promise<void>;
  /** Newest first by createdAt. */
  listAlerts(q: AlertQuery): Promise<Page<AlertRow>>;

  /** Idempotent on (instance, at, message). */
  insertError(e: Omit<ErrorRow, 'id'>): Promise<void>;
  /** Newest first by at. */
  listErrors(instance: string, q: ListQuery): Promise<Page<ErrorRow>>;

  /**
   * Idempotent: the same message twice is one row, counted in neither total the second time. A version
   * that is not older than the stored one (its editedAt is not before the stored editedAt; an unedited copy
   * is older than any edit) and differs from it replaces content, editedAt, counts, rawJson and `deleted`:
   * Discord listing a message proves it exists, so a re-listed message (deleted: false) is no longer
   * deleted. A stale version changes nothing, not even `deleted` (it may predate the deletion).
   * The first ingestedAt is kept. `updated` counts rows whose stored values changed.
   */
  upsertMessages(rows: MessageRow[]): Promise<{ inserted: number; updated: number }>;
  /**
   * Sets deleted = true (never a hard delete; the row and its content stay). True only when this call
   * changed a row from not deleted to deleted: false for an unknown or already deleted message.
   */
  markMessageDeleted(messageId: string, at: string): Promise<boolean>;
  /**
   * For deletion detection: the ids of the channel's messages not marked deleted whose id is >= fromId as
   * integers (snowflakes are decimal strings, and "99" < "100"), in no particular order.
   * InvalidParameterError when fromId is not a decimal id.
   */
  listMessageIds(channelId: string, fromId: string): Promise<string[]>;
  /** Newest first by createdAt then messageId; deleted messages only with includeDeleted. */
  listMessages(q: MessageQuery): Promise<Page<MessageRow>>;
  /** The same pages as listRuns, listEvents, listAlerts, listErrors and listMessages, as JSON text (JsonPage). */
  listJson(q: JsonListQuery): Promise<JsonPage>;
  getMessage(messageId: string): Promise<MessageRow | null>;

  /** Small key/value for importers and ingestion progress (file offsets, last message id per channel). */
  getCursor(key: string): Promise<string | null>;
  setCursor(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** `postgres://` / `postgresql://` → PostgreSQL; `sqlite:` / `file:` → that SQLite file; unset → `<dataDir>/campus-sync.db`. */
  databaseUrl?: string;
  dataDir: string;
  logger?: Logger;
}
