import { controlSocketPath } from '../instance/index.js';
import { describeError, type Clock, type TimerHandle } from '../lib/index.js';
import { controlRequest } from '../supervisor/index.js';

/**
 * The running supervisor's answer to one control request, sorted the way its callers tell people:
 * - `no-supervisor`: nothing listens on the control socket (no file, refused, not a socket);
 * - `unanswered`: the request failed otherwise or timed out, so whether it was done is unknown;
 * - `no-worker` (404) and `refused` (any other status): it answered no, saying why.
 */
export type SupervisorAnswer =
  | { kind: 'ok' }
  | { kind: 'no-supervisor' }
  | { kind: 'unanswered'; error: string }
  | { kind: 'no-worker'; why: string }
  | { kind: 'refused'; why: string };

/** The socket errors that mean no supervisor is listening there. */
const NOBODY_THERE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * One request to the running supervisor's control socket (`/workers/<name>/<verb>`, `/reconcile`), its answer
 * sorted. With `timeoutMs`, a supervisor that has not answered by then counts as `unanswered`.
 */
export async function askSupervisor(dataDir: string, path: string, opts: { timeoutMs?: number; clock?: Clock } = {}): Promise<SupervisorAnswer> {
  const request = controlRequest(controlSocketPath(dataDir), path);
  let timer: TimerHandle | undefined;
  let answer;
  try {
    const { timeoutMs, clock } = opts;
    answer =
      timeoutMs === undefined || clock === undefined
        ? await request
        : await Promise.race([
            request,
            new Promise<never>((_, reject) => {
              timer = clock.setTimeout(() => reject(new Error(`the supervisor did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
            }),
          ]);
  } catch (err) {
    if (NOBODY_THERE.has((err as NodeJS.ErrnoException).code ?? '')) return { kind: 'no-supervisor' };
    return { kind: 'unanswered', error: describeError(err) };
  } finally {
    if (timer !== undefined) opts.clock?.clearTimeout(timer);
  }
  if (answer.status === 200) return { kind: 'ok' };
  const why = typeof answer.body.error === 'string' ? answer.body.error : `the supervisor answered ${answer.status}`;
  return answer.status === 404 ? { kind: 'no-worker', why } : { kind: 'refused', why };
}

/** What went wrong when the supervisor was there but the request was not done (unanswered or refused); else null. */
export function supervisorFailure(answer: SupervisorAnswer): string | null {
  if (answer.kind === 'unanswered') return answer.error;
  if (answer.kind === 'refused') return answer.why;
  return null;
}
