import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursorError, InvalidParameterError, SchemaTooNewError, StoreError } from './errors.js';
import type { AlertRow, ErrorRow, JsonListQuery, MessageRow, OpenStoreOptions, Page, RunRow, Store, SyncedEventRow } from './interface.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from './migrations.js';
import { openStore } from './open.js';

/**
 * The store's contract, run unchanged against SQLite and PostgreSQL (sqlite.test.ts, postgres.test.ts).
 * Every test gets an empty database of its own from the harness, so tests neither collide nor depend on order.
 */
export interface StoreTestTarget {
  options: OpenStoreOptions;
  /** Raw SQL in the same database (and schema), behind the store's back. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface StoreHarness {
  kind: 'sqlite' | 'postgres';
  fresh(): Promise<StoreTestTarget>;
  dispose(): Promise<void>;
}

const BASE = Date.parse('2025-03-01T08:00:00.000Z');
const at = (minutes: number): string => new Date(BASE + minutes * 60_000).toISOString();

export function run(instance: string, startedAt: string, over: Partial<Omit<RunRow, 'id'>> = {}): Omit<RunRow, 'id'> {
  return {
    instance,
    startedAt,
    finishedAt: over.finishedAt ?? new Date(Date.parse(startedAt) + 4_000).toISOString(),
    outcome: 'success',
    phase: null,
    error: null,
    courses: 12,
    created: 1,
    updated: 2,
    adopted: 0,
    deleted: 0,
    unchanged: 9,
    skipped: 0,
    failed: 0,
    durationMs: 4_000,
    ...over,
  };
}

function alert(alertId: string, createdAt: string, over: Partial<Omit<AlertRow, 'id'>> = {}): Omit<AlertRow, 'id'> {
  return {
    alertId,
    instance: 'alice',
    kind: 'sync.failed',
    severity: 'error',
    channel: 'discord',
    summary: 'sync failed: MonCampus answered 503',
    createdAt,
    deliveredAt: null,
    attempts: 0,
    lastError: null,
    ...over,
  };
}

function event(reference: string, start: string, over: Partial<SyncedEventRow> = {}): SyncedEventRow {
  return {
    instance: 'alice',
    reference,
    ecalId: `ecal-${reference}`,
    title: `Course ${reference}`,
    start,
    end: new Date(Date.parse(start) + 90 * 60_000).toISOString(),
    lastChange: at(-1000),
    ...over,
  };
}

/** Snowflake-like ids: 19 digits, so text order is numeric order as with real ones of the same era. */
export const snowflake = (n: number): string => (1_300_000_000_000_000_000n + BigInt(n)).toString();

export function message(n: number, createdAt: string, over: Partial<MessageRow> = {}): MessageRow {
  const id = snowflake(n);
  return {
    messageId: id,
    guildId: 'g1',
    channelId: 'c1',
    authorId: 'u1',
    authorName: 'alice',
    content: `message ${n}`,
    createdAt,
    editedAt: null,
    deleted: false,
    attachmentCount: 0,
    embedCount: 0,
    rawJson: JSON.stringify({ id, content: `message ${n}` }),
    ingestedAt: at(10_000),
    ...over,
  };
}

/** Every row of a listing, page by page. */
async function walk<T>(page: (cursor: string | undefined) => Promise<Page<T>>, maxPages = 1_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await page(cursor);
    out.push(...p.items);
    if (p.nextCursor === null) return out;
    cursor = p.nextCursor;
  }
  throw new Error('listing did not end');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * What every area of the contract shares: the harness, the current database and the store open on it. Read
 * through getters at test time (each test's \`c.fresh()\` replaces them).
 */
interface ContractContext {
  readonly harness: StoreHarness;
  readonly target: StoreTestTarget;
  readonly store: Store;
  /** Opens another store on a database (the current one by default); closed after the test. */
  open(t?: StoreTestTarget): Promise<Store>;
  /** A new empty database and a store on it. */
  fresh(): Promise<Store>;
}

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    const opened: Store[] = [];
    let target: StoreTestTarget;
    let store: Store;

    const open = async (t: StoreTestTarget = target): Promise<Store> => {
      const s = await openStore(t.options);
      opened.push(s);
      return s;
    };
    const c: ContractContext = {
      get harness() {
        return harness;
      },
      get target() {
        return target;
      },
      get store() {
        return store;
      },
      open,
      fresh: async () => {
        target = await harness.fresh();
        store = await open();
        return store;
      },
    };

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    describeOpening(c);
    describeRuns(c);
    describeEvents(c);
    describeAlerts(c);
    describeErrors(c);
    describeMessages(c);
    describeListJson(c);
    describe('paging', () => {
      describePages(c);
      describeConcurrentPaging(c);
    });
  });
}

