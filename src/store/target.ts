import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATABASE_FILE } from '../instance/names.js';
import { ConfigError, makeRedactor } from '../lib/index.js';

/** The SQLite file under the data dir when DATABASE_URL is unset. */
export const DEFAULT_SQLITE_FILE = DATABASE_FILE;

export type StoreTarget =
  | { kind: 'sqlite'; path: string; description: string }
  | {
      kind: 'postgres';
      connectionString: string;
      description: string;
      /** Values to hide from anything we print (the URL's password). */
      secrets: string[];
    };

const POSTGRES_SCHEME = /^postgres(ql)?:\/\//i;
const ANY_SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Where the store lives: `postgres://` / `postgresql://` → PostgreSQL; `sqlite:` / `file:` URL or a bare
 * path → that SQLite file; unset or empty → `<dataDir>/campus-sync.db`. Throws ConfigError for other schemes,
 * so a typo like `postgress://` is not silently a local file.
 */
export function resolveStoreTarget(databaseUrl: string | undefined, dataDir: string): StoreTarget {
  const url = databaseUrl?.trim() ?? '';
  if (url === '') return sqliteTarget(join(dataDir, DEFAULT_SQLITE_FILE));
  if (POSTGRES_SCHEME.test(url)) return postgresTarget(url);
  const scheme = ANY_SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return sqliteTarget(sqlitePath(url));
  if (scheme === 'file') return sqliteTarget(filePath(url));
  if (scheme !== undefined && scheme.length > 1) {
    throw new ConfigError(
      `DATABASE_URL: unsupported scheme "${scheme}:" in ${redactDatabaseUrl(url)} ` +
        '(use postgres://user:password@host:5432/db, sqlite:path/to/file.db, or leave it unset for SQLite under the data dir)',
    );
  }
  return sqliteTarget(url);
}

function sqliteTarget(path: string): StoreTarget {
  if (path === '') throw new ConfigError('DATABASE_URL: the SQLite URL names no file');
  return { kind: 'sqlite', path, description: `SQLite ${path}` };
}

/** SQLAlchemy's convention (the seed's `sqlite:///./x.db`): three slashes then a relative path, four for absolute. */
function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  if (rest.startsWith('///')) return rest.slice(3);
  if (rest.startsWith('//')) {
    throw new ConfigError(`DATABASE_URL: a SQLite URL has no host (write sqlite:///relative.db or sqlite:////absolute.db): ${url}`);
  }
  return rest;
}

function filePath(url: string): string {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch (err) {
      throw new ConfigError(`DATABASE_URL: ${(err as Error).message}: ${url}`);
    }
  }
  return url.slice('file:'.length);
}

function postgresTarget(url: string): StoreTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`DATABASE_URL: not a valid PostgreSQL URL: ${redactDatabaseUrl(url)}`);
  }
  const secrets = urlSecrets(parsed);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  const host = parsed.hostname || 'localhost';
  return {
    kind: 'postgres',
    connectionString: url,
    description: `PostgreSQL ${database}@${host}:${parsed.port || '5432'}`,
    secrets,
  };
}

function urlSecrets(parsed: URL): string[] {
  const secrets: string[] = [];
  if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
  const inQuery = parsed.searchParams.get('password');
  if (inQuery) secrets.push(inQuery);
  return secrets;
}

/** The URL with its password (in the authority or a `password=` parameter) replaced, for messages. */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable: hide whatever sits between "user:" and "@", the usual place of a password.
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@');
  }
  let out = url;
  if (parsed.password) out = out.replace(`:${parsed.password}@`, ':***@');
  return makeRedactor(urlSecrets(parsed))(out);
}
