/**
 * Convergence: whatever the timetable does and whatever fails on the way (transient errors, writes applied
 * but unanswered, POSTs applied twice, runs cut short), one clean run brings ECAL to the timetable —
 * one event per course, right content, no duplicate — and never touches what is not ours.
 */
import { describe, it, expect } from 'vitest';
import { createPrng } from '../sim/prng.js';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { TransientError, type CalendarEvent } from '../lib/index.js';
import type { EcalRemoteEvent } from './types.js';
import { planSync, toEcalBody, type SyncOptions } from './plan.js';
import { executePlan } from './executor.js';
import { createMemoryEcal, type MemoryFault } from './memory-client.test-helper.js';
import { isOwnedReference } from './reference.js';

const ZONE = 'Europe/Paris';
const CAL = 'c0ffee00c0ffee00c0ffee00';
const INSTANCE = 'alice';
/** Four weeks from a Monday: each base includes a DST change (2025-03-30, 2025-10-26). */
const WINDOW_DAYS = 28;
const BASES = ['2025-03-24', '2025-10-20'] as const;

interface Spec {
  day: number;
  hour: number;
  minute: number;
  duration: number;
  title: string;
  room: string;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  day: fc.integer({ min: 0, max: WINDOW_DAYS - 1 }),
  hour: fc.integer({ min: 7, max: 18 }),
  minute: fc.constantFrom(0, 15, 30, 45),
  duration: fc.constantFrom(60, 90, 120, 180),
  title: fc.constantFrom('Maths', 'SQL, avancé', 'Réseaux', 'Anglais'),
  room: fc.constantFrom('B110-S(Bâtiment B)', '', 'A001'),
});

type Edit =
  | { kind: 'add'; spec: Spec }
  | { kind: 'remove'; pick: number }
  | { kind: 'move'; pick: number; day: number; hour: number; minute: number }
  | { kind: 'rename'; pick: number; title: string }
  | { kind: 'room'; pick: number; room: string };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), spec: specArb }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('move' as const),
    pick: fc.nat(),
    day: fc.integer({ min: 0, max: WINDOW_DAYS - 1 }),
    hour: fc.integer({ min: 7, max: 18 }),
    minute: fc.constantFrom(0, 30),
  }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), title: fc.constantFrom('Maths', 'Droit\nsocial', 'Réseaux 2') }),
  fc.record({ kind: fc.constant('room' as const), pick: fc.nat(), room: fc.constantFrom('B110', '', 'DISTANCIEL') }),
);

function toEvent(base: string, sourceId: string, s: Spec): CalendarEvent {
  const start = DateTime.fromISO(base, { zone: ZONE }).plus({ days: s.day }).set({ hour: s.hour, minute: s.minute });
  const end = start.plus({ minutes: s.duration });
  return {
    sourceId,
    title: s.title,
    location: s.room,
    start: start.toISO({ suppressMilliseconds: true })!,
    end: end.toISO({ suppressMilliseconds: true })!,
    timezone: ZONE,
    allDay: false,
    teacher: null,
    groupLabel: null,
    teamsUrls: [],
    remote: s.room === 'DISTANCIEL',
    details: `Nom complet du cours : ${s.title}`,
  };
}

const scenarioArb = fc.record({
  base: fc.constantFrom(...BASES),
  initial: fc.array(specArb, { maxLength: 6 }),
  edits: fc.array(editArb, { maxLength: 6 }),
  /** Events a person made in the same calendar, another instance's and another calendar's. */
  foreign: fc.array(fc.record({ spec: specArb, kind: fc.constantFrom('hand', 'other-instance', 'other-calendar', 'own-text-ref') }), { maxLength: 3 }),
  /** Indexes of initial courses the Python tool had already pushed (numeric reference). */
  legacy: fc.array(fc.nat(), { maxLength: 3 }),
  /** A stale event of the Python tool matching nothing. */
  staleLegacy: fc.option(specArb, { nil: undefined }),
  seed: fc.integer(),
  failRate: fc.constantFrom(0, 0.1, 0.3),
  crashRate: fc.constantFrom(0, 0.3),
  loose: fc.boolean(),
});

