import { describe, it, expect } from 'vitest';
import { DateTime } from 'luxon';
import type { CalendarEvent } from '../lib/index.js';
import type { EcalRemoteEvent } from './types.js';
import { diffFields, planSync, toEcalBody, type PlanAction, type SyncOptions } from './plan.js';

const ZONE = 'Europe/Paris';
const CAL = 'c0ffee00c0ffee00c0ffee00';
const OPTS: SyncOptions = {
  instance: 'alice',
  calendarId: CAL,
  timezone: ZONE,
  alert: '15M',
  window: { from: '2025-03-24T00:00:00+01:00', to: '2025-04-21T00:00:00+02:00' },
  maxDeleteShare: 0.5,
};

/** A course on `day` (YYYY-MM-DD) from `from` to `to` (HH:MM), Paris wall clock. */
function course(sourceId: string, day: string, from = '08:30', to = '10:30', extra: Partial<CalendarEvent> = {}): CalendarEvent {
  const at = (hm: string): string => DateTime.fromISO(`${day}T${hm}`, { zone: ZONE }).toISO({ suppressMilliseconds: true })!;
  return {
    sourceId,
    title: `Course ${sourceId}`,
    location: 'B110',
    start: at(from),
    end: at(to),
    timezone: ZONE,
    allDay: false,
    teacher: 'CEZERA STÉPHANE',
    groupLabel: null,
    teamsUrls: [],
    remote: false,
    details: `Intervenant : CEZERA STÉPHANE`,
    ...extra,
  };
}

/** What ECAL holds after we created `event` (as id `id`). */
function remoteOf(event: CalendarEvent, id: string, overrides: Partial<EcalRemoteEvent> = {}): EcalRemoteEvent {
  return { ...toEcalBody(event, { instance: 'alice', calendarId: CAL, alert: '15M' }), id, ...overrides };
}

const kinds = (actions: PlanAction[]): string[] => actions.map((a) => `${a.kind}:${'id' in a ? a.id : a.reference}`);

describe('toEcalBody', () => {
  it('sends "Aucune" for a class without a room, since ECAL requires a location', () => {
    const body = toEcalBody(course('8', '2025-03-31', '08:30', '10:30', { location: '' }), { instance: 'alice', calendarId: CAL, alert: '15M' });
    expect(body.location).toBe('Aucune');
  });

  it('maps a course to the ECAL body with the wall clock in its zone', () => {
    const body = toEcalBody(course('7', '2025-03-31'), { instance: 'alice', calendarId: CAL, alert: '15M' });
    expect(body).toEqual({
      calendarId: CAL,
      name: 'Course 7',
      location: 'B110',
      startDate: '2025-03-31',
      startTime: '08:30',
      endDate: '2025-03-31',
      endTime: '10:30',
      allDay: 'no',
      timezone: ZONE,
      reference: 'campus-sync:alice:7',
      details: 'Intervenant : CEZERA STÉPHANE',
      alert: '15M',
      draft: 0,
    });
  });

  it('reads the wall clock in the event zone whatever offset the ISO string carries', () => {
    const e = { ...course('7', '2025-03-31'), start: '2025-03-31T06:30:00Z', end: '2025-03-31T08:30:00Z' };
    const body = toEcalBody(e, { instance: 'alice', calendarId: CAL, alert: '15M' });
    expect([body.startTime, body.endTime]).toEqual(['08:30', '10:30']);
  });

  it('gives all-day events dates only, the last day inclusive', () => {
    const e = { ...course('8', '2025-04-01'), allDay: true, start: '2025-04-01T00:00:00+02:00', end: '2025-04-02T00:00:00+02:00' };
    const body = toEcalBody(e, { instance: 'alice', calendarId: CAL, alert: '' });
    expect(body).toMatchObject({ allDay: 'yes', startDate: '2025-04-01', endDate: '2025-04-01' });
    expect(body.startTime).toBeUndefined();
  });

  it('refuses an end before the start', () => {
    expect(() => toEcalBody(course('9', '2025-03-31', '10:00', '09:00'), { instance: 'a', calendarId: CAL, alert: '' })).toThrow(/before start/);
  });
});

