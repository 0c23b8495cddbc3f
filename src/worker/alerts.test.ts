import { describe, expect, it } from 'vitest';
import { alertsForRun, initialAlertMemory, type AlertMemory } from './alerts.js';
import { zeroCounts, type RunRecord } from '../instance/index.js';

const run = (over: Partial<RunRecord>): RunRecord => ({
  instance: 'alice',
  startedAt: '2025-01-01T00:00:00Z',
  finishedAt: '2025-01-01T00:00:01Z',
  durationMs: 1000,
  outcome: 'success',
  courses: 10,
  counts: zeroCounts(),
  requests: { moncampus: 1, ecal: 1, ecalWrites: 0 },
  logins: 0,
  icsWritten: false,
  ...over,
});
const refused = run({ outcome: 'failed', phase: 'login', authFailed: true, error: 'MonCampus refused the login for alice' });
const network = run({ outcome: 'failed', phase: 'fetch', error: 'MonCampus unreachable' });

/** Runs a sequence and returns the alert kinds each run produced. */
function kinds(records: RunRecord[], start: AlertMemory = initialAlertMemory()): string[][] {
  let memory = start;
  return records.map((r) => {
    const { next, alerts } = alertsForRun(memory, r);
    memory = next;
    return alerts.map((a) => a.kind);
  });
}

describe('alerts on transitions, never once per run', () => {
  it('a refused login alerts once when it starts and once when it recovers', () => {
    expect(kinds([refused, refused, refused, run({}), run({})])).toEqual([['auth.failed'], [], [], ['auth.recovered'], []]);
  });

  it('a network failure between refusals says nothing about the credentials', () => {
    expect(kinds([refused, network, refused, run({})])).toEqual([['auth.failed'], ['sync.failed'], [], ['auth.recovered', 'sync.recovered']]);
  });

  it('sync failures (including partial pushes) alert once, then recover', () => {
    const partial = run({ outcome: 'partial', error: '3 of 10 ECAL changes failed' });
    expect(kinds([network, partial, network, run({})])).toEqual([['sync.failed'], [], [], ['sync.recovered']]);
  });

  it('the deletion guard alerts when it starts holding, sync.done only when something changed', () => {
    const held = run({ guard: { held: true, reason: 'MonCampus returned no course', withheldDeletes: 40 } });
    const changed = run({ counts: { ...zeroCounts(), updated: 2 } });
    expect(kinds([held, held, run({}), changed])).toEqual([['deletion.guarded'], [], [], ['sync.done']]);
  });
});

describe('alert text in the config locale', () => {
  it('French by default, English on request, no English sentence in a French alert', () => {
    const held = run({ guard: { held: true, reason: 'MonCampus returned no course: kept 40 events', withheldDeletes: 40 } });
    const fr = alertsForRun(initialAlertMemory(), refused).alerts[0];
    expect(fr).toMatchObject({ title: 'alice : connexion refusée', text: expect.stringContaining('Rien n’est synchronisé') as unknown });
    const guard = alertsForRun(initialAlertMemory(), held).alerts[0];
    expect(guard?.title).toBe('alice : suppressions retenues');
    expect(guard?.text).toContain('40 événements qui auraient été supprimés sont gardés');
    expect(guard?.text).not.toContain('MonCampus returned');
    const en = alertsForRun(initialAlertMemory(), network, { locale: 'en' }).alerts[0];
    expect(en).toMatchObject({ title: 'alice: sync failed (fetch)', text: 'Technical detail: MonCampus unreachable' });
    expect(alertsForRun(initialAlertMemory(), network).alerts[0]?.title).toBe('alice : la synchronisation a échoué (fetch)');
  });
});
