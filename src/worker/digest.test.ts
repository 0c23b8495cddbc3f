import { describe, expect, it } from 'vitest';
import type { ClassSnapshot } from './changes.js';
import { classesOfNextDay, digestAlert, digestDue } from './digest.js';

const ZONE = 'Europe/Paris';
const cls = (id: string, start: string, end: string, room = 'B12', teacher: string | null = 'M. Durand'): ClassSnapshot => ({
  id,
  title: `G1 Cours ${id}`,
  start,
  end,
  room,
  teacher,
});

describe('digestDue', () => {
  it('is due from the time asked (local) until midnight, once per local day', () => {
    // 18:59 UTC is 19:59 in Paris in winter: not yet.
    expect(digestDue(new Date('2026-12-07T18:59:00Z'), ZONE, '20:00', undefined)).toBeNull();
    expect(digestDue(new Date('2026-12-07T19:00:00Z'), ZONE, '20:00', undefined)).toBe('2026-12-07');
    expect(digestDue(new Date('2026-12-07T22:30:00Z'), ZONE, '20:00', undefined)).toBe('2026-12-07');
    // Already handled today (before a restart): not again; the next day it is.
    expect(digestDue(new Date('2026-12-07T21:00:00Z'), ZONE, '20:00', '2026-12-07')).toBeNull();
    // 23:30 UTC is already the 8th in Paris, before 20:00: not due, whatever was sent on the 7th.
    expect(digestDue(new Date('2026-12-07T23:30:00Z'), ZONE, '20:00', '2026-12-07')).toBeNull();
    expect(digestDue(new Date('2026-12-08T19:00:00Z'), ZONE, '20:00', '2026-12-07')).toBe('2026-12-08');
  });

  it('reads the time in the config zone, summer time included', () => {
    // 18:00 UTC in July is 20:00 in Paris (UTC+2).
    expect(digestDue(new Date('2026-07-07T17:59:00Z'), ZONE, '20:00', undefined)).toBeNull();
    expect(digestDue(new Date('2026-07-07T18:00:00Z'), ZONE, '20:00', undefined)).toBe('2026-07-07');
  });
});

describe('classesOfNextDay', () => {
  it('keeps the local next day only, earliest first', () => {
    const list = [
      cls('late', '2026-12-08T16:00:00+01:00', '2026-12-08T18:00:00+01:00'),
      cls('early', '2026-12-08T08:30:00+01:00', '2026-12-08T10:30:00+01:00'),
      cls('today', '2026-12-07T21:00:00+01:00', '2026-12-07T22:00:00+01:00'),
      cls('after', '2026-12-09T00:00:00+01:00', '2026-12-09T01:00:00+01:00'),
      // 23:30 UTC on the 7th is 00:30 on the 8th in Paris: tomorrow.
      cls('utc', '2026-12-07T23:30:00Z', '2026-12-08T00:30:00Z'),
    ];
    expect(classesOfNextDay(list, '2026-12-07', ZONE).map((c) => c.id)).toEqual(['utc', 'early', 'late']);
  });
});

describe('digestAlert', () => {
  const tomorrow = [
    cls('1', '2026-12-08T08:30:00+01:00', '2026-12-08T10:30:00+01:00'),
    cls('2', '2026-12-08T14:00:00+01:00', '2026-12-08T16:00:00+01:00', '', null),
  ];

  it('is one French message naming each class with its hours and room, once per day (id)', () => {
    const a = digestAlert('lea', '2026-12-07', tomorrow, { zone: ZONE, locale: 'fr' });
    expect(a).toMatchObject({ id: 'digest-lea-2026-12-07', kind: 'timetable.digest', title: 'lea : demain, mardi 8 décembre, 2 cours' });
    expect(a?.text).toBe('08:30–10:30 G1 Cours 1 (salle B12)\n14:00–16:00 G1 Cours 2');
    expect(a?.fields).toEqual([
      { name: '08:30–10:30 G1 Cours 1', value: 'salle B12 · M. Durand' },
      { name: '14:00–16:00 G1 Cours 2', value: 'sans salle' },
    ]);
  });

  it('speaks English for locale en, singular for one class', () => {
    const a = digestAlert('lea', '2026-12-07', tomorrow.slice(0, 1), { zone: ZONE, locale: 'en' });
    expect(a?.title).toBe('lea: tomorrow, Tuesday 8 December, one class');
    expect(a?.text).toBe('08:30–10:30 G1 Cours 1 (room B12)');
  });

  it('says nothing when the next day has no class', () => {
    expect(digestAlert('lea', '2026-12-07', [], { zone: ZONE, locale: 'fr' })).toBeNull();
  });
});
