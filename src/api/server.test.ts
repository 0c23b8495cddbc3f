import { stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type MessageRow, type Store } from '../store/index.js';
import { ICS_TOKEN_FILE, icsFeedUrl } from './ics.js';
import { apiKeysFromEnv } from './keys.js';
import { createApiServer, type ApiServer } from './server.js';
import { MAX_BODY_BYTES } from './router.js';
import { captureLogger, get, tempDirs, writeConfig, type TempDirs } from './test-support.test-helper.js';

const SECRET = 'Tr0ub4dor-and-3-horses';
const KEY = 'test-api-key-0123456789abcdef';
const KEY2 = 'second-api-key-fedcba9876543210';
const GUILD = '111111111111111111';
const CHANNEL = '222222222222222222';
const OTHER_CHANNEL = '333333333333333333';
const ICS_BODY =
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//campus-sync//test//EN\r\nBEGIN:VEVENT\r\nUID:r1@campus-sync\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250106T070000Z\r\nDTEND:20250106T090000Z\r\nSUMMARY:Maths\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let base: string;
const log = captureLogger();

const at = (minutes: number): string => new Date(Date.UTC(2025, 0, 1) + minutes * 60_000).toISOString();

const runRow = (instance: string, minute: number) => ({
  instance,
  startedAt: at(minute),
  finishedAt: at(minute + 1),
  outcome: minute % 20 === 0 ? 'failed' : 'success',
  phase: minute % 20 === 0 ? 'login' : null,
  error: minute % 20 === 0 ? 'login refused' : null,
  courses: 12,
  created: 1,
  updated: 0,
  adopted: 0,
  deleted: 0,
  unchanged: 11,
  skipped: 0,
  failed: 0,
  durationMs: 60_000,
});

/** Snowflake-like ids: increasing with time, same length. */
const snowflake = (n: number): string => String(BigInt('900000000000000000') + BigInt(n));

const message = (n: number, extra: Partial<MessageRow> = {}): MessageRow => ({
  messageId: snowflake(n),
  guildId: GUILD,
  channelId: CHANNEL,
  authorId: '444444444444444444',
  authorName: 'alice',
  content: `message ${n}`,
  // Pairs of messages share a millisecond, so the tie-breaker matters.
  createdAt: at(Math.floor(n / 2)),
  editedAt: null,
  deleted: false,
  attachmentCount: n % 2,
  embedCount: 0,
  rawJson: JSON.stringify({ id: snowflake(n), content: `message ${n}` }),
  ingestedAt: at(10_000),
  ...extra,
});

