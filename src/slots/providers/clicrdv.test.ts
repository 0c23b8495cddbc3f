import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, RemoteError, TransientError } from '../../lib/index.js';
import { slotWatcherSchema, type ClicrdvWatcherConfig } from '../../config/index.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';
import { createClicrdvProvider, mapBounded } from './clicrdv.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

let server: Server;
let base = '';
let handler: Handler = (_req, res) => void res.end('{}');
let seen: URL[] = [];
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Counted out once the answer is handed over ('finish'), before the client can react to it; 'close' for the destroyed ones.
    let out = false;
    const done = (): void => {
      if (!out) inFlight--;
      out = true;
    };
    res.on('finish', done);
    res.on('close', done);
    void Promise.resolve(handler(req, res, url)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
  inFlight = 0;
  maxInFlight = 0;
});

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
/**
 * Holds each answer until `cap` requests are in flight at once (or all `total` have come): the scan's
 * concurrency shows without a delay that only makes overlap likely.
 */
function gate(cap: number, total: number): () => Promise<void> {
  let held: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      held.push(resolve);
      if (inFlight >= cap || seen.length >= total) {
        for (const release of held) release();
        held = [];
      }
    });
}

const KEY = 'k3y-SECRET-4567';
const noSleep = { sleep: async () => {}, attempts: 3 };

function config(url: string, extra: object = {}): ClicrdvWatcherConfig {
  return slotWatcherSchema.parse({ name: 'w', provider: 'clicrdv', url, ...extra }) as ClicrdvWatcherConfig;
}
const scanUrl = (): string => `${base}/api/v2/availabletimeslots?group_id=124718&appointments[0][intervention_id]=2422111&from={date}&apikey=${KEY}`;

