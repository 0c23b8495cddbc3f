import pg from 'pg';
import { CampusSyncError, describeError, makeRedactor, silentLogger, type Logger } from '../lib/index.js';
import { StoreError } from './errors.js';
import type { MessageRow, Store } from './interface.js';
import { pendingMigrations, POSTGRES_MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, type Migration } from './migrations.js';
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
import { buildListing, INSTANCE_TABLES, listingFilter, LISTINGS, MESSAGE_COLUMNS, MESSAGE_CONFLICT_CLAUSE, messageIdsSql, pgValuesList } from './sql.js';
import { toStoreTime } from './time.js';

/** Connections kept open: the API serves ~50 concurrent requests from these without queueing long. */
export const PG_POOL_SIZE = 10;
/** A server that has not accepted a connection in this long is down, not slow. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Rows per multi-row INSERT: 1,000 messages x 13 columns stays well under PostgreSQL's 65,535 bind
 * parameters while cutting round trips a thousandfold.
 */
export const PG_INSERT_CHUNK = 1_000;
/**
 * Key of the advisory lock held while migrating: two processes starting on an empty database at once take
 * turns instead of both creating the tables. Any constant unlikely to collide; this one spells "campsync".
 */
export const MIGRATION_LOCK_KEY = 0x63616d7073796e63n;

/** Node errors that mean "the server is not there (yet)": trying again later may work. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

export interface PostgresStoreOptions {
  connectionString: string;
  /** For messages: "PostgreSQL db@host:5432", never the password. */
  description: string;
  /** Values hidden from any message (the URL's password). */
  secrets?: readonly string[];
  logger?: Logger;
  /** For tests: a migration list other than the released one. */
  migrations?: readonly Migration[];
}

type Row = Record<string, unknown>;

