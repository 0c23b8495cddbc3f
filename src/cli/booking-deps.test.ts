import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { SlotUnavailableError } from '../api/booking/index.js';
import { parseConfig, type BookingTypeConfig } from '../config/index.js';
import { AuthError, describeError, RemoteError, TransientError } from '../lib/index.js';
import { startCalcomSim, startSlackSim, type CalcomSim, type SlackSim } from '../sim/index.js';
import { API_OUTBOX_DIR, createBookingDeps, type BookingDeps } from './booking-deps.js';

const TOKEN = 'cal_token_secret_abcdef';
const NOW = new Date('2030-05-27T06:00:00Z');
const SLOTS = [
  { eventTypeId: 7, start: '2030-05-27T09:00:00+02:00' },
  { eventTypeId: 7, start: '2030-05-28T14:30:00+02:00' },
  { eventTypeId: 7, start: '2030-06-10T09:00:00+02:00' },
  { eventTypeId: 8, start: '2030-05-27T10:00:00+02:00' },
];

let cal: CalcomSim;
let slack: SlackSim;
let dataDir: string;
let deps: BookingDeps;

async function configWith(booking: string, notify = '', name = 'cabinet'): Promise<Awaited<ReturnType<typeof parseConfig>>> {
  return parseConfig(`timezone: Europe/Paris\nbooking:\n${booking}${notify}`, { file: join(dataDir, `${name}.yml`), env: {} });
}

const typeYaml = (extra: string) => `  - type: appel\n    title: Appel\n    provider: calcom\n    eventTypeId: 7\n    url: ${cal.url}\n${extra}`;

async function typeOf(extra: string): Promise<BookingTypeConfig> {
  return (await configWith(typeYaml(extra))).booking[0] as BookingTypeConfig;
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  cal = await startCalcomSim({ slots: SLOTS, token: TOKEN });
  slack = await startSlackSim();
  dataDir = await mkdtemp(join(tmpdir(), 'campus-sync-booking-deps-'));
  deps = createBookingDeps({ dataDir, drainIntervalMs: 100, timeoutMs: 5_000 });
});

