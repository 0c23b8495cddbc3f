import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CampusSyncError, describeError, silentLogger, type Logger } from '../lib/index.js';
import { StoreError } from './errors.js';
import type { MessageRow, Store } from './interface.js';
import { pendingMigrations, SCHEMA_MIGRATIONS_TABLE, SQLITE_MIGRATIONS, type Migration } from './migrations.js';
import {
  alertFromDb,
  alertKey,
  errorDedupeKey,
  errorFromDb,
  errorKey,
  eventFromDb,
  eventKey,
  messageFromDb,
  messageIdsParams,
  messageKey,
  newestPerMessage,
  normalizeAlert,
  normalizeError,
  normalizeEvents,
  normalizeRun,
  runFromDb,
  runKey,
  toPage,
  toJsonPage,
} from './rows.js';
import { buildListing, INSTANCE_TABLES, listingFilter, LISTINGS, MESSAGE_COLUMNS, MESSAGE_CONFLICT_CLAUSE, messageIdsSql } from './sql.js';
import { toStoreTime } from './time.js';

/**
 * How long a statement waits for another connection's lock before failing with SQLITE_BUSY. The store is
 * the only writer, but a CLI reader or a backup may hold the file briefly; WAL keeps readers from blocking it.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface SqliteStoreOptions {
  path: string;
  description?: string;
  logger?: Logger;
  /** For tests: a migration list other than the released one. */
  migrations?: readonly Migration[];
}

type Row = Record<string, unknown>;

