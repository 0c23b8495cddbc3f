export type {
  AlertQuery,
  AlertRow,
  ErrorRow,
  JsonListQuery,
  JsonPage,
  ListQuery,
  MessageQuery,
  MessageRow,
  OpenStoreOptions,
  Page,
  RunRow,
  Store,
  SyncedEventRow,
} from './interface.js';
export { openStore } from './open.js';
export { InvalidCursorError, InvalidParameterError, SchemaTooNewError, StoreError } from './errors.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './rows.js';
export { DEFAULT_SQLITE_FILE, redactDatabaseUrl, resolveStoreTarget, type StoreTarget } from './target.js';
