import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectChanges, nextBaseline, type ClassSnapshot } from './changes.js';

const now = new Date('2026-12-07T09:00:00Z'); // Monday 10:00 in Paris: tomorrow 09:00 is 23 h away
const at = (days: number, hour: number): string => new Date(Date.UTC(2026, 11, 7 + days, hour - 1)).toISOString().replace('.000Z', '+00:00');
const cls = (id: string, days: number, hour: number, extra: Partial<ClassSnapshot> = {}): ClassSnapshot => ({
  id,
  title: `Cours ${id}`,
  start: at(days, hour),
  end: at(days, hour + 2),
  room: 'B12',
  teacher: 'M. Durand',
  ...extra,
});

describe('detectChanges', () => {
  const base = [cls('1', 1, 9), cls('2', 2, 14), cls('3', 21, 9), cls('4', -1, 9)];

  it('says nothing on the first sync (the baseline) and nothing when nothing changed', () => {
    expect(detectChanges(null, base, { now })).toEqual([]);
    expect(
      detectChanges(
        base,
        base.map((c) => ({ ...c })),
        { now },
      ),
    ).toEqual([]);
  });

  it('names a move tomorrow (urgent), a room change and a teacher change, soonest first', () => {
    const current = [cls('1', 1, 11), cls('2', 2, 14, { room: 'A01' }), cls('3', 21, 9), cls('4', -1, 9)];
    const changes = detectChanges(base, current, { now });
    expect(changes.map((c) => [c.kind, c.before?.id ?? c.after?.id, c.urgent])).toEqual([
      ['moved', '1', true],
      ['room', '2', false],
    ]);
    const teacher = detectChanges(base, [cls('1', 1, 9, { teacher: 'Mme Roy' }), ...base.slice(1)], { now });
    expect(teacher.map((c) => c.kind)).toEqual(['teacher']);
  });

  it('names cancellations (urgent within 24 h) and additions inside the horizon only', () => {
    const current = [cls('2', 2, 14), cls('3', 21, 9), cls('4', -1, 9), cls('5', 3, 9), cls('6', 30, 9)];
    const changes = detectChanges(base, current, { now });
    expect(changes.map((c) => [c.kind, c.before?.id ?? c.after?.id, c.urgent])).toEqual([
      ['cancelled', '1', true],
      ['added', '5', false],
    ]);
  });

  it('ignores a class moved in three weeks, or in the past, and honours horizonDays', () => {
    const current = [cls('1', 1, 9), cls('2', 2, 14), cls('3', 22, 9), cls('4', -1, 15)];
    expect(detectChanges(base, current, { now })).toEqual([]);
    expect(detectChanges(base, current, { now, horizonDays: 30 }).map((c) => c.kind)).toEqual(['moved']);
  });

  it('announces a class moved from beyond the horizon into tomorrow', () => {
    const current = [cls('1', 1, 9), cls('2', 2, 14), cls('3', 1, 8), cls('4', -1, 9)];
    expect(detectChanges(base, current, { now }).map((c) => [c.kind, c.after?.id, c.urgent])).toEqual([['moved', '3', true]]);
  });

  it('reports each class at most once, whatever the two timetables (property)', () => {
    const arbClass = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      days: fc.integer({ min: -3, max: 20 }),
      hour: fc.integer({ min: 8, max: 18 }),
      room: fc.constantFrom('A', 'B'),
    });
    const toList = (xs: { id: string; days: number; hour: number; room: string }[]) => {
      const seen = new Map<string, ClassSnapshot>();
      for (const x of xs) seen.set(x.id, cls(x.id, x.days, x.hour, { room: x.room }));
      return [...seen.values()];
    };
    fc.assert(
      fc.property(fc.array(arbClass, { maxLength: 6 }), fc.array(arbClass, { maxLength: 6 }), (a, b) => {
        const changes = detectChanges(toList(a), toList(b), { now });
        const ids = changes.map((c) => (c.before ?? c.after)?.id);
        expect(new Set(ids).size).toBe(ids.length);
        // Nothing outside [now, now + 7 days) on both sides.
        for (const c of changes) {
          const inside = [c.before, c.after].some((x) => x && Date.parse(x.start) >= now.getTime() && Date.parse(x.start) < now.getTime() + 7 * 86_400_000);
          expect(inside).toBe(true);
        }
      }),
      { seed: 16, numRuns: 300 },
    );
  });
});

describe('nextBaseline', () => {
  it('keeps the classes from yesterday to a month past the horizon, so state.json stays small', () => {
    const kept = nextBaseline([cls('old', -3, 9), cls('today', 0, 9), cls('soon', 6, 9), cls('later', 30, 9), cls('far', 60, 9)], { now });
    expect(kept.map((c) => c.id)).toEqual(['today', 'soon', 'later']);
  });
});
