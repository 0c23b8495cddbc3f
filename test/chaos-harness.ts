import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { jsonDamage } from '../src/instance/index.js';
import {
  generateTimetable,
  startEcalSim,
  startMonCampusSim,
  type EcalSim,
  type EcalSimEvent,
  type MonCampusSim,
  type SimCourseSpec,
} from '../src/sim/index.js';
import type { SimIntercept, SimInterceptAction } from '../src/sim/http-util.js';
import { createPrng } from '../src/sim/prng.js';
import type { RunPlan } from './chaos-plan.js';
import {
  API_KEY,
  API_SECRET,
  CALENDAR_ID,
  PASSWORD,
  duplicateReferences,
  ecalKeys,
  expectedKeys,
  makeWorkspace,
  nestedConfig,
  writeConfig,
  type Workspace,
} from './helpers.js';

/**
 * What both chaos suites share (the `run-once` one in test/chaos.test.ts, the worker-container one in
 * test/chaos-container.test.ts): the two simulators with their faults and exact kill points, the
 * timetable, the hand-made event, and the checks run after every run and at the end.
 */

/** The environment switch of the long versions: how many chaotic runs (unset: the short versions). */
export const CHAOS_RUNS_ENV = 'CAMPUS_SYNC_CHAOS_RUNS';
export const CHAOS_SEED_ENV = 'CAMPUS_SYNC_CHAOS_SEED';
export const MAX_CLEAN_RUNS = 3;
/** What the worker says when the run lock refuses a run (worker/lock.ts). */
export const LOCK_REFUSAL = /a run is already in progress|could not take the run lock/;
/** What it says when it takes over the lock a killed run left. */
export const LOCK_TAKEOVER = /taking over a stale run lock/g;

export interface Tally {
  runs: number;
  killed: number;
  killedAt: Record<string, number>;
  faults: Record<string, number>;
  lockRefusals: number;
  /** Locks left by killed runs, taken over by the next run at once. */
  lockTakeovers: number;
  damagedNotices: number;
  outcomes: Record<string, number>;
}

export const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** The run in flight: its plan, how to kill it (resolves once it is dead), and whether its exact kill fired. */
export interface CurrentRun {
  plan: RunPlan;
  kill: (() => Promise<void>) | undefined;
  fired: boolean;
}

export interface ChaosRig {
  mc: MonCampusSim;
  ecal: EcalSim;
  ws: Workspace;
  instance: string;
  /** data/<instance>/ */
  dir: string;
  courses: SimCourseSpec[];
  tally: Tally;
  /** Everything every run printed, for the secret check. */
  outputs: string[];
  /** Set by the suite around each run; the simulators' interceptors read it. */
  current: CurrentRun | undefined;
  /** Faults, latency, expired sessions and the timetable of this plan, on the simulators. */
  applyPlan(plan: RunPlan): void;
  /** No fault, no latency, the timetable as it is now: for the clean runs. */
  calm(): void;
  /** Counts the injected answers the ECAL simulator logged since the last call (drops are counted as they happen). */
  countLoggedFaults(): void;
  /** ECAL equals the timetable: every expected (date, time, title), nothing else, no reference twice. */
  converged(): boolean;
  /** The hand-made event untouched and every JSON file of data/<instance>/ readable. */
  checkInvariants(label: string): Promise<void>;
  /** Why it did not converge, printed when it did not. */
  explain(): string;
  /** No secret in any output nor any file of data/<instance>/. */
  checkNoSecret(): Promise<void>;
  close(): Promise<void>;
}

