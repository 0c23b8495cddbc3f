import { describe, it, expect, vi } from 'vitest';
import ICAL from 'ical.js';
import nodeIcal from 'node-ical';
import type { CalendarEvent } from '../lib/index.js';
import { icsUid, nextIcsRevisions, renderIcs, REVISION_RETENTION_DAYS, type IcsRevisions } from './ics.js';

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

const T0 = new Date('2025-03-01T09:00:00Z');
/** Options with every event first seen at T0 (revision 0). */
const opts = (events: CalendarEvent[], over: { revisions?: IcsRevisions; name?: string } = {}) => ({
  instance: 'alice',
  timezone: 'Europe/Paris',
  revisions: nextIcsRevisions(events, {}, T0),
  ...over,
});
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

  it('is identical between two renders of the same input (no moving DTSTAMP)', () => {
    // Only Date is faked, for the library's own "now": a second later, a "now" DTSTAMP would differ.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2025-03-30T12:00:00Z') });
    try {
      const first = renderIcs(events, opts(events));
      vi.setSystemTime(Date.parse('2025-03-30T12:00:01.100Z'));
      expect(renderIcs(events, opts(events))).toBe(first);
      expect(renderIcs([...events].reverse(), opts(events))).toBe(first);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes local times with TZID and one VTIMEZONE block for the zone', () => {
    const ics = lines(renderIcs(events, opts(events)));
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20250331T083000');
    expect(ics).toContain('DTEND;TZID=Europe/Paris:20250331T103000');
    // The day before the DST change, in winter time.
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20250328T140000');
    expect(ics.filter((l) => l === 'BEGIN:VTIMEZONE')).toHaveLength(1);
    expect(ics).toContain('TZID:Europe/Paris');
    expect(ics).toContain('X-WR-TIMEZONE:Europe/Paris');
  });

  it('uses stable UIDs per course and instance', () => {
    const ics = lines(renderIcs(events, opts(events)));
    expect(icsUid('1001', 'alice')).toBe('1001@alice.campus-sync');
    expect(ics.filter((l) => l.startsWith('UID:'))).toEqual(['UID:1000@alice.campus-sync', 'UID:1001@alice.campus-sync']);
  });

  it('stamps DTSTAMP and LAST-MODIFIED with the time of the last change, in UTC, never the class start', () => {
    const ics = lines(renderIcs(events, opts(events)));
    expect(ics.filter((l) => l.startsWith('DTSTAMP'))).toEqual(['DTSTAMP:20250301T090000Z', 'DTSTAMP:20250301T090000Z']);
    const inEvents = ics.filter((_, i) => ics.lastIndexOf('BEGIN:VEVENT', i) > ics.lastIndexOf('END:VEVENT', i));
    expect(inEvents.filter((l) => l.startsWith('LAST-MODIFIED'))).toEqual(['LAST-MODIFIED:20250301T090000Z', 'LAST-MODIFIED:20250301T090000Z']);
    expect(ics.filter((l) => l.startsWith('SEQUENCE'))).toEqual(['SEQUENCE:0', 'SEQUENCE:0']);
  });

  it('escapes commas, semicolons and newlines in text', () => {
    const ics = lines(renderIcs(events, opts(events)));
    expect(ics).toContain('SUMMARY:SQL\\, NoSQL\\; and more');
    expect(ics).toContain('DESCRIPTION:Intervenant : CEZERA STÉPHANE\\nNom complet du cours : G1 Administration des BDD');
    expect(ics).toContain('LOCATION:B110-S(Bâtiment B)');
  });

  it('links the first Teams URL only', () => {
    const ics = lines(renderIcs(events, opts(events)));
    expect(ics.filter((l) => l.startsWith('URL'))).toEqual(['URL;VALUE=URI:https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2']);
  });

  it('renders all-day events as dates', () => {
    const allDay = [course('7', '2025-04-01T00:00:00+02:00', '2025-04-02T00:00:00+02:00', { allDay: true })];
    const ics = lines(renderIcs(allDay, opts(allDay)));
    expect(ics).toContain('DTSTART;VALUE=DATE:20250401');
    expect(ics).toContain('DTEND;VALUE=DATE:20250402');
  });

  it('produces a valid empty calendar', () => {
    const ics = renderIcs([], opts([], { name: 'Alice' }));
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(lines(ics)).toContain('REFRESH-INTERVAL;VALUE=DURATION:PT1H');
    expect(ics).toContain('X-WR-CALNAME:Alice');
    expect(ics).not.toContain('BEGIN:VEVENT');
  });
});