/** Migrations at open, and a closed store. */
function describeOpening(c: ContractContext): void {
  describe('migrations', () => {
    it('are applied at open, and opening again is a no-op that keeps the data', async () => {
      await c.fresh();
      expect(c.store.kind).toBe(c.harness.kind);
      const known = c.harness.kind === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS;
      const versions = async () => (await c.target.query('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
      expect(await versions()).toEqual(known.map((m) => m.version));
      await c.store.insertRun(run('alice', at(0)));
      await c.store.close();

      const again = await c.open();
      expect(await versions()).toEqual(known.map((m) => m.version));
      expect((await again.listRuns('alice', { limit: 10 })).items).toHaveLength(1);
      await again.close();
      const third = await c.open();
      await third.ping();
      expect(await versions()).toEqual(known.map((m) => m.version));
    });

    it('refuses a database a newer campus-sync has migrated, naming it', async () => {
      await c.fresh();
      const description = c.store.description;
      await c.store.close();
      await c.target.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00.000Z')`);
      const err = await rejection(c.open());
      expect(err).toBeInstanceOf(SchemaTooNewError);
      expect((err as Error).message).toContain(description);
      expect((err as Error).message).toMatch(/schema version 999/);
    });
  });

  it('pings while open and fails with a StoreError once closed', async () => {
    await c.fresh();
    await expect(c.store.ping()).resolves.toBeUndefined();
    await c.store.close();
    await c.store.close(); // twice is harmless
    expect(await rejection(c.store.ping())).toBeInstanceOf(StoreError);
  });
}

/** Runs: fields and times, duplicates, listing and lastRun, bad input, instances. */
function describeRuns(c: ContractContext): void {
  describe('runs', () => {
    it('stores every field and gives times back in UTC', async () => {
      await c.fresh();
      await c.store.insertRun(
        run('alice', '2025-03-01T09:00:00+01:00', {
          finishedAt: '2025-03-01T09:00:05.250+01:00',
          outcome: 'failed',
          phase: 'login',
          error: 'refused',
          courses: 3,
          created: 4,
          updated: 5,
          adopted: 6,
          deleted: 7,
          unchanged: 8,
          skipped: 9,
          failed: 10,
          durationMs: 5_250,
        }),
      );
      const [row] = (await c.store.listRuns('alice', { limit: 10 })).items;
      expect(row).toEqual({
        id: expect.any(Number),
        instance: 'alice',
        startedAt: '2025-03-01T08:00:00.000Z',
        finishedAt: '2025-03-01T08:00:05.250Z',
        outcome: 'failed',
        phase: 'login',
        error: 'refused',
        courses: 3,
        created: 4,
        updated: 5,
        adopted: 6,
        deleted: 7,
        unchanged: 8,
        skipped: 9,
        failed: 10,
        durationMs: 5_250,
      });
      expect(await c.store.lastRun('alice')).toEqual(row);
    });

    it('is idempotent on (instance, startedAt), whatever offset the time is written in', async () => {
      await c.fresh();
      await c.store.insertRun(run('alice', at(0), { outcome: 'success' }));
      await c.store.insertRun(run('alice', at(0), { outcome: 'failed' }));
      await c.store.insertRun(run('alice', '2025-03-01T09:00:00.000+01:00', { outcome: 'partial' }));
      await c.store.insertRun(run('bob', at(0)));
      const page = await c.store.listRuns('alice', { limit: 10 });
      expect(page.items.map((r) => r.outcome)).toEqual(['success']);
      expect((await c.store.listRuns('bob', { limit: 10 })).items).toHaveLength(1);
    });

    it('lists newest first with from inclusive and to exclusive; lastRun is the newest', async () => {
      await c.fresh();
      for (const m of [30, 0, 20, 10, 40]) await c.store.insertRun(run('alice', at(m)));
      const starts = async (q: { from?: string; to?: string }) => (await c.store.listRuns('alice', { limit: 100, ...q })).items.map((r) => r.startedAt);
      expect(await starts({})).toEqual([at(40), at(30), at(20), at(10), at(0)]);
      expect(await starts({ from: at(10), to: at(30) })).toEqual([at(20), at(10)]);
      expect(await starts({ from: '2025-03-01T09:10:00+01:00' })).toEqual([at(40), at(30), at(20), at(10)]);
      expect(await starts({ to: at(0) })).toEqual([]);
      expect((await c.store.lastRun('alice'))?.startedAt).toBe(at(40));
      expect(await c.store.lastRun('nobody')).toBeNull();
    });

    it('lastRuns gives the newest run of each named instance in one call, and leaves out names without one', async () => {
      await c.fresh();
      for (const m of [30, 0, 40, 10]) await c.store.insertRun(run('alice', at(m)));
      await c.store.insertRun(run('bob', at(5), { outcome: 'failed' }));
      await c.store.insertRun(run('carol', at(50)));
      const last = await c.store.lastRuns(['bob', 'alice', 'nobody', 'alice']);
      expect([...last.keys()].sort()).toEqual(['alice', 'bob']);
      expect(last.get('alice')).toEqual(await c.store.lastRun('alice'));
      expect(last.get('alice')?.startedAt).toBe(at(40));
      expect(last.get('bob')).toMatchObject({ instance: 'bob', startedAt: at(5), outcome: 'failed' });
      expect((await c.store.lastRuns([])).size).toBe(0);
    });

    it('rejects unusable input naming the field', async () => {
      await c.fresh();
      const err = await rejection(c.store.insertRun(run('alice', 'last tuesday', { finishedAt: at(1) })));
      expect(err).toBeInstanceOf(InvalidParameterError);
      expect((err as InvalidParameterError).parameter).toBe('startedAt');
      const neg = await rejection(c.store.insertRun(run('alice', at(0), { created: -1 })));
      expect((neg as InvalidParameterError).parameter).toBe('created');
      const from = await rejection(c.store.listRuns('alice', { limit: 5, from: 'soon' }));
      expect((from as InvalidParameterError).parameter).toBe('from');
      const to = await rejection(c.store.listRuns('alice', { limit: 5, to: '2025-02-30T00:00:00Z' }));
      expect((to as InvalidParameterError).parameter).toBe('to');
    });
  });

  it('instances lists every instance with any row, sorted', async () => {
    await c.fresh();
    expect(await c.store.instances()).toEqual([]);
    await c.store.insertRun(run('carol', at(0)));
    await c.store.replaceEvents('alice', [event('a1', at(0))]);
    await c.store.upsertAlert(alert('x', at(0), { instance: 'bob' }));
    await c.store.insertError({ instance: 'dave', at: at(0), phase: 'fetch', message: 'boom' });
    await c.store.insertRun(run('carol', at(5)));
    expect(await c.store.instances()).toEqual(['alice', 'bob', 'carol', 'dave']);
  });
}

/** Synced events: replaced per instance, listed by start. */
function describeEvents(c: ContractContext): void {
  describe('synced events', () => {
    it('replaceEvents replaces the instance set only, and lists by start DESC then reference DESC', async () => {
      await c.fresh();
      await c.store.replaceEvents('alice', [event('old', at(0)), event('keep', at(60))]);
      await c.store.replaceEvents('bob', [event('b1', at(0), { instance: 'bob' })]);
      await c.store.replaceEvents('alice', [
        event('keep', at(60), { title: 'Maths (room changed)', ecalId: null }),
        event('r-a', at(120)),
        event('r-b', at(120)),
        event('r-a', at(180), { title: 'later duplicate wins' }),
      ]);
      const items = (await c.store.listEvents('alice', { limit: 10 })).items;
      expect(items.map((e) => [e.reference, e.start])).toEqual([
        ['r-a', at(180)],
        ['r-b', at(120)],
        ['keep', at(60)],
      ]);
      expect(items[0]?.title).toBe('later duplicate wins');
      expect(items[2]).toEqual({
        instance: 'alice',
        reference: 'keep',
        ecalId: null,
        title: 'Maths (room changed)',
        start: at(60),
        end: new Date(BASE + 150 * 60_000).toISOString(),
        lastChange: at(-1000),
      });
      expect((await c.store.listEvents('bob', { limit: 10 })).items).toHaveLength(1);
      const filtered = await c.store.listEvents('alice', { limit: 10, from: at(60), to: at(180) });
      expect(filtered.items.map((e) => e.reference)).toEqual(['r-b', 'keep']);
      await c.store.replaceEvents('alice', []);
      expect((await c.store.listEvents('alice', { limit: 10 })).items).toEqual([]);
    });

    it('refuses an event of another instance', async () => {
      await c.fresh();
      const err = await rejection(c.store.replaceEvents('alice', [event('x', at(0), { instance: 'bob' })]));
      expect((err as InvalidParameterError).parameter).toBe('instance');
    });
  });
}

/** Alerts: one row per (alert, channel) with its delivery info, listing. */
function describeAlerts(c: ContractContext): void {
  describe('alerts', () => {
    it('keeps one row per (alertId, channel) and updates delivery info monotonically', async () => {
      await c.fresh();
      await c.store.upsertAlert(alert('a1', at(0)));
      await c.store.upsertAlert(alert('a1', at(0), { channel: 'email' }));
      await c.store.upsertAlert(alert('a1', at(0), { attempts: 1, lastError: 'HTTP 502' }));
      await c.store.upsertAlert(alert('a1', at(0), { attempts: 2, deliveredAt: at(3), lastError: null }));
      // A stale copy (re-imported from the outbox file) neither undelivers nor lowers the attempts.
      await c.store.upsertAlert(alert('a1', at(0), { attempts: 1, lastError: 'HTTP 502' }));
      const items = (await c.store.listAlerts({ limit: 10 })).items;
      expect(items).toHaveLength(2);
      const discord = items.find((a) => a.channel === 'discord');
      expect(discord).toMatchObject({ alertId: 'a1', deliveredAt: at(3), attempts: 2, lastError: null, summary: 'sync failed: MonCampus answered 503' });
      expect(items.find((a) => a.channel === 'email')).toMatchObject({ deliveredAt: null, attempts: 0 });
    });

    it('lists newest first, by instance and time range', async () => {
      await c.fresh();
      await c.store.upsertAlert(alert('a1', at(0)));
      await c.store.upsertAlert(alert('a2', at(10), { instance: 'bob', kind: 'slots.new', severity: 'info' }));
      await c.store.upsertAlert(alert('a3', at(20)));
      expect((await c.store.listAlerts({ limit: 10 })).items.map((a) => a.alertId)).toEqual(['a3', 'a2', 'a1']);
      expect((await c.store.listAlerts({ limit: 10, instance: 'alice' })).items.map((a) => a.alertId)).toEqual(['a3', 'a1']);
      expect((await c.store.listAlerts({ limit: 10, from: at(10), to: at(20) })).items.map((a) => a.alertId)).toEqual(['a2']);
      const [row] = (await c.store.listAlerts({ limit: 1, instance: 'bob' })).items;
      expect(row).toEqual({
        id: expect.any(Number),
        alertId: 'a2',
        instance: 'bob',
        kind: 'slots.new',
        severity: 'info',
        channel: 'discord',
        summary: 'sync failed: MonCampus answered 503',
        createdAt: at(10),
        deliveredAt: null,
        attempts: 0,
        lastError: null,
      });
    });
  });
}

/** Errors: idempotent, long messages kept, listed newest first. */
function describeErrors(c: ContractContext): void {
  describe('errors', () => {
    it('is idempotent on (instance, at, message), keeps long messages, lists newest first', async () => {
      await c.fresh();
      const long = `stack: ${'x'.repeat(10_000)}`;
      const e1: Omit<ErrorRow, 'id'> = { instance: 'alice', at: at(0), phase: 'fetch', message: 'MonCampus 503' };
      await c.store.insertError(e1);
      await c.store.insertError(e1);
      await c.store.insertError({ ...e1, at: '2025-03-01T09:00:00+01:00' });
      await c.store.insertError({ ...e1, message: long });
      await c.store.insertError({ ...e1, message: long });
      await c.store.insertError({ ...e1, at: at(5), phase: 'push', message: 'ECAL 500' });
      await c.store.insertError({ ...e1, instance: 'bob' });
      const items = (await c.store.listErrors('alice', { limit: 10 })).items;
      expect(items.map((e) => [e.at, e.phase, e.message.length])).toEqual([
        [at(5), 'push', 8],
        [at(0), 'fetch', long.length],
        [at(0), 'fetch', 13],
      ]);
      expect((await c.store.listErrors('alice', { limit: 10, to: at(5) })).items).toHaveLength(2);
    });
  });
}

/** Discord messages: upserts by version, deletion, ids per channel, listing, importers' cursors. */
function describeMessages(c: ContractContext): void {
  describe('discord messages', () => {
    it('inserts once: the same message twice is one row, counted once', async () => {
      await c.fresh();
      const m = message(1, at(0), { attachmentCount: 2, embedCount: 1 });
      expect(await c.store.upsertMessages([m, message(2, at(1))])).toEqual({ inserted: 2, updated: 0 });
      expect(await c.store.upsertMessages([m])).toEqual({ inserted: 0, updated: 0 });
      expect(await c.store.upsertMessages([m, m])).toEqual({ inserted: 0, updated: 0 });
      expect(await c.store.upsertMessages([])).toEqual({ inserted: 0, updated: 0 });
      expect(await c.store.getMessage(m.messageId)).toEqual(m);
      expect((await c.store.listMessages({ guildId: 'g1', limit: 10 })).items).toHaveLength(2);
    });

    it('an edit updates content, editedAt and raw; a stale copy does not undo it', async () => {
      await c.fresh();
      const original = message(1, at(0));
      await c.store.upsertMessages([original]);
      const edited = { ...original, content: 'edited', editedAt: at(5), rawJson: '{"edited":true}', ingestedAt: at(20_000) };
      expect(await c.store.upsertMessages([edited])).toEqual({ inserted: 0, updated: 1 });
      expect(await c.store.upsertMessages([original])).toEqual({ inserted: 0, updated: 0 });
      expect(await c.store.getMessage(original.messageId)).toEqual({ ...edited, ingestedAt: original.ingestedAt });
      // Within one batch too, the newest version wins whatever the order.
      const again = { ...original, content: 'edited twice', editedAt: at(9) };
      expect(await c.store.upsertMessages([again, edited])).toEqual({ inserted: 0, updated: 1 });
      expect((await c.store.getMessage(original.messageId))?.content).toBe('edited twice');
    });

    it('marks deletions without removing rows; only include_deleted lists them', async () => {
      await c.fresh();
      await c.store.upsertMessages([message(1, at(0)), message(2, at(1)), message(3, at(2))]);
      expect(await c.store.markMessageDeleted(snowflake(2), at(3))).toBe(true);
      // True only for the call that changed the row: ingestion counts deletions with it.
      expect(await c.store.markMessageDeleted(snowflake(2), at(4))).toBe(false);
      expect(await c.store.markMessageDeleted(snowflake(99), at(3))).toBe(false);
      const ids = async (includeDeleted?: boolean) =>
        (await c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 10, ...(includeDeleted === undefined ? {} : { includeDeleted }) })).items.map(
          (m) => [m.messageId, m.deleted],
        );
      expect(await ids()).toEqual([
        [snowflake(3), false],
        [snowflake(1), false],
      ]);
      expect(await ids(false)).toEqual([
        [snowflake(3), false],
        [snowflake(1), false],
      ]);
      expect(await ids(true)).toEqual([
        [snowflake(3), false],
        [snowflake(2), true],
        [snowflake(1), false],
      ]);
      expect(await c.store.getMessage(snowflake(2))).toEqual({ ...message(2, at(1)), deleted: true });
      expect(await c.store.getMessage(snowflake(42))).toBeNull();
      const rows = await c.target.query(`SELECT message_id FROM discord_messages`);
      expect(rows).toHaveLength(3);
    });

    it('a message listed again is no longer deleted; a stale copy does not bring it back', async () => {
      await c.fresh();
      const original = message(1, at(0));
      const edited = { ...original, content: 'edited', editedAt: at(5), rawJson: '{"edited":true}' };
      await c.store.upsertMessages([edited]);
      expect(await c.store.markMessageDeleted(original.messageId, at(6))).toBe(true);
      // An unedited copy is older than the stored edit: it may have been read before the deletion.
      expect(await c.store.upsertMessages([original])).toEqual({ inserted: 0, updated: 0 });
      expect((await c.store.getMessage(original.messageId))?.deleted).toBe(true);
      // Discord listing the current version proves the message exists: the row is live again, content kept.
      expect(await c.store.upsertMessages([{ ...edited, ingestedAt: at(30_000) }])).toEqual({ inserted: 0, updated: 1 });
      expect(await c.store.getMessage(original.messageId)).toEqual(edited);
      expect((await c.store.listMessages({ guildId: 'g1', limit: 10 })).items.map((m) => m.messageId)).toEqual([original.messageId]);
      expect(await c.store.listMessageIds('c1', '0')).toEqual([original.messageId]);
      // And it can be deleted again.
      expect(await c.store.markMessageDeleted(original.messageId, at(40))).toBe(true);
      expect(await c.store.listMessageIds('c1', '0')).toEqual([]);
    });

    it('stores the deleted flag a new row comes with (an import of already deleted messages)', async () => {
      await c.fresh();
      expect(await c.store.upsertMessages([message(1, at(0), { deleted: true }), message(2, at(1))])).toEqual({ inserted: 2, updated: 0 });
      expect((await c.store.getMessage(snowflake(1)))?.deleted).toBe(true);
      expect(await c.store.markMessageDeleted(snowflake(1), at(2))).toBe(false);
      expect((await c.store.listMessages({ guildId: 'g1', limit: 10 })).items.map((m) => m.messageId)).toEqual([snowflake(2)]);
      // Within one batch a later copy of the same version wins, as if upserted one after the other.
      expect(await c.store.upsertMessages([message(2, at(1), { deleted: true }), message(2, at(1))])).toEqual({ inserted: 0, updated: 0 });
      expect(await c.store.upsertMessages([message(2, at(1)), message(2, at(1), { deleted: true })])).toEqual({ inserted: 0, updated: 1 });
      expect((await c.store.getMessage(snowflake(2)))?.deleted).toBe(true);
    });

    it('lists the ids of a channel not marked deleted from an id on, compared as integers', async () => {
      await c.fresh();
      const ids = ['7', '99', '100', '101', '1000', snowflake(1), snowflake(2), '18446744073709551615'];
      await c.store.upsertMessages(ids.map((id, i) => ({ ...message(i, at(i)), messageId: id })));
      await c.store.upsertMessages([{ ...message(50, at(50)), messageId: '500', channelId: 'c2' }]);
      await c.store.markMessageDeleted(snowflake(2), at(60));
      const list = async (channelId: string, fromId: string) =>
        (await c.store.listMessageIds(channelId, fromId)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      expect(await list('c1', '0')).toEqual(['7', '99', '100', '101', '1000', snowflake(1), '18446744073709551615']);
      // "99" sorts after "100" as text, not as a number.
      expect(await list('c1', '100')).toEqual(['100', '101', '1000', snowflake(1), '18446744073709551615']);
      expect(await list('c1', '0100')).toEqual(await list('c1', '100'));
      expect(await list('c1', '98')).toEqual(['99', '100', '101', '1000', snowflake(1), '18446744073709551615']);
      expect(await list('c1', snowflake(1))).toEqual([snowflake(1), '18446744073709551615']);
      expect(await list('c1', '18446744073709551616')).toEqual([]);
      expect(await list('c2', '0')).toEqual(['500']);
      expect(await list('nope', '0')).toEqual([]);
      for (const bad of ['', 'abc', '-1', '1e5', ' 12']) {
        expect(await rejection(c.store.listMessageIds('c1', bad)), bad).toBeInstanceOf(InvalidParameterError);
      }
    });

    it('filters by guild, channel and time, newest first by createdAt then messageId', async () => {
      await c.fresh();
      await c.store.upsertMessages([
        message(1, at(0)),
        message(2, at(10), { channelId: 'c2' }),
        message(3, at(10)),
        message(4, at(10)),
        message(5, at(20), { guildId: 'g2' }),
        message(6, '2025-03-01T09:30:00+01:00'),
      ]);
      const ids = async (q: { channelId?: string; from?: string; to?: string; guildId?: string }) =>
        (await c.store.listMessages({ guildId: 'g1', limit: 10, ...q })).items.map((m) => Number(BigInt(m.messageId) - 1_300_000_000_000_000_000n));
      expect(await ids({})).toEqual([6, 4, 3, 2, 1]);
      expect(await ids({ channelId: 'c1' })).toEqual([6, 4, 3, 1]);
      expect(await ids({ channelId: 'c2' })).toEqual([2]);
      expect(await ids({ guildId: 'g2' })).toEqual([5]);
      expect(await ids({ from: at(10), to: at(30) })).toEqual([4, 3, 2]);
      expect(await ids({ channelId: 'c1', from: at(10) })).toEqual([6, 4, 3]);
      expect(await ids({ guildId: 'nope' })).toEqual([]);
    });
  });

  it('keeps small cursors for importers', async () => {
    await c.fresh();
    expect(await c.store.getCursor('import:alice:runs.jsonl')).toBeNull();
    await c.store.setCursor('import:alice:runs.jsonl', '1024');
    await c.store.setCursor('discord:c1:last', snowflake(7));
    await c.store.setCursor('import:alice:runs.jsonl', '2048');
    expect(await c.store.getCursor('import:alice:runs.jsonl')).toBe('2048');
    expect(await c.store.getCursor('discord:c1:last')).toBe(snowflake(7));
  });
}

/** listJson: the same pages as the row listings, as JSON text built by the database. */
function describeListJson(c: ContractContext): void {
  describe('listJson: the same pages as JSON text built by the database', () => {
    /** What the API made of a row before listJson: its fields in snake_case, a message's raw_json left out. */
    const snake = (row: object): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(row)
          .filter(([k]) => k !== 'rawJson')
          .map(([k, v]) => [k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`), v]),
      );
    /** Pages of listJson and of the row listing side by side, limit 3, to the end: same items, same keys in the same order, same cursors. */
    const same = async (q: JsonListQuery, rows: (cursor?: string) => Promise<Page<object>>): Promise<number> => {
      let cursor: string | undefined;
      let total = 0;
      for (let i = 0; i < 100; i++) {
        const json = await c.store.listJson({ ...q, limit: 3, ...(cursor ? { cursor } : {}) } as JsonListQuery);
        const page = await rows(cursor);
        const items = JSON.parse(json.itemsJson) as Record<string, unknown>[];
        expect(items).toEqual(page.items.map(snake));
        for (const [k, item] of items.entries()) expect(Object.keys(item)).toEqual(Object.keys(snake(page.items[k]!)));
        expect(json.count).toBe(page.items.length);
        expect(json.nextCursor).toBe(page.nextCursor);
        total += json.count;
        if (json.nextCursor === null) return total;
        cursor = json.nextCursor;
      }
      throw new Error('listing did not end');
    };

    it('runs, events, alerts, errors and messages, with from/to and cursors, on every page', async () => {
      await c.fresh();
      for (let i = 0; i < 8; i++) {
        await c.store.insertRun(run('alice', at(i), i === 3 ? { outcome: 'error', phase: 'fetch', error: 'MonCampus said "no" \\ é ✓\nline 2' } : {}));
      }
      await c.store.replaceEvents('alice', [event('r1', at(5)), event('r2', at(5), { ecalId: null }), event('r3', at(9)), event('r4', at(1))]);
      for (let i = 0; i < 5; i++) await c.store.upsertAlert(alert(`a${i}`, at(i), i % 2 ? { deliveredAt: at(i + 1), attempts: 2, lastError: 'HTTP 429' } : {}));
      for (let i = 0; i < 5; i++) await c.store.insertError({ instance: 'alice', at: at(i), phase: 'push', message: `ECAL said ${i}\ttab` });
      await c.store.upsertMessages(
        Array.from({ length: 10 }, (_, i) => message(i, at(Math.floor(i / 2)), i === 4 ? { deleted: true, editedAt: at(20), attachmentCount: 2 } : {})),
      );
      const window = { from: at(1), to: at(7) };
      expect(
        await same({ scope: 'runs', instance: 'alice', limit: 3 }, (cur) => c.store.listRuns('alice', { limit: 3, ...(cur ? { cursor: cur } : {}) })),
      ).toBe(8);
      expect(
        await same({ scope: 'runs', instance: 'alice', limit: 3, ...window }, (cur) =>
          c.store.listRuns('alice', { limit: 3, ...window, ...(cur ? { cursor: cur } : {}) }),
        ),
      ).toBe(6);
      expect(
        await same({ scope: 'events', instance: 'alice', limit: 3 }, (cur) => c.store.listEvents('alice', { limit: 3, ...(cur ? { cursor: cur } : {}) })),
      ).toBe(4);
      expect(await same({ scope: 'alerts', limit: 3 }, (cur) => c.store.listAlerts({ limit: 3, ...(cur ? { cursor: cur } : {}) }))).toBe(5);
      expect(
        await same({ scope: 'alerts', instance: 'bob', limit: 3 }, (cur) => c.store.listAlerts({ instance: 'bob', limit: 3, ...(cur ? { cursor: cur } : {}) })),
      ).toBe(0);
      expect(
        await same({ scope: 'errors', instance: 'alice', limit: 3 }, (cur) => c.store.listErrors('alice', { limit: 3, ...(cur ? { cursor: cur } : {}) })),
      ).toBe(5);
      expect(
        await same({ scope: 'messages', guildId: 'g1', channelId: 'c1', limit: 3 }, (cur) =>
          c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 3, ...(cur ? { cursor: cur } : {}) }),
        ),
      ).toBe(9);
      expect(
        await same({ scope: 'messages', guildId: 'g1', includeDeleted: true, limit: 3, ...window }, (cur) =>
          c.store.listMessages({ guildId: 'g1', includeDeleted: true, limit: 3, ...window, ...(cur ? { cursor: cur } : {}) }),
        ),
      ).toBe(8);
      // The cursors of both kinds are one kind: a JSON page's cursor continues the row listing.
      const first = await c.store.listJson({ scope: 'runs', instance: 'alice', limit: 5 });
      expect((await c.store.listRuns('alice', { limit: 5, cursor: first.nextCursor! })).items.map((r) => r.startedAt)).toEqual([at(2), at(1), at(0)]);
    });

    it('refuses a cursor of another listing and a bad time, naming the parameter', async () => {
      await c.fresh();
      await c.store.insertRun(run('alice', at(0)));
      await c.store.insertRun(run('alice', at(1)));
      const runs = await c.store.listJson({ scope: 'runs', instance: 'alice', limit: 1 });
      expect(await rejection(c.store.listJson({ scope: 'errors', instance: 'alice', limit: 1, cursor: runs.nextCursor! }))).toBeInstanceOf(InvalidCursorError);
      const bad = await rejection(c.store.listJson({ scope: 'runs', instance: 'alice', limit: 1, from: 'yesterday' }));
      expect(bad).toBeInstanceOf(InvalidParameterError);
      expect((bad as InvalidParameterError).parameter).toBe('from');
    });
  });
}

/** Paging: order, the last page, the size clamp, bad cursors. */
function describePages(c: ContractContext): void {
  it('walks every row once across pages, ties broken by id, in the order of one big page', async () => {
    await c.fresh();
    // 3 messages share each timestamp: page edges fall inside groups of equal times.
    await c.store.upsertMessages(Array.from({ length: 61 }, (_, i) => message(i, at(Math.floor(i / 3)))));
    const big = (await c.store.listMessages({ guildId: 'g1', limit: 500 })).items.map((m) => m.messageId);
    expect(big).toHaveLength(61);
    const paged = await walk((cursor) => c.store.listMessages({ guildId: 'g1', limit: 7, ...(cursor ? { cursor } : {}) }));
    expect(paged.map((m) => m.messageId)).toEqual(big);
    expect(big).toEqual([...big].sort().reverse());
  });

  it('the last page has no next cursor, and an exact fit does not promise an empty page', async () => {
    await c.fresh();
    for (let i = 0; i < 4; i++) await c.store.insertRun(run('alice', at(i)));
    const first = await c.store.listRuns('alice', { limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    const second = await c.store.listRuns('alice', { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((r) => r.startedAt)).toEqual([at(1), at(0)]);
    expect(second.nextCursor).toBeNull();
  });

  it('clamps a 600-row request to 500', async () => {
    await c.fresh();
    await c.store.upsertMessages(Array.from({ length: 600 }, (_, i) => message(i, at(i))));
    const first = await c.store.listMessages({ guildId: 'g1', limit: 600 });
    expect(first.items).toHaveLength(500);
    expect(first.nextCursor).not.toBeNull();
    const rest = await c.store.listMessages({ guildId: 'g1', limit: 600, cursor: first.nextCursor! });
    expect(rest.items).toHaveLength(100);
    expect(rest.nextCursor).toBeNull();
    expect((await c.store.listMessages({ guildId: 'g1', limit: 0 })).items).toHaveLength(1);
    expect((await c.store.listMessages({ guildId: 'g1', limit: Number.NaN })).items).toHaveLength(100);
  });

  it('a message deleted while someone pages is left out of the later pages; include_deleted pages still list it', async () => {
    await c.fresh();
    await c.store.upsertMessages(Array.from({ length: 30 }, (_, i) => message(i, at(i))));
    const first = await c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 10 });
    const firstAll = await c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 10, includeDeleted: true });
    // Deleted after the first page was read: one message on it, one further on.
    expect(await c.store.markMessageDeleted(snowflake(25), at(100))).toBe(true);
    expect(await c.store.markMessageDeleted(snowflake(5), at(100))).toBe(true);
    const live = [
      ...first.items,
      ...(await walk((cursor) => c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 10, cursor: cursor ?? first.nextCursor! }))),
    ];
    expect(live.map((m) => m.messageId)).toEqual(Array.from({ length: 30 }, (_, i) => snowflake(29 - i)).filter((id) => id !== snowflake(5)));
    const all = [
      ...firstAll.items,
      ...(await walk((cursor) => c.store.listMessages({ guildId: 'g1', limit: 10, includeDeleted: true, cursor: cursor ?? firstAll.nextCursor! }))),
    ];
    // Message 25 was on the page read before its deletion; message 5 is read after it, marked.
    expect(all.map((m) => [m.messageId, m.deleted])).toEqual(Array.from({ length: 30 }, (_, i) => [snowflake(29 - i), 29 - i === 5]));
  });

  it('refuses a malformed cursor, or one from another listing, with InvalidCursorError', async () => {
    await c.fresh();
    await c.store.insertRun(run('alice', at(0)));
    await c.store.insertRun(run('alice', at(1)));
    const runsCursor = (await c.store.listRuns('alice', { limit: 1 })).nextCursor!;
    for (const bad of ['garbage!', 'eyJub3QiOiJ1cyJ9', runsCursor.slice(0, -2)]) {
      const err = await rejection(c.store.listRuns('alice', { limit: 5, cursor: bad }));
      expect(err).toBeInstanceOf(InvalidCursorError);
      expect((err as InvalidCursorError).parameter).toBe('cursor');
    }
    expect(await rejection(c.store.listAlerts({ limit: 5, cursor: runsCursor }))).toBeInstanceOf(InvalidCursorError);
    expect(await rejection(c.store.listMessages({ guildId: 'g1', limit: 5, cursor: runsCursor }))).toBeInstanceOf(InvalidCursorError);
  });
}

/** Paging while another task inserts: no row twice, none that existed skipped. */
function describeConcurrentPaging(c: ContractContext): void {
  describe('under concurrent inserts: no row twice, none that existed skipped', () => {
    /**
     * Pages through `existing` rows while another task inserts rows newer than everything, older than
     * everything and equal in time to rows already seen, between and during page fetches.
     */
    async function pageWhileInserting<T>(opts: {
      existing: string[];
      page: (cursor: string | undefined) => Promise<Page<T>>;
      id: (row: T) => string;
      insert: (round: number) => Promise<void>;
    }): Promise<void> {
      let paging = true;
      let round = 0;
      const inserter = (async () => {
        while (paging) {
          await opts.insert(round++);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const seen: string[] = [];
      try {
        let cursor: string | undefined;
        do {
          const p = await opts.page(cursor);
          seen.push(...p.items.map(opts.id));
          await opts.insert(round++);
          cursor = p.nextCursor ?? undefined;
        } while (cursor !== undefined);
      } finally {
        paging = false;
        await inserter;
      }
      expect(new Set(seen).size).toBe(seen.length);
      const missing = opts.existing.filter((id) => !seen.includes(id));
      expect(missing).toEqual([]);
      expect(round).toBeGreaterThan(5);
    }

    it('messages', async () => {
      await c.fresh();
      const existing = Array.from({ length: 120 }, (_, i) => message(i * 10, at(Math.floor(i / 4) * 2)));
      await c.store.upsertMessages(existing);
      let next = 5_000;
      await pageWhileInserting({
        existing: existing.map((m) => m.messageId),
        page: (cursor) => c.store.listMessages({ guildId: 'g1', channelId: 'c1', limit: 9, ...(cursor ? { cursor } : {}) }),
        id: (m) => m.messageId,
        insert: async (round) => {
          // Newer than all, older than all, the same time as existing rows with ids both sides of theirs.
          const same = at(Math.floor(((round * 7) % 120) / 4) * 2);
          await c.store.upsertMessages([
            message(next++, at(1_000 + round)),
            message(next++, at(-1_000 - round)),
            message(((round * 7) % 120) * 10 + 1, same),
            message(next++, same),
          ]);
        },
      });
    });

    it('runs', async () => {
      await c.fresh();
      for (let i = 0; i < 60; i++) await c.store.insertRun(run('alice', at(i * 2)));
      const existing = (await c.store.listRuns('alice', { limit: 500 })).items.map((r) => String(r.id));
      expect(existing).toHaveLength(60);
      await pageWhileInserting({
        existing,
        page: (cursor) => c.store.listRuns('alice', { limit: 7, ...(cursor ? { cursor } : {}) }),
        id: (r) => String(r.id),
        insert: async (round) => {
          await c.store.insertRun(run('alice', at(1_000 + round)));
          await c.store.insertRun(run('alice', at(-1_000 - round)));
          // Between two existing runs: a late import of an older run.
          await c.store.insertRun(run('alice', new Date(BASE + ((round % 60) * 2 + 1) * 60_000 + round).toISOString()));
        },
      });
    });

    it('alerts and errors', async () => {
      await c.fresh();
      for (let i = 0; i < 40; i++) {
        await c.store.upsertAlert(alert(`a${i}`, at(Math.floor(i / 3))));
        await c.store.insertError({ instance: 'alice', at: at(Math.floor(i / 3)), phase: 'fetch', message: `e${i}` });
      }
      const alerts = (await c.store.listAlerts({ limit: 500 })).items.map((a) => String(a.id));
      const errors = (await c.store.listErrors('alice', { limit: 500 })).items.map((e) => String(e.id));
      const insert = async (round: number) => {
        for (const when of [at(500 + round), at(-500 - round), at(round % 14)]) {
          await c.store.upsertAlert(alert(`new-${round}-${when}`, when));
          await c.store.insertError({ instance: 'alice', at: when, phase: 'push', message: `new ${round}` });
        }
      };
      await pageWhileInserting({
        existing: alerts,
        page: (cursor) => c.store.listAlerts({ limit: 6, ...(cursor ? { cursor } : {}) }),
        id: (a) => String(a.id),
        insert,
      });
      await pageWhileInserting({
        existing: errors,
        page: (cursor) => c.store.listErrors('alice', { limit: 6, ...(cursor ? { cursor } : {}) }),
        id: (e) => String(e.id),
        insert,
      });
    });

    it('events (refreshed by another instance meanwhile)', async () => {
      await c.fresh();
      const existing = Array.from({ length: 50 }, (_, i) => event(`ref-${String(i).padStart(3, '0')}`, at(Math.floor(i / 2) * 30)));
      await c.store.replaceEvents('alice', existing);
      await pageWhileInserting({
        existing: existing.map((e) => e.reference),
        page: (cursor) => c.store.listEvents('alice', { limit: 8, ...(cursor ? { cursor } : {}) }),
        id: (e) => e.reference,
        insert: (round) => c.store.replaceEvents('bob', [event(`bob-${round}`, at(round), { instance: 'bob' })]),
      });
    });
  });
}
