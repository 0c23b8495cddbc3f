/** The client against the ECAL simulator of src/sim: the same paths a sync run takes, end to end. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, RemoteError, TransientError } from '../lib/index.js';
import { startEcalSim, type EcalSim } from '../sim/index.js';
import { createEcalClient, type EcalClientOptions } from './client.js';
import type { EcalEventBody } from './types.js';

const KEY = 'sim-key-0001';
const SECRET = 'sim-secret-0001';
const CAL = '0123456789abcdef01234567';

let sim: EcalSim;
beforeAll(async () => {
  sim = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CAL] });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFailures();
  sim.resetLog();
});

function makeClient(over: Partial<EcalClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = createEcalClient({
    url: sim.url,
    apiKey: KEY,
    apiSecret: SECRET,
    timeoutMs: 5_000,
    ...over,
    retry: { attempts: 4, sleep: async (ms) => void sleeps.push(ms) },
  });
  return { client, sleeps };
}

const event = (over: Partial<EcalEventBody> = {}): EcalEventBody => ({
  calendarId: CAL,
  name: 'Algèbre linéaire',
  location: 'B204',
  startDate: '2021-09-06',
  endDate: '2021-09-06',
  startTime: '08:30',
  endTime: '10:00',
  timezone: 'Europe/Paris',
  reference: 'cs:sim:1',
  details: 'Prof: Martin',
  alert: '15M',
  draft: 0,
  ...over,
});

describe('ECAL client against the simulator', () => {
  it('creates, lists (past events included), reads, updates and deletes', async () => {
    const { client } = makeClient();
    const { id } = await client.createEvent(event());

    const listed = await client.listEvents({ calendarId: CAL, startDate: '2021-09-01', endDate: '2021-09-30' });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id, name: 'Algèbre linéaire', reference: 'cs:sim:1', startTime: '08:30' });

    await client.updateEvent(id, event({ name: 'Algèbre linéaire (TD)', location: 'B205' }));
    expect(await client.getEvent(id)).toMatchObject({ id, name: 'Algèbre linéaire (TD)', location: 'B205' });

    await client.deleteEvent(id);
    expect(await client.getEvent(id)).toBeNull();
    await client.deleteEvent(id); // 404: already gone
    expect(sim.events().some((e) => e.id === id)).toBe(false);
    expect(client.stats()).toMatchObject({ writes: 4, retries: 0 });
  });

  it('pages through 250 events until 204', async () => {
    for (let i = 0; i < 250; i++) {
      sim.addEvent({
        calendarId: CAL,
        name: `Cours ${i}`,
        location: 'A1',
        startDate: '2022-01-10',
        endDate: '2022-01-10',
        startTime: '09:00',
        endTime: '10:00',
        timezone: 'Europe/Paris',
        reference: `cs:page:${i}`,
      });
    }
    const { client } = makeClient();
    const listed = await client.listEvents({ calendarId: CAL, startDate: '2022-01-10', endDate: '2022-01-10' });
    expect(listed).toHaveLength(250);
    expect(new Set(listed.map((e) => e.reference)).size).toBe(250);
    expect(sim.requests.map((r) => [r.query.page, r.status])).toEqual([
      ['1', 200],
      ['2', 200],
      ['3', 200],
      ['4', 204],
    ]);
  });

  it('rides out injected 429s and 5xx', async () => {
    sim.injectFailures({ status: 429, count: 2 });
    sim.injectFailures({ status: 503, count: 1 });
    const { client, sleeps } = makeClient();
    const { id } = await client.createEvent(event({ reference: 'cs:sim:retry', startDate: '2021-10-01', endDate: '2021-10-01' }));
    expect(
      sim
        .events()
        .filter((e) => e.reference === 'cs:sim:retry')
        .map((e) => e.id),
    ).toEqual([id]);
    expect(sleeps).toHaveLength(3);
    expect(client.stats().retries).toBe(3);
  });

  it('does not duplicate a create that ECAL processed before its gateway failed', async () => {
    sim.injectFailures({ status: 502, count: 1, methods: ['POST'], processed: true });
    const { client } = makeClient();
    const { id } = await client.createEvent(event({ reference: 'cs:sim:once', startDate: '2021-11-02', endDate: '2021-11-02' }));
    expect(
      sim
        .events()
        .filter((e) => e.reference === 'cs:sim:once')
        .map((e) => e.id),
    ).toEqual([id]);
  });

  it('gives up with a TransientError when 5xx persist', async () => {
    sim.injectFailures({ status: 500, count: 10 });
    const { client } = makeClient();
    const err = await client.getEvent('ffffffffffffffffffffffff').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).status).toBe(500);
    expect(sim.requests).toHaveLength(4);
  });

  it('reports a wrong secret as an AuthError that names no secret', async () => {
    const { client } = makeClient({ apiSecret: 'not-the-secret' });
    const err = await client.listEvents({ calendarId: CAL, startDate: '2021-01-01', endDate: '2021-12-31' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).not.toMatch(/not-the-secret|sim-key-0001|sim-secret-0001/);
  });

  it('sends accented bodies as ASCII JSON the simulator accepts (it refuses raw UTF-8 with 403), and reads the accents back', async () => {
    const { client } = makeClient();
    const { id } = await client.createEvent(
      event({ name: 'Économie – Bâtiment Sud', reference: 'cs:sim:accents', startDate: '2021-12-01', endDate: '2021-12-01' }),
    );
    const post = sim.requests.find((r) => r.method === 'POST');
    expect(post?.status).toBe(200);
    expect(await client.getEvent(id)).toMatchObject({ name: 'Économie – Bâtiment Sud' });
  });

  it('reports a 403 on one request after others were accepted as a signature/encoding problem, not as bad credentials', async () => {
    const { client } = makeClient();
    await client.listEvents({ calendarId: CAL, startDate: '2021-01-01', endDate: '2021-01-31' });
    sim.injectFailures({ status: 403, count: 1, methods: ['POST'] });
    const err = await client.createEvent(event({ reference: 'cs:sim:403', startDate: '2021-12-02', endDate: '2021-12-02' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).not.toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/signature or body-encoding problem of this request, not wrong credentials/);
    // The next request goes through: nothing was wrong with the key.
    await client.createEvent(event({ reference: 'cs:sim:403', startDate: '2021-12-02', endDate: '2021-12-02' }));
    // A fresh client whose very first request gets 403 cannot tell: that stays an AuthError.
    sim.injectFailures({ status: 403, count: 1 });
    const first = await makeClient()
      .client.listEvents({ calendarId: CAL, startDate: '2021-01-01', endDate: '2021-01-31' })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(AuthError);
  });
});

describe('ECAL client against a simulator that answers 409 for a reference already used', () => {
  it('finds the event holding the reference (a draft the listing did not show) and updates it instead of failing', async () => {
    const strict = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CAL], uniqueReferences: true });
    try {
      const draft = strict.addEvent({ ...event({ reference: 'cs:sim:dup', name: 'Ancien nom' }), draft: 1 });
      const client = createEcalClient({ url: strict.url, apiKey: KEY, apiSecret: SECRET, retry: { attempts: 2, sleep: async () => {} } });
      expect(await client.listEvents({ calendarId: CAL, startDate: '2021-09-01', endDate: '2021-09-30' })).toEqual([]);
      const created = await client.createEvent(event({ reference: 'cs:sim:dup', name: 'Nouveau nom' }));
      expect(created).toEqual({ id: draft.id, adopted: true });
      expect(strict.events()).toEqual([expect.objectContaining({ id: draft.id, name: 'Nouveau nom', draft: 0, reference: 'cs:sim:dup' })]);
      expect(strict.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 204', 'POST 409', 'GET 200', 'GET 204', 'PUT 200']);
    } finally {
      await strict.close();
    }
  });
});
