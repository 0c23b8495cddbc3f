/**
 * An attacker's run against the real `campus-sync serve` (the CLI process, the real SQLite store, the Cal.com and
 * Slack simulators), from 127.0.0.1 and 127.0.0.2, with realistic data: configs holding secrets (one of them
 * invalid, with a malformed webhook URL), error files quoting those secrets in every form, a booking type. It
 * tries every route under every path spelling, scans every reply for every secret form and for internals, and
 * pushes on every budget.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRedactor } from '../../src/lib/index.js';
import type { CalcomSim, SlackSim } from '../../src/sim/index.js';
import { makeWorkspace, startCli, waitFor, writeConfig, type Workspace } from '../helpers.js';
import { startBookingHost, type BookingHost } from '../page-server.js';
import { closed, openSocket, rawRequest, type RawAnswer } from './raw-http.js';
import { pathSpellings } from './spellings.js';

const KEY = 'attack-suite-api-key-0123456789abcdef';
const PASSWORD = 'Alice-Pa55word-<&>"quote';
const ECAL_KEY = 'ecal-key-0123456789abcdef';
const ECAL_SECRET = 'ecal-secret-fedcba9876543210';
const BROKEN_PASSWORD = 'Br0ken-Config-Passw0rd';
const BAD_TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-token';
const CAL_TOKEN = 'cal_live_attack0123456789abcdef';
const ZONE = 'Europe/Paris';
const EVENT_TYPE = 4242;
const SECRETS = [KEY, PASSWORD, ECAL_KEY, ECAL_SECRET, BROKEN_PASSWORD, BAD_TOKEN, CAL_TOKEN];
/** Finds a secret in any form a reply could carry it (raw, URL, JSON, HTML, base64). */
const leaks = makeRedactor(SECRETS);
const holdsSecret = (text: string): boolean => leaks(text) !== text;

