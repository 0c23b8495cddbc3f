/**
 * Fixtures: the hand-written DDL the store ran before it moved to Kysely (migrations 1 and 2 of both engines and
 * their schema_migrations tables), copied verbatim from the released src/store/migrations.ts. Never edit: they
 * stand for databases that exist. legacy-schema.test.ts builds databases with them and opens them with today's store.
 */
export const LEGACY_SQLITE = {
  schemaMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
  v1: `CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  phase TEXT,
  error TEXT,
  courses INTEGER NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  adopted INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX runs_instance_started ON runs (instance, started_at);

CREATE TABLE synced_events (
  instance TEXT NOT NULL,
  reference TEXT NOT NULL,
  ecal_id TEXT,
  title TEXT NOT NULL,
  start_at TEXT NOT NULL,
  end_at TEXT NOT NULL,
  last_change TEXT NOT NULL,
  PRIMARY KEY (instance, reference)
);
CREATE INDEX synced_events_instance_start ON synced_events (instance, start_at, reference);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  alert_id TEXT NOT NULL,
  instance TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  channel TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  UNIQUE (alert_id, channel)
);
CREATE INDEX alerts_created ON alerts (created_at);
CREATE INDEX alerts_instance_created ON alerts (instance, created_at);

CREATE TABLE errors (
  id INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  at TEXT NOT NULL,
  phase TEXT NOT NULL,
  message TEXT NOT NULL,
  dedupe_key TEXT NOT NULL UNIQUE
);
CREATE INDEX errors_instance_at ON errors (instance, at);

CREATE TABLE discord_messages (
  message_id TEXT PRIMARY KEY,
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  author_id TEXT NOT NULL,
  author_name TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at TEXT NOT NULL,
  edited_at TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  deleted_at TEXT,
  attachment_count INTEGER NOT NULL DEFAULT 0,
  embed_count INTEGER NOT NULL DEFAULT 0,
  raw_json TEXT NOT NULL,
  ingested_at TEXT NOT NULL
);
CREATE INDEX discord_messages_channel_created ON discord_messages (guild_id, channel_id, created_at, message_id);
CREATE INDEX discord_messages_guild_created ON discord_messages (guild_id, created_at, message_id);

CREATE TABLE import_cursors (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);`,
  v2: `CREATE INDEX discord_messages_channel_id ON discord_messages (channel_id, message_id) WHERE NOT deleted;`,
};

export const LEGACY_POSTGRES = {
  schemaMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
  v1: `CREATE TABLE runs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  outcome TEXT NOT NULL,
  phase TEXT,
  error TEXT,
  courses INTEGER NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  adopted INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  unchanged INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  duration_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX runs_instance_started ON runs (instance, started_at);
CREATE INDEX runs_instance_started_id ON runs (instance, started_at, id);

CREATE TABLE synced_events (
  instance TEXT NOT NULL,
  reference TEXT COLLATE "C" NOT NULL,
  ecal_id TEXT,
  title TEXT NOT NULL,
  start_at TIMESTAMPTZ NOT NULL,
  end_at TIMESTAMPTZ NOT NULL,
  last_change TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (instance, reference)
);
CREATE INDEX synced_events_instance_start ON synced_events (instance, start_at, reference);

CREATE TABLE alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id TEXT NOT NULL,
  instance TEXT NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  channel TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  delivered_at TIMESTAMPTZ,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  UNIQUE (alert_id, channel)
);
CREATE INDEX alerts_created ON alerts (created_at, id);
CREATE INDEX alerts_instance_created ON alerts (instance, created_at, id);

CREATE TABLE errors (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  phase TEXT NOT NULL,
  message TEXT NOT NULL,
  dedupe_key TEXT NOT NULL UNIQUE
);
CREATE INDEX errors_instance_at ON errors (instance, at, id);

CREATE TABLE discord_messages (
  message_id TEXT COLLATE "C" PRIMARY KEY,
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  author_id TEXT NOT NULL,
  author_name TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  edited_at TIMESTAMPTZ,
  deleted BOOLEAN NOT NULL DEFAULT FALSE,
  deleted_at TIMESTAMPTZ,
  attachment_count INTEGER NOT NULL DEFAULT 0,
  embed_count INTEGER NOT NULL DEFAULT 0,
  raw_json TEXT NOT NULL,
  ingested_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX discord_messages_channel_created ON discord_messages (guild_id, channel_id, created_at, message_id);
CREATE INDEX discord_messages_guild_created ON discord_messages (guild_id, created_at, message_id);

CREATE TABLE import_cursors (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);`,
  v2: `CREATE INDEX discord_messages_channel_id ON discord_messages (channel_id, message_id) WHERE NOT deleted;`,
};
