import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely } from 'kysely';
import { SchemaTooNewError } from './errors.js';
import type { Dialect } from './sql.js';

/**
 * Versioned schema changes, written once for both engines with Kysely's schema builder; the few places where
 * the DDL must differ go through `ddlTypes`. A step is never edited once released: a change is a new step
 * with the next number. `schema_migrations` records what a database has; at open the store applies the
 * missing steps in one transaction, and refuses a database that a newer campus-sync has migrated further.
 * The tables made here are the ones the hand-written DDL of versions 1 and 2 made (legacy-schema.test.ts
 * opens a database built with that DDL), so existing databases carry on without a new step.
 */
export interface Migration {
  version: number;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against every past schema, which no one type describes (Kysely's documented form for migrations)
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** The steps `known` has that `applied` lacks, in order. Throws SchemaTooNewError for an unknown newer version. */
export function pendingMigrations(database: string, applied: readonly number[], known: readonly Migration[]): Migration[] {
  const latest = known.reduce((max, m) => Math.max(max, m.version), 0);
  const newest = applied.reduce((max, v) => Math.max(max, v), 0);
  if (newest > latest) throw new SchemaTooNewError(database, newest, latest);
  const have = new Set(applied);
  return [...known].sort((a, b) => a.version - b.version).filter((m) => !have.has(m.version));
}

/** Developer guard, run by the tests: versions are 1..n with no gap or repeat. */
export function checkMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
}

export const SCHEMA_MIGRATIONS_TABLE = 'schema_migrations';

/** A column type as addColumn takes it (Kysely does not export the name). */
type DataTypeExpression = Parameters<CreateTableBuilder<string, string>['addColumn']>[1];

/**
 * Key of the PostgreSQL advisory lock held while migrating: two processes starting on an empty database at
 * once take turns instead of both creating the tables. Any constant unlikely to collide; this one spells "campsync".
 */
export const MIGRATION_LOCK_KEY = 0x63616d7073796e63n;

/** Where the two engines' DDL differs, and only there. */
function ddlTypes(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    // SQLite: TEXT in fixed-width UTC ('2025-01-31T07:30:00.000Z') so times sort as text.
    time: (pg ? 'timestamptz' : 'text') as DataTypeExpression,
    // SQLite: INTEGER PRIMARY KEY is the rowid; PostgreSQL: an identity column.
    idType: (pg ? 'bigint' : 'integer') as DataTypeExpression,
    id: (c: ColumnDefinitionBuilder) => (pg ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey()),
    bigint: (pg ? 'bigint' : 'integer') as DataTypeExpression,
    bool: (pg ? 'boolean' : 'integer') as DataTypeExpression,
    falseValue: pg ? sql`FALSE` : sql`0`,
    // Text tie-breakers sort byte-wise on both engines (SQLite's BINARY is the default), so pages come in the
    // same order whatever PostgreSQL's locale.
    byteText: pg ? sql`text COLLATE "C"` : ('text' as DataTypeExpression),
    // SQLite appends the rowid to every index, so (instance, started_at) also orders (started_at, id);
    // PostgreSQL needs the id spelled out.
    idTail: (pg ? ['id'] : []) as string[],
  };
}