afterAll(async () => {
  await deps?.stop();
  await Promise.all([cal?.close(), slack?.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('fetchSlots', () => {
  it('reads a v2 type through the slots module, from the first day of the window', async () => {
    const type = await typeOf(`    token: ${TOKEN}\n`);
    expect(await deps.fetchSlots(type, { from: '2030-05-27', days: 14, now: NOW })).toEqual(['2030-05-27T09:00:00+02:00', '2030-05-28T14:30:00+02:00']);
    expect(await deps.fetchSlots(type, { from: '2030-06-03', days: 14, now: NOW })).toEqual(['2030-06-10T09:00:00+02:00']);
    const req = cal.requests.at(-1);
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reads a type written for v1 (apiVersion v1, apiKey) through v2, the key as a bearer token (v1 answers 410)', async () => {
    const type = await typeOf('    apiVersion: v1\n    apiKey: cal_test_key\n');
    cal.resetLog();
    expect(await deps.fetchSlots(type, { from: '2030-05-27', days: 3, now: NOW })).toEqual(['2030-05-27T09:00:00+02:00', '2030-05-28T14:30:00+02:00']);
    expect(cal.requests.map((r) => [r.path, r.headers.authorization, r.status])).toEqual([['/v2/slots', 'Bearer cal_test_key', 200]]);
  });

  it('offers the last evening of the window to a type west of UTC (v2 reads bare dates as UTC days)', async () => {
    cal.setSlots([...SLOTS, { eventTypeId: 7, start: '2030-05-29T21:00:00-04:00' }]);
    try {
      const type = await typeOf(`    token: ${TOKEN}\n    timezone: America/Montreal\n`);
      expect(await deps.fetchSlots(type, { from: '2030-05-27', days: 3, now: NOW })).toEqual([
        '2030-05-27T03:00:00-04:00',
        '2030-05-28T08:30:00-04:00',
        '2030-05-29T21:00:00-04:00',
      ]);
    } finally {
      cal.setSlots(SLOTS);
    }
  });

  it('a refused token is an AuthError that does not carry the token', async () => {
    const type = await typeOf('    token: wrong_token_999\n');
    const err = await thrown(deps.fetchSlots(type, { from: '2030-05-27', days: 3, now: NOW }));
    expect(err).toBeInstanceOf(AuthError);
    expect(describeError(err)).not.toContain('wrong_token_999');
  });
});

describe('createBooking', () => {
  it('books the slot through Cal.com v2 bookings and answers its uid, start and status', async () => {
    const type = await typeOf(`    token: ${TOKEN}\n`);
    const created = await deps.createBooking(type, {
      start: '2030-05-28T12:30:00.000Z',
      name: 'Camille',
      email: 'camille@example.org',
      timeZone: 'America/Montreal',
      notes: 'hi',
    });
    expect(created).toMatchObject({ start: '2030-05-28T12:30:00.000Z', status: 'accepted' });
    expect(created.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(cal.bookings()).toEqual([
      expect.objectContaining({
        eventTypeId: 7,
        start: '2030-05-28T12:30:00.000Z',
        attendee: { name: 'Camille', email: 'camille@example.org', timeZone: 'America/Montreal' },
      }),
    ]);
    const post = cal.requests.at(-1);
    expect(post?.headers['cal-api-version']).toBe('2024-08-13');
  });

  it('a slot Cal.com no longer has is SlotUnavailableError (the page offers another)', async () => {
    const type = await typeOf(`    token: ${TOKEN}\n`);
    const err = await thrown(deps.createBooking(type, { start: '2030-05-28T12:30:00.000Z', name: 'Dom', email: 'dom@example.org', timeZone: 'Europe/Paris' }));
    expect(err).toBeInstanceOf(SlotUnavailableError);
    expect(cal.bookings()).toHaveLength(1);
  });

  it('refused credentials are AuthError, a rate limit TransientError; neither is retried and none shows the token', async () => {
    const wrong = await typeOf('    token: wrong_token_777\n');
    const auth = await thrown(deps.createBooking(wrong, { start: '2030-05-27T07:00:00.000Z', name: 'E', email: 'e@example.org', timeZone: 'Europe/Paris' }));
    expect(auth).toBeInstanceOf(AuthError);
    expect(describeError(auth)).not.toContain('wrong_token_777');
    const type = await typeOf(`    token: ${TOKEN}\n`);
    cal.rateLimitNext(1);
    cal.resetLog();
    const limited = await thrown(deps.createBooking(type, { start: '2030-05-27T07:00:00.000Z', name: 'E', email: 'e@example.org', timeZone: 'Europe/Paris' }));
    expect(limited).toBeInstanceOf(TransientError);
    expect(cal.requests).toHaveLength(1);
    expect(cal.bookings()).toHaveLength(1);
  });

  it('a redirect is reported, never followed (the booking is not posted elsewhere); a refused connection is TransientError without the token', async () => {
    const hits: string[] = [];
    const proxy = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(307, { Location: `${cal.url}/v2/bookings` }).end();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const type = { ...(await typeOf(`    token: ${TOKEN}\n`)), url: proxyUrl };
      cal.resetLog();
      const moved = await thrown(deps.createBooking(type, { start: '2030-05-27T07:00:00.000Z', name: 'F', email: 'f@example.org', timeZone: 'Europe/Paris' }));
      expect(moved).toBeInstanceOf(RemoteError);
      expect(describeError(moved)).toMatch(/answered 307/);
      expect(hits).toEqual(['POST /v2/bookings']);
      expect(cal.requests).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    const gone = { ...(await typeOf(`    token: ${TOKEN}\n`)), url: proxyUrl };
    const refused = await thrown(deps.createBooking(gone, { start: '2030-05-27T07:00:00.000Z', name: 'F', email: 'f@example.org', timeZone: 'Europe/Paris' }));
    expect(refused).toBeInstanceOf(TransientError);
    // Refused, or reset when the pool reuses the closed server's kept-alive socket: both a network failure.
    expect(describeError(refused)).toMatch(/^Cal.com POST \/v2\/bookings failed \((ECONNREFUSED|ECONNRESET)\)/);
    expect(describeError(refused)).not.toContain(TOKEN);
  });
});

/** A drain interval of the order the API uses: on the fake clock it costs nothing. */
const DRAIN_MS = 60_000;

describe('notify', () => {
  it('sends through the instance channels with an outbox of the API process, not the worker one', async () => {
    const webhook = slack.createWebhook();
    const config = await configWith(typeYaml(''), `notify:\n  - name: team\n    type: slack\n    url: ${webhook}\n`);
    await deps.notify(config, {
      id: 'booking-appel-1',
      title: 'Availability proposed: Appel',
      text: 'Noé proposes',
      fields: [{ name: 'Email', value: 'noe@example.org' }],
    });
    // A resend of the same notice (same id) is one delivery.
    await deps.notify(config, { id: 'booking-appel-1', title: 'Availability proposed: Appel', text: 'Noé proposes', fields: [] });
    // Sent, and nothing left queued: a second delivery would still be a file in deliveries/.
    const deliveries = join(dataDir, API_OUTBOX_DIR, 'cabinet', 'deliveries');
    await vi.waitFor(
      async () => {
        expect(slack.messages().length).toBeGreaterThan(0);
        expect((await readdir(deliveries)).filter((f) => f.endsWith('.json'))).toEqual([]);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(slack.messages()).toHaveLength(1);
    expect(JSON.stringify(slack.messages()[0]?.body)).toContain('Availability proposed: Appel');
    expect((await stat(join(dataDir, API_OUTBOX_DIR, 'cabinet'))).isDirectory()).toBe(true);
    expect(await readdir(dataDir)).not.toContain('cabinet');
  });

  it('does nothing for an instance without channels', async () => {
    const config = await configWith(typeYaml(''), '', 'solo');
    await deps.notify(config, { id: 'booking-appel-2', title: 't', text: 'x', fields: [] });
    await expect(stat(join(dataDir, API_OUTBOX_DIR, 'solo'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('resumes at start the deliveries a previous run left queued (the channel was down)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'campus-sync-booking-resume-'));
    try {
      const configDir = join(root, 'configs');
      await mkdir(configDir);
      const webhook = slack.createWebhook();
      const yaml = `timezone: Europe/Paris\nbooking:\n${typeYaml('')}notify:\n  - name: team\n    type: slack\n    url: ${webhook}\n`;
      await writeFile(join(configDir, 'cabinet.yml'), yaml);
      const config = await parseConfig(yaml, { file: join(configDir, 'cabinet.yml'), env: {} });
      const before = slack.messages().length;
      slack.resetLog();
      slack.failNext(1, 500);
      const clock = fakeClock(new Date());
      const first = createBookingDeps({ dataDir: root, drainIntervalMs: DRAIN_MS, clock });
      await first.notify(config, { id: 'booking-appel-resume', title: 'Availability proposed: Appel', text: 'queued while Slack was down', fields: [] });
      await clock.tickAsync(0);
      await vi.waitFor(() => expect(slack.requests.length).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });
      await first.stop();
      expect(slack.messages()).toHaveLength(before);
      expect((await readdir(join(root, API_OUTBOX_DIR, 'cabinet', 'deliveries'))).filter((f) => f.endsWith('.json'))).toHaveLength(1);

      // The new process drains the old queue: the retry is due after its backoff (seconds), at the next pass.
      const second = createBookingDeps({ dataDir: root, configDir, env: {}, drainIntervalMs: DRAIN_MS, clock });
      try {
        await clock.tickAsync(0);
        await clock.whenPending();
        await clock.tickAsync(DRAIN_MS);
        await vi.waitFor(() => expect(slack.messages()).toHaveLength(before + 1), { timeout: 15_000, interval: 20 });
        expect(JSON.stringify(slack.messages().at(-1)?.body)).toContain('queued while Slack was down');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
