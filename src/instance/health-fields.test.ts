import { describe, expect, it } from 'vitest';
import { heartbeatFields, workerLiveness } from './health-fields.js';
import { supervisorHeartbeatSchema } from './supervisor-status.js';
import { workerStatusSchema } from './worker-status.js';

// The HEALTHCHECK's lean readers must take what the schemas take, field by field: a file the rest of the
// product reads as healthy must not be "of an unknown format" to Docker, nor the other way round.

const PID_VALUES: unknown[] = [1, 4242, 0, -3, 1.5, '42', null, undefined, Number.MAX_SAFE_INTEGER, 2 ** 60, Number.NaN];
const STATE_VALUES: unknown[] = ['idle', 'running', 'stopped', 'dancing', '', 3, null, undefined];
const NEXT_RUN_VALUES: unknown[] = ['2026-12-07T06:46:00.000Z', null, undefined, 17, {}];
const TIMES: unknown[] = [
  '2026-12-07T01:30:00.000Z',
  '2026-12-07T01:30:00Z',
  '2026-12-07T01:30Z',
  '2026-12-07T01:30:00.123456+01:00',
  '2026-12-07T01:30:00-0500',
  '2026-12-07T01:30:00+01',
  '2024-02-29T10:00:00Z',
  '2026-02-29T10:00:00Z',
  '2026-02-30T10:00:00Z',
  '2026-04-31T10:00:00Z',
  '2026-13-01T10:00:00Z',
  '2026-00-10T10:00:00Z',
  '2026-12-07T24:00:00Z',
  '2026-12-07T10:60:00Z',
  '2026-12-07T10:00:60Z',
  '2026-12-07 01:30:00Z',
  '2026-12-07T01:30:00',
  '2026-12-07',
  'yesterday',
  '',
  1765071000000,
  null,
  undefined,
];

function drop<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

describe('health-fields: the HEALTHCHECK reads what the schemas read', () => {
  it('worker.json: accepted with a pid exactly when workerStatusSchema accepts it with a pid, same fields', () => {
    let compared = 0;
    for (const pid of PID_VALUES) {
      for (const state of STATE_VALUES) {
        for (const nextRun of NEXT_RUN_VALUES) {
          const file = drop({ pid, state, nextRun, schedule: '46 6-18 * * *' });
          const parsed = workerStatusSchema.safeParse(file);
          const expected =
            parsed.success && parsed.data.pid !== undefined ? { pid: parsed.data.pid, state: parsed.data.state, nextRun: parsed.data.nextRun } : null;
          const got = workerLiveness(file);
          expect(got && { pid: got.pid, state: got.state, nextRun: got.nextRun }, JSON.stringify(file)).toEqual(expected);
          compared++;
        }
      }
    }
    expect(compared).toBe(PID_VALUES.length * STATE_VALUES.length * NEXT_RUN_VALUES.length);
    expect(workerLiveness(null)).toBeNull();
    expect(workerLiveness([{ pid: 1, state: 'idle' }])).toBeNull();
  });

  it('status.json: accepted exactly when supervisorHeartbeatSchema accepts it (pid, ISO time with an offset)', () => {
    const accepted: unknown[] = [];
    for (const pid of PID_VALUES) {
      for (const heartbeatAt of TIMES) {
        const file = drop({ pid, heartbeatAt, instances: {} });
        const parsed = supervisorHeartbeatSchema.safeParse(file);
        expect(heartbeatFields(file), JSON.stringify(file)).toEqual(parsed.success ? { pid: parsed.data.pid, heartbeatAt: parsed.data.heartbeatAt } : null);
        if (parsed.success && pid === 1) accepted.push(heartbeatAt);
      }
    }
    // The corpus has both sides: times the schema takes and times it refuses.
    expect(accepted).toContain('2026-12-07T01:30:00.000Z');
    expect(accepted).not.toContain('2026-12-07T01:30:00');
  });
});