/** `instance` names the config (and the container: names are global on a Docker engine). */
export async function startChaosRig(seed: number, instance = 'alice'): Promise<ChaosRig> {
  const courses = generateTimetable({ count: 24, start: '2025-09-01', seed });
  const faultRandom = createPrng(seed ^ 0x5eed);
  const tally: Tally = { runs: 0, killed: 0, killedAt: {}, faults: {}, lockRefusals: 0, lockTakeovers: 0, damagedNotices: 0, outcomes: {} };
  const fault = (what: string, action: SimInterceptAction): SimInterceptAction => {
    bump(tally.faults, what);
    return action;
  };

  const intercept =
    (host: 'ecal' | 'moncampus'): SimIntercept =>
    async ({ method, path, stage }) => {
      const run = rig.current;
      if (!run) return undefined;
      const k = run.plan.kill;
      // The plan says `/cas/login`; the simulator's CAS serves its login where its URL says (a host and path of its own).
      const killPath = k.kind === 'moncampus' && k.path === '/cas/login' ? new URL(rig.mc.casUrl).pathname : 'path' in k ? k.path : '';
      const hit =
        !run.fired &&
        ((k.kind === 'ecal-write' && host === 'ecal' && method === k.method && stage === k.stage && path.startsWith('/apiv2/event')) ||
          (k.kind === 'moncampus' && host === 'moncampus' && method === k.method && path === killPath && stage === k.stage));
      if (hit && run.kill) {
        run.fired = true;
        bump(tally.killedAt, `${k.kind}:${'method' in k ? k.method : ''}:${'path' in k ? k.path : ''}:${stage}`.replace(/::/g, ':'));
        await run.kill();
        return 'drop';
      }
      const f = run.plan.faults;
      const r = faultRandom();
      if (host === 'moncampus') {
        if (r < f.moncampusDropRate) return fault('moncampus drop', 'drop');
        if (r < f.moncampusDropRate + f.moncampusErrorRate) return fault('moncampus status', { status: [429, 500, 503][Math.floor(faultRandom() * 3)]! });
        return undefined;
      }
      if (r < f.ecalDropRate) return fault(`ecal drop ${stage === 'received' ? 'before' : 'after'} effect`, 'drop');
      return undefined;
    };

  const mc = await startMonCampusSim({ users: { student: PASSWORD }, courses, intercept: intercept('moncampus') });
  const ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID], seed, intercept: intercept('ecal') });
  const ws = await makeWorkspace();
  // Deletions are part of the storm: the guard (a safety for suspicious sources) would hold a legitimate catch-up.
  await writeConfig(ws, instance, nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-10-31', maxDeleteShare: 1 }));
  const handMade: EcalSimEvent = ecal.addEvent({
    calendarId: CALENDAR_ID,
    name: 'Rendez-vous médecin (à la main)',
    location: 'Cabinet',
    startDate: '2025-09-04',
    endDate: '2025-09-04',
    startTime: '17:30',
    endTime: '18:15',
    details: 'pris par téléphone',
  });
  const dir = join(ws.data, instance);

  const mine = () => ours(ecal, instance);

  const rig: ChaosRig = {
    mc,
    ecal,
    ws,
    instance,
    dir,
    courses,
    tally,
    outputs: [],
    current: undefined,
    applyPlan(plan) {
      const f = plan.faults;
      ecal.clearFailures();
      if (f.ecalErrorRate > 0) for (const status of [429, 500, 503] as const) ecal.injectFailures({ status, rate: f.ecalErrorRate / 3 });
      if (f.ecalProcessed502Rate > 0) ecal.injectFailures({ status: 502, rate: f.ecalProcessed502Rate, processed: true, methods: ['POST', 'PUT', 'DELETE'] });
      ecal.setLatency(f.ecalLatencyMs);
      mc.setLatency(f.moncampusLatencyMs);
      if (plan.expireSessions) mc.expireSessions();
      mc.setCourses(courses);
    },
    calm() {
      rig.current = undefined;
      ecal.clearFailures();
      ecal.setLatency(0);
      mc.setLatency(0);
      mc.setCourses(courses);
    },
    countLoggedFaults() {
      // Injected answers the simulator logged (dropped connections are counted by the interceptor).
      for (const q of ecal.requests) if (q.status >= 429) bump(tally.faults, `ecal ${q.status}${q.status === 502 ? ' (write took effect)' : ''}`);
      ecal.resetLog();
    },
    /**
     * Two courses of one slot and title stay two events (their references differ), so keys are compared
     * as sets and the count is bounded by the courses.
     */
    converged: () =>
      JSON.stringify([...new Set(ecalKeys(mine()))]) === JSON.stringify(expectedKeys(courses)) &&
      duplicateReferences(ecal.events()).length === 0 &&
      mine().length <= courses.length,
    async checkInvariants(label) {
      // The hand-made event: never touched, whatever happened.
      expect(
        ecal.events().find((e) => e.id === handMade.id),
        label,
      ).toEqual(handMade);
      // Every state file readable (atomic writes: a kill leaves the old or the new, never half).
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        const bytes = await readFile(join(dir, name));
        expect(
          jsonDamage(bytes, () => true),
          `${label}: ${name}`,
        ).toBeUndefined();
      }
    },
    explain() {
      const have = ecalKeys(mine());
      const want = expectedKeys(courses);
      return `ECAL has but should not: ${JSON.stringify(have.filter((k) => !want.includes(k)))}; missing: ${JSON.stringify(want.filter((k) => !have.includes(k)))}; duplicates: ${JSON.stringify(duplicateReferences(ecal.events()))}`;
    },
    async checkNoSecret() {
      const names = (await readdir(dir)).filter((n) => !n.endsWith('.lock'));
      const files = await Promise.all(
        names.map((n) =>
          readFile(join(dir, n)).then(
            (b) => b.toString('utf8'),
            () => '',
          ),
        ),
      );
      for (const text of [...rig.outputs, ...files]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(API_SECRET);
      }
    },
    async close() {
      rig.current = undefined;
      await mc.close();
      await ecal.close();
    },
  };
  return rig;
}

/** Every injected fault, summed: a storm that injected nothing would prove nothing. */
export const faultCount = (t: Tally): number => Object.values(t.faults).reduce((a, b) => a + b, 0);

/** How many of `runs` must have been killed: a fifth (a kill at an exact point needs the run to reach it), at least 3. */
export const killFloor = (runs: number): number => Math.max(3, Math.floor(runs / 5));

/** The events this instance owns in ECAL. */
export const ours = (ecal: EcalSim, instance = 'alice'): EcalSimEvent[] => ecal.events().filter((e) => e.reference?.startsWith(`campus-sync:${instance}:`));
