import { CompiledQuery, sql, type Transaction } from 'kysely';
import { silentLogger, type Logger } from '../lib/index.js';
import type { StoreConnection } from './connect.js';
import type { MessageRow, RunRow, Store } from './interface.js';
import { migrate, MIGRATIONS, type Migration } from './migrations.js';
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
import type { Database } from './schema.js';
import {
  buildListing,
  instancesSql,
  lastRunsSql,
  listingFilter,
  LISTINGS,
  MESSAGE_NEWER_AND_CHANGED,
  messageIdsSql,
  type Dialect,
  type Listing,
} from './sql.js';
import { toStoreTime } from './time.js';

/**
 * Rows per multi-row INSERT: 1,000 messages x 13 columns stays under both engines' bind-parameter limits
 * (PostgreSQL 65,535; SQLite 32,766) while cutting statements a thousandfold.
 */
export const INSERT_CHUNK = 1_000;

export interface KyselyStoreOptions {
  logger?: Logger;
  /** For tests: a migration list other than the released one. */
  migrations?: readonly Migration[];
}

type Row = Record<string, unknown>;

/** Applies missing migrations on the connection and returns the store. Throws StoreError naming the database. */
export async function openKyselyStore(conn: StoreConnection, options: KyselyStoreOptions = {}): Promise<Store> {
  const logger = options.logger ?? silentLogger;
  try {
    const applied = await migrate(conn.db, conn.dialect, conn.description, options.migrations ?? MIGRATIONS);
    if (applied.length > 0) logger.info('store migrated', { database: conn.description, versions: applied.join(',') });
  } catch (err) {
    await conn.db.destroy().catch(() => {});
    throw conn.fail('open', err);
  }
  return kyselyStore(conn);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A message as discord_messages' columns; SQLite binds no booleans, so `deleted` is 0/1 there. */
function messageValues(m: MessageRow, dialect: Dialect) {
  return {
    message_id: m.messageId,
    guild_id: m.guildId,
    channel_id: m.channelId,
    author_id: m.authorId,
    author_name: m.authorName,
    content: m.content,
    created_at: m.createdAt,
    edited_at: m.editedAt,
    deleted: dialect === 'sqlite' ? (m.deleted ? 1 : 0) : m.deleted,
    attachment_count: m.attachmentCount,
    embed_count: m.embedCount,
    raw_json: m.rawJson,
    ingested_at: m.ingestedAt,
  };
}

/**
 * Upserts one chunk of distinct messages: first the new ones (DO NOTHING on a known id, RETURNING what it
 * inserted), then the rest with the version rule (RETURNING what it changed). Two statements instead of
 * engine-specific tricks (PostgreSQL's xmax), and exact on both: a row counts where it was written.
 */
async function upsertMessageChunk(trx: Transaction<Database>, dialect: Dialect, chunk: MessageRow[]): Promise<{ inserted: number; updated: number }> {
  const fresh = await trx
    .insertInto('discord_messages')
    .values(chunk.map((m) => messageValues(m, dialect)))
    .onConflict((oc) => oc.column('message_id').doNothing())
    .returning('message_id')
    .execute();
  const insertedIds = new Set(fresh.map((r) => r.message_id));
  const known = chunk.filter((m) => !insertedIds.has(m.messageId));
  if (known.length === 0) return { inserted: fresh.length, updated: 0 };
  const changed = await trx
    .insertInto('discord_messages')
    .values(known.map((m) => messageValues(m, dialect)))
    .onConflict((oc) =>
      oc
        .column('message_id')
        .doUpdateSet((eb) => ({
          author_name: eb.ref('excluded.author_name'),
          content: eb.ref('excluded.content'),
          edited_at: eb.ref('excluded.edited_at'),
          attachment_count: eb.ref('excluded.attachment_count'),
          embed_count: eb.ref('excluded.embed_count'),
          raw_json: eb.ref('excluded.raw_json'),
          // Discord listing a message proves it exists, so a re-listed message is no longer deleted.
          deleted: eb.ref('excluded.deleted'),
          deleted_at: sql`CASE WHEN excluded.deleted THEN discord_messages.deleted_at ELSE NULL END`,
        }))
        .where(sql.raw<boolean>(MESSAGE_NEWER_AND_CHANGED)),
    )
    .returning('message_id')
    .execute();
  return { inserted: fresh.length, updated: changed.length };
}

/** What the methods share: the connection, its error guard and the listing runner. */
interface Context {
  db: StoreConnection['db'];
  dialect: Dialect;
  guard<T>(what: string, fn: () => Promise<T>): Promise<T>;
  rowsOf(l: Listing): Promise<Row[]>;
}

type ReadMethods = Pick<
  Store,
  | 'listRuns'
  | 'lastRun'
  | 'lastRuns'
  | 'instances'
  | 'listEvents'
  | 'listAlerts'
  | 'listErrors'
  | 'listMessageIds'
  | 'listMessages'
  | 'listJson'
  | 'getMessage'
  | 'getCursor'
>;
type WriteMethods = Pick<Store, 'insertRun' | 'replaceEvents' | 'upsertAlert' | 'insertError' | 'upsertMessages' | 'markMessageDeleted' | 'setCursor'>;

function kyselyStore(conn: StoreConnection): Store {
  const { db, dialect, description } = conn;
  let closed = false;
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw conn.fail(what, err);
    }
  };
  // Listings are hand-written keyset SQL (sql.ts): both engines turn them into one index range scan.
  const rowsOf = async (l: Listing): Promise<Row[]> => (await db.executeQuery<Row>(CompiledQuery.raw(l.sql, l.params))).rows;
  const ctx: Context = { db, dialect, guard, rowsOf };

  return {
    kind: dialect,
    description,
    ping: () => guard('ping', async () => void (await sql`SELECT 1 AS ok`.execute(db))),
    ...readMethods(ctx),
    ...writeMethods(ctx),

    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

function readMethods({ db, dialect, guard, rowsOf }: Context): ReadMethods {
  return {
    listRuns: (instance, q) =>
      guard('listRuns', async () => {
        const l = buildListing(dialect, 'runs', { ...q, equals: [['instance', instance]] });
        return toPage((await rowsOf(l)).map(runFromDb), l.limit, 'runs', runKey);
      }),

    lastRun: (instance) =>
      guard('lastRun', async () => {
        const row = await db
          .selectFrom('runs')
          .selectAll()
          .where('instance', '=', instance)
          .orderBy('started_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        return row === undefined ? null : runFromDb(row);
      }),

    lastRuns: (instances) =>
      guard('lastRuns', async () => {
        const names = [...new Set(instances)];
        if (names.length === 0) return new Map<string, RunRow>();
        const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(lastRunsSql(dialect, names.length), names));
        return new Map(rows.map((row) => [String(row.instance), runFromDb(row)] as const));
      }),

    instances: () =>
      guard('instances', async () => {
        const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(instancesSql(), []));
        // Sorted here, not in SQL: code-unit order on both engines whatever the database's collation.
        return rows.map((r) => String(r.instance)).sort();
      }),

    listEvents: (instance, q) =>
      guard('listEvents', async () => {
        const l = buildListing(dialect, 'events', { ...q, equals: [['instance', instance]] });
        return toPage((await rowsOf(l)).map(eventFromDb), l.limit, 'events', eventKey);
      }),

    listAlerts: (q) =>
      guard('listAlerts', async () => {
        const l = buildListing(dialect, 'alerts', { ...q, ...listingFilter({ ...q, scope: 'alerts' }) });
        return toPage((await rowsOf(l)).map(alertFromDb), l.limit, 'alerts', alertKey);
      }),

    listErrors: (instance, q) =>
      guard('listErrors', async () => {
        const l = buildListing(dialect, 'errors', { ...q, equals: [['instance', instance]] });
        return toPage((await rowsOf(l)).map(errorFromDb), l.limit, 'errors', errorKey);
      }),

    listMessageIds: (channelId, fromId) =>
      guard('listMessageIds', async () => {
        const { rows } = await db.executeQuery<Row>(CompiledQuery.raw(messageIdsSql(dialect), messageIdsParams(channelId, fromId)));
        return rows.map((r) => String(r.message_id));
      }),

    listMessages: (q) =>
      guard('listMessages', async () => {
        const l = buildListing(dialect, 'messages', { ...q, ...listingFilter({ ...q, scope: 'messages' }) });
        return toPage((await rowsOf(l)).map(messageFromDb), l.limit, 'messages', messageKey);
      }),

    listJson: (q) =>
      guard('listJson', async () => {
        const spec = LISTINGS[q.scope];
        const l = buildListing(dialect, q.scope, { ...q, ...listingFilter(q), select: 'json' });
        // Each row is the item's JSON text built by the database, then its sort key for the cursor.
        const rows = (await rowsOf(l)).map((r) => [r.item, r[spec.time], r[spec.tie]]);
        return toJsonPage(rows, l.limit, q.scope, spec.tieType === 'bigint');
      }),

    getMessage: (messageId) =>
      guard('getMessage', async () => {
        const row = await db.selectFrom('discord_messages').selectAll().where('message_id', '=', messageId).executeTakeFirst();
        return row === undefined ? null : messageFromDb(row);
      }),

    getCursor: (key) =>
      guard('getCursor', async () => {
        const row = await db.selectFrom('import_cursors').select('value').where('key', '=', key).executeTakeFirst();
        return row === undefined ? null : String(row.value);
      }),
  };
}