describe('diffFields normalisation', () => {
  const body = toEcalBody(course('1', '2025-03-31'), { instance: 'alice', calendarId: CAL, alert: '15M' });

  it('treats the ways ECAL may echo a field as equal', () => {
    const echoed: EcalRemoteEvent = {
      id: 'x',
      name: ' Course 1 ',
      location: 'B110',
      startDate: '2025-03-31 08:30:00',
      endDate: '2025-03-31T10:30:00',
      startTime: '08:30:00',
      endTime: '10:30:00',
      details: 'Intervenant : CEZERA STÉPHANE\r\n',
      alert: '15m',
      reference: 'campus-sync:alice:1',
      // allDay, timezone and calendarId missing
    };
    expect(diffFields(body, echoed)).toEqual([]);
  });

  it('reads the time from a date-time startDate when startTime is missing', () => {
    const echoed: EcalRemoteEvent = {
      ...body,
      id: 'x',
      startTime: undefined,
      endTime: undefined,
      startDate: '2025-03-31 08:30:00',
      endDate: '2025-03-31 10:30:00',
    };
    expect(diffFields(body, echoed)).toEqual([]);
  });

  it('treats a missing text field as empty', () => {
    const noDetails = toEcalBody({ ...course('1', '2025-03-31'), details: '' }, { instance: 'alice', calendarId: CAL, alert: '15M' });
    const { details: _dropped, ...echoed } = { ...noDetails, id: 'x' };
    expect(diffFields(noDetails, echoed)).toEqual([]);
    expect(diffFields(body, echoed)).toEqual(['details']);
  });

  it('reports a different timezone when one is echoed', () => {
    expect(diffFields(body, { ...body, id: 'x', timezone: 'Europe/London' })).toEqual(['timezone']);
  });
});