describe('ClicRDV provider, {date} scan', () => {
  it('asks each of 35 days once, never more than `concurrency` at a time', async () => {
    const hold = gate(3, 35);
    handler = async (_req, res, url) => {
      await hold();
      const from = url.searchParams.get('from') ?? '';
      // Each answer lists its own day and the next, as the real API does: the scan must not double them.
      const next = new Date(Date.parse(`${from}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      json(res, 200, {
        availabletimeslots: [
          { start: `${from} 09:30:00`, slot: 7, capacity: 1 },
          { start: `${next} 09:30:00`, slot: 7, capacity: 1 },
        ],
      });
    };
    const provider = createClicrdvProvider(config(scanUrl(), { daysAhead: 35, concurrency: 3 }), { timezone: 'Europe/Paris', retry: noSleep });
    // 23:30 UTC on 2 March is already 3 March in Paris: "today" is the practice's day.
    const { slots, requests } = await provider.check(new Date('2026-03-02T23:30:00Z'));
    expect(requests).toBe(35);
    expect(maxInFlight).toBe(3);
    const days = seen.map((u) => u.searchParams.get('from')).sort();
    expect(new Set(days).size).toBe(35);
    expect(days[0]).toBe('2026-03-03');
    expect(days[34]).toBe('2026-04-06');
    // The other parameters, brackets included, go through untouched.
    expect(seen[0]?.searchParams.get('appointments[0][intervention_id]')).toBe('2422111');
    expect(seen[0]?.searchParams.get('apikey')).toBe(KEY);
    // 35 days answered; the day after the last one, in the last answer too, is beyond daysAhead: not kept.
    expect(slots).toHaveLength(35);
    expect(slots.at(-1)?.start).toBe('2026-04-06T09:30:00+02:00');
    expect(slots[0]).toEqual({ id: 'clicrdv:2026-03-03T08:30:00Z:7', start: '2026-03-03T09:30:00+01:00', label: 'mar. 3 mars 09:30' });
    // Summer time in Paris from 29 March: same wall clock, other offset.
    expect(slots.find((s) => s.start.startsWith('2026-03-30'))?.start).toBe('2026-03-30T09:30:00+02:00');
  });

  it('respects a concurrency of 1', async () => {
    const hold = gate(1, 6);
    handler = async (_req, res) => {
      await hold();
      json(res, 200, { availabletimeslots: [] });
    };
    const provider = createClicrdvProvider(config(scanUrl(), { daysAhead: 6, concurrency: 1 }), { timezone: 'Europe/Paris', retry: noSleep });
    expect(await provider.check(new Date('2026-03-03T08:00:00Z'))).toEqual({ slots: [], requests: 6 });
    expect(maxInFlight).toBe(1);
  });

  it('fails the whole check when a day keeps failing, without starting the remaining days', async () => {
    handler = (_req, res, url) => {
      if (url.searchParams.get('from') === '2026-03-04') json(res, 503, { error: 'down' });
      else json(res, 200, { availabletimeslots: [] });
    };
    const provider = createClicrdvProvider(config(scanUrl(), { daysAhead: 30, concurrency: 2 }), { timezone: 'Europe/Paris', retry: noSleep });
    const err = await provider.check(new Date('2026-03-03T08:00:00Z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain('gave up after 3 attempts');
    expect((err as Error).message).toContain('/api/v2/availabletimeslots (from 2026-03-04)');
    expect((err as Error).message).not.toContain(KEY);
    expect(seen.length).toBeLessThan(10);
  });
});

describe('ClicRDV provider, single URL', () => {
  const fixedUrl = (): string => `${base}/api/v2/availabletimeslots?group_id=1&from=2026-02-12&apikey=${KEY}`;

  it('sends one request and reads local times in the watcher zone', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        availabletimeslots: [
          { start: '2026-03-05 14:00:00', slot: 12, capacity: 2 },
          { start: '2026-03-04 10:15:00', slot: 11, capacity: 1 },
          { start: '2026-03-04 11:00:00', slot: 13, capacity: 0 },
          { start: '2026-03-01 10:00:00', slot: 10, capacity: 1 },
          { start: 'someday', slot: 14 },
        ],
      });
    const provider = createClicrdvProvider(config(fixedUrl(), { bookingUrl: 'https://user.clicrdv.com/x', timezone: 'America/Montreal' }), {
      timezone: 'Europe/Paris',
      retry: noSleep,
    });
    const { slots, requests } = await provider.check(new Date('2026-03-03T08:00:00Z'));
    expect(requests).toBe(1);
    expect(seen[0]?.searchParams.get('from')).toBe('2026-02-12');
    // Sorted; the full (capacity 0), past and unreadable ones left out.
    expect(slots).toEqual([
      { id: 'clicrdv:2026-03-04T15:15:00Z:11', start: '2026-03-04T10:15:00-05:00', label: 'mer. 4 mars 10:15', bookingUrl: 'https://user.clicrdv.com/x' },
      { id: 'clicrdv:2026-03-05T19:00:00Z:12', start: '2026-03-05T14:00:00-05:00', label: 'jeu. 5 mars 14:00', bookingUrl: 'https://user.clicrdv.com/x' },
    ]);
  });

  it('reads a missing or empty list as no slot', async () => {
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', retry: noSleep });
    handler = (_req, res) => json(res, 200, {});
    expect((await provider.check(new Date('2026-03-03T08:00:00Z'))).slots).toEqual([]);
    handler = (_req, res) => json(res, 200, { availabletimeslots: [] });
    expect((await provider.check(new Date('2026-03-03T08:00:00Z'))).slots).toEqual([]);
  });

  it('turns 403 into an AuthError, not retried, without the key', async () => {
    handler = (_req, res) => json(res, 403, { error: `bad apikey ${KEY}` });
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', retry: noSleep });
    const err = await provider.check(new Date('2026-03-03T08:00:00Z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/^ClicRDV refused the API key/);
    expect((err as Error).message).not.toContain(KEY);
    expect(seen).toHaveLength(1);
  });

  it('turns other 4xx into a RemoteError with the detail, not retried', async () => {
    handler = (_req, res) => json(res, 400, { errors: 'intervention_id is invalid' });
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', retry: noSleep });
    const err = await provider.check(new Date('2026-03-03T08:00:00Z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toBe('ClicRDV GET /api/v2/availabletimeslots answered 400: intervention_id is invalid');
    expect(seen).toHaveLength(1);
  });

  it('retries a 500 and counts both requests', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls === 1) json(res, 500, {});
      else json(res, 200, { availabletimeslots: [{ start: '2026-03-04 10:00:00', slot: 1, capacity: 1 }] });
    };
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', retry: noSleep });
    const result = await provider.check(new Date('2026-03-03T08:00:00Z'));
    expect(result.requests).toBe(2);
    expect(result.slots).toHaveLength(1);
  });

  it('reports a timeout as a TransientError', async () => {
    handler = () => {
      // Never answers.
    };
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', timeoutMs: 100, retry: { attempts: 1 } });
    const err = await provider.check(new Date('2026-03-03T08:00:00Z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toBe('ClicRDV GET /api/v2/availabletimeslots timed out after 100 ms');
  });

  it('refuses a 200 that is not the expected JSON', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    };
    const provider = createClicrdvProvider(config(fixedUrl()), { timezone: 'Europe/Paris', retry: noSleep });
    await expect(provider.check(new Date('2026-03-03T08:00:00Z'))).rejects.toThrow(/not JSON/);
    handler = (_req, res) => json(res, 200, { availabletimeslots: 'none' });
    await expect(provider.check(new Date('2026-03-03T08:00:00Z'))).rejects.toBeInstanceOf(RemoteError);
  });
});

describe('mapBounded', () => {
  it('keeps order and the bound', async () => {
    // Each item takes n seconds of a fake clock that fires its timers as they come: they end out of order.
    const clock = fakeClock();
    clock.autoAdvance();
    let running = 0;
    let peak = 0;
    const ended: number[] = [];
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await clock.sleep(n * 1_000);
      running--;
      ended.push(n);
      return n * 10;
    });
    clock.autoAdvance(false);
    expect(ended).not.toEqual([5, 1, 4, 2, 3]);
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});
