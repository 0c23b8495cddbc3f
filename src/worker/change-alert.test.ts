import { describe, expect, it } from 'vitest';
import { changeAlert, describeChange, MAX_CHANGE_FIELDS } from './change-alert.js';
import type { ClassSnapshot, TimetableChange } from './changes.js';

const zone = 'Europe/Paris';
const droit: ClassSnapshot = {
  id: '1',
  title: 'Droit des affaires',
  start: '2026-12-08T08:30:00+01:00',
  end: '2026-12-08T10:30:00+01:00',
  room: 'B12',
  teacher: 'M. Durand',
};

describe('describeChange', () => {
  it('names the class, the day and the old → new time in the instance zone, in French', () => {
    const moved: TimetableChange = {
      kind: 'moved',
      before: droit,
      after: { ...droit, start: '2026-12-08T10:45:00+01:00', end: '2026-12-08T12:45:00+01:00' },
      urgent: true,
    };
    expect(describeChange(moved, zone, 'fr')).toBe('Droit des affaires déplacé : mar. 8 déc. 08:30–10:30 → 10:45–12:45');
    expect(describeChange(moved, zone, 'en')).toBe('Droit des affaires moved: Tue 8 Dec 08:30–10:30 → 10:45–12:45');
    const otherDay: TimetableChange = { ...moved, after: { ...droit, start: '2026-12-10T08:30:00+01:00', end: '2026-12-10T10:30:00+01:00' } };
    expect(describeChange(otherDay, zone, 'fr')).toBe('Droit des affaires déplacé : mar. 8 déc. 08:30–10:30 → jeu. 10 déc. 08:30–10:30');
  });

  it('says cancellations, additions, rooms and teachers', () => {
    expect(describeChange({ kind: 'cancelled', before: droit, urgent: true }, zone, 'fr')).toBe('Droit des affaires annulé (mar. 8 déc. 08:30)');
    expect(describeChange({ kind: 'added', after: droit, urgent: false }, zone, 'fr')).toBe('Nouveau cours : Droit des affaires (mar. 8 déc. 08:30)');
    expect(describeChange({ kind: 'room', before: droit, after: { ...droit, room: '' }, urgent: false }, zone, 'fr')).toBe(
      'Droit des affaires (mar. 8 déc. 08:30) : salle B12 → sans salle',
    );
    expect(describeChange({ kind: 'teacher', before: droit, after: { ...droit, teacher: 'Mme Roy' }, urgent: false }, zone, 'en')).toBe(
      'Droit des affaires (Tue 8 Dec 08:30): M. Durand → Mme Roy',
    );
  });
});

describe('changeAlert', () => {
  it('is one timetable.changed message per run, a warning when a class within 24 h moves, with a field per class', () => {
    const changes: TimetableChange[] = [
      { kind: 'cancelled', before: droit, urgent: true },
      { kind: 'room', before: { ...droit, id: '2', title: 'Marketing' }, after: { ...droit, id: '2', title: 'Marketing', room: 'A01' }, urgent: false },
    ];
    const alert = changeAlert('alice', changes, { zone, locale: 'fr' });
    expect(alert).toMatchObject({ kind: 'timetable.changed', severity: 'warning', instance: 'alice', title: 'alice : 2 cours changent' });
    // The same changes found again (a run that died before saving its baseline) are the same alert: the outbox dedupes.
    expect(changeAlert('alice', changes, { zone, locale: 'fr' })?.id).toBe(alert?.id);
    expect(alert?.id).toMatch(/^timetable-alice-[0-9a-f]{24}$/);
    expect(alert?.text.split('\n')).toHaveLength(2);
    expect(alert?.fields?.map((f) => f.name)).toEqual(['Droit des affaires', 'Marketing']);
    expect(changeAlert('alice', [changes[1] as TimetableChange], { zone, locale: 'fr' })?.severity).toBe('info');
    expect(changeAlert('alice', [], { zone, locale: 'fr' })).toBeNull();
  });

  it('stays one readable message when a whole week changes', () => {
    const many: TimetableChange[] = Array.from({ length: 30 }, (_, i) => ({ kind: 'added', after: { ...droit, id: String(i) }, urgent: false }));
    const alert = changeAlert('alice', many, { zone, locale: 'fr' });
    expect(alert?.fields).toHaveLength(MAX_CHANGE_FIELDS);
    expect(alert?.text.split('\n').at(-1)).toBe('… et 10 autres changements');
  });
});