describe('planSync', () => {
  it('creates everything on an empty calendar (a normal first start)', () => {
    const plan = planSync([course('2', '2025-04-02'), course('1', '2025-03-31')], [], OPTS);
    expect(kinds(plan.actions)).toEqual(['create:campus-sync:alice:1', 'create:campus-sync:alice:2']);
    expect(plan.counts).toEqual({ create: 2, update: 0, adopt: 0, delete: 0, unchanged: 0 });
    expect(plan.guard.held).toBe(false);
  });

  it('does nothing when ECAL already matches', () => {
    const c = course('1', '2025-03-31');
    const plan = planSync([c], [remoteOf(c, 'r1')], OPTS);
    expect(plan.actions).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.counts.unchanged).toBe(1);
  });

  it('updates a moved class in place: one PUT naming the changed fields, never delete + create', () => {
    const before = course('1', '2025-03-31', '08:30', '10:30');
    const after = course('1', '2025-03-31', '13:30', '15:30');
    const plan = planSync([after], [remoteOf(before, 'r1')], OPTS);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ kind: 'update', id: 'r1', reference: 'campus-sync:alice:1', changes: ['startTime', 'endTime'] });
    expect(plan.actions[0]).toHaveProperty('body.startTime', '13:30');
  });

  it('updates a room change and a rename with their field names', () => {
    const before = course('1', '2025-03-31');
    const after = { ...before, title: 'Renamed', location: 'A001' };
    const plan = planSync([after], [remoteOf(before, 'r1')], OPTS);
    expect(plan.actions).toMatchObject([{ kind: 'update', changes: ['name', 'location'] }]);
  });

  it('deletes an owned event whose course left the source', () => {
    const keep = [course('1', '2025-03-31'), course('2', '2025-04-01'), course('3', '2025-04-02')];
    const gone = course('4', '2025-04-03');
    const plan = planSync(keep, [...keep.map((c, i) => remoteOf(c, `r${i}`)), remoteOf(gone, 'r9')], OPTS);
    expect(plan.actions).toEqual([
      { kind: 'delete', id: 'r9', reference: 'campus-sync:alice:4', reason: 'left-source', summary: 'Course 4 — 2025-04-03 08:30' },
    ]);
  });

  it('does not delete an owned event starting outside the window', () => {
    const keep = course('1', '2025-03-31');
    const before = course('2', '2025-03-10');
    const after = course('3', '2025-05-10');
    const plan = planSync([keep], [remoteOf(keep, 'r1'), remoteOf(before, 'r2'), remoteOf(after, 'r3')], OPTS);
    expect(plan.actions).toEqual([]);
  });

  it('skips desired events outside the window, and keeps their ECAL copy', () => {
    const inside = course('1', '2025-03-31');
    const outside = course('2', '2025-05-10');
    const plan = planSync([inside, outside], [remoteOf(inside, 'r1')], OPTS);
    expect(plan.actions).toEqual([]);
    expect(plan.skipped).toEqual([{ reference: 'campus-sync:alice:2', reason: 'starts outside the sync window' }]);
  });

  it('never touches hand-made events, other instances or other calendars', () => {
    const c = course('1', '2025-03-31');
    const remote: EcalRemoteEvent[] = [
      { id: 'h1', name: 'Dentist', location: '', startDate: '2025-04-01', startTime: '09:00', endDate: '2025-04-01', endTime: '10:00' },
      {
        id: 'h2',
        name: 'Party',
        location: '',
        startDate: '2025-04-02',
        startTime: '20:00',
        endDate: '2025-04-02',
        endTime: '23:00',
        reference: 'my-own-thing',
      },
      remoteOf(course('5', '2025-04-03'), 'b1', { reference: 'campus-sync:bob:5' }),
      remoteOf(course('6', '2025-04-03'), 'o1', { calendarId: 'another0another0another0' }),
      remoteOf(c, 'r1'),
    ];
    const plan = planSync([c], remote, { ...OPTS, maxDeleteShare: 1 });
    expect(plan.actions).toEqual([]);
  });

  it('adopts a legacy (numeric reference) event matching a course exactly instead of creating', () => {
    const c = course('1', '2025-03-31');
    const legacy: EcalRemoteEvent = { ...remoteOf(c, 'L1'), reference: '8472649173', details: 'old text', alert: '' };
    const plan = planSync([c], [legacy], OPTS);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ kind: 'adopt', id: 'L1', reference: 'campus-sync:alice:1', previousReference: '8472649173' });
    expect(plan.actions[0]).toHaveProperty('body.reference', 'campus-sync:alice:1');
    expect(plan.counts.adopt).toBe(1);
  });

  it('adopts each legacy event at most once, and leaves the others alone', () => {
    const a = course('1', '2025-03-31');
    const b = course('2', '2025-03-31'); // same time, other name: no match
    const twin = { ...a, sourceId: '3' }; // identical content to a
    const legacyA = { ...remoteOf(a, 'L1'), reference: '111' };
    const plan = planSync([a, b, twin], [legacyA], OPTS);
    const adopts = plan.actions.filter((x) => x.kind === 'adopt');
    expect(adopts).toHaveLength(1);
    expect(plan.counts).toMatchObject({ adopt: 1, create: 2 });
  });

  it('leaves a legacy event matching no course alone, and says so', () => {
    const c = course('1', '2025-03-31');
    const stale = { ...remoteOf(course('9', '2025-04-01'), 'L9'), reference: '999' };
    const moved = { ...remoteOf(course('1', '2025-03-31', '08:30', '10:00'), 'L8'), reference: '998' }; // close, not exact
    const plan = planSync([c], [stale, moved], { ...OPTS, maxDeleteShare: 1 });
    expect(kinds(plan.actions)).toEqual(['create:campus-sync:alice:1']);
    expect(plan.skipped.map((s) => s.id)).toEqual(['L8', 'L9']);
    expect(plan.skipped[0]!.reason).toMatch(/Python tool/);
  });

  it('reduces duplicates to one, keeping the copy that already matches', () => {
    const c = course('1', '2025-03-31');
    const stale = remoteOf(course('1', '2025-03-31', '09:00', '11:00'), 'a1');
    const good = remoteOf(c, 'a2');
    const another = remoteOf(c, 'a3');
    const plan = planSync([c], [another, stale, good], OPTS);
    expect(kinds(plan.actions)).toEqual(['delete:a3', 'delete:a1']); // by start: a3 08:30, a1 09:00
    expect(plan.actions.every((a) => a.kind === 'delete' && a.reason === 'duplicate')).toBe(true);
  });

  it('keeps the lowest id of duplicates when none matches, and updates it', () => {
    const c = course('1', '2025-03-31', '14:00', '16:00');
    const old = course('1', '2025-03-31');
    const plan = planSync([c], [remoteOf(old, 'a2'), remoteOf(old, 'a1')], OPTS);
    expect(kinds(plan.actions)).toEqual(['update:a1', 'delete:a2']);
  });

  it('holds every deletion when the source is empty', () => {
    const events = [course('1', '2025-03-31'), course('2', '2025-04-01')];
    const remote = [...events.map((c, i) => remoteOf(c, `r${i}`)), remoteOf(events[0]!, 'dup')];
    const plan = planSync([], remote, { ...OPTS, maxDeleteShare: 1 });
    expect(plan.actions).toEqual([]);
    expect(plan.guard).toEqual({ held: true, reason: 'MonCampus returned no course: kept 3 events', withheldDeletes: 3 });
  });

  it('an empty source with nothing of ours in the window is no alarm', () => {
    const outside = remoteOf(course('1', '2025-06-01'), 'r1');
    const plan = planSync([], [outside], OPTS);
    expect(plan.guard).toEqual({ held: false, withheldDeletes: 0 });
    expect(plan.actions).toEqual([]);
  });

  it('holds left-source deletions above maxDeleteShare, still removes duplicates', () => {
    const events = ['1', '2', '3', '4'].map((id, i) => course(id, `2025-04-0${i + 1}`));
    const remote = [...events.map((c) => remoteOf(c, `r${c.sourceId}`)), remoteOf(events[0]!, 'rdup')];
    const plan = planSync([events[0]!], remote, { ...OPTS, maxDeleteShare: 0.5 });
    expect(plan.guard.held).toBe(true);
    expect(plan.guard.withheldDeletes).toBe(3);
    expect(plan.guard.reason).toMatch(/3 of 4 courses/);
    expect(kinds(plan.actions)).toEqual(['delete:rdup']);
  });

  it('allows left-source deletions up to maxDeleteShare', () => {
    const events = ['1', '2', '3', '4'].map((id, i) => course(id, `2025-04-0${i + 1}`));
    const remote = events.map((c) => remoteOf(c, `r${c.sourceId}`));
    const plan = planSync(events.slice(0, 2), remote, { ...OPTS, maxDeleteShare: 0.5 });
    expect(plan.guard.held).toBe(false);
    expect(kinds(plan.actions)).toEqual(['delete:r3', 'delete:r4']);
  });

  it('orders creates and updates by start, then deletes', () => {
    const a = course('a', '2025-04-03');
    const b = course('b', '2025-03-31');
    const moved = course('m', '2025-04-01', '16:00', '17:00');
    const gone = course('g', '2025-03-25');
    const plan = planSync([a, b, moved], [remoteOf(course('m', '2025-04-01'), 'rm'), remoteOf(gone, 'rg')], { ...OPTS, maxDeleteShare: 1 });
    expect(kinds(plan.actions)).toEqual(['create:campus-sync:alice:b', 'update:rm', 'create:campus-sync:alice:a', 'delete:rg']);
    // Same input, same plan.
    expect(planSync([moved, a, b], [remoteOf(gone, 'rg'), remoteOf(course('m', '2025-04-01'), 'rm')], { ...OPTS, maxDeleteShare: 1 })).toEqual(plan);
  });

  it('keeps only the first of a course listed twice by the source', () => {
    const plan = planSync([course('1', '2025-03-31'), course('1', '2025-04-01')], [], OPTS);
    expect(plan.counts.create).toBe(1);
    expect(plan.skipped[0]!.reason).toMatch(/twice/);
  });

  it('counts a course spanning the DST change with the right wall clock', () => {
    // 2025-03-30 is the spring-forward Sunday in Paris: the offset changes from +01:00 to +02:00.
    const before = course('1', '2025-03-29');
    const after = course('2', '2025-03-31');
    const plan = planSync([before, after], [], OPTS);
    const times = plan.actions.map((a) => (a.kind === 'create' ? `${a.body.startDate} ${a.body.startTime}` : ''));
    expect(times).toEqual(['2025-03-29 08:30', '2025-03-31 08:30']);
    expect(before.start).toBe('2025-03-29T08:30:00+01:00');
    expect(after.start).toBe('2025-03-31T08:30:00+02:00');
  });
});
