/** removeOwnEvents against the ECAL simulator: our events go, a hand-made one and another instance's stay. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcalSim, type EcalSim } from '../sim/index.js';
import { createEcalClient } from './client.js';
import { eventReference } from './reference.js';
import { removeOwnEvents } from './remove-own.js';

const KEY = 'sim-key-remove';
const SECRET = 'sim-secret-remove';
const CAL = '0123456789abcdef01234567';

let sim: EcalSim;
beforeAll(async () => {
  sim = await startEcalSim({ keys: { [KEY]: SECRET }, calendars: [CAL] });
});
afterAll(() => sim.close());

const base = { calendarId: CAL, location: 'B204', startTime: '08:30', endTime: '10:00', timezone: 'Europe/Paris', details: '', alert: '15M', draft: 0 };

describe('removeOwnEvents', () => {
  it("deletes only this instance's events: a hand-made one, another instance's and a legacy one are kept", async () => {
    const ours = [1, 2, 3].map((n) =>
      sim.addEvent({ ...base, name: `Cours ${n}`, startDate: `2026-12-0${n + 6}`, endDate: `2026-12-0${n + 6}`, reference: eventReference('lea', `C${n}`) }),
    );
    // Same title and time as one of ours, made by hand in ECAL: no reference at all.
    const handMade = sim.addEvent({ ...base, name: 'Cours 1', startDate: '2026-12-07', endDate: '2026-12-07' });
    const other = sim.addEvent({ ...base, name: 'Cours 1', startDate: '2026-12-07', endDate: '2026-12-07', reference: eventReference('leah', 'C1') });
    const legacy = sim.addEvent({ ...base, name: 'Ancien', startDate: '2026-12-08', endDate: '2026-12-08', reference: '123456' });
    const client = createEcalClient({ url: sim.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 5_000 });

    const result = await removeOwnEvents({ client, instance: 'lea', calendarId: CAL, from: '2026-12-01', to: '2026-12-31' });

    expect(result).toEqual({ deleted: 3, kept: 3, failed: [] });
    const left = sim.events().map((e) => e.id);
    for (const e of ours) expect(left).not.toContain(e.id);
    expect(left).toEqual(expect.arrayContaining([handMade.id, other.id, legacy.id]));
    expect(left).toHaveLength(3);
  });

  it('outside the listed days nothing is touched', async () => {
    const far = sim.addEvent({ ...base, name: 'Plus tard', startDate: '2027-03-01', endDate: '2027-03-01', reference: eventReference('lea', 'LATE') });
    const client = createEcalClient({ url: sim.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 5_000 });
    const result = await removeOwnEvents({ client, instance: 'lea', calendarId: CAL, from: '2026-12-01', to: '2026-12-31' });
    expect(result.deleted).toBe(0);
    expect(sim.events().map((e) => e.id)).toContain(far.id);
  });
});
