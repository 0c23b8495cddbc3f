import type { Logger } from '../lib/index.js';
import type { ActualWorker, Runtime } from './interface.js';
import { foreignSupervisors, otherSupervisors, type SupervisorLiveness } from './reconcile.js';

export interface ConflictGuard {
  /**
   * Reads the listing: the sentence saying why nothing may be created or removed now (another live, or
   * unknown, supervisor's workers are on this engine), or null. Each refusal and each adoption is logged once.
   */
  check(actual: readonly ActualWorker[]): Promise<string | null>;
}

/**
 * Two supervisors on one engine (runtimes with `capabilities.sharedEngine`) would each run every config and
 * remove each other's workers: the decision is `foreignSupervisors` (pure, reconcile.ts); this asks the
 * runtime whether the others still run and says the verdict once.
 */
export function createConflictGuard(opts: { runtime: Runtime; supervisorId: string | undefined; takeOver: boolean; logger: Logger }): ConflictGuard {
  const { runtime, supervisorId, logger } = opts;
  /** Other supervisors' ids already reported (refused or adopted), so each is said once, not every rescan. */
  const reported = new Set<string>();
  return {
    async check(actual) {
      if (!supervisorId || !runtime.capabilities.sharedEngine) return null;
      const ids = otherSupervisors(actual, supervisorId);
      if (ids.length === 0) return null;
      const liveness = new Map<string, SupervisorLiveness>();
      for (const id of ids) liveness.set(id, runtime.supervisorLiveness ? await runtime.supervisorLiveness(id).catch(() => 'unknown' as const) : 'unknown');
      const verdict = foreignSupervisors(actual, supervisorId, liveness, opts.takeOver);
      const key = verdict.others.join(',');
      if (verdict.refuse) {
        const conflict =
          `another campus-sync supervisor (${verdict.others.join(', ')}) manages workers on this Docker engine: two supervisors would both run ` +
          "every config (each sync twice) and remove each other's workers. Stop the other one, give each its own CAMPUS_SYNC_SCOPE, " +
          'use the swarm runtime for several hosts, or, if it is gone for good, start this one with --take-over';
        if (!reported.has(`refuse:${key}`)) logger.error(`${conflict}; nothing is created or removed until then`);
        reported.add(`refuse:${key}`);
        return conflict;
      }
      if (!reported.has(`adopt:${key}`)) {
        logger.info(`adopting the workers of ${verdict.others.join(', ')} (${opts.takeOver ? '--take-over' : 'no longer running'})`);
        reported.add(`adopt:${key}`);
      }
      return null;
    },
  };
}