/** Connects a pool, applies missing migrations and returns the store. Throws StoreError naming the database. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { description } = options;
  const logger = options.logger ?? silentLogger;
  const redact = makeRedactor(options.secrets ?? []);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: PG_POOL_SIZE,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    application_name: 'campus-sync',
  });
  // An idle connection dropped by the server is replaced by the pool; without a listener it would crash the process.
  pool.on('error', (err) => logger.warn('store connection lost', { database: description, error: redact(describeError(err)) }));

  const fail = (what: string, err: unknown): CampusSyncError => {
    if (err instanceof CampusSyncError) return err;
    const code = String((err as { code?: unknown }).code ?? '');
    return new StoreError(`${description}: ${what} failed: ${redact(describeError(err))}`, {
      cause: err,
      retryable: CONNECTION_CODES.has(code) || code === '40001' || code === '40P01',
    });
  };

  try {
    const applied = await migrate(pool, description, options.migrations ?? POSTGRES_MIGRATIONS);
    if (applied.length > 0) logger.info('store migrated', { database: description, versions: applied.join(',') });
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof CampusSyncError) throw err;
    throw fail('opening', err);
  }
  return postgresStore(pool, description, fail);
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

function migrate(pool: pg.Pool, description: string, migrations: readonly Migration[]): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA_MIGRATIONS_TABLE} (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${SCHEMA_MIGRATIONS_TABLE}`);
    const pending = pendingMigrations(description, rows.map((r) => Number(r.version)), migrations);
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(`INSERT INTO ${SCHEMA_MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
    return pending.map((m) => m.version);
  });
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function postgresStore(pool: pg.Pool, description: string, fail: (what: string, err: unknown) => CampusSyncError): Store {
  let closed = false;
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw fail(what, err);
    }
  };
  const query = async (sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> => pool.query<Row>(sql, params);

  return {
    kind: 'postgres',
    description,

    ping: () => guard('ping', async () => void (await query('SELECT 1 AS ok'))),

    insertRun: (input) =>
      guard('insertRun', async () => {
        const r = normalizeRun(input);
        await query(
          `INSERT INTO runs (instance, started_at, finished_at, outcome, phase, error, courses, created, updated,
             adopted, deleted, unchanged, skipped, failed, duration_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (instance, started_at) DO NOTHING`,
          [r.instance, r.startedAt, r.finishedAt, r.outcome, r.phase, r.error, r.courses, r.created, r.updated,
            r.adopted, r.deleted, r.unchanged, r.skipped, r.failed, r.durationMs],
        );
      }),

    listRuns: (instance, q) =>
      guard('listRuns', async () => {
        const l = buildListing('postgres', 'runs', { ...q, equals: [['instance', instance]] });
        return toPage((await query(l.sql, l.params)).rows.map(runFromDb), l.limit, 'runs', runKey);
      }),

    lastRun: (instance) =>
      guard('lastRun', async () => {
        const { rows } = await query('SELECT * FROM runs WHERE instance = $1 ORDER BY started_at DESC, id DESC LIMIT 1', [instance]);
        return rows[0] === undefined ? null : runFromDb(rows[0]);
      }),

    instances: () =>
      guard('instances', async () => {
        const { rows } = await query(INSTANCE_TABLES.map((t) => `SELECT instance FROM ${t}`).join(' UNION '));
        // Sorted here, not in SQL: code-unit order on both engines whatever the database's collation.
        return rows.map((r) => String(r.instance)).sort();
      }),

    replaceEvents: (instance, input) =>
      guard('replaceEvents', async () => {
        const rows = normalizeEvents(instance, input);
        await inTransaction(pool, async (client) => {
          await client.query('DELETE FROM synced_events WHERE instance = $1', [instance]);
          for (const chunk of chunks(rows, PG_INSERT_CHUNK)) {
            await client.query(
              `INSERT INTO synced_events (instance, reference, ecal_id, title, start_at, end_at, last_change)
               VALUES ${pgValuesList(chunk.length, 7)}`,
              chunk.flatMap((e) => [e.instance, e.reference, e.ecalId, e.title, e.start, e.end, e.lastChange]),
            );
          }
        });
      }),

    listEvents: (instance, q) =>
      guard('listEvents', async () => {
        const l = buildListing('postgres', 'events', { ...q, equals: [['instance', instance]] });
        return toPage((await query(l.sql, l.params)).rows.map(eventFromDb), l.limit, 'events', eventKey);
      }),

    upsertAlert: (input) =>
      guard('upsertAlert', async () => {
        const a = normalizeAlert(input);
        await query(
          `INSERT INTO alerts (alert_id, instance, kind, severity, channel, summary, created_at, delivered_at, attempts, last_error)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (alert_id, channel) DO UPDATE SET
             delivered_at = COALESCE(alerts.delivered_at, excluded.delivered_at),
             last_error = CASE WHEN excluded.attempts >= alerts.attempts THEN excluded.last_error ELSE alerts.last_error END,
             attempts = GREATEST(alerts.attempts, excluded.attempts)`,
          [a.alertId, a.instance, a.kind, a.severity, a.channel, a.summary, a.createdAt, a.deliveredAt, a.attempts, a.lastError],
        );
      }),

    listAlerts: (q) =>
      guard('listAlerts', async () => {
        const l = buildListing('postgres', 'alerts', { ...q, equals: q.instance === undefined ? [] : [['instance', q.instance]] });
        return toPage((await query(l.sql, l.params)).rows.map(alertFromDb), l.limit, 'alerts', alertKey);
      }),

    insertError: (input) =>
      guard('insertError', async () => {
        const e = normalizeError(input);
        await query(
          `INSERT INTO errors (instance, at, phase, message, dedupe_key) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (dedupe_key) DO NOTHING`,
          [e.instance, e.at, e.phase, e.message, errorDedupeKey(e)],
        );
      }),

    listErrors: (instance, q) =>
      guard('listErrors', async () => {
        const l = buildListing('postgres', 'errors', { ...q, equals: [['instance', instance]] });
        return toPage((await query(l.sql, l.params)).rows.map(errorFromDb), l.limit, 'errors', errorKey);
      }),

    upsertMessages: (input) =>
      guard('upsertMessages', async () => {
        const rows = newestPerMessage(input);
        if (rows.length === 0) return { inserted: 0, updated: 0 };
        return inTransaction(pool, async (client) => {
          let inserted = 0;
          let updated = 0;
          for (const chunk of chunks(rows, PG_INSERT_CHUNK)) {
            // xmax is 0 on a row version this statement inserted, and set on one it updated: one round trip
            // tells both counts, and rows the conflict clause left alone return nothing.
            const result = await client.query<{ inserted: boolean }>(
              `INSERT INTO discord_messages (${MESSAGE_COLUMNS.join(', ')})
               VALUES ${pgValuesList(chunk.length, MESSAGE_COLUMNS.length)}
               ${MESSAGE_CONFLICT_CLAUSE}
               RETURNING (xmax = 0) AS inserted`,
              chunk.flatMap(messageParams),
            );
            for (const r of result.rows) {
              if (r.inserted) inserted++;
              else updated++;
            }
          }
          return { inserted, updated };
        });
      }),

    markMessageDeleted: (messageId, at) =>
      guard('markMessageDeleted', async () => {
        const when = toStoreTime(at, 'at');
        // `AND NOT deleted`: true only for the call that actually deleted it, and the first deletion time stays.
        const result = await query(
          'UPDATE discord_messages SET deleted = TRUE, deleted_at = $1 WHERE message_id = $2 AND NOT deleted',
          [when, messageId],
        );
        return (result.rowCount ?? 0) > 0;
      }),

    listMessageIds: (channelId, fromId) =>
      guard('listMessageIds', async () => {
        const { rows } = await query(messageIdsSql('postgres'), messageIdsParams(channelId, fromId));
        return rows.map((r) => String(r.message_id));
      }),

    listMessages: (q) =>
      guard('listMessages', async () => {
        const l = buildListing('postgres', 'messages', { ...q, ...listingFilter({ ...q, scope: 'messages' }) });
        return toPage((await query(l.sql, l.params)).rows.map(messageFromDb), l.limit, 'messages', messageKey);
      }),

    listJson: (q) =>
      guard('listJson', async () => {
        const l = buildListing('postgres', q.scope, { ...q, ...listingFilter(q), select: 'json' });
        // Rows as arrays: three values each, no per-row objects.
        const { rows } = await pool.query<unknown[]>({ text: l.sql, values: l.params, rowMode: 'array' });
        return toJsonPage(rows, l.limit, q.scope, LISTINGS[q.scope].tieType === 'bigint');
      }),

    getMessage: (messageId) =>
      guard('getMessage', async () => {
        const { rows } = await query('SELECT * FROM discord_messages WHERE message_id = $1', [messageId]);
        return rows[0] === undefined ? null : messageFromDb(rows[0]);
      }),

    getCursor: (key) =>
      guard('getCursor', async () => {
        const { rows } = await query('SELECT value FROM import_cursors WHERE key = $1', [key]);
        return rows[0] === undefined ? null : String(rows[0].value);
      }),

    setCursor: (key, value) =>
      guard('setCursor', async () => {
        await query(
          `INSERT INTO import_cursors (key, value, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [key, value],
        );
      }),

    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function messageParams(m: MessageRow): unknown[] {
  return [m.messageId, m.guildId, m.channelId, m.authorId, m.authorName, m.content, m.createdAt, m.editedAt,
    m.deleted, m.attachmentCount, m.embedCount, m.rawJson, m.ingestedAt];
}
