import { describe, it, expect } from 'vitest';
import { CampusSyncError } from '../lib/index.js';
import { InvalidCursorError, InvalidParameterError, SchemaTooNewError, StoreError } from './errors.js';

describe('store errors', () => {
  it('InvalidCursorError is an InvalidParameterError naming cursor, and a CampusSyncError', () => {
    const err = new InvalidCursorError('bad base64');
    expect(err).toBeInstanceOf(InvalidParameterError);
    expect(err).toBeInstanceOf(CampusSyncError);
    expect(err.parameter).toBe('cursor');
    expect(err.name).toBe('InvalidCursorError');
    expect(err.message).toMatch(/^cursor: .*bad base64/);
    expect(err.retryable).toBe(false);
  });

  it('SchemaTooNewError names the database and both versions', () => {
    const err = new SchemaTooNewError('SQLite /tmp/x.db', 7, 2);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toContain('SQLite /tmp/x.db');
    expect(err.message).toContain('version 7');
    expect(err.message).toContain('up to 2');
    expect([err.databaseVersion, err.knownVersion]).toEqual([7, 2]);
  });
});
