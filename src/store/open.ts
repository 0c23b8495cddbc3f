import { silentLogger, type Logger } from '../lib/index.js';
import { connectPostgres, connectSqlite, type PostgresConnectOptions } from './connect.js';
import type { OpenStoreOptions, Store } from './interface.js';
import { openKyselyStore } from './kysely-store.js';
import type { Migration } from './migrations.js';
import { resolveStoreTarget } from './target.js';

/**
 * Opens the reporting store `DATABASE_URL` points at (PostgreSQL for postgres:// URLs, else SQLite under
 * the data dir) and applies missing migrations. Throws ConfigError for an unusable URL, StoreError (naming
 * the database, never its password) when it cannot be reached or migrated, SchemaTooNewError when a newer
 * campus-sync has migrated it.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target = resolveStoreTarget(options.databaseUrl, options.dataDir);
  const logger = options.logger ?? silentLogger;
  if (target.kind === 'postgres') {
    return openPostgresStore({
      connectionString: target.connectionString,
      description: target.description,
      secrets: target.secrets,
      logger,
    });
  }
  return openSqliteStore({ path: target.path, description: target.description, logger });
}

export interface SqliteStoreOptions {
  path: string;
  description?: string;
  logger?: Logger;
  /** For tests: a migration list other than the released one. */
  migrations?: readonly Migration[];
}

/** Opens (creating it and its directory if needed) and migrates a SQLite store in WAL mode. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  return openKyselyStore(connectSqlite(options.path, options.description), options);
}

/** Connects a pool, applies missing migrations and returns the store. */
export async function openPostgresStore(options: PostgresConnectOptions & { migrations?: readonly Migration[] }): Promise<Store> {
  return openKyselyStore(connectPostgres(options), options);
}