function writeMethods({ db, dialect, guard }: Context): WriteMethods {
  return {
    insertRun: (input) =>
      guard('insertRun', async () => {
        const r = normalizeRun(input);
        await db
          .insertInto('runs')
          .values({
            instance: r.instance,
            started_at: r.startedAt,
            finished_at: r.finishedAt,
            outcome: r.outcome,
            phase: r.phase,
            error: r.error,
            courses: r.courses,
            created: r.created,
            updated: r.updated,
            adopted: r.adopted,
            deleted: r.deleted,
            unchanged: r.unchanged,
            skipped: r.skipped,
            failed: r.failed,
            duration_ms: r.durationMs,
          })
          .onConflict((oc) => oc.columns(['instance', 'started_at']).doNothing())
          .execute();
      }),

    replaceEvents: (instance, input) =>
      guard('replaceEvents', async () => {
        const rows = normalizeEvents(instance, input);
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('synced_events').where('instance', '=', instance).execute();
          for (const chunk of chunks(rows, INSERT_CHUNK)) {
            await trx
              .insertInto('synced_events')
              .values(
                chunk.map((e) => ({
                  instance: e.instance,
                  reference: e.reference,
                  ecal_id: e.ecalId,
                  title: e.title,
                  start_at: e.start,
                  end_at: e.end,
                  last_change: e.lastChange,
                })),
              )
              .execute();
          }
        });
      }),

    upsertAlert: (input) =>
      guard('upsertAlert', async () => {
        const a = normalizeAlert(input);
        await db
          .insertInto('alerts')
          .values({
            alert_id: a.alertId,
            instance: a.instance,
            kind: a.kind,
            severity: a.severity,
            channel: a.channel,
            summary: a.summary,
            created_at: a.createdAt,
            delivered_at: a.deliveredAt,
            attempts: a.attempts,
            last_error: a.lastError,
          })
          .onConflict((oc) =>
            oc.columns(['alert_id', 'channel']).doUpdateSet({
              delivered_at: sql`COALESCE(alerts.delivered_at, excluded.delivered_at)`,
              last_error: sql`CASE WHEN excluded.attempts >= alerts.attempts THEN excluded.last_error ELSE alerts.last_error END`,
              // The larger of the two, spelled the same on both engines (SQLite's max(), PostgreSQL's GREATEST()).
              attempts: sql`CASE WHEN excluded.attempts > alerts.attempts THEN excluded.attempts ELSE alerts.attempts END`,
            }),
          )
          .execute();
      }),

    insertError: (input) =>
      guard('insertError', async () => {
        const e = normalizeError(input);
        await db
          .insertInto('errors')
          .values({ instance: e.instance, at: e.at, phase: e.phase, message: e.message, dedupe_key: errorDedupeKey(e) })
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .execute();
      }),

    upsertMessages: (input) =>
      guard('upsertMessages', async () => {
        const rows = newestPerMessage(input);
        if (rows.length === 0) return { inserted: 0, updated: 0 };
        return db.transaction().execute(async (trx) => {
          const total = { inserted: 0, updated: 0 };
          for (const chunk of chunks(rows, INSERT_CHUNK)) {
            const n = await upsertMessageChunk(trx, dialect, chunk);
            total.inserted += n.inserted;
            total.updated += n.updated;
          }
          return total;
        });
      }),

    markMessageDeleted: (messageId, at) =>
      guard('markMessageDeleted', async () => {
        const when = toStoreTime(at, 'at');
        // `NOT deleted`: true only for the call that actually deleted it, and the first deletion time stays.
        const result = await db
          .updateTable('discord_messages')
          .set({ deleted: dialect === 'sqlite' ? 1 : true, deleted_at: when })
          .where('message_id', '=', messageId)
          .where(sql<boolean>`NOT deleted`)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    setCursor: (key, value) =>
      guard('setCursor', async () => {
        await db
          .insertInto('import_cursors')
          .values({ key, value, updated_at: new Date().toISOString() })
          .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.ref('excluded.updated_at') })))
          .execute();
      }),
  };
}