describe('sync convergence (property)', () => {
  it('ECAL ends equal to the timetable after a clean run, whatever failed before', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (sc) => {
        // Seeded by fast-check, so a failing case replays and shrinks.
        const rng = createPrng(sc.seed);
        let faulty = true;
        const fault = (c: { op: string }): MemoryFault => {
          if (!faulty || sc.failRate === 0) return undefined;
          const r = rng();
          if (r >= sc.failRate) return undefined;
          const which = r / sc.failRate;
          if (which < 0.3) return new TransientError('ECAL answered 502', { status: 502 });
          if (which < 0.6) return { after: new TransientError('timeout after the write', { status: undefined }) };
          if (which < 0.8 && c.op === 'create') return 'twice';
          return new TransientError('too many requests', { status: 429 });
        };
        const ecal = createMemoryEcal({ fault, echo: sc.loose ? 'loose' : 'exact' });
        const options: SyncOptions = {
          instance: INSTANCE,
          calendarId: CAL,
          timezone: ZONE,
          alert: '15M',
          window: {
            from: DateTime.fromISO(sc.base, { zone: ZONE }).toISO()!,
            to: DateTime.fromISO(sc.base, { zone: ZONE }).plus({ days: WINDOW_DAYS }).toISO()!,
          },
          maxDeleteShare: 1,
        };
        const listQuery = {
          calendarId: CAL,
          startDate: sc.base,
          endDate: DateTime.fromISO(sc.base)
            .plus({ days: WINDOW_DAYS - 1 })
            .toISODate()!,
        };

        // --- the timetable and the calendar's starting state ---
        let nextSource = 1000;
        let timetable = new Map<string, Spec>();
        for (const s of sc.initial) timetable.set(String(nextSource++), s);
        const events = (): CalendarEvent[] => [...timetable].map(([id, s]) => toEvent(sc.base, id, s));

        const foreignIds: string[] = [];
        for (const f of sc.foreign) {
          const b = toEcalBody(toEvent(sc.base, '1', f.spec), { instance: INSTANCE, calendarId: CAL, alert: '' });
          const e: Omit<EcalRemoteEvent, 'id'> =
            f.kind === 'hand'
              ? { ...b, reference: '' }
              : f.kind === 'other-instance'
                ? { ...b, reference: 'campus-sync:bob:1001' }
                : f.kind === 'own-text-ref'
                  ? { ...b, reference: 'cours-perso' }
                  : { ...b, calendarId: 'another0another0another0', reference: 'campus-sync:alice:1001' };
          foreignIds.push(ecal.seed(e));
        }
        const legacyIds: string[] = [];
        const initialEvents = events();
        for (const i of sc.legacy) {
          const e = initialEvents[i % Math.max(1, initialEvents.length)];
          if (!e) continue;
          legacyIds.push(
            ecal.seed({ ...toEcalBody(e, { instance: INSTANCE, calendarId: CAL, alert: '15M' }), reference: String(8_000_000 + i), details: 'old' }),
          );
        }
        if (sc.staleLegacy) {
          const b = toEcalBody(toEvent(sc.base, '1', { ...sc.staleLegacy, title: 'Ancien cours' }), { instance: INSTANCE, calendarId: CAL, alert: '15M' });
          legacyIds.push(ecal.seed({ ...b, reference: '424242' }));
        }
        const snapshot = new Map([...foreignIds, ...legacyIds].map((id) => [id, structuredClone(ecal.events.get(id))]));

        const runOnce = async (): Promise<void> => {
          let remote: EcalRemoteEvent[];
          try {
            remote = await ecal.client.listEvents(listQuery);
          } catch {
            return; // a failed listing is a failed run: nothing planned, nothing written
          }
          const plan = planSync(events(), remote, options);
          let actions = plan.actions;
          if (faulty && rng() < sc.crashRate) actions = actions.slice(0, Math.floor(rng() * (actions.length + 1)));
          await executePlan({ ...plan, actions }, { client: ecal.client, concurrency: 3 });
        };

        // --- a first run, then one run after each edit, all of them with failures ---
        await runOnce();
        for (const edit of sc.edits) {
          const ids = [...timetable.keys()];
          const target = ids.length > 0 && edit.kind !== 'add' ? ids[edit.pick % ids.length]! : undefined;
          timetable = new Map(timetable);
          if (edit.kind === 'add') timetable.set(String(nextSource++), edit.spec);
          else if (target !== undefined) {
            const s = timetable.get(target)!;
            if (edit.kind === 'remove') timetable.delete(target);
            if (edit.kind === 'move') timetable.set(target, { ...s, day: edit.day, hour: edit.hour, minute: edit.minute });
            if (edit.kind === 'rename') timetable.set(target, { ...s, title: edit.title });
            if (edit.kind === 'room') timetable.set(target, { ...s, room: edit.room });
          }
          await runOnce();
        }

        // --- a clean run, then a check ---
        faulty = false;
        await runOnce();

        const owned = ecal.all().filter((e) => e.calendarId === CAL && isOwnedReference(e.reference, INSTANCE));
        const refs = owned.map((e) => e.reference);
        const second = planSync(events(), await ecal.client.listEvents(listQuery), options);
        expect(second.actions).toEqual([]);

        if (timetable.size > 0) {
          expect(new Set(refs).size).toBe(refs.length); // zero duplicates
          const want = events().map((e) => toEcalBody(e, { instance: INSTANCE, calendarId: CAL, alert: '15M' }));
          expect([...refs].sort()).toEqual(want.map((b) => b.reference).sort());
          for (const body of want) {
            const stored = owned.find((e) => e.reference === body.reference)!;
            const content = Object.fromEntries(Object.keys(body).map((k) => [k, stored[k]]));
            expect(content).toEqual(body);
          }
        } else {
          // An empty source deletes nothing, not even a duplicate: the guard holds whenever something of ours is left.
          expect(second.guard.held).toBe(owned.length > 0);
        }

        // What is not ours is untouched; a legacy event only ever changes by being adopted (a PUT we made).
        for (const id of foreignIds) expect(ecal.events.get(id)).toEqual(snapshot.get(id));
        const adopted = new Set(ecal.calls.filter((c) => c.op === 'update' && c.body?.reference.startsWith('campus-sync:')).map((c) => c.id));
        for (const id of legacyIds) {
          if (!adopted.has(id)) expect(ecal.events.get(id)).toEqual(snapshot.get(id));
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) },
    );
  });

  it('a second plan right after a clean run has nothing to do', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...BASES), fc.array(specArb, { maxLength: 8 }), fc.boolean(), async (base, specs, loose) => {
        const ecal = createMemoryEcal({ echo: loose ? 'loose' : 'exact' });
        const events = specs.map((s, i) => toEvent(base, String(i), s));
        const options: SyncOptions = {
          instance: INSTANCE,
          calendarId: CAL,
          timezone: ZONE,
          alert: '15M',
          window: { from: `${base}T00:00:00+01:00`, to: DateTime.fromISO(base, { zone: ZONE }).plus({ days: WINDOW_DAYS }).toISO()! },
          maxDeleteShare: 0.5,
        };
        const q = { calendarId: CAL, startDate: base, endDate: DateTime.fromISO(base).plus({ days: WINDOW_DAYS }).toISODate()! };
        const first = planSync(events, await ecal.client.listEvents(q), options);
        const result = await executePlan(first, { client: ecal.client, concurrency: 4 });
        expect(result.failed).toEqual([]);
        const again = planSync(events, await ecal.client.listEvents(q), options);
        expect(again.actions).toEqual([]);
        expect(again.unchanged).toBe(events.length);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) },
    );
  });
});
