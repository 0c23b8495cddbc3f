/**
 * Discord ingestion end to end: the real store (SQLite, and PostgreSQL when a server is given) as the
 * MessageSink, the Discord simulator as Discord, through backfill, pollOnce and the `ingest` verb.
 * The PostgreSQL leg follows the store's rule: skipped with one line without CAMPUS_SYNC_TEST_DATABASE_URL
 * on a developer machine, a failure in CI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ingestVerb } from '../src/cli/ingest.js';
import type { Output } from '../src/cli/output.js';
import { UsageError } from '../src/cli/output.js';
import { backfill, cursorKeys, normalizeDiscordTimestamp, pollOnce, type MessageRow as IngestMessageRow, type MessageSink } from '../src/ingest/index.js';
import { silentLogger } from '../src/lib/index.js';
import { runCli } from './helpers.js';
import { startDiscordSim, type DiscordSim } from '../src/sim/discord.js';
import { openStore, type MessageRow as StoreMessageRow, type OpenStoreOptions, type Store } from '../src/store/index.js';

const TOKEN = 'e2e-ingest-bot-token-0123456789';
const noWait = { sleep: async () => {} };

const pgUrl = process.env.CAMPUS_SYNC_TEST_DATABASE_URL?.trim() || undefined;
const inCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
if (pgUrl === undefined && inCi) {
  describe('ingestion into PostgreSQL', () => {
    it('has a server to test against', () => {
      throw new Error('CAMPUS_SYNC_TEST_DATABASE_URL is missing: CI must run the PostgreSQL leg (run scripts/postgres-setup.sh and export the line it prints)');
    });
  });
} else if (pgUrl === undefined) {
  console.log('[e2e-ingest] PostgreSQL leg skipped: CAMPUS_SYNC_TEST_DATABASE_URL is not set (scripts/postgres-setup.sh prints it)');
}

/** A new empty database per call: a temp dir for SQLite, a new schema for PostgreSQL. */
interface Databases {
  fresh(): Promise<OpenStoreOptions>;
  dispose(): Promise<void>;
}

async function sqliteDatabases(): Promise<Databases> {
  const dirs: string[] = [];
  return {
    fresh: async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'campus-sync-e2e-ingest-'));
      dirs.push(dataDir);
      return { dataDir };
    },
    dispose: async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

