import type { SimCourseSpec } from '../src/sim/index.js';
import { createPrng, pick } from '../src/sim/prng.js';

/**
 * The chaos suite's plan, drawn from one seed: how the timetable changes before each run, which faults
 * the simulators inject, and where the run is killed. The plan replays exactly from its seed; the order
 * in which concurrent requests meet a fault depends on timing, so a replay is the same storm, not the
 * same interleaving.
 */
export type KillPoint =
  | { kind: 'none' }
  | { kind: 'random'; afterMs: number }
  /** At an ECAL write: `received` = before it takes effect (the request is dropped), `processed` = after. */
  | { kind: 'ecal-write'; method: 'POST' | 'PUT' | 'DELETE'; stage: 'received' | 'processed' }
  /** During the MonCampus login (CAS credentials POST) or the timetable fetch (`/Home/Get`). */
  | { kind: 'moncampus'; path: '/cas/login' | '/Home/Get'; method: 'GET' | 'POST'; stage: 'received' | 'processed' };

export interface Faults {
  /** ECAL: share of requests answered 429, 500, 503 (nothing done). */
  ecalErrorRate: number;
  /** ECAL writes that take effect but answer 502. */
  ecalProcessed502Rate: number;
  /** ECAL connections dropped, before or after the request takes effect. */
  ecalDropRate: number;
  /** MonCampus (CAS and timetable): 429/500/503 and dropped connections. */
  moncampusErrorRate: number;
  moncampusDropRate: number;
  /** Slow answers. */
  ecalLatencyMs: number;
  moncampusLatencyMs: number;
}

export interface RunPlan {
  index: number;
  kill: KillPoint;
  faults: Faults;
  /** Force a login this run (sessions expired), so a kill during login can happen. */
  expireSessions: boolean;
  /** What changed in the timetable before this run, for the log. */
  changes: string[];
}

/** Accented titles people's schools really use: a rename must survive the round trip. */
const ACCENTED = [
  'Réseaux avancés — séance déplacée',
  'Économie générale & droit',
  'Anglais : préparation TOEIC (oral)',
  'Développement Web côté serveur',
  'Sécurité des systèmes d’information',
  'Mathématiques appliquées — « révisions »',
  'Gestion de projet agile ç/œ/æ',
];
const SLOTS = [
  ['08:30', '10:00'],
  ['10:15', '12:15'],
  ['13:30', '15:30'],
  ['15:45', '17:45'],
] as const;
/** Days of the window the timetable may use (the config's window holds them all). */
const FIRST_DAY = Date.UTC(2025, 8, 1);
const DAYS = 40;

function dayOf(random: () => number): string {
  return new Date(FIRST_DAY + Math.floor(random() * DAYS) * 86_400_000).toISOString().slice(0, 10);
}

export interface ChaosPlanner {
  /** The plan of the next run, after changing `courses` in place. */
  next(courses: SimCourseSpec[]): RunPlan;
}

export function createChaosPlanner(seed: number): ChaosPlanner {
  const random = createPrng(seed);
  const removed: SimCourseSpec[] = [];
  let nextId = 900_000;
  let index = 0;

  const mutate = (courses: SimCourseSpec[]): string[] => {
    const changes: string[] = [];
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) {
      const op = pick(random, ['add', 'move', 'rename', 'remove', 're-add'] as const);
      if (op === 'add' || (courses.length < 10 && op === 'remove')) {
        const [start, end] = pick(random, SLOTS);
        const day = dayOf(random);
        const c: SimCourseSpec = {
          id: nextId++,
          title: 'G1 Option',
          comment: pick(random, ACCENTED),
          start: `${day}T${start}`,
          end: `${day}T${end}`,
          room: 'B204',
          teacher: 'MARTIN ÉLODIE',
        };
        courses.push(c);
        changes.push(`add ${c.id}`);
      } else if (op === 'move' && courses.length > 0) {
        const c = pick(random, courses);
        const [start, end] = pick(random, SLOTS);
        const day = dayOf(random);
        c.start = `${day}T${start}`;
        c.end = `${day}T${end}`;
        changes.push(`move ${c.id}`);
      } else if (op === 'rename' && courses.length > 0) {
        const c = pick(random, courses);
        c.comment = pick(random, ACCENTED);
        changes.push(`rename ${c.id}`);
      } else if (op === 'remove' && courses.length > 0) {
        const at = Math.floor(random() * courses.length);
        const [c] = courses.splice(at, 1);
        if (c) removed.push(c);
        changes.push(`remove ${c?.id}`);
      } else if (op === 're-add' && removed.length > 0) {
        const c = removed.splice(Math.floor(random() * removed.length), 1)[0]!;
        courses.push(c);
        changes.push(`re-add ${c.id}`);
      }
    }
    return changes;
  };

  const killPoint = (): KillPoint => {
    const r = random();
    if (r < 0.1) return { kind: 'none' };
    if (r < 0.45) return { kind: 'random', afterMs: Math.floor(random() * 2_500) };
    if (r < 0.75)
      return { kind: 'ecal-write', method: pick(random, ['POST', 'PUT', 'DELETE'] as const), stage: pick(random, ['received', 'processed'] as const) };
    const login = random() < 0.5;
    return login
      ? { kind: 'moncampus', path: '/cas/login', method: 'POST', stage: pick(random, ['received', 'processed'] as const) }
      : { kind: 'moncampus', path: '/Home/Get', method: 'GET', stage: pick(random, ['received', 'processed'] as const) };
  };

  const faults = (): Faults => {
    const on = (p: number, max: number) => (random() < p ? Math.round(random() * max * 100) / 100 : 0);
    return {
      ecalErrorRate: on(0.6, 0.3),
      ecalProcessed502Rate: on(0.5, 0.3),
      ecalDropRate: on(0.4, 0.15),
      moncampusErrorRate: on(0.4, 0.3),
      moncampusDropRate: on(0.3, 0.2),
      ecalLatencyMs: random() < 0.3 ? Math.floor(random() * 300) : 0,
      moncampusLatencyMs: random() < 0.3 ? Math.floor(random() * 300) : 0,
    };
  };

  return {
    next(courses) {
      const changes = mutate(courses);
      const kill = killPoint();
      return { index: index++, kill, faults: faults(), expireSessions: kill.kind === 'moncampus' || random() < 0.2, changes };
    },
  };
}
