import { describe, it, expect } from 'vitest';
import type { CalendarEvent } from '../lib/index.js';
import { compareSourceIds, dedupeEvents } from './dedupe.js';

function ev(sourceId: string, o: Partial<CalendarEvent> = {}): CalendarEvent {
  return {
    sourceId,
    title: 'Réseaux',
    location: 'B110',
    start: '2025-03-31T08:30:00+02:00',
    end: '2025-03-31T11:30:00+02:00',
    timezone: 'Europe/Paris',
    allDay: false,
    teacher: null,
    groupLabel: null,
    teamsUrls: [],
    remote: false,
    details: '',
    ...o,
  };
}

describe('dedupeEvents', () => {
  it('keeps one event per sourceId (the first seen)', () => {
    const out = dedupeEvents([ev('7', { teacher: 'A' }), ev('7', { teacher: 'B' })]);
    expect(out).toHaveLength(1);
    expect(out[0]?.teacher).toBe('A');
  });

  it('merges identical classes listed under different NoCours, keeping the lowest (numerically)', () => {
    expect(dedupeEvents([ev('10'), ev('9'), ev('100')]).map((e) => e.sourceId)).toEqual(['9']);
    expect(dedupeEvents([ev('100'), ev('10'), ev('9')]).map((e) => e.sourceId)).toEqual(['9']);
  });

  it('treats the same instant written with another offset as identical', () => {
    expect(dedupeEvents([ev('2', { start: '2025-03-31T06:30:00+00:00' }), ev('1')]).map((e) => e.sourceId)).toEqual(['1']);
  });

  it('keeps classes that differ in title, start, end or location', () => {
    const out = dedupeEvents([
      ev('1'),
      ev('2', { title: 'Anglais' }),
      ev('3', { start: '2025-03-31T08:00:00+02:00' }),
      ev('4', { end: '2025-03-31T12:00:00+02:00' }),
      ev('5', { location: '' }),
    ]);
    expect(out.map((e) => e.sourceId)).toEqual(['3', '1', '2', '4', '5']);
  });

  it('sorts by start instant then sourceId, whatever the input order', () => {
    const a = ev('20', { start: '2025-04-01T08:30:00+02:00', end: '2025-04-01T09:30:00+02:00' });
    const b = ev('3', { title: 'Anglais' });
    const c = ev('11', { title: 'Maths' });
    const d = ev('5', { start: '2025-03-28T08:30:00+01:00', end: '2025-03-28T09:30:00+01:00' });
    expect(dedupeEvents([a, b, c, d]).map((e) => e.sourceId)).toEqual(['5', '3', '11', '20']);
    expect(dedupeEvents([c, d, a, b]).map((e) => e.sourceId)).toEqual(['5', '3', '11', '20']);
  });
});

describe('compareSourceIds', () => {
  it('orders numbers numerically and other ids as strings', () => {
    expect(['10', '9', 'b', 'a', '100'].sort(compareSourceIds)).toEqual(['9', '10', '100', 'a', 'b']);
  });
});
