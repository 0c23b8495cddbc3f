import type { ColumnType, Generated } from 'kysely';

/**
 * The reporting store's tables as Kysely sees them: one typed schema for both engines. What the two drivers
 * give back differs (pg: Dates for times, strings for BIGINT, booleans; SQLite: text times, numbers, 0/1),
 * so read types are unions and rows.ts maps them to the store's rows. Writes always take the store's UTC
 * text for times (PostgreSQL casts it to TIMESTAMPTZ).
 */
type Time = ColumnType<string | Date, string, string>;
type Id = Generated<number | string>;
type Bool = ColumnType<number | boolean, number | boolean, number | boolean>;
type Count = ColumnType<number | string, number, number>;

export interface RunsTable {
  id: Id;
  instance: string;
  started_at: Time;
  finished_at: Time;
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
  duration_ms: Count;
}

export interface SyncedEventsTable {
  instance: string;
  reference: string;
  ecal_id: string | null;
  title: string;
  start_at: Time;
  end_at: Time;
  last_change: Time;
}

export interface AlertsTable {
  id: Id;
  alert_id: string;
  instance: string;
  kind: string;
  severity: string;
  channel: string;
  summary: string;
  created_at: Time;
  delivered_at: Time | null;
  attempts: number;
  last_error: string | null;
}

export interface ErrorsTable {
  id: Id;
  instance: string;
  at: Time;
  phase: string;
  message: string;
  dedupe_key: string;
}

export interface DiscordMessagesTable {
  message_id: string;
  guild_id: string;
  channel_id: string;
  author_id: string;
  author_name: string;
  content: string;
  created_at: Time;
  edited_at: Time | null;
  deleted: Bool;
  deleted_at: ColumnType<string | Date | null, string | null | undefined, string | null>;
  attachment_count: number;
  embed_count: number;
  raw_json: string;
  ingested_at: Time;
}

export interface ImportCursorsTable {
  key: string;
  value: string;
  updated_at: Time;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Time;
}

export interface Database {
  runs: RunsTable;
  synced_events: SyncedEventsTable;
  alerts: AlertsTable;
  errors: ErrorsTable;
  discord_messages: DiscordMessagesTable;
  import_cursors: ImportCursorsTable;
  schema_migrations: SchemaMigrationsTable;
}