beforeAll(async () => {
  dirs = await tempDirs('campus-sync-server-');
  store = await openStore({ dataDir: dirs.dataDir });
  await writeConfig(dirs.configDir, 'alice', SECRET);
  await writeConfig(dirs.configDir, 'bob', `${SECRET}-bob`);
  // Invalid (unknown key), with the secret in it.
  await writeFile(join(dirs.configDir, 'broken.yml'), `shedule: "* * * * *"\nmoncampus:\n  username: x\n  password: "${SECRET}"\n`);

  for (let m = 0; m < 30; m++) await store.insertRun(runRow('alice', m * 10));
  await store.insertRun(runRow('ghost', 40));
  await store.insertError({ instance: 'alice', at: at(50), phase: 'login', message: `login refused for alice.martin (password ${SECRET})` });
  await store.insertError({ instance: 'alice', at: at(60), phase: 'push', message: 'ECAL answered 503' });
  await store.upsertAlert({
    alertId: 'al-1',
    instance: 'alice',
    kind: 'sync.failed',
    severity: 'error',
    channel: 'discord',
    summary: `sync failed: ${SECRET}`,
    createdAt: at(50),
    deliveredAt: at(51),
    attempts: 1,
    lastError: null,
  });
  await store.upsertAlert({
    alertId: 'al-2',
    instance: 'bob',
    kind: 'slots.new',
    severity: 'info',
    channel: 'slack',
    summary: '2 new slots',
    createdAt: at(70),
    deliveredAt: null,
    attempts: 3,
    lastError: 'HTTP 503',
  });
  await store.replaceEvents('alice', [
    {
      instance: 'alice',
      reference: 'r1',
      ecalId: 'e1',
      title: 'Maths',
      start: '2025-01-06T08:00:00+01:00',
      end: '2025-01-06T10:00:00+01:00',
      lastChange: at(0),
    },
    {
      instance: 'alice',
      reference: 'r2',
      ecalId: null,
      title: 'Physics',
      start: '2025-01-07T08:00:00+01:00',
      end: '2025-01-07T10:00:00+01:00',
      lastChange: at(0),
    },
  ]);
  await store.upsertMessages(Array.from({ length: 120 }, (_, i) => message(i, i % 10 === 3 ? { deleted: true } : {})));
  await store.upsertMessages([message(500, { channelId: OTHER_CHANNEL })]);

  await mkdir(join(dirs.dataDir, 'alice'), { recursive: true });
  await writeFile(
    join(dirs.dataDir, 'alice', 'worker.json'),
    JSON.stringify({ pid: 42, state: 'idle', schedule: '46 6-18 * * *', timezone: 'Europe/Paris', nextRun: '2025-01-01T06:46:00.000Z', updatedAt: at(1) }),
  );
  await writeFile(join(dirs.dataDir, 'alice', 'calendar.ics'), ICS_BODY);

  server = createApiServer({ store, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: [KEY, KEY2], logger: log.logger });
  base = (await server.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await dirs?.cleanup();
});

describe('authentication', () => {
  it('refuses a missing or wrong key with a JSON 401, before even routing', async () => {
    for (const path of ['/v1/instances', '/v1/messages?guild_id=1&channel_id=2', '/v1/nothing-here', '/v1']) {
      const missing = await get(base, path);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('content-type')).toMatch(/application\/json/);
      expect(missing.json).toEqual({ error: 'missing or invalid x-api-key header' });
      expect((await get(base, path, { key: 'wrong' })).status).toBe(401);
      expect((await get(base, path, { key: `${KEY}x` })).status).toBe(401);
      expect((await get(base, path, { key: '' })).status).toBe(401);
    }
  });

  it('accepts every configured key', async () => {
    expect((await get(base, '/v1/instances', { key: KEY })).status).toBe(200);
    expect((await get(base, '/v1/instances', { key: KEY2 })).status).toBe(200);
    expect((await get(base, '/v1/nothing-here', { key: KEY })).status).toBe(404);
  });

  it('takes its keys from API_KEYS, and refuses everyone (with one warning) when there is none', async () => {
    const keys = apiKeysFromEnv({ API_KEYS: 'one-key-1234,two-key-5678' });
    const listed = createApiServer({ store, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: keys, logger: captureLogger().logger });
    const none = captureLogger();
    const open = createApiServer({ store, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: [], logger: none.logger });
    const a = (await listed.listen(0)).url;
    const b = (await open.listen(0)).url;
    try {
      expect((await get(a, '/v1/alerts', { key: 'one-key-1234' })).status).toBe(200);
      expect((await get(a, '/v1/alerts', { key: 'two-key-5678' })).status).toBe(200);
      expect((await get(a, '/v1/alerts', { key: 'one-key-1234,two-key-5678' })).status).toBe(401);
      expect((await get(b, '/v1/alerts', { key: '' })).status).toBe(401);
      expect((await get(b, '/v1/alerts', { key: KEY })).status).toBe(401);
      expect((await get(b, '/health')).status).toBe(200);
      expect(none.lines.filter((l) => l.level === 'warn' && l.message.includes('no API key'))).toHaveLength(1);
    } finally {
      await listed.close();
      await open.close();
    }
  });
});

