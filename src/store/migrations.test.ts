import { describe, it, expect } from 'vitest';
import { SchemaTooNewError } from './errors.js';
import { checkMigrationList, pendingMigrations, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, type Migration } from './migrations.js';

const list: Migration[] = [
  { version: 1, name: 'a', up: async () => {} },
  { version: 2, name: 'b', up: async () => {} },
  { version: 3, name: 'c', up: async () => {} },
];

describe('pendingMigrations', () => {
  it('returns every step for a new database and none for an up-to-date one', () => {
    expect(pendingMigrations('db', [], list).map((m) => m.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations('db', [1, 2, 3], list)).toEqual([]);
  });

  it('returns the missing steps in order', () => {
    expect(pendingMigrations('db', [1], [list[2]!, list[0]!, list[1]!]).map((m) => m.version)).toEqual([2, 3]);
  });

  it('refuses a database migrated by a newer version, naming it', () => {
    expect(() => pendingMigrations('SQLite /x.db', [1, 2, 3, 4], list)).toThrow(SchemaTooNewError);
    expect(() => pendingMigrations('SQLite /x.db', [1, 2, 3, 4], list)).toThrow(/SQLite \/x\.db is at schema version 4.*up to 3/);
  });
});

describe('migration lists', () => {
  it('are numbered 1..n on both dialects, with the same steps', () => {
    expect(() => checkMigrationList(SQLITE_MIGRATIONS)).not.toThrow();
    expect(() => checkMigrationList(POSTGRES_MIGRATIONS)).not.toThrow();
    expect(SQLITE_MIGRATIONS.map((m) => m.name)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.name));
    expect(() => checkMigrationList([list[0]!, list[2]!])).toThrow(/expected 2/);
  });
});