// biome-ignore lint/suspicious/noExplicitAny: migrations run against every past schema, which no one type describes (Kysely's documented form for migrations)
async function createReportingTables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = ddlTypes(dialect);
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  await db.schema
    .createTable('runs')
    .addColumn('id', t.idType, t.id)
    .addColumn('instance', 'text', notNull)
    .addColumn('started_at', t.time, notNull)
    .addColumn('finished_at', t.time, notNull)
    .addColumn('outcome', 'text', notNull)
    .addColumn('phase', 'text')
    .addColumn('error', 'text')
    .addColumn('courses', 'integer', notNull)
    .addColumn('created', 'integer', notNull)
    .addColumn('updated', 'integer', notNull)
    .addColumn('adopted', 'integer', notNull)
    .addColumn('deleted', 'integer', notNull)
    .addColumn('unchanged', 'integer', notNull)
    .addColumn('skipped', 'integer', notNull)
    .addColumn('failed', 'integer', notNull)
    .addColumn('duration_ms', t.bigint, notNull)
    .execute();
  await db.schema.createIndex('runs_instance_started').unique().on('runs').columns(['instance', 'started_at']).execute();
  if (t.idTail.length > 0)
    await db.schema
      .createIndex('runs_instance_started_id')
      .on('runs')
      .columns(['instance', 'started_at', ...t.idTail])
      .execute();

  await db.schema
    .createTable('synced_events')
    .addColumn('instance', 'text', notNull)
    .addColumn('reference', t.byteText, notNull)
    .addColumn('ecal_id', 'text')
    .addColumn('title', 'text', notNull)
    .addColumn('start_at', t.time, notNull)
    .addColumn('end_at', t.time, notNull)
    .addColumn('last_change', t.time, notNull)
    .addPrimaryKeyConstraint('synced_events_pkey', ['instance', 'reference'])
    .execute();
  await db.schema.createIndex('synced_events_instance_start').on('synced_events').columns(['instance', 'start_at', 'reference']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', t.idType, t.id)
    .addColumn('alert_id', 'text', notNull)
    .addColumn('instance', 'text', notNull)
    .addColumn('kind', 'text', notNull)
    .addColumn('severity', 'text', notNull)
    .addColumn('channel', 'text', notNull)
    .addColumn('summary', 'text', notNull)
    .addColumn('created_at', t.time, notNull)
    .addColumn('delivered_at', t.time)
    .addColumn('attempts', 'integer', notNull)
    .addColumn('last_error', 'text')
    .addUniqueConstraint('alerts_alert_id_channel_key', ['alert_id', 'channel'])
    .execute();
  await db.schema
    .createIndex('alerts_created')
    .on('alerts')
    .columns(['created_at', ...t.idTail])
    .execute();
  await db.schema
    .createIndex('alerts_instance_created')
    .on('alerts')
    .columns(['instance', 'created_at', ...t.idTail])
    .execute();

  await db.schema
    .createTable('errors')
    .addColumn('id', t.idType, t.id)
    .addColumn('instance', 'text', notNull)
    .addColumn('at', t.time, notNull)
    .addColumn('phase', 'text', notNull)
    .addColumn('message', 'text', notNull)
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema
    .createIndex('errors_instance_at')
    .on('errors')
    .columns(['instance', 'at', ...t.idTail])
    .execute();

  await db.schema
    .createTable('discord_messages')
    .addColumn('message_id', t.byteText, (c) => c.primaryKey())
    .addColumn('guild_id', 'text', notNull)
    .addColumn('channel_id', 'text', notNull)
    .addColumn('author_id', 'text', notNull)
    .addColumn('author_name', 'text', notNull)
    .addColumn('content', 'text', notNull)
    .addColumn('created_at', t.time, notNull)
    .addColumn('edited_at', t.time)
    .addColumn('deleted', t.bool, (c) => c.notNull().defaultTo(t.falseValue))
    .addColumn('deleted_at', t.time)
    .addColumn('attachment_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('embed_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('raw_json', 'text', notNull)
    .addColumn('ingested_at', t.time, notNull)
    .execute();
  await db.schema
    .createIndex('discord_messages_channel_created')
    .on('discord_messages')
    .columns(['guild_id', 'channel_id', 'created_at', 'message_id'])
    .execute();
  await db.schema.createIndex('discord_messages_guild_created').on('discord_messages').columns(['guild_id', 'created_at', 'message_id']).execute();

  await db.schema
    .createTable('import_cursors')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', notNull)
    .addColumn('updated_at', t.time, notNull)
    .execute();
}

/** The released steps, the same numbers and names on both engines. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'reporting tables and discord messages', up: createReportingTables },
  {
    version: 2,
    name: 'discord message ids per channel',
    // listMessageIds (deletion detection, every few minutes per channel) reads one channel's live ids:
    // without this it scans every channel's messages, since the other indexes lead with guild_id. Partial
    // (live rows only) because deleted rows are never read through it.
    up: async (db) => {
      await db.schema
        .createIndex('discord_messages_channel_id')
        .on('discord_messages')
        .columns(['channel_id', 'message_id'])
        .where(sql<boolean>`NOT deleted`)
        .execute();
    },
  },
  {
    version: 3,
    name: 'live discord message listings',
    // /v1/messages lists live messages (`NOT deleted`) of a guild or a channel, newest first. The indexes of
    // step 1 hold deleted rows too, so the listing's filter ran on the table's rows after the index: on
    // PostgreSQL the planner then took the guild index for a channel listing (a channel that is most of its
    // guild looks no better) and filtered both the channel and `deleted` row by row. These partial indexes are
    // the listing exactly (filters, then the sort and its tie-breaker), so both engines read the page's rows
    // and nothing else. The step-1 indexes stay for `include_deleted=true`.
    up: async (db) => {
      await db.schema
        .createIndex('discord_messages_live_channel_created')
        .on('discord_messages')
        .columns(['guild_id', 'channel_id', 'created_at', 'message_id'])
        .where(sql<boolean>`NOT deleted`)
        .execute();
      await db.schema
        .createIndex('discord_messages_live_guild_created')
        .on('discord_messages')
        .columns(['guild_id', 'created_at', 'message_id'])
        .where(sql<boolean>`NOT deleted`)
        .execute();
    },
  },
];

/** One list now; the per-engine names stay for the callers (and tests) that name the engine. */
export const SQLITE_MIGRATIONS = MIGRATIONS;
export const POSTGRES_MIGRATIONS = MIGRATIONS;

/**
 * Applies the missing steps in one transaction that holds the database's write lock first (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: an advisory lock), so two processes opening a new database at once do not both apply
 * step 1. Returns the versions applied.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against every past schema, which no one type describes (Kysely's documented form for migrations)
export async function migrate(db: Kysely<any>, dialect: Dialect, description: string, migrations: readonly Migration[]): Promise<number[]> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(conn);
    try {
      if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY.toString()})`.execute(conn);
      await conn.schema
        .createTable(SCHEMA_MIGRATIONS_TABLE)
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        // PostgreSQL's default is the one the released DDL had; every insert gives the time anyway.
        .addColumn('applied_at', ddlTypes(dialect).time, (c) => (dialect === 'postgres' ? c.notNull().defaultTo(sql`now()`) : c.notNull()))
        .execute();
      const applied = await conn.selectFrom(SCHEMA_MIGRATIONS_TABLE).select('version').execute();
      const pending = pendingMigrations(
        description,
        applied.map((r) => Number(r.version)),
        migrations,
      );
      for (const m of pending) {
        await m.up(conn, dialect);
        await conn.insertInto(SCHEMA_MIGRATIONS_TABLE).values({ version: m.version, name: m.name, applied_at: new Date().toISOString() }).execute();
      }
      await sql.raw('COMMIT').execute(conn);
      return pending.map((m) => m.version);
    } catch (err) {
      await sql
        .raw('ROLLBACK')
        .execute(conn)
        .catch(() => {});
      throw err;
    }
  });
}