describe('ICS updates reach subscribers (reference/conventions.md, "ICS feeds")', () => {
  const base = course('1001', '2025-03-31T08:30:00+02:00', '2025-03-31T10:30:00+02:00');
  const other = course('1002', '2025-04-01T08:30:00+02:00', '2025-04-01T10:30:00+02:00');
  const T1 = new Date('2025-03-10T07:15:00Z');
  const T2 = new Date('2025-03-20T16:45:30Z');

  it("raises SEQUENCE and moves DTSTAMP/LAST-MODIFIED each time a course's time, place or text changes, and only then", () => {
    const r0 = nextIcsRevisions([base, other], {}, T0);
    expect(r0['1001']).toMatchObject({ sequence: 0, modified: T0.toISOString() });
    // Same content later: nothing moves.
    expect(nextIcsRevisions([base, other], r0, T1)).toEqual(r0);
    const moved = { ...base, start: '2025-03-31T09:30:00+02:00', end: '2025-03-31T11:30:00+02:00' };
    const r1 = nextIcsRevisions([moved, other], r0, T1);
    expect(r1['1001']).toMatchObject({ sequence: 1, modified: T1.toISOString() });
    expect(r1['1002']).toEqual(r0['1002']);
    const r2 = nextIcsRevisions([{ ...moved, location: 'B204' }, other], r1, T2);
    expect(r2['1001']).toMatchObject({ sequence: 2, modified: T2.toISOString() });
    const r3 = nextIcsRevisions([{ ...moved, location: 'B204', details: 'Intervenant : X' }, other], r2, T2);
    expect(r3['1001']?.sequence).toBe(3);

    const ics = lines(renderIcs([{ ...moved, location: 'B204' }, other], opts([], { revisions: r2 })));
    const first = ics.slice(ics.indexOf('UID:1001@alice.campus-sync'));
    expect(first.slice(0, first.indexOf('END:VEVENT'))).toEqual(
      expect.arrayContaining(['SEQUENCE:2', 'DTSTAMP:20250320T164530Z', 'LAST-MODIFIED:20250320T164530Z']),
    );
  });

  it('keeps the revision of a course that left the timetable for a while, so it comes back with a higher SEQUENCE', () => {
    const r0 = nextIcsRevisions([base], {}, T0);
    const r1 = nextIcsRevisions([{ ...base, title: 'Changed' }], r0, T1);
    const gone = nextIcsRevisions([], r1, T2);
    expect(gone['1001']?.sequence).toBe(1);
    expect(nextIcsRevisions([base], gone, T2)['1001']?.sequence).toBe(2);
    const muchLater = new Date(T1.getTime() + (REVISION_RETENTION_DAYS + 1) * 86_400_000);
    expect(nextIcsRevisions([], gone, muchLater)).toEqual({});
  });

  it('refuses to render an event without a revision (a caller bug, not a silent DTSTAMP)', () => {
    expect(() => renderIcs([base], opts([]))).toThrow(/no revision for course 1001/);
  });

  it('puts calendar properties before any component, ends with CRLF, strips C0 controls', () => {
    const dirty = course('9', '2025-03-31T08:30:00+02:00', '2025-03-31T10:30:00+02:00', {
      title: 'Ré\u0000seaux\u0007 \u001b[31mrouge',
      location: 'B\u0008110',
      details: 'ligne 1\r\nligne\t2\u000c',
    });
    const ics = renderIcs([dirty], opts([dirty]));
    expect(ics.endsWith('\r\n')).toBe(true);
    expect(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(ics)).toBe(false);
    expect(ics.replace(/\r\n/g, '').includes('\n')).toBe(false); // every line break is CRLF
    const all = lines(ics);
    const firstComponent = all.findIndex((l, i) => i > 0 && l.startsWith('BEGIN:'));
    const properties = all.slice(1, firstComponent);
    expect(properties).toEqual(
      expect.arrayContaining(['X-WR-TIMEZONE:Europe/Paris', 'REFRESH-INTERVAL;VALUE=DURATION:PT1H', 'X-PUBLISHED-TTL:PT1H', 'VERSION:2.0']),
    );
    // After the components, only END:VCALENDAR.
    expect(all.slice(all.lastIndexOf('END:VEVENT') + 1)).toEqual(['END:VCALENDAR', '']);
    expect(all).toContain('SUMMARY:Réseaux [31mrouge');
    expect(all).toContain('LOCATION:B110');
    expect(all).toContain('DESCRIPTION:ligne 1\\nligne 2');
  });
});