describe('bad parameters → 400 naming the parameter', () => {
  const runsCursor = async (): Promise<string> =>
    ((await get(base, '/v1/instances/alice/runs?limit=1', { key: KEY })).json as { next_cursor: string }).next_cursor;
  const m = `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}`;

  it.each([
    ['/v1/instances/alice/runs?from=yesterday', 'from'],
    ['/v1/instances/alice/runs?from=2025-01-01', 'from'],
    ['/v1/instances/alice/runs?to=2025-01-01T00:00:00', 'to'],
    ['/v1/instances/alice/runs?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'to'],
    ['/v1/instances/alice/runs?limit=0', 'limit'],
    ['/v1/instances/alice/runs?limit=501', 'limit'],
    ['/v1/instances/alice/runs?limit=abc', 'limit'],
    ['/v1/instances/alice/runs?cursor=garbage!', 'cursor'],
    ['/v1/instances/alice/runs?cursor=eyJ2IjoxfQ', 'cursor'],
    ['/v1/instances/alice/events?limit=-3', 'limit'],
    ['/v1/instances/alice/errors?cursor=AAAA', 'cursor'],
    ['/v1/alerts?instance=Not%20A%20Name', 'instance'],
    ['/v1/alerts?to=soon', 'to'],
    [`/v1/messages?channel_id=${CHANNEL}`, 'guild_id'],
    [`/v1/messages?guild_id=${GUILD}`, 'channel_id'],
    [`/v1/messages?guild_id=abc&channel_id=${CHANNEL}`, 'guild_id'],
    [`${m}&include_deleted=perhaps`, 'include_deleted'],
    [`${m}&from=2025`, 'from'],
    [`${m}&to=2025-01-01T00:00:00`, 'to'],
    [`${m}&limit=1000`, 'limit'],
    [`${m}&cursor=not-a-cursor`, 'cursor'],
    [`${m}&cursor=123456`, 'cursor'],
    [`/v1/messages/abc`, 'message_id'],
  ])('%s', async (path, parameter) => {
    const res = await get(base, path, { key: KEY });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ parameter, error: expect.stringContaining(parameter) });
  });

  it('refuses a cursor from another listing', async () => {
    const cursor = await runsCursor();
    expect(cursor).toEqual(expect.any(String));
    const res = await get(base, `${m}&cursor=${encodeURIComponent(cursor)}`, { key: KEY });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ parameter: 'cursor' });
    const errs = await get(base, `/v1/instances/alice/errors?cursor=${encodeURIComponent(cursor)}`, { key: KEY });
    expect(errs.status).toBe(400);
  });
});

