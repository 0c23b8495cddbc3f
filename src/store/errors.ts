import { CampusSyncError } from '../lib/index.js';

/** The database could not be opened, migrated or queried. Names the database, never with its password. */
export class StoreError extends CampusSyncError {
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** The database was migrated by a newer campus-sync: running older code against it could corrupt it. */
export class SchemaTooNewError extends StoreError {
  readonly databaseVersion: number;
  readonly knownVersion: number;
  constructor(database: string, databaseVersion: number, knownVersion: number) {
    super(
      `${database} is at schema version ${databaseVersion}, but this campus-sync only knows versions up to ${knownVersion}: ` +
        'upgrade campus-sync, or point it at another database',
    );
    this.databaseVersion = databaseVersion;
    this.knownVersion = knownVersion;
  }
}

/**
 * A value given to the store is unusable (a time that is not ISO-8601, a cursor this store never issued).
 * `parameter` names it, so the API answers 400 naming the parameter.
 */
export class InvalidParameterError extends CampusSyncError {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.parameter = parameter;
  }
}

/** A `cursor` that is not one this listing handed out (garbled, truncated, or from another listing). */
export class InvalidCursorError extends InvalidParameterError {
  constructor(reason: string) {
    super('cursor', `not a cursor from this listing (${reason}); start again without a cursor`);
  }
}
