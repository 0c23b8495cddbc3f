import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inviteePolicy } from '../config/index.js';
// Test-only import: the simulator follows reference/ecal.md, not this check.
import { startEcalSim, type EcalSim } from '../sim/index.js';
import { checkEcal } from './check.js';

const CAL_A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const CAL_B = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const noWait = { sleep: () => Promise.resolve() };

let sim: EcalSim;
beforeAll(async () => {
  sim = await startEcalSim({ keys: { 'key-1': 'secret-1' }, calendars: [CAL_A, CAL_B] });
});
afterAll(async () => {
  await sim.close();
});

describe('the ECAL check against the simulator', () => {
  it('lists the schedules these keys can write, to pick one, writing nothing', async () => {
    sim.resetLog();
    const r = await checkEcal({ url: sim.url, apiKey: 'key-1', apiSecret: 'secret-1', locale: 'en', retry: noWait });
    expect(r).toEqual({
      ok: true,
      calendars: [
        { id: CAL_A, name: 'Calendar 1', draft: false },
        { id: CAL_B, name: 'Calendar 2', draft: false },
      ],
      message: 'These keys can write to 2 schedules: Calendar 1, Calendar 2',
    });
    expect(sim.requests.map((q) => q.method)).toEqual(['GET']);
    const fr = await checkEcal({ url: sim.url, apiKey: 'key-1', apiSecret: 'secret-1', locale: 'fr', retry: noWait });
    expect(fr.message).toBe('Ces clés peuvent écrire dans 2 agendas : Calendar 1, Calendar 2');
  });

  it('names refused keys as such, with neither key nor secret in the answer', async () => {
    for (const [apiKey, apiSecret] of [
      ['key-1', 'wrong-secret'],
      ['unknown-key', 'secret-1'],
    ] as const) {
      const r = await checkEcal({ url: sim.url, apiKey, apiSecret, locale: 'en', retry: noWait });
      expect(r).toEqual({ ok: false, reason: 'refused', message: 'ECAL refuses these keys (wrong key or secret, or an inactive key).' });
    }
  });

  it('says ECAL is unreachable when nothing answers or it keeps failing', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await checkEcal({ url: `http://127.0.0.1:${port}`, apiKey: 'key-1', apiSecret: 'secret-1', locale: 'en', retry: noWait });
    expect(r).toEqual({ ok: false, reason: 'unreachable', message: `ECAL cannot be reached (127.0.0.1:${port}): try again in a moment.` });
    sim.injectFailures({ status: 503, count: 5 });
    const busy = await checkEcal({ url: sim.url, apiKey: 'key-1', apiSecret: 'secret-1', locale: 'en', retry: noWait });
    sim.clearFailures();
    expect(busy).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('lets an invitee reach the owner’s ECAL only', async () => {
    const policy = inviteePolicy({ school: 'cd', env: { CAMPUS_SYNC_ECAL_URL: sim.url } });
    expect(await checkEcal({ url: sim.url, apiKey: 'key-1', apiSecret: 'secret-1', locale: 'en', policy, retry: noWait })).toMatchObject({ ok: true });
    const typed = await checkEcal({ url: 'http://localhost:9999', apiKey: 'key-1', apiSecret: 'secret-1', locale: 'en', policy, retry: noWait });
    expect(typed).toEqual({ ok: false, reason: 'refused-host', message: 'localhost:9999 is a name of the local network: an invitation cannot use it' });
  });
});