/** Opens (creating it and its directory if needed) and migrates a SQLite store in WAL mode. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { path } = options;
  const description = options.description ?? `SQLite ${path}`;
  const logger = options.logger ?? silentLogger;
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new StoreError(`cannot open ${description}: ${describeError(err)}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL: readers (the CLI, a backup) never block the writer and see committed data only.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      throw new StoreError(`cannot use WAL mode on ${description} (the file system gave "${String(mode)}")`);
    }
    // In WAL mode NORMAL loses at most the last transactions on power loss, never consistency; the data are re-importable.
    db.pragma('synchronous = NORMAL');
    const applied = migrate(db, description, options.migrations ?? SQLITE_MIGRATIONS);
    if (applied.length > 0) logger.info('store migrated', { database: description, versions: applied.join(',') });
  } catch (err) {
    db.close();
    if (err instanceof CampusSyncError) throw err;
    throw new StoreError(`cannot open ${description}: ${describeError(err)}`, { cause: err });
  }
  return sqliteStore(db, description);
}

function migrate(db: Database.Database, description: string, migrations: readonly Migration[]): number[] {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new file at
  // once do not both apply step 1.
  return db
    .transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      const applied = db.prepare(`SELECT version FROM ${SCHEMA_MIGRATIONS_TABLE}`).pluck().all() as number[];
      const pending = pendingMigrations(description, applied, migrations);
      const record = db.prepare(`INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
      for (const m of pending) {
        db.exec(m.sql);
        record.run(m.version, m.name, new Date().toISOString());
      }
      return pending.map((m) => m.version);
    })
    .immediate();
}

function sqliteStore(db: Database.Database, description: string): Store {
  const statements = new Map<string, Database.Statement>();
  const stmt = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  const all = (sql: string, params: unknown[] = []): Row[] => stmt(sql).all(...params) as Row[];
  const get = (sql: string, params: unknown[] = []): Row | undefined => stmt(sql).get(...params) as Row | undefined;
  const run = (sql: string, params: unknown[] = []): number => stmt(sql).run(...params).changes;

  // Driver failures become StoreErrors naming the database; our own typed errors pass through.
  const guard = async <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof CampusSyncError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new StoreError(`${description}: ${what} failed: ${describeError(err)}`, {
        cause: err,
        retryable: code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED',
      });
    }
  };

  const insertMessageSql = `INSERT INTO discord_messages (${MESSAGE_COLUMNS.join(', ')})
    VALUES (${MESSAGE_COLUMNS.map(() => '?').join(', ')}) ${MESSAGE_CONFLICT_CLAUSE}`;

  return {
    kind: 'sqlite',
    description,

    ping: () => guard('ping', () => void get('SELECT 1 AS ok')),

    insertRun: (input) =>
      guard('insertRun', () => {
        const r = normalizeRun(input);
        run(
          `INSERT INTO runs (instance, started_at, finished_at, outcome, phase, error, courses, created, updated,
             adopted, deleted, unchanged, skipped, failed, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance, started_at) DO NOTHING`,
          [r.instance, r.startedAt, r.finishedAt, r.outcome, r.phase, r.error, r.courses, r.created, r.updated,
            r.adopted, r.deleted, r.unchanged, r.skipped, r.failed, r.durationMs],
        );
      }),

    listRuns: (instance, q) =>
      guard('listRuns', () => {
        const l = buildListing('sqlite', 'runs', { ...q, equals: [['instance', instance]] });
        return toPage(all(l.sql, l.params).map(runFromDb), l.limit, 'runs', runKey);
      }),

    lastRun: (instance) =>
      guard('lastRun', () => {
        const row = get('SELECT * FROM runs WHERE instance = ? ORDER BY started_at DESC, id DESC LIMIT 1', [instance]);
        return row === undefined ? null : runFromDb(row);
      }),

    instances: () =>
      guard('instances', () =>
        (stmt(INSTANCE_TABLES.map((t) => `SELECT instance FROM ${t}`).join(' UNION ')).pluck().all() as string[]).sort(),
      ),

    replaceEvents: (instance, input) =>
      guard('replaceEvents', () => {
        const rows = normalizeEvents(instance, input);
        db.transaction(() => {
          run('DELETE FROM synced_events WHERE instance = ?', [instance]);
          for (const e of rows) {
            run(
              `INSERT INTO synced_events (instance, reference, ecal_id, title, start_at, end_at, last_change)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
              [e.instance, e.reference, e.ecalId, e.title, e.start, e.end, e.lastChange],
            );
          }
        })();
      }),

    listEvents: (instance, q) =>
      guard('listEvents', () => {
        const l = buildListing('sqlite', 'events', { ...q, equals: [['instance', instance]] });
        return toPage(all(l.sql, l.params).map(eventFromDb), l.limit, 'events', eventKey);
      }),

    upsertAlert: (input) =>
      guard('upsertAlert', () => {
        const a = normalizeAlert(input);
        run(
          `INSERT INTO alerts (alert_id, instance, kind, severity, channel, summary, created_at, delivered_at, attempts, last_error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (alert_id, channel) DO UPDATE SET
             delivered_at = COALESCE(alerts.delivered_at, excluded.delivered_at),
             last_error = CASE WHEN excluded.attempts >= alerts.attempts THEN excluded.last_error ELSE alerts.last_error END,
             attempts = MAX(alerts.attempts, excluded.attempts)`,
          [a.alertId, a.instance, a.kind, a.severity, a.channel, a.summary, a.createdAt, a.deliveredAt, a.attempts, a.lastError],
        );
      }),

    listAlerts: (q) =>
      guard('listAlerts', () => {
        const l = buildListing('sqlite', 'alerts', { ...q, equals: q.instance === undefined ? [] : [['instance', q.instance]] });
        return toPage(all(l.sql, l.params).map(alertFromDb), l.limit, 'alerts', alertKey);
      }),

    insertError: (input) =>
      guard('insertError', () => {
        const e = normalizeError(input);
        run(
          `INSERT INTO errors (instance, at, phase, message, dedupe_key) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (dedupe_key) DO NOTHING`,
          [e.instance, e.at, e.phase, e.message, errorDedupeKey(e)],
        );
      }),

    listErrors: (instance, q) =>
      guard('listErrors', () => {
        const l = buildListing('sqlite', 'errors', { ...q, equals: [['instance', instance]] });
        return toPage(all(l.sql, l.params).map(errorFromDb), l.limit, 'errors', errorKey);
      }),

    upsertMessages: (input) =>
      guard('upsertMessages', () => {
        const rows = newestPerMessage(input);
        return db.transaction(() => {
          let inserted = 0;
          let updated = 0;
          for (const m of rows) {
            // One writer and one transaction: what we read here is what the upsert meets.
            const existed = get('SELECT 1 AS x FROM discord_messages WHERE message_id = ?', [m.messageId]) !== undefined;
            const changes = run(insertMessageSql, messageParams(m));
            if (changes > 0) {
              if (existed) updated++;
              else inserted++;
            }
          }
          return { inserted, updated };
        })();
      }),

    markMessageDeleted: (messageId, at) =>
      guard('markMessageDeleted', () => {
        const when = toStoreTime(at, 'at');
        // `AND NOT deleted`: true only for the call that actually deleted it, and the first deletion time stays.
        return run('UPDATE discord_messages SET deleted = 1, deleted_at = ? WHERE message_id = ? AND NOT deleted', [when, messageId]) > 0;
      }),

    listMessageIds: (channelId, fromId) =>
      guard('listMessageIds', () => stmt(messageIdsSql('sqlite')).pluck().all(...messageIdsParams(channelId, fromId)) as string[]),

    listMessages: (q) =>
      guard('listMessages', () => {
        const l = buildListing('sqlite', 'messages', { ...q, ...listingFilter({ ...q, scope: 'messages' }) });
        return toPage(all(l.sql, l.params).map(messageFromDb), l.limit, 'messages', messageKey);
      }),

    listJson: (q) =>
      guard('listJson', () => {
        const l = buildListing('sqlite', q.scope, { ...q, ...listingFilter(q), select: 'json' });
        // Rows as arrays (this statement's text is only ever used this way): three values each, no per-row objects.
        const rows = stmt(l.sql).raw(true).all(...l.params) as unknown[][];
        return toJsonPage(rows, l.limit, q.scope, LISTINGS[q.scope].tieType === 'bigint');
      }),

    getMessage: (messageId) =>
      guard('getMessage', () => {
        const row = get('SELECT * FROM discord_messages WHERE message_id = ?', [messageId]);
        return row === undefined ? null : messageFromDb(row);
      }),

    getCursor: (key) =>
      guard('getCursor', () => {
        const row = get('SELECT value FROM import_cursors WHERE key = ?', [key]);
        return row === undefined ? null : String(row.value);
      }),

    setCursor: (key, value) =>
      guard('setCursor', () => {
        run(
          `INSERT INTO import_cursors (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [key, value, new Date().toISOString()],
        );
      }),

    close: async () => {
      if (db.open) db.close();
    },
  };
}

/** better-sqlite3 binds no booleans: 0/1. */
function messageParams(m: MessageRow): unknown[] {
  return [m.messageId, m.guildId, m.channelId, m.authorId, m.authorName, m.content, m.createdAt, m.editedAt,
    m.deleted ? 1 : 0, m.attachmentCount, m.embedCount, m.rawJson, m.ingestedAt];
}