async function postgresDatabases(serverUrl: string): Promise<Databases> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const schemas: string[] = [];
  return {
    fresh: async () => {
      const schema = `cs_ingest_${process.pid}_${randomBytes(5).toString('hex')}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      const u = new URL(serverUrl);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return { databaseUrl: u.toString(), dataDir: tmpdir() };
    },
    dispose: async () => {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await admin.end();
    },
  };
}

/** Every message the store holds for a channel, deleted ones included, oldest id first. */
async function allRows(store: Store, guildId: string, channelId: string): Promise<StoreMessageRow[]> {
  const rows: StoreMessageRow[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listMessages({ guildId, channelId, limit: 500, includeDeleted: true, ...(cursor ? { cursor } : {}) });
    rows.push(...page.items);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return rows.sort((a, b) => (BigInt(a.messageId) < BigInt(b.messageId) ? -1 : 1));
}

/** An Output that keeps what a verb printed. */
function captureOutput(json: boolean): Output & { lines: string[]; results: unknown[]; errors: string[] } {
  const lines: string[] = [];
  const results: unknown[] = [];
  const errors: string[] = [];
  const same = (t: string): string => t;
  return {
    json,
    lines,
    results,
    errors,
    line: (t) => void (json ? undefined : lines.push(t)),
    result: (value, human) => (json ? void results.push(value) : human()),
    error: (t) => void errors.push(t),
    green: same,
    red: same,
    yellow: same,
    dim: same,
  };
}

describe('the store is a MessageSink', () => {
  it('at compile time: the same row shape, and a Store assignable to MessageSink', () => {
    expectTypeOf<StoreMessageRow>().toEqualTypeOf<IngestMessageRow>();
    expectTypeOf<Store>().toExtend<MessageSink>();
    // The assignment the CLI makes; it would not compile if the contracts drifted apart.
    const asSink = (store: Store): MessageSink => store;
    expect(asSink).toBeTypeOf('function');
  });
});

function describeIngestion(name: string, enabled: boolean, makeDatabases: () => Promise<Databases>): void {
  describe.skipIf(!enabled)(`Discord ingestion into ${name}`, () => {
    let sim: DiscordSim;
    let databases: Databases;
    let options: OpenStoreOptions;
    const opened: Store[] = [];
    /** The store of this test's database; each call opens another connection to it, as another process would. */
    const open = async (): Promise<Store> => {
      const s = await openStore({ ...options, logger: silentLogger });
      opened.push(s);
      return s;
    };
    const gets = () => sim.requests.filter((r) => r.method === 'GET');
    const source = (channelId: string) => ({ token: TOKEN, apiUrl: sim.url, retry: noWait, channels: [{ guildId: sim.guildId, channelId }] });

    beforeAll(async () => {
      // The per-channel bucket is only advertised by default; a large one keeps the reader from pausing for it.
      sim = await startDiscordSim({ botToken: TOKEN, routeLimit: { limit: 10_000, windowSeconds: 1 } });
      databases = await makeDatabases();
    });
    beforeEach(async () => {
      options = await databases.fresh();
      sim.resetLog();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    afterAll(async () => {
      await sim?.close();
      await databases?.dispose();
    });

    it('backfills 350 messages in 4 pages into the store; a second (restarted) run leaves the same rows', async () => {
      const ch = sim.createChannel({ createdAt: new Date(Date.now() - 30 * 24 * 3_600_000) });
      const seeded = sim.seedHistory(ch, 350);
      const store = await open();
      const sink: MessageSink = store;

      const first = await backfill({ ...source(ch), sink });
      expect(first.interrupted).toBe(false);
      expect(first.channels[0]).toMatchObject({ pages: 4, fetched: 350, inserted: 350, updated: 0, done: true, fraction: 1 });
      expect(gets().map((r) => r.query.before ?? 'newest')).toHaveLength(4);
      const rows = await allRows(store, sim.guildId, ch);
      expect(rows.map((r) => r.messageId)).toEqual(seeded.map((m) => m.id));
      const sample = seeded[123]!;
      expect(rows[123]).toMatchObject({
        guildId: sim.guildId,
        channelId: ch,
        authorId: sample.author.id,
        authorName: sample.author.username,
        content: sample.content,
        createdAt: normalizeDiscordTimestamp(sample.timestamp),
        editedAt: null,
        deleted: false,
        attachmentCount: sample.attachments.length,
        embedCount: sample.embeds.length,
      });
      expect(JSON.parse(rows[123]!.rawJson)).toEqual(sample);
      // Polling continues from the newest message the backfill saw.
      expect(await store.getCursor(cursorKeys.after(ch))).toBe(seeded.at(-1)!.id);

      // Done: a plain second run reads nothing; a restarted one reads everything again and changes nothing.
      sim.resetLog();
      const again = await backfill({ ...source(ch), sink });
      expect(gets()).toHaveLength(0);
      expect(again.channels[0]).toMatchObject({ pages: 0, inserted: 0, updated: 0, done: true });
      const restarted = await backfill({ ...source(ch), sink: await open(), restart: true });
      expect(restarted.channels[0]).toMatchObject({ pages: 4, inserted: 0, updated: 0, done: true });
      expect(await allRows(store, sim.guildId, ch)).toEqual(rows);
    });

    it('pollOnce records new messages, an edit and a deletion (a flag, never a hard delete)', async () => {
      const ch = sim.createChannel();
      const seeded = sim.seedHistory(ch, 150);
      const store = await open();
      await backfill({ ...source(ch), sink: store });
      const before = await allRows(store, sim.guildId, ch);

      const added = [
        sim.addMessage(ch, { content: 'un' }),
        sim.addMessage(ch, { content: 'deux', attachments: 2 }),
        sim.addMessage(ch, { content: 'trois', embeds: 1 }),
      ];
      const edited = sim.editMessage(ch, seeded[140]!.id, 'contenu corrigé');
      sim.deleteMessage(ch, seeded[60]!.id);
      // Another connection, as a cron'd `ingest poll` would be.
      const poll = await pollOnce({ ...source(ch), sink: await open(), recheck: true });
      expect(poll.channels[0]).toMatchObject({ inserted: 3, updated: 1, deleted: 1, rechecked: true });
      expect(poll.channels[0]?.error).toBeUndefined();

      const after = await allRows(store, sim.guildId, ch);
      expect(after).toHaveLength(153);
      expect(after.map((r) => r.messageId)).toEqual([...seeded.map((m) => m.id), ...added.map((m) => m.id)]);
      const gone = await store.getMessage(seeded[60]!.id);
      // Deleted on Discord: flagged, content and first ingestion kept.
      expect(gone).toEqual({ ...before[60], deleted: true });
      const page = await store.listMessages({ guildId: sim.guildId, channelId: ch, limit: 500 });
      expect(page.items).toHaveLength(152);
      expect(page.items.some((m) => m.messageId === seeded[60]!.id)).toBe(false);
      expect(await store.getMessage(seeded[140]!.id)).toMatchObject({
        content: 'contenu corrigé',
        editedAt: normalizeDiscordTimestamp(edited.edited_timestamp!),
        ingestedAt: before[140]!.ingestedAt,
        deleted: false,
      });
      expect(JSON.parse((await store.getMessage(seeded[140]!.id))!.rawJson).content).toBe('contenu corrigé');
      expect(await store.getMessage(added[1]!.id)).toMatchObject({ content: 'deux', attachmentCount: 2, deleted: false });
      expect(await store.getMessage(added[2]!.id)).toMatchObject({ content: 'trois', embedCount: 1 });

      // Nothing new: the next poll changes nothing and marks nothing again.
      const quiet = await pollOnce({ ...source(ch), sink: store, recheck: true });
      expect(quiet.channels[0]).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
      expect(await allRows(store, sim.guildId, ch)).toEqual(after);
    });

    it('a message ingested twice (backfill and polling overlap, two connections) is one row', async () => {
      const ch = sim.createChannel();
      const seeded = sim.seedHistory(ch, 180);
      const store = await open();
      // The first poll of a channel stores its newest page; the backfill then reads those 100 again.
      const first = await pollOnce({ ...source(ch), sink: store, recheck: false });
      expect(first.channels[0]).toMatchObject({ inserted: 100 });
      const filled = await backfill({ ...source(ch), sink: await open() });
      expect(filled.channels[0]).toMatchObject({ fetched: 180, inserted: 80, updated: 0 });
      const rows = await allRows(store, sim.guildId, ch);
      expect(rows.map((r) => r.messageId)).toEqual(seeded.map((m) => m.id));
      expect(new Set(rows.map((r) => r.messageId)).size).toBe(180);
      // The same rows upserted directly once more: still one each, counted in neither total.
      expect(await store.upsertMessages(rows.slice(0, 10))).toEqual({ inserted: 0, updated: 0 });
      expect(await allRows(store, sim.guildId, ch)).toEqual(rows);
    });

    it('a message marked deleted that Discord lists again is live again (the store un-deletes on upsert)', async () => {
      const ch = sim.createChannel();
      const seeded = sim.seedHistory(ch, 20);
      const store = await open();
      await backfill({ ...source(ch), sink: store });
      expect(await store.markMessageDeleted(seeded[5]!.id, new Date().toISOString())).toBe(true);
      expect(await store.markMessageDeleted(seeded[5]!.id, new Date().toISOString())).toBe(false);
      expect(await store.listMessageIds(ch, seeded[0]!.id)).toHaveLength(19);
      const poll = await pollOnce({ ...source(ch), sink: store, recheck: true });
      expect(poll.channels[0]).toMatchObject({ updated: 1, deleted: 0 });
      expect((await store.getMessage(seeded[5]!.id))?.deleted).toBe(false);
      expect(await store.listMessageIds(ch, seeded[0]!.id)).toHaveLength(20);
    });

    describe('the `ingest` verb', () => {
      const env = (over: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
        DISCORD_BOT_TOKEN: TOKEN,
        DISCORD_GUILD_ID: sim.guildId,
        DISCORD_API_URL: sim.url,
        CAMPUS_SYNC_DATA_DIR: options.dataDir,
        ...(options.databaseUrl !== undefined ? { DATABASE_URL: options.databaseUrl } : {}),
        ...over,
      });
      /** What the verb printed, and the context to call it with. */
      const ctx = (args: string[], values: Record<string, boolean> = {}, json = true) => {
        const out = captureOutput(json);
        return Object.assign(out, { ctx: { args, values: { json, ...values }, out } });
      };

      it('backfill --json then poll --recheck: the store holds the channel, the results say what happened', async () => {
        const ch = sim.createChannel();
        const seeded = sim.seedHistory(ch, 120);
        const b = ctx(['backfill']);
        const tty = {
          isTTY: false,
          chunks: [] as string[],
          write(c: string) {
            this.chunks.push(c);
            return true;
          },
        };
        expect(await ingestVerb(b.ctx, { env: env({ DISCORD_CHANNEL_IDS: ch }), logger: silentLogger, progressStream: tty as never })).toBe(0);
        expect(b.errors).toEqual([]);
        expect(b.results[0]).toMatchObject({ command: 'ingest backfill', interrupted: false, pages: 2, fetched: 120, inserted: 120, updated: 0 });
        // Not a terminal (and --json): no progress bar.
        expect(tty.chunks).toEqual([]);

        sim.addMessage(ch, { content: 'après' });
        sim.deleteMessage(ch, seeded[3]!.id);
        const p = ctx(['poll'], { recheck: true });
        expect(await ingestVerb(p.ctx, { env: env({ DISCORD_CHANNEL_IDS: ch }), logger: silentLogger })).toBe(0);
        expect(p.results[0]).toMatchObject({ command: 'ingest poll', inserted: 1, deleted: 1, channels: [{ channelId: ch, rechecked: true }] });

        const store = await open();
        expect(await allRows(store, sim.guildId, ch)).toHaveLength(121);
        expect((await store.getMessage(seeded[3]!.id))?.deleted).toBe(true);
      });

      it('a bot without Read Message History or the Message Content intent: the verb says which (exit 1), and `status` shows it', async () => {
        const ch = sim.createChannel();
        sim.seedHistory(ch, 5);
        sim.setReadHistory(ch, false);
        const health = await mkdtemp(join(tmpdir(), 'campus-sync-e2e-ingest-health-'));
        try {
          const over = { DISCORD_CHANNEL_IDS: ch, ...(options.databaseUrl === undefined ? {} : { CAMPUS_SYNC_DATA_DIR: health }) };
          const dataDirUsed = options.databaseUrl === undefined ? options.dataDir : health;
          const b = ctx(['backfill'], {}, false);
          expect(await ingestVerb(b.ctx, { env: env(over), logger: silentLogger })).toBe(1);
          expect(b.lines[0]).toMatch(/^backfill stopped in 1 channel \(a permission or intent is missing\)/);
          expect(b.errors).toEqual([
            expect.stringMatching(new RegExp(`^channel ${ch}: Discord lists no message .* lacks the Read Message History permission`)),
          ]);

          sim.setReadHistory(ch, true);
          const ok = ctx(['backfill']);
          expect(await ingestVerb(ok.ctx, { env: env(over), logger: silentLogger })).toBe(0);
          sim.addMessage(ch, { content: 'nouveau', authorName: 'alice' });
          sim.setMessageContentIntent(false);
          const p = ctx(['poll']);
          try {
            expect(await ingestVerb(p.ctx, { env: env(over), logger: silentLogger })).toBe(1);
          } finally {
            sim.setMessageContentIntent(true);
          }
          expect(p.results[0]).toMatchObject({ channels: [{ channelId: ch, problem: { code: 'missing-message-content-intent' } }] });
          expect(p.errors.join('\n')).toMatch(/lacks the Message Content intent/);

          // `status` reads what the last run recorded.
          const status = await runCli(['status', '--json', '--runtime', 'process'], {
            ...process.env,
            CAMPUS_SYNC_DATA_DIR: dataDirUsed,
            CAMPUS_SYNC_CONFIG_DIR: join(dataDirUsed, 'no-configs'),
          });
          expect(status.code, status.stderr).toBe(0);
          const shown = JSON.parse(status.stdout.trim().split('\n').at(-1)!) as { discord: { channelId: string; ok: boolean; problem?: { code: string } }[] };
          expect(shown.discord).toEqual([
            expect.objectContaining({ channelId: ch, ok: false, by: 'poll', problem: expect.objectContaining({ code: 'missing-message-content-intent' }) }),
          ]);
          const human = await runCli(['status', '--runtime', 'process'], {
            ...process.env,
            NO_COLOR: '1',
            CAMPUS_SYNC_DATA_DIR: dataDirUsed,
            CAMPUS_SYNC_CONFIG_DIR: join(dataDirUsed, 'no-configs'),
          });
          expect(human.stdout).toMatch(new RegExp(`discord ${ch} +failing +last poll`));
          expect(human.stdout).toMatch(/Message Content Intent/);
        } finally {
          await rm(health, { recursive: true, force: true });
        }
      });

      it('draws a progress bar on a terminal and prints one summary line', async () => {
        const ch = sim.createChannel({ createdAt: new Date(Date.now() - 7 * 24 * 3_600_000) });
        sim.seedHistory(ch, 250);
        const b = ctx(['backfill'], {}, false);
        const tty = {
          isTTY: true,
          chunks: [] as string[],
          write(c: string) {
            this.chunks.push(c);
            return true;
          },
        };
        expect(await ingestVerb(b.ctx, { env: env({ DISCORD_CHANNEL_IDS: ch }), logger: silentLogger, progressStream: tty as never })).toBe(0);
        const drawn = tty.chunks.join('');
        expect(tty.chunks).toHaveLength(3);
        expect(drawn).toMatch(/^\r\x1b\[2Kchannel \d+ \[#*\.*\] +\d+% {2}100 messages, back to \d{4}-\d\d-\d\d/);
        expect(drawn).toMatch(/\[#{24}\] 100% {2}250 messages, done\n$/);
        expect(b.lines).toHaveLength(1);
        expect(b.lines[0]).toMatch(
          /^backfill done: 1 channel of 1 complete, 250 messages read \(250 new, 0 updated, 3 pages this run\) into (SQLite|PostgreSQL) .* in \d+\.\d s$/,
        );
      });

      it('a refused token: exit 1 with a clear message that does not contain the token', async () => {
        const ch = sim.createChannel();
        const wrong = 'not-the-right-token-0123456789';
        const b = ctx(['backfill'], {}, false);
        expect(await ingestVerb(b.ctx, { env: env({ DISCORD_CHANNEL_IDS: ch, DISCORD_BOT_TOKEN: wrong }), logger: silentLogger })).toBe(1);
        expect(b.errors.join('\n')).toMatch(/Discord refused the bot token reading channel \d+ \(401 .*\): check DISCORD_BOT_TOKEN$/);
        expect(b.errors.join('\n')).not.toContain(wrong);
        const p = ctx(['poll']);
        expect(await ingestVerb(p.ctx, { env: env({ DISCORD_CHANNEL_IDS: ch, DISCORD_BOT_TOKEN: wrong }), logger: silentLogger })).toBe(1);
        expect(JSON.stringify(p.results)).toMatch(/refused the bot token/);
        expect(JSON.stringify([p.results, p.errors])).not.toContain(wrong);
      });

      it('bad settings: exit 2 naming the variable; bad usage is a UsageError', async () => {
        const missing = ctx(['backfill']);
        expect(await ingestVerb(missing.ctx, { env: env({ DISCORD_BOT_TOKEN: undefined }), logger: silentLogger })).toBe(2);
        expect(missing.errors[0]).toMatch(/^DISCORD_BOT_TOKEN is not set/);
        const noChannels = ctx(['backfill']);
        expect(await ingestVerb(noChannels.ctx, { env: env(), logger: silentLogger })).toBe(2);
        expect(noChannels.errors[0]).toMatch(/DISCORD_CHANNEL_IDS: required/);
        expect(noChannels.errors[0]).not.toContain(TOKEN);
        const badUrl = ctx(['poll']);
        expect(
          await ingestVerb(badUrl.ctx, { env: env({ DISCORD_CHANNEL_IDS: '223456789012345678', DATABASE_URL: 'mysql://x/y' }), logger: silentLogger }),
        ).toBe(2);
        expect(badUrl.errors[0]).toMatch(/DATABASE_URL|mysql/);
        await expect(ingestVerb(ctx([]).ctx, { env: env() })).rejects.toBeInstanceOf(UsageError);
        await expect(ingestVerb(ctx(['backfil']).ctx, { env: env() })).rejects.toBeInstanceOf(UsageError);
        await expect(ingestVerb(ctx(['poll'], { restart: true }).ctx, { env: env() })).rejects.toBeInstanceOf(UsageError);
      });
    });
  });
}

describeIngestion('SQLite', true, sqliteDatabases);
describeIngestion('PostgreSQL', pgUrl !== undefined, () => postgresDatabases(pgUrl as string));

describe('`ingest live`: the Gateway alone, into the store', () => {
  it('ingests a posted message, exits 0 on a stop signal; exits 1 naming the Message Content intent on 4014, without reconnecting', async () => {
    const { startDiscordGatewaySim } = await import('../src/sim/discord-gateway.js');
    const gw = await startDiscordGatewaySim({ botToken: TOKEN });
    const dir = await mkdtemp(join(tmpdir(), 'campus-sync-ingest-live-'));
    try {
      const channel = gw.createChannel();
      const env = { DISCORD_BOT_TOKEN: TOKEN, DISCORD_GUILD_ID: gw.guildId, DISCORD_CHANNEL_IDS: channel, DISCORD_API_URL: gw.url, CAMPUS_SYNC_DATA_DIR: dir };
      const stop = new AbortController();
      const out = captureOutput(true);
      const running = ingestVerb({ args: ['live'], values: { json: true }, out } as never, { env, logger: silentLogger, signal: stop.signal });
      await gw.waitForGateway((e) => e.t === 'READY', { since: 0, timeoutMs: 10_000 });
      const m = gw.addMessage(channel, { content: 'en direct' });
      const store = await openStore({ dataDir: dir, logger: silentLogger });
      try {
        for (const t0 = Date.now(); (await store.getMessage(m.id)) === null; await new Promise((r) => setTimeout(r, 50))) {
          if (Date.now() - t0 > 5_000) throw new Error('the message never reached the store');
        }
      } finally {
        await store.close();
      }
      stop.abort();
      expect(await running).toBe(0);
      expect(out.results).toEqual([{ command: 'ingest live', stopped: 'signal' }]);

      gw.setMessageContentIntent(false);
      const refused = captureOutput(true);
      expect(
        await ingestVerb({ args: ['live'], values: { json: true }, out: refused } as never, {
          env,
          logger: silentLogger,
          signal: new AbortController().signal,
        }),
      ).toBe(1);
      expect(refused.errors.join('\n')).toMatch(/live ingestion stopped: .*Message Content/);
      expect(refused.errors.join('\n')).not.toContain(TOKEN);
      expect(gw.gatewayStats().connections).toBe(2);
    } finally {
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