describe('instances', () => {
  it('lists every config (valid or not) and instances with history only, never a config itself', async () => {
    const res = await get(base, '/v1/instances', { key: KEY });
    const items = (res.json as { items: Record<string, unknown>[] }).items;
    expect(items.map((i) => [i.name, i.state])).toEqual([
      ['alice', 'valid'],
      ['bob', 'valid'],
      ['broken', 'invalid'],
      ['ghost', 'removed'],
    ]);
    expect(items[0]).toMatchObject({
      schedule: '46 6-18 * * *',
      timezone: 'Europe/Paris',
      features: { timetable: true, ecal: true, ics: true, slot_watchers: 0, notify_channels: 0 },
      last_run: { instance: 'alice', started_at: at(290), outcome: 'success' },
    });
    expect(items[1]?.last_run).toBeNull();
    expect(items[2]?.error).toMatch(/shedule/);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['features', 'last_run', 'name', 'schedule', 'state', 'timezone']);
  });

  it('shows one instance with its worker state, next run and recent runs', async () => {
    const res = await get(base, '/v1/instances/alice', { key: KEY });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    expect(body).toMatchObject({
      name: 'alice',
      state: 'valid',
      worker: { state: 'idle', next_run: '2025-01-01T06:46:00.000Z' },
      next_run: '2025-01-01T06:46:00.000Z',
    });
    expect((body.recent_runs as unknown[]).length).toBe(5);
    expect((await get(base, '/v1/instances/bob', { key: KEY })).json).toMatchObject({ worker: null, next_run: null, recent_runs: [] });
    expect((await get(base, '/v1/instances/ghost', { key: KEY })).json).toMatchObject({ state: 'removed' });
  });

  it('answers a JSON 404 for an unknown instance', async () => {
    for (const path of [
      '/v1/instances/nobody',
      '/v1/instances/nobody/runs',
      '/v1/instances/nobody/events',
      '/v1/instances/nobody/errors',
      '/v1/instances/..%2Fetc',
    ]) {
      const res = await get(base, path, { key: KEY });
      expect(res.status, path).toBe(404);
      expect(res.json).toEqual({ error: expect.any(String) });
    }
  });

  it('lists runs newest first, filtered by from (inclusive) and to (exclusive)', async () => {
    const res = await get(base, `/v1/instances/alice/runs?from=${at(100)}&to=${encodeURIComponent('2025-01-01T05:00:00+01:00')}`, { key: KEY });
    const items = (res.json as { items: { started_at: string }[]; next_cursor: string | null }).items;
    // 05:00+01:00 is 04:00Z = minute 240 (excluded).
    expect(items.map((r) => r.started_at)).toEqual([230, 220, 210, 200, 190, 180, 170, 160, 150, 140, 130, 120, 110, 100].map(at));
    expect(items[0]).toEqual({
      id: expect.any(Number),
      instance: 'alice',
      started_at: at(230),
      finished_at: at(231),
      outcome: 'success',
      phase: null,
      error: null,
      courses: 12,
      created: 1,
      updated: 0,
      adopted: 0,
      deleted: 0,
      unchanged: 11,
      skipped: 0,
      failed: 0,
      duration_ms: 60_000,
    });
  });

  it('lists events and errors with snake_case fields', async () => {
    const events = (await get(base, '/v1/instances/alice/events', { key: KEY })).json as { items: Record<string, unknown>[] };
    expect(events.items.map((e) => e.reference)).toEqual(['r2', 'r1']);
    expect(events.items[1]).toMatchObject({ ecal_id: 'e1', title: 'Maths', start: '2025-01-06T07:00:00.000Z', last_change: at(0) });
    const errors = (await get(base, '/v1/instances/alice/errors?limit=1', { key: KEY })).json as { items: Record<string, unknown>[]; next_cursor: string };
    expect(errors.items).toEqual([{ id: expect.any(Number), instance: 'alice', at: at(60), phase: 'push', message: 'ECAL answered 503' }]);
    expect(errors.next_cursor).toEqual(expect.any(String));
  });

  it('lists alerts, all or for one instance', async () => {
    const all = (await get(base, '/v1/alerts', { key: KEY })).json as { items: Record<string, unknown>[] };
    expect(all.items.map((a) => a.alert_id)).toEqual(['al-2', 'al-1']);
    expect(all.items[0]).toMatchObject({ instance: 'bob', channel: 'slack', delivered_at: null, attempts: 3, last_error: 'HTTP 503' });
    const alice = (await get(base, '/v1/alerts?instance=alice', { key: KEY })).json as { items: Record<string, unknown>[] };
    expect(alice.items.map((a) => a.alert_id)).toEqual(['al-1']);
  });
});

interface PageJson<T> {
  items: T[];
  next_cursor: string | null;
}

async function pageAll<T>(path: string, key: (row: T) => string, between?: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const sep = path.includes('?') ? '&' : '?';
    const [res] = await Promise.all([get(base, `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`, { key: KEY }), between?.()]);
    expect(res.status).toBe(200);
    const body = res.json as PageJson<T>;
    seen.push(...body.items.map(key));
    cursor = body.next_cursor;
    if (cursor === null) return seen;
  }
  throw new Error('paging did not end');
}

