import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { describeStoreContract, message, run, snowflake, type StoreHarness } from './contract.test-helper.js';
import { openStore } from './open.js';
import { buildListing, instancesSql, lastRunsSql, messageIdsSql } from './sql.js';
import { messageIdsParams } from './rows.js';
import { openSqliteStore } from './open.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SchemaTooNewError } from './errors.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'campus-sync-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeStoreContract(
  'SQLite',
  async (): Promise<StoreHarness> => ({
    kind: 'sqlite',
    fresh: async () => {
      const dataDir = tempDir();
      return {
        options: { dataDir },
        query: async (sql) => {
          const db = new Database(join(dataDir, 'campus-sync.db'));
          try {
            const stmt = db.prepare(sql);
            if (stmt.reader) return stmt.all() as Record<string, unknown>[];
            stmt.run();
            return [];
          } finally {
            db.close();
          }
        },
      };
    },
    dispose: async () => {},
  }),
);

describe('SQLite store specifics', () => {
  it('creates <dataDir>/campus-sync.db (and the dir) in WAL mode with a busy timeout', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = await openStore({ dataDir });
    try {
      const file = join(dataDir, 'campus-sync.db');
      expect(existsSync(file)).toBe(true);
      expect(store.description).toBe(`SQLite ${file}`);
      const reader = new Database(file, { readonly: true });
      expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
      reader.close();
    } finally {
      await store.close();
    }
  });

  it('lets a reader hold a read transaction while the store keeps writing', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    try {
      await store.insertRun(run('alice', '2025-03-01T08:00:00Z'));
      const reader = new Database(join(dataDir, 'campus-sync.db'), { readonly: true });
      reader.exec('BEGIN');
      expect(reader.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 });
      await store.insertRun(run('alice', '2025-03-01T09:00:00Z'));
      // The reader's snapshot is stable; the write did not wait for it.
      expect(reader.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 });
      reader.exec('COMMIT');
      expect(reader.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 2 });
      reader.close();
    } finally {
      await store.close();
    }
  });

  it('opens the file a sqlite: URL names, relative or absolute', async () => {
    const dir = tempDir();
    const store = await openStore({ databaseUrl: `sqlite:///${join(dir, 'reports.db')}`, dataDir: join(dir, 'unused') });
    await store.close();
    expect(existsSync(join(dir, 'reports.db'))).toBe(true);
    expect(existsSync(join(dir, 'unused'))).toBe(false);
  });

  it('applies a new migration step to an existing database, in order, once', async () => {
    const path = join(tempDir(), 'x.db');
    await (await openSqliteStore({ path })).close();
    const next = [
      ...SQLITE_MIGRATIONS,
      {
        version: SQLITE_MIGRATIONS.length + 1,
        name: 'add a column',
        up: (db: Kysely<any>) => db.schema.alterTable('runs').addColumn('note', 'text').execute(),
      },
    ];
    await (await openSqliteStore({ path, migrations: next })).close();
    await (await openSqliteStore({ path, migrations: next })).close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(next.map((m) => m.version));
    expect((db.prepare('PRAGMA table_info(runs)').all() as { name: string }[]).map((c) => c.name)).toContain('note');
    db.close();
    // The released code now meets a database one step ahead of it.
    await expect(openSqliteStore({ path })).rejects.toBeInstanceOf(SchemaTooNewError);
  });

  it('rolls back a failing migration step entirely', async () => {
    const path = join(tempDir(), 'y.db');
    const broken = [
      ...SQLITE_MIGRATIONS,
      {
        version: SQLITE_MIGRATIONS.length + 1,
        name: 'broken',
        up: async (db: Kysely<any>) => {
          await db.schema.createTable('t').addColumn('a', 'integer').execute();
          await sql`SELECT * FROM no_such_table`.execute(db);
        },
      },
    ];
    await expect(openSqliteStore({ path, migrations: broken })).rejects.toThrow(/cannot open SQLite .*y\.db.*no_such_table/);
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('t', 'runs')").pluck().get()).toBe(0);
    db.close();
  });

  it('serves the listings from indexes, without sorting (query plans)', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    await store.upsertMessages([message(1, '2025-03-01T08:00:00Z')]);
    await store.close();
    const db = new Database(join(dataDir, 'campus-sync.db'), { readonly: true });
    const plan = (l: { sql: string; params: unknown[] }) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${l.sql}`).all(...l.params) as { detail: string }[]).map((r) => r.detail).join('\n');
    const cursorLike = (scope: 'runs' | 'messages' | 'alerts' | 'errors' | 'events', tie: string | number) =>
      Buffer.from(JSON.stringify({ v: 1, s: scope, t: '2025-03-01T08:00:00.000Z', k: tie })).toString('base64url');
    const cases = [
      {
        l: buildListing('sqlite', 'messages', {
          equals: [
            ['guild_id', 'g'],
            ['channel_id', 'c'],
          ],
          extra: ['NOT deleted'],
          limit: 100,
          cursor: cursorLike('messages', snowflake(1)),
          from: '2025-01-01',
        }),
        index: 'discord_messages_live_channel_created',
      },
      {
        l: buildListing('sqlite', 'messages', { equals: [['guild_id', 'g']], extra: ['NOT deleted'], limit: 100 }),
        index: 'discord_messages_live_guild_created',
      },
      // include_deleted=true: the full indexes, since the partial ones lack the deleted rows.
      {
        l: buildListing('sqlite', 'messages', {
          equals: [
            ['guild_id', 'g'],
            ['channel_id', 'c'],
          ],
          limit: 100,
        }),
        index: 'discord_messages_channel_created',
      },
      { l: buildListing('sqlite', 'messages', { equals: [['guild_id', 'g']], limit: 100 }), index: 'discord_messages_guild_created' },
      { l: buildListing('sqlite', 'runs', { equals: [['instance', 'a']], limit: 100, cursor: cursorLike('runs', 5) }), index: 'runs_instance_started' },
      { l: buildListing('sqlite', 'alerts', { equals: [], limit: 100 }), index: 'alerts_created' },
      { l: buildListing('sqlite', 'alerts', { equals: [['instance', 'a']], limit: 100 }), index: 'alerts_instance_created' },
      { l: buildListing('sqlite', 'errors', { equals: [['instance', 'a']], limit: 100, to: '2026-01-01' }), index: 'errors_instance_at' },
      { l: buildListing('sqlite', 'events', { equals: [['instance', 'a']], limit: 100 }), index: 'synced_events_instance_start' },
    ];
    for (const { l, index } of cases) {
      const p = plan(l);
      expect(p, l.sql).toMatch(new RegExp(`INDEX ${index}\\b`));
      expect(p, l.sql).not.toMatch(/TEMP B-TREE/);
    }
    // Deletion detection reads one channel's ids: from its own index, not a scan of every channel.
    const ids = { sql: messageIdsSql('sqlite'), params: messageIdsParams('c', snowflake(1)) };
    expect(plan(ids)).toMatch(/^SEARCH discord_messages USING (COVERING )?INDEX discord_messages_channel_id \(channel_id=\?/);
    // instances(): one index probe per instance in each table, never a read of every row.
    const instances = plan({ sql: instancesSql(), params: [] });
    for (const t of ['runs', 'synced_events', 'alerts', 'errors'])
      expect(instances).toMatch(new RegExp(`SEARCH ${t} USING COVERING INDEX \\w+ \\(instance>\\?\\)`));
    // lastRuns(): per name, one probe of the runs index for the newest id, then the row by its id; no sort.
    const lastRuns = plan({ sql: lastRunsSql('sqlite', 3), params: ['a', 'b', 'c'] });
    expect(lastRuns).toMatch(/SEARCH r USING (COVERING )?INDEX runs_instance_started \(instance=\?\)/);
    expect(lastRuns).toMatch(/SEARCH runs USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(lastRuns).not.toMatch(/TEMP B-TREE|SCAN runs/);
    db.close();
  });
});
