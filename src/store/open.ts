import { silentLogger } from '../lib/index.js';
import type { OpenStoreOptions, Store } from './interface.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
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
