import { describe, it, expect } from 'vitest';
import type { CalendarEvent } from '../lib/index.js';
import { icsUid, renderIcs } from './ics.js';

function course(sourceId: string, start: string, end: string, extra: Partial<CalendarEvent> = {}): CalendarEvent {
  return {
    sourceId,
    title: 'Administration BDD',
    location: 'B110-S(Bâtiment B)',
    start,
    end,
    timezone: 'Europe/Paris',
    allDay: false,
    teacher: null,
    groupLabel: null,
    teamsUrls: [],
    remote: false,
    details: '',
    ...extra,
  };
}

const OPTS = { instance: 'alice', timezone: 'Europe/Paris' };
/** Unfolded content lines (RFC 5545 folds at 75 octets with CRLF + space). */
const lines = (ics: string): string[] => ics.replace(/\r\n[ \t]/g, '').split('\r\n');

describe('renderIcs', () => {
  const events = [
    course('1001', '2025-03-31T08:30:00+02:00', '2025-03-31T10:30:00+02:00', {
      title: 'SQL, NoSQL; and more',
      details: 'Intervenant : CEZERA STÉPHANE\nNom complet du cours : G1 Administration des BDD',
      teamsUrls: ['https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2', 'https://teams.microsoft.com/l/other'],
    }),
    course('1000', '2025-03-28T14:00:00+01:00', '2025-03-28T17:00:00+01:00'),
  ];

  it('is identical between two renders of the same input (no moving DTSTAMP)', async () => {
    const first = renderIcs(events, OPTS);
    await new Promise((r) => setTimeout(r, 1100)); // a second later, a "now" DTSTAMP would differ
    expect(renderIcs(events, OPTS)).toBe(first);
    expect(renderIcs([...events].reverse(), OPTS)).toBe(first);
  });

  it('writes local times with TZID and one VTIMEZONE block for the zone', () => {
    const ics = lines(renderIcs(events, OPTS));
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20250331T083000');
    expect(ics).toContain('DTEND;TZID=Europe/Paris:20250331T103000');
    // The day before the DST change, in winter time.
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20250328T140000');
    expect(ics.filter((l) => l === 'BEGIN:VTIMEZONE')).toHaveLength(1);
    expect(ics).toContain('TZID:Europe/Paris');
    expect(ics).toContain('X-WR-TIMEZONE:Europe/Paris');
  });

  it('uses stable UIDs per course and instance', () => {
    const ics = lines(renderIcs(events, OPTS));
    expect(icsUid('1001', 'alice')).toBe('1001@alice.campus-sync');
    expect(ics.filter((l) => l.startsWith('UID:'))).toEqual(['UID:1000@alice.campus-sync', 'UID:1001@alice.campus-sync']);
  });

  it('keeps DTSTAMP in UTC, as RFC 5545 requires', () => {
    const stamps = lines(renderIcs(events, OPTS)).filter((l) => l.startsWith('DTSTAMP'));
    expect(stamps).toEqual(['DTSTAMP:20250328T130000Z', 'DTSTAMP:20250331T063000Z']);
  });

  it('escapes commas, semicolons and newlines in text', () => {
    const ics = lines(renderIcs(events, OPTS));
    expect(ics).toContain('SUMMARY:SQL\\, NoSQL\\; and more');
    expect(ics).toContain('DESCRIPTION:Intervenant : CEZERA STÉPHANE\\nNom complet du cours : G1 Administration des BDD');
    expect(ics).toContain('LOCATION:B110-S(Bâtiment B)');
  });

  it('links the first Teams URL only', () => {
    const ics = lines(renderIcs(events, OPTS));
    expect(ics.filter((l) => l.startsWith('URL'))).toEqual(['URL;VALUE=URI:https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2']);
  });

  it('renders all-day events as dates', () => {
    const ics = lines(renderIcs([course('7', '2025-04-01T00:00:00+02:00', '2025-04-02T00:00:00+02:00', { allDay: true })], OPTS));
    expect(ics).toContain('DTSTART;VALUE=DATE:20250401');
    expect(ics).toContain('DTEND;VALUE=DATE:20250402');
  });

  it('produces a valid empty calendar', () => {
    const ics = renderIcs([], { ...OPTS, name: 'Alice' });
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR')).toBe(true);
    expect(ics).toContain('X-WR-CALNAME:Alice');
    expect(ics).not.toContain('BEGIN:VEVENT');
  });
});