describe('the ICS file read by two independent parsers', () => {
  const events = [
    course('1001', '2025-03-31T08:30:00+02:00', '2025-03-31T10:30:00+02:00', {
      title: 'Économie, droit; “guillemets” – 📐',
      details: 'Intervenant : CEZERA STÉPHANE\nLien Teams : https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2',
      teamsUrls: ['https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2'],
    }),
    course('1000', '2025-03-28T14:00:00+01:00', '2025-03-28T17:00:00+01:00', { location: '' }),
    course('7', '2025-04-01T00:00:00+02:00', '2025-04-02T00:00:00+02:00', { allDay: true, title: 'Journée' }),
  ];
  const r0 = nextIcsRevisions(events, {}, T0);
  const moved = events.map((e) => (e.sourceId === '1001' ? { ...e, start: '2025-03-31T13:30:00+02:00', end: '2025-03-31T15:30:00+02:00' } : e));
  const T1 = new Date('2025-03-15T12:00:00Z');
  const ics = renderIcs(moved, opts(moved, { revisions: nextIcsRevisions(moved, r0, T1) }));

  it('ical.js: same events, instants, SEQUENCE, DTSTAMP and LAST-MODIFIED', () => {
    const root = new ICAL.Component(ICAL.parse(ics));
    for (const tz of root.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
    expect(root.getFirstPropertyValue('x-wr-timezone')).toBe('Europe/Paris');
    expect(root.getFirstPropertyValue('refresh-interval')?.toString()).toBe('PT1H');
    const byUid = new Map(root.getAllSubcomponents('vevent').map((v) => [String(v.getFirstPropertyValue('uid')), v]));
    expect([...byUid.keys()].sort()).toEqual(['1000@alice.campus-sync', '1001@alice.campus-sync', '7@alice.campus-sync']);
    const changed = new ICAL.Event(byUid.get('1001@alice.campus-sync')!);
    expect(changed.startDate.toJSDate().toISOString()).toBe('2025-03-31T11:30:00.000Z');
    expect(changed.endDate.toJSDate().toISOString()).toBe('2025-03-31T13:30:00.000Z');
    expect(changed.summary).toBe('Économie, droit; “guillemets” – 📐');
    expect(changed.sequence).toBe(1);
    expect(changed.component.getFirstPropertyValue('dtstamp')?.toString()).toBe('2025-03-15T12:00:00Z');
    expect(changed.component.getFirstPropertyValue('last-modified')?.toString()).toBe('2025-03-15T12:00:00Z');
    const untouched = new ICAL.Event(byUid.get('1000@alice.campus-sync')!);
    expect(untouched.sequence).toBe(0);
    expect(untouched.startDate.toJSDate().toISOString()).toBe('2025-03-28T13:00:00.000Z');
    expect(untouched.component.getFirstPropertyValue('dtstamp')?.toString()).toBe('2025-03-01T09:00:00Z');
    const day = new ICAL.Event(byUid.get('7@alice.campus-sync')!);
    expect(day.startDate.isDate).toBe(true);
    expect(day.startDate.toString()).toBe('2025-04-01');
  });

  it('node-ical: same events, instants, SEQUENCE, DTSTAMP and LAST-MODIFIED', () => {
    const parsed = nodeIcal.sync.parseICS(ics);
    const vevents = Object.values(parsed).filter((c) => c?.type === 'VEVENT') as nodeIcal.VEvent[];
    const byUid = new Map(vevents.map((v) => [v.uid, v]));
    expect([...byUid.keys()].sort()).toEqual(['1000@alice.campus-sync', '1001@alice.campus-sync', '7@alice.campus-sync']);
    const changed = byUid.get('1001@alice.campus-sync')!;
    expect(changed.start.toISOString()).toBe('2025-03-31T11:30:00.000Z');
    expect(changed.end?.toISOString()).toBe('2025-03-31T13:30:00.000Z');
    expect(changed.summary).toBe('Économie, droit; “guillemets” – 📐');
    expect(Number(changed.sequence)).toBe(1);
    expect(changed.dtstamp.toISOString()).toBe('2025-03-15T12:00:00.000Z');
    expect(changed.lastmodified?.toISOString()).toBe('2025-03-15T12:00:00.000Z');
    // node-ical gives a property with parameters (VALUE=URI) as { params, val }.
    const url: unknown = changed.url;
    expect(typeof url === 'string' ? url : (url as { val: string }).val).toBe('https://teams.microsoft.com/l/meetup-join/abc?x=1&y=2');
    const untouched = byUid.get('1000@alice.campus-sync')!;
    expect(Number(untouched.sequence)).toBe(0);
    expect(untouched.start.toISOString()).toBe('2025-03-28T13:00:00.000Z');
    expect(untouched.dtstamp.toISOString()).toBe('2025-03-01T09:00:00.000Z');
    expect(byUid.get('7@alice.campus-sync')!.datetype).toBe('date');
  });
});