describe('an attacker against campus-sync serve', () => {
  let ws: Workspace;
  let host: BookingHost;
  let cal: CalcomSim;
  let slack: SlackSim;
  let serve: ReturnType<typeof startCli>;
  let base = '';
  let out = '';
  const replies: { what: string; answer: RawAnswer }[] = [];

  const send = async (target: string, opts: Parameters<typeof rawRequest>[2] = {}): Promise<RawAnswer> => {
    const answer = await rawRequest(base, target, opts);
    replies.push({ what: `${opts.method ?? 'GET'} ${target}${opts.headers?.['x-api-key'] ? ' (with key)' : ''}`, answer });
    return answer;
  };

  beforeAll(async () => {
    ws = await makeWorkspace();
    const first = DateTime.now().setZone(ZONE).startOf('day').plus({ days: 1 });
    const slots = Array.from({ length: 30 }, (_, i) => ({ eventTypeId: EVENT_TYPE, start: first.plus({ days: i, hours: 9 }).toISO() as string }));
    host = await startBookingHost({ configDir: ws.configs, slots, token: CAL_TOKEN, eventTypeId: EVENT_TYPE, timezone: ZONE, type: { title: 'Appel' } });
    ({ cal, slack } = host);
    await writeConfig(
      ws,
      'alice',
      [
        'timezone: Europe/Paris',
        'moncampus:',
        '  url: http://127.0.0.1:9/moncampus',
        '  username: alice.martin',
        `  password: ${JSON.stringify(PASSWORD)}`,
        'ecal:',
        '  url: http://127.0.0.1:9/ecal',
        `  apiKey: ${ECAL_KEY}`,
        `  apiSecret: ${ECAL_SECRET}`,
        '  calendarId: aaaaaaaaaaaaaaaaaaaaaaaa',
        '',
      ].join('\n'),
    );
    // Invalid: the loader refuses the webhook URL, so only the text of the file tells its secrets.
    await writeConfig(
      ws,
      'broken',
      [
        'timezone: Europe/Paris',
        'moncampus:',
        '  username: bob',
        `  password: ${BROKEN_PASSWORD}`,
        'notify:',
        '  - type: discord-webhook',
        `    url: "https://discord.com/api/webhooks/123/${BAD_TOKEN} oops"`,
        '',
      ].join('\n'),
    );
    const at = '2026-12-01T10:00:00.000Z';
    const basic = Buffer.from(`${ECAL_KEY}:${ECAL_SECRET}`).toString('base64');
    await mkdir(join(ws.data, 'alice'), { recursive: true });
    await writeFile(
      join(ws.data, 'alice', 'errors.log'),
      [
        `${at} login MonCampus refused the password ${PASSWORD} (${encodeURIComponent(PASSWORD)})`,
        `${at} push ECAL answered 401 to Authorization: Basic ${basic} with <p>${PASSWORD.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</p>`,
        `${at} push body {"secret":${JSON.stringify(ECAL_SECRET)}}`,
        '',
      ].join('\n'),
    );
    await mkdir(join(ws.data, 'broken'), { recursive: true });
    await writeFile(
      join(ws.data, 'broken', 'errors.log'),
      `${at} notify https://discord.com/api/webhooks/123/${BAD_TOKEN} answered 404; password ${BROKEN_PASSWORD}\n`,
    );

    serve = startCli(['serve', '--json'], { ...ws.env, API_KEY: KEY, PORT: '0', HOST: '127.0.0.1' });
    serve.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.test(out), 20_000, 'serve to listen');
    base = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1] as string;
  });

  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    const result = await serve?.result;
    // The server's own log: no secret in any form, whatever it was sent.
    if (result) expect(holdsSecret(result.stdout + result.stderr)).toBe(false);
    await host?.close();
  });

  /** Every path the server documents, made concrete. */
  async function concretePaths(): Promise<{ path: string; methods: string[] }[]> {
    const doc = JSON.parse((await send('/docs/openapi.json')).body) as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths).map(([p, ops]) => ({
      path: p
        .replace('{name}', 'alice')
        .replace('{message_id}', '123456789012345678')
        .replace('{file}', 'alice.ics')
        .replace('{type}', 'appel')
        .replace('{action}', 'run'),
      methods: Object.keys(ops).map((m) => m.toUpperCase()),
    }));
  }

  it('lets no spelling of any path past the API key, and answers none of them with a secret', async () => {
    const routes = await concretePaths();
    expect(routes.length).toBeGreaterThan(20);
    let tried = 0;
    for (const { path, methods } of routes) {
      for (const spelling of pathSpellings(path, base)) {
        for (const method of methods) {
          const r = await send(spelling, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
          tried++;
          expect(r.status, `${method} ${spelling}`).toBeGreaterThanOrEqual(300);
          if (path.startsWith('/v1')) expect([400, 401, 404, 405], `${method} ${spelling}`).toContain(r.status);
        }
      }
      // The canonical path itself without a key: /v1 refuses with 401 and says nothing else.
      if (path.startsWith('/v1')) {
        const r = await send(path);
        expect(r.status).toBe(401);
        expect(JSON.parse(r.body)).toEqual({ error: 'missing or invalid x-api-key header' });
      }
    }
    expect(tried).toBeGreaterThan(1_000);
  });

  it('stores and serves error texts with every secret form hidden, even those of a config that does not load', async () => {
    const errorsOf = async (name: string): Promise<string[]> =>
      (JSON.parse((await send(`/v1/instances/${name}/errors`, { headers: { 'x-api-key': KEY } })).body) as { items: { message: string }[] }).items.map(
        (i) => i.message,
      );
    let alice: string[] = [];
    for (const t0 = Date.now(); alice.length < 3 && Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 100))) alice = await errorsOf('alice');
    expect(alice).toHaveLength(3);
    const broken = await errorsOf('broken');
    expect(broken).toHaveLength(1);
    for (const m of [...alice, ...broken]) {
      expect(m).toContain('[REDACTED]');
      expect(holdsSecret(m), m).toBe(false);
    }
    // And in the store itself (what any future route would read).
    const db = Buffer.concat(await Promise.all(['campus-sync.db', 'campus-sync.db-wal'].map((f) => readFile(join(ws.data, f)).catch(() => Buffer.alloc(0)))));
    expect(db.length).toBeGreaterThan(0);
    expect(holdsSecret(db.toString('latin1'))).toBe(false);
  });

  it('tells anonymous callers nothing of the server: no path, no stack, no upstream body', async () => {
    const answers = [
      await send('/book/appel'),
      await send('/book/nothing'),
      await send('/api/calcom/slots?type=appel&range=oops'),
      await send('/book/appel/booking', { method: 'POST', body: '{broken', headers: { 'content-type': 'application/json' } }),
      await send('/ics/alice.ics?token=nope'),
      await send('/'),
      await send('/health'),
      await send('/docs'),
    ];
    // Cal.com refuses (429) for a window not cached yet: the visitor gets a plain message, the log the detail.
    cal.rateLimitNext(5);
    const down = await send(`/api/calcom/slots?type=appel&from=${DateTime.now().setZone(ZONE).plus({ days: 60 }).toISODate()}&range=3`, {
      headers: { 'accept-language': 'en' },
    });
    expect(down.status).toBe(502);
    expect(JSON.parse(down.body)).toEqual({ error: expect.stringMatching(/^The free times could not be loaded: Cal\.com .*\. Try again in a moment\.$/) });
    for (const a of [...answers, down]) {
      expect(a.body).not.toContain(ws.root);
      expect(a.body).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(holdsSecret(a.body)).toBe(false);
    }
    cal.rateLimitNext(0);
  });

  it('holds the login throttle and revokes a session at logout', async () => {
    const form = (key: string) =>
      send('/login', { method: 'POST', body: `key=${encodeURIComponent(key)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const ok = await form(KEY);
    expect(ok.status).toBe(303);
    const cookie = (ok.headers['set-cookie'] ?? '').split(';')[0] as string;
    expect((await send('/', { headers: { cookie } })).status).toBe(200);
    expect((await send('/logout', { method: 'POST', body: '', headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status).toBe(303);
    expect((await send('/', { headers: { cookie } })).status).toBe(401);
    expect((await send('/dashboard/state.json', { headers: { cookie } })).status).toBe(401);

    // 40 guesses from one client in two waves of 20: well under its connection cap of 32 (over it, the server resets
    // the extra connections before they are read, which is the cap's test, not this one's).
    const guesses = [
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => form(`guess-${i}`)))),
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => form(`guess-${20 + i}`)))),
    ];
    const counts = { 401: 0, 429: 0 } as Record<number, number>;
    for (const g of guesses) counts[g.status] = (counts[g.status] ?? 0) + 1;
    expect(counts[401]).toBe(5);
    expect(counts[429]).toBe(35);
    for (const g of guesses.filter((x) => x.status === 429)) expect(Number(g.headers['retry-after'])).toBeGreaterThan(0);
    // The x-api-key header still opens the API meanwhile.
    expect((await send('/v1/instances', { headers: { 'x-api-key': KEY } })).status).toBe(200);
  });

  it('keeps the public budgets under concurrency: proposals, bytes, bookings, slot queries', async () => {
    const day = DateTime.now().setZone(ZONE).plus({ days: 3 }).toISODate() as string;
    const proposal = (i: number) =>
      JSON.stringify({
        requestId: `attack-proposal-${String(i).padStart(4, '0')}-xx`,
        name: 'x'.repeat(100),
        email: 'a@example.org',
        ranges: [{ date: day, from: '09:00', to: '10:00' }],
        message: 'm'.repeat(2000),
      });
    // 120 at once from six clients (20 each: well under the per-client connection cap of 32; the budget must hold).
    const clients = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.8', '127.0.0.9'];
    const proposals = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        send('/book/appel/availability', {
          method: 'POST',
          body: proposal(i),
          headers: { 'content-type': 'application/json' },
          localAddress: clients[i % 6] as string,
        }),
      ),
    );
    const accepted = proposals.filter((p) => p.status === 201).length;
    // Five per client and hour (30 for six clients), and 30 per type and hour.
    expect(accepted).toBe(30);
    expect(proposals.filter((p) => p.status === 429).length).toBe(90);
    const notified = slack.messages().length;
    expect(notified).toBeLessThanOrEqual(accepted);
    const stored = await readFile(join(ws.data, '.booking', 'appel.jsonl'), 'utf8');
    expect(stored.trim().split('\n')).toHaveLength(accepted);
    // What anonymous visitors stored this hour stays under the byte budget (128 KiB in all, 16 KiB per client).
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(6 * 16 * 1024);

    const slotDay = DateTime.now().setZone(ZONE).plus({ days: 2 });
    const booking = (i: number) =>
      JSON.stringify({
        requestId: `attack-booking-${String(i).padStart(4, '0')}-xx`,
        date: slotDay.toISODate(),
        time: '09:00',
        name: 'A',
        email: 'a@example.org',
        timeZone: ZONE,
      });
    cal.resetLog();
    const post = (i: number) => send('/book/appel/booking', { method: 'POST', body: booking(i), headers: { 'content-type': 'application/json' } });
    // 40 from one client, in two waves of 20 (under its connection cap).
    const bookings = [
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => post(i)))),
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => post(20 + i)))),
    ];
    const reachedCal = cal.requests.filter((r) => r.method === 'POST').length;
    expect(reachedCal).toBeLessThanOrEqual(5);
    expect(bookings.filter((b) => b.status === 429).length).toBeGreaterThanOrEqual(35);

    cal.resetLog();
    const today = DateTime.now().setZone(ZONE);
    const queries = Array.from({ length: 60 }, (_, i) => `/api/calcom/slots?type=appel&from=${today.plus({ days: i % 80 }).toISODate()}&range=${1 + (i % 13)}`);
    // From a client of its own, so the budget it meets is the 60 queries a minute this test spends.
    const ask = (q: string) => send(q, { localAddress: '127.0.0.7' });
    const answers = [];
    for (let i = 0; i < queries.length; i += 20) answers.push(...(await Promise.all(queries.slice(i, i + 20).map(ask))));
    expect(answers.map((a) => `${a.status} ${a.status === 200 ? '' : a.body}`).filter((a) => !a.startsWith('200'))).toEqual([]);
    const slotCalls = cal.requests.filter((r) => r.method === 'GET').length;
    // Chunks of the type's 14 days over a 90-day horizon: 7 at most, whatever the 60 queries asked.
    expect(slotCalls).toBeLessThanOrEqual(7);
    const more = await ask(queries[0] as string);
    expect(more.status).toBe(429);
    expect(Number(more.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('holds a few sockets per client, drops the rest at once, and keeps answering others', async () => {
    const held: Socket[] = [];
    const opened = await Promise.all(Array.from({ length: 170 }, () => openSocket(base, '127.0.0.2').catch(() => null)));
    for (const s of opened) if (s) held.push(s);
    // The server closes what is over the per-client cap straight away: wait for those closes, not for a time.
    const closes = held.map((s) => closed(s).then(() => s));
    const dropped = await new Promise<number>((resolve) => {
      let n = 0;
      for (const c of closes) void c.then(() => ++n === 170 - 32 && resolve(n));
    });
    expect(dropped).toBe(138);
    const health = await send('/health');
    expect(health.status).toBe(200);
    for (const s of held) s.destroy();
  });

  it('never put a secret in any reply it made', () => {
    expect(replies.length).toBeGreaterThan(1_000);
    for (const r of replies) expect(holdsSecret(r.answer.body), r.what).toBe(false);
    for (const r of replies) expect(holdsSecret(JSON.stringify(r.answer.headers)), r.what).toBe(false);
    // Nobody without the key learns where the server keeps its files.
    for (const r of replies.filter((x) => !x.what.endsWith('(with key)'))) expect(r.answer.body, r.what).not.toContain(ws.root);
  });
});
