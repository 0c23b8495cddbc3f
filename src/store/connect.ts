import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { CampusSyncError, describeError, makeRedactor, silentLogger, type Logger } from '../lib/index.js';
import { StoreError } from './errors.js';
import type { Database as Schema } from './schema.js';
import type { Dialect } from './sql.js';

/**
 * The only engine-specific code of the store: opening a Kysely instance on SQLite (better-sqlite3) or
 * PostgreSQL (a pg pool), and telling which driver failures are worth a retry.
 */
export interface StoreConnection {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** For people and logs, never with a password. */
  description: string;
  /**
   * A driver failure as a StoreError naming the database (our own typed errors pass through); `what` is the
   * operation, or 'open' for opening and migrating.
   */
  fail(what: string, err: unknown): CampusSyncError;
}

/**
 * How long a statement waits for another connection's lock before failing with SQLITE_BUSY. The store is
 * the only writer, but a CLI reader or a backup may hold the file briefly; WAL keeps readers from blocking it.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/**
 * Prepared statements kept per SQLite file. Kysely prepares every query it runs; better-sqlite3's prepare
 * costs about as much as reading a small page, so the texts used again (listings, upserts) are kept. The
 * distinct texts are a few dozen listing shapes plus multi-row inserts of varying length; least recently
 * used ones go first.
 */
export const SQLITE_STATEMENT_CACHE = 256;
/** Connections kept open: the API serves ~50 concurrent requests from these without queueing long. */
export const PG_POOL_SIZE = 10;
/** A server that has not accepted a connection in this long is down, not slow. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** Node errors that mean "the server is not there (yet)": trying again later may work. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

function errorCode(err: unknown): string {
  return String((err as { code?: unknown } | null)?.code ?? '');
}

function storeError(description: string, what: string, err: unknown, detail: string, retryable: boolean): CampusSyncError {
  if (err instanceof CampusSyncError) return err;
  const message = what === 'open' ? `cannot open ${description}: ${detail}` : `${description}: ${what} failed: ${detail}`;
  return new StoreError(message, { cause: err, retryable });
}

/** better-sqlite3 with a least-recently-used cache of prepared statements, in the shape SqliteDialect takes. */
export function cachingDatabase(db: Database.Database, size = SQLITE_STATEMENT_CACHE): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    close: () => {
      statements.clear();
      if (db.open) db.close();
    },
    prepare: (text) => {
      let s = statements.get(text);
      if (s === undefined) {
        s = db.prepare(text);
        if (statements.size >= size) statements.delete(statements.keys().next().value as string);
      } else {
        statements.delete(text);
      }
      statements.set(text, s);
      // Kysely runs one query at a time on its single SQLite connection, so a statement is never in use twice.
      return s as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

/** Opens (creating it and its directory if needed) a SQLite file in WAL mode. Throws StoreError naming it. */
export function connectSqlite(path: string, description = `SQLite ${path}`): StoreConnection {
  let raw: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    raw = new Database(path);
  } catch (err) {
    throw new StoreError(`cannot open ${description}: ${describeError(err)}`, { cause: err });
  }
  try {
    raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // WAL: readers (the CLI, a backup) never block the writer and see committed data only.
    const mode = raw.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      throw new StoreError(`cannot use WAL mode on ${description} (the file system gave "${String(mode)}")`);
    }
    // In WAL mode NORMAL loses at most the last transactions on power loss, never consistency; the data are re-importable.
    raw.pragma('synchronous = NORMAL');
  } catch (err) {
    raw.close();
    if (err instanceof CampusSyncError) throw err;
    throw new StoreError(`cannot open ${description}: ${describeError(err)}`, { cause: err });
  }
  return {
    db: new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingDatabase(raw) }) }),
    dialect: 'sqlite',
    description,
    fail: (what, err) => {
      const code = errorCode(err);
      return storeError(description, what, err, describeError(err), code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED');
    },
  };
}

export interface PostgresConnectOptions {
  connectionString: string;
  /** For messages: "PostgreSQL db@host:5432", never the password. */
  description: string;
  /** Values hidden from any message (the URL's password). */
  secrets?: readonly string[];
  logger?: Logger;
}

/** A pool on the server (connections are made on first use). */
export function connectPostgres(options: PostgresConnectOptions): StoreConnection {
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
  return {
    db: new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }),
    dialect: 'postgres',
    description,
    fail: (what, err) => {
      const code = errorCode(err);
      const retryable = CONNECTION_CODES.has(code) || code === '40001' || code === '40P01';
      return storeError(description, what, err, redact(describeError(err)), retryable);
    },
  };
}