describe('paging under concurrent inserts', () => {
  it('runs: no row twice, none that existed skipped', async () => {
    const before = await pageAll<{ id: number }>('/v1/instances/alice/runs?limit=500', (r) => String(r.id));
    let n = 0;
    // Newer runs, and older ones landing behind the cursor, inserted while paging.
    const insert = async (): Promise<void> => {
      n++;
      await store.insertRun(runRow('alice', 10_000 + n));
      await store.insertRun(runRow('alice', -n * 7));
    };
    const during = await pageAll<{ id: number }>('/v1/instances/alice/runs?limit=3', (r) => String(r.id), insert);
    expect(new Set(during).size).toBe(during.length);
    for (const id of before) expect(during).toContain(id);
  });

  it('messages: no row twice, none skipped; deleted ones only with include_deleted; other channels never', async () => {
    const visible = Array.from({ length: 120 }, (_, i) => i)
      .filter((i) => i % 10 !== 3)
      .map(snowflake);
    let n = 0;
    const insert = async (): Promise<void> => {
      n++;
      await store.upsertMessages([message(1000 + n), message(200 + n, { createdAt: at(-n) })]);
    };
    const during = await pageAll<{ message_id: string }>(`/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}&limit=7`, (r) => r.message_id, insert);
    expect(new Set(during).size).toBe(during.length);
    for (const id of visible) expect(during).toContain(id);
    expect(during).not.toContain(snowflake(3));
    expect(during).not.toContain(snowflake(500));
    const withDeleted = await pageAll<{ message_id: string }>(
      `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}&include_deleted=true&limit=50`,
      (r) => r.message_id,
    );
    expect(withDeleted).toContain(snowflake(3));
  });

  it('messages: the seed cursor (a message_id) pages exactly like the opaque one', async () => {
    const path = `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}&to=${at(60)}`;
    const opaque = await pageAll<{ message_id: string }>(`${path}&limit=500`, (r) => r.message_id);
    expect(opaque.length).toBeGreaterThan(50);
    // Following each page's last message_id, with pages of 4 (the two messages of a millisecond often split).
    const byId: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await get(base, `${path}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, { key: KEY });
      const items = (res.json as PageJson<{ message_id: string }>).items;
      if (items.length === 0) break;
      byId.push(...items.map((i) => i.message_id));
      cursor = items[items.length - 1]?.message_id;
    }
    expect(byId).toEqual(opaque);
  });
});

describe('messages', () => {
  it('lists the seed fields, without the raw payload', async () => {
    const res = await get(base, `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}&limit=1&to=${at(10)}`, { key: KEY });
    const body = res.json as PageJson<Record<string, unknown>>;
    expect(Object.keys(body)).toEqual(['items', 'next_cursor']);
    expect(body.items[0]).toEqual({
      message_id: snowflake(19),
      guild_id: GUILD,
      channel_id: CHANNEL,
      author_id: '444444444444444444',
      author_name: 'alice',
      content: 'message 19',
      created_at: at(9),
      edited_at: null,
      deleted: false,
      attachment_count: 1,
      embed_count: 0,
      ingested_at: at(10_000),
    });
  });

  it('shows one message with its raw payload, deleted ones too, and 404 for an unknown one', async () => {
    const res = await get(base, `/v1/messages/${snowflake(3)}`, { key: KEY });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ message_id: snowflake(3), deleted: true, raw_json: { id: snowflake(3), content: 'message 3' } });
    const missing = await get(base, '/v1/messages/123', { key: KEY });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'no such message' });
  });
});

describe('/health', () => {
  it('answers without a key: store up, last run per instance', async () => {
    const res = await get(base, '/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      status: 'ok',
      store: { kind: 'sqlite', ok: true },
      instances: expect.arrayContaining([
        { name: 'alice', lastRun: { at: expect.any(String), outcome: expect.any(String) } },
        { name: 'bob', lastRun: null },
        { name: 'ghost', lastRun: { at: at(41), outcome: 'failed' } },
      ]),
    });
    const head = await get(base, '/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it("reads every instance's last run in one store call, for /health and /v1/instances alike (no query per instance)", async () => {
    const calls = { lastRun: 0, lastRuns: 0 };
    const counting: Store = {
      ...store,
      lastRun: (name) => {
        calls.lastRun++;
        return store.lastRun(name);
      },
      lastRuns: (names) => {
        calls.lastRuns++;
        return store.lastRuns(names);
      },
    };
    const s = createApiServer({ store: counting, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: [KEY], logger: captureLogger().logger });
    const url = (await s.listen(0)).url;
    try {
      const health = await get(url, '/health');
      expect((health.json as { instances: unknown[] }).instances.length).toBeGreaterThanOrEqual(3);
      const list = await get(url, '/v1/instances', { key: KEY });
      expect((list.json as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(3);
      expect(calls).toEqual({ lastRun: 0, lastRuns: 2 });
    } finally {
      await s.close();
    }
  });

  it('answers 503 when the store is closed', async () => {
    const own = await tempDirs('campus-sync-health-');
    const closed = await openStore({ dataDir: own.dataDir });
    const s = createApiServer({ store: closed, configDir: dirs.configDir, dataDir: own.dataDir, apiKeys: [KEY], logger: captureLogger().logger });
    const url = (await s.listen(0)).url;
    try {
      expect((await get(url, '/health')).status).toBe(200);
      await closed.close();
      const res = await get(url, '/health');
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ status: 'unavailable', store: { kind: 'sqlite', ok: false } });
      const v1 = await get(url, '/v1/instances/alice/runs', { key: KEY });
      expect(v1.status).toBe(503);
      expect(v1.json).toEqual({ error: expect.any(String) });
    } finally {
      await s.close();
      await own.cleanup();
    }
  });
});

describe('/docs', () => {
  it('serves the OpenAPI document and a page that needs nothing from the network', async () => {
    const json = await get(base, '/docs/openapi.json');
    expect(json.status).toBe(200);
    const doc = json.json as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    // Every route the app answers is in the document (hono's :param written {param}), and nothing else.
    const routes = new Set(server.app.routes.filter((r) => r.method !== 'ALL').map((r) => r.path.replace(/:([A-Za-z_]+)/g, '{$1}')));
    expect(new Set(Object.keys(doc.paths))).toEqual(routes);
    const html = await get(base, '/docs');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    for (const path of Object.keys(doc.paths)) expect(html.text).toContain(path.replace(/&/g, '&amp;'));
    expect(html.text).not.toMatch(/<script|<link|https?:\/\//i);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('documents each path the server answers, and the server answers each documented path', async () => {
    const doc = (await get(base, '/docs/openapi.json')).json as { paths: Record<string, unknown> };
    const concrete = (p: string): string =>
      p
        .replace('{name}', 'alice')
        .replace('{message_id}', snowflake(1))
        .replace(/^\/v1\/messages$/, `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}`);
    for (const p of Object.keys(doc.paths)) {
      if (p.startsWith('/ics/')) continue; // needs its token: covered below
      const res = await get(base, concrete(p), { key: KEY });
      expect(res.status, p).toBe(200);
    }
  });
});

describe('ICS feed', () => {
  it('serves the calendar to the token holder, with ETag, 304 and Cache-Control', async () => {
    const url = await icsFeedUrl(base, dirs.dataDir, 'alice');
    expect(url).toMatch(new RegExp(`^${base}/ics/alice\\.ics\\?token=[A-Za-z0-9_-]{43}$`));
    expect((await stat(join(dirs.dataDir, 'alice', ICS_TOKEN_FILE))).mode & 0o777).toBe(0o600);
    expect(await icsFeedUrl(base, dirs.dataDir, 'alice')).toBe(url);
    const path = url.slice(base.length);
    const res = await get(base, path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('cache-control')).toMatch(/private/);
    expect(res.text).toBe(ICS_BODY);
    const etag = res.headers.get('etag') as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await get(base, path, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await get(base, path, { headers: { 'if-none-match': `"other", W/${etag}` } })).status).toBe(304);
    // Last-Modified beside the ETag, and If-Modified-Since for clients that poll with dates (when no If-None-Match).
    const lastModified = res.headers.get('last-modified') as string;
    expect(new Date(lastModified).toUTCString()).toBe(lastModified);
    expect((await get(base, path, { headers: { 'if-modified-since': lastModified } })).status).toBe(304);
    expect((await get(base, path, { headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' } })).status).toBe(200);
    await writeFile(join(dirs.dataDir, 'alice', 'calendar.ics'), ICS_BODY.replace('Maths', 'Algebra'));
    const changed = await get(base, path, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    await writeFile(join(dirs.dataDir, 'alice', 'calendar.ics'), ICS_BODY);
  });

  it('answers 404 for a wrong, missing or other instance’s token, and for a feed without calendar', async () => {
    const alice = new URL(await icsFeedUrl(base, dirs.dataDir, 'alice')).searchParams.get('token') as string;
    const bob = new URL(await icsFeedUrl(base, dirs.dataDir, 'bob')).searchParams.get('token') as string;
    const cases = [
      `/ics/alice.ics?token=${alice.slice(0, -1)}x`,
      '/ics/alice.ics',
      '/ics/alice.ics?token=',
      `/ics/alice.ics?token=${bob}`,
      `/ics/alice.ics?token=${alice}&token=${alice}`,
      `/ics/bob.ics?token=${bob}`, // bob has no calendar.ics yet
      `/ics/nobody.ics?token=${alice}`,
      `/ics/alice?token=${alice}`,
      `/ics/..%2Falice.ics?token=${alice}`,
    ];
    for (const path of cases) {
      const res = await get(base, path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('BEGIN:VCALENDAR');
    }
  });
});

describe('secrets', () => {
  it('never appear in any answer or log line', async () => {
    const token = new URL(await icsFeedUrl(base, dirs.dataDir, 'alice')).searchParams.get('token') as string;
    const paths = [
      '/health',
      '/docs',
      '/docs/openapi.json',
      '/v1/instances',
      '/v1/instances/alice',
      '/v1/instances/broken',
      '/v1/instances/bob',
      '/v1/instances/alice/runs',
      '/v1/instances/alice/events',
      '/v1/instances/alice/errors',
      '/v1/alerts',
      '/v1/alerts?instance=alice',
      `/v1/messages?guild_id=${GUILD}&channel_id=${CHANNEL}`,
      `/v1/messages/${snowflake(1)}`,
      '/v1/instances/nobody',
    ];
    const errors = (await get(base, '/v1/instances/alice/errors', { key: KEY })).json as PageJson<{ message: string }>;
    expect(errors.items.map((e) => e.message)).toContain('login refused for alice.martin (password [REDACTED])');
    for (const path of paths) {
      const res = await get(base, path, { key: KEY });
      expect(res.text, path).not.toContain(SECRET);
      expect(res.text, path).not.toContain(KEY);
    }
    await get(base, `/ics/alice.ics?token=${token}`);
    const logged = JSON.stringify(log.lines);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(SECRET);
    expect(log.lines.some((l) => l.message === `GET /ics/alice.ics 200 ${String(l.meta?.ms)}ms`)).toBe(true);
  });
});

describe('HTTP details', () => {
  it('answers 405 to other methods and 404 JSON to unknown paths', async () => {
    const post = await get(base, '/health', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await get(base, '/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'not found' });
  });

  it('closes in two stages: requests in flight finish, new ones are refused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const reached = new Promise<void>((r) => (entered = r));
    const slowStore: Store = {
      ...store,
      listJson: async (q) => {
        entered();
        await gate;
        return store.listJson(q);
      },
    };
    const s = createApiServer({ store: slowStore, configDir: dirs.configDir, dataDir: dirs.dataDir, apiKeys: [KEY], logger: captureLogger().logger });
    const url = (await s.listen(0)).url;
    const inFlight = get(url, '/v1/instances/alice/runs?limit=2', { key: KEY });
    // The request is inside the handler (waiting on the store) when the close begins.
    await reached;
    const closed = s.close(5_000);
    await expect(get(url, '/health')).rejects.toThrow();
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect((res.json as PageJson<unknown>).items).toHaveLength(2);
    await closed;
  });
});

describe('extensions', () => {
  it('add GET and POST routes; a POST gets its body, a body over the cap is refused with 413, a wrong method 405', async () => {
    const seen: string[] = [];
    const ext = createApiServer({
      store,
      configDir: dirs.configDir,
      dataDir: dirs.dataDir,
      apiKeys: [KEY],
      logger: captureLogger().logger,
      extensions: [
        ({ router, keyMatches }) => {
          router.post('/echo', async (req) => {
            seen.push(req.body?.toString('utf8') ?? '');
            return { status: 200, json: { authorised: keyMatches(req.headers['x-api-key']) } };
          });
        },
      ],
    });
    const base = (await ext.listen(0)).url;
    try {
      const ok = await fetch(`${base}/echo`, { method: 'POST', body: 'name=Ana', headers: { 'x-api-key': KEY } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ authorised: true });
      expect(seen).toEqual(['name=Ana']);
      const big = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(MAX_BODY_BYTES + 1) });
      expect(big.status).toBe(413);
      expect(seen).toHaveLength(1);
      const wrong = await fetch(`${base}/echo`);
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
    } finally {
      await ext.close();
    }
  });
});

describe('redaction of every /v1 answer', () => {
  // JSON escapes `"` and `\`: such a secret is not in the answer's JSON text as it is, so the check for
  // secrets must look at the strings themselves, not at the serialised answer.
  const ODD_KEY = 'odd-"quoted"-key\\with-a-backslash';
  const A = '555555555555555555';
  const B = '666666666666666666';
  const C = '777777777777777777';
  const D = '888888888888888888';
  /** A password with control characters, which JSON writes as escapes (\t, \n, \u0001) in the page's text. */
  const CONTROL_SECRET = 'tab\there\nnew-line\u0001ctl';
  let own: TempDirs;
  let ownStore: Store;
  let ownServer: ApiServer;
  let ownBase: string;
  const contents = async (channel: string): Promise<string[]> => {
    const res = await get(ownBase, `/v1/messages?guild_id=${GUILD}&channel_id=${channel}`, { key: ODD_KEY });
    expect(res.status).toBe(200);
    return (res.json as PageJson<{ content: string }>).items.map((m) => m.content);
  };

  beforeAll(async () => {
    own = await tempDirs('campus-sync-redaction-');
    ownStore = await openStore({ dataDir: own.dataDir });
    await writeConfig(own.configDir, 'alice', SECRET);
    // In YAML double quotes, \t, \n and \x01 are the control characters themselves.
    await writeConfig(own.configDir, 'bob', 'tab\\there\\nnew-line\\x01ctl');
    await ownStore.upsertMessages([
      message(1, { channelId: A, content: `token ${ODD_KEY} pasted` }),
      message(2, { channelId: B, content: 'password [REDACTED] (the worker hid it)' }),
      message(3, { channelId: B, content: `password ${SECRET} (an old line)` }),
      message(4, { channelId: C, content: `he said "hi" \\o/ with ${SECRET.slice(0, -1)}…` }),
      message(5, { channelId: C, content: 'nothing to hide' }),
      message(6, { channelId: D, content: `pasted ${CONTROL_SECRET} by mistake` }),
    ]);
    ownServer = createApiServer({ store: ownStore, configDir: own.configDir, dataDir: own.dataDir, apiKeys: [ODD_KEY], logger: captureLogger().logger });
    ownBase = (await ownServer.listen(0, '127.0.0.1')).url;
  });

  afterAll(async () => {
    await ownServer?.close();
    await ownStore?.close();
    await own?.cleanup();
  });

  it('hides a secret that JSON escapes', async () => {
    expect(await contents(A)).toEqual(['token [REDACTED] pasted']);
  });

  it('hides a secret on a page that already holds a redacted text', async () => {
    expect(await contents(B)).toEqual([`password [REDACTED] (an old line)`, 'password [REDACTED] (the worker hid it)']);
  });

  it('hides a secret holding control characters (escaped in the JSON the database builds)', async () => {
    expect(await contents(D)).toEqual(['pasted [REDACTED] by mistake']);
  });

  it('gives strings without a secret exactly as stored', async () => {
    expect(await contents(C)).toEqual(['nothing to hide', `he said "hi" \\o/ with ${SECRET.slice(0, -1)}…`]);
  });
});
