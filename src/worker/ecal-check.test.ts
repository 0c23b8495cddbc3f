import { describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../lib/index.js';
import { configHash, decideEcalCheck, eventsHash, unmatchedMarker, verifiedMarker, type EcalCheckInput } from './ecal-check.js';

const HOUR = 3600_000;
const T0 = new Date('2026-12-07T08:00:00Z');
const marker = verifiedMarker('ev-1', 'cfg-1', T0);
const input = (over: Partial<EcalCheckInput> = {}): EcalCheckInput => ({
  marker,
  eventsHash: 'ev-1',
  configHash: 'cfg-1',
  now: new Date(T0.getTime() + HOUR),
  verifyEveryMs: 6 * HOUR,
  requested: false,
  dryRun: false,
  idsKnown: true,
  ...over,
});

describe('decideEcalCheck (the request floor)', () => {
  it('skips the listing when timetable and config equal the last clean check and the check is not due', () => {
    expect(decideEcalCheck(input())).toEqual({ kind: 'skipped', verifiedAt: T0.toISOString(), nextVerificationBy: '2026-12-07T14:00:00.000Z' });
  });

  it('lists ECAL for each reason, in the order a user would name it', () => {
    expect(decideEcalCheck(input({ dryRun: true, requested: true }))).toEqual({ kind: 'full', reason: 'dry-run' });
    expect(decideEcalCheck(input({ requested: true }))).toEqual({ kind: 'full', reason: 'requested' });
    expect(decideEcalCheck(input({ marker: undefined }))).toEqual({ kind: 'full', reason: 'first' });
    expect(decideEcalCheck(input({ marker: unmatchedMarker(marker) }))).toEqual({ kind: 'full', reason: 'after-failure' });
    expect(decideEcalCheck(input({ configHash: 'cfg-2', eventsHash: 'ev-2' }))).toEqual({ kind: 'full', reason: 'config-changed' });
    expect(decideEcalCheck(input({ eventsHash: 'ev-2', idsKnown: false }))).toEqual({ kind: 'full', reason: 'timetable-changed' });
    expect(decideEcalCheck(input({ idsKnown: false }))).toEqual({ kind: 'full', reason: 'ids-unknown' });
  });

  it('is due exactly verifyEvery after the last check; 0 lists every run; a check "in the future" (clock set back) is not trusted', () => {
    expect(decideEcalCheck(input({ now: new Date(T0.getTime() + 6 * HOUR - 1) })).kind).toBe('skipped');
    expect(decideEcalCheck(input({ now: new Date(T0.getTime() + 6 * HOUR) }))).toEqual({ kind: 'full', reason: 'scheduled' });
    expect(decideEcalCheck(input({ verifyEveryMs: 0 }))).toEqual({ kind: 'full', reason: 'scheduled' });
    expect(decideEcalCheck(input({ now: new Date(T0.getTime() - HOUR) }))).toEqual({ kind: 'full', reason: 'scheduled' });
    expect(decideEcalCheck(input({ marker: { ...marker, verifiedAt: 'garbage' } }))).toEqual({ kind: 'full', reason: 'scheduled' });
  });

  it('unmatchedMarker keeps the hashes but forces the next listing; no marker stays none', () => {
    expect(unmatchedMarker(marker)).toEqual({ ...marker, matched: false });
    expect(unmatchedMarker(undefined)).toBeUndefined();
  });
});

describe('hashes', () => {
  const ev = (sourceId: string, title: string): CalendarEvent =>
    ({ sourceId, title, start: '2026-12-07T08:30:00+01:00', end: '2026-12-07T10:30:00+01:00', timezone: 'Europe/Paris' }) as unknown as CalendarEvent;
  it('the events hash ignores MonCampus order and sees any change of content', () => {
    const a = ev('1', 'Droit'),
      b = ev('2', 'Économie');
    expect(eventsHash([a, b])).toBe(eventsHash([b, a]));
    expect(eventsHash([a, b])).not.toBe(eventsHash([a, ev('2', 'Economie')]));
    expect(eventsHash([a, b])).not.toBe(eventsHash([a]));
  });
  it('the config hash changes with any key and never contains the secret in clear', () => {
    const c = { name: 'zoe', ecal: { apiKey: 'zoe-key-1', calendarId: 'a' } };
    expect(configHash(c)).not.toBe(configHash({ ...c, ecal: { ...c.ecal, calendarId: 'b' } }));
    expect(configHash(c)).toMatch(/^[0-9a-f]{64}$/);
  });
});
