import { describe, it, expect } from 'vitest';
import { AuthError, RemoteError, TransientError } from '../lib/index.js';
import type { EcalEventBody } from './types.js';
import type { PlanAction, SyncPlan } from './plan.js';
import { executePlan } from './executor.js';
import { createMemoryEcal } from './memory-client.test-helper.js';

const CAL = 'c0ffee00c0ffee00c0ffee00';

function body(n: number): EcalEventBody {
  return {
    calendarId: CAL,
    name: `Course ${n}`,
    location: 'B110',
    startDate: '2025-03-31',
    startTime: '08:30',
    endDate: '2025-03-31',
    endTime: '10:30',
    allDay: 'no',
    timezone: 'Europe/Paris',
    reference: `campus-sync:alice:${n}`,
    details: '',
    alert: '15M',
    draft: 0,
  };
}

const event = {
  sourceId: '',
  title: '',
  location: '',
  start: '',
  end: '',
  timezone: 'Europe/Paris',
  allDay: false,
  teacher: null,
  groupLabel: null,
  teamsUrls: [],
  remote: false,
  details: '',
};

function creates(count: number): PlanAction[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'create' as const, reference: `campus-sync:alice:${i}`, body: body(i), event }));
}

function planOf(actions: PlanAction[]): SyncPlan {
  const counts = { create: 0, update: 0, adopt: 0, delete: 0, unchanged: 0 };
  for (const a of actions) counts[a.kind]++;
  return { actions, unchanged: 0, skipped: [], guard: { held: false, withheldDeletes: 0 }, counts };
}

describe('executePlan', () => {
  it('counts a create that ECAL answered with 409 and the client adopted as adopted, keeping its id', async () => {
    const memory = createMemoryEcal();
    const client = { ...memory.client, createEvent: async () => ({ id: 'feedfeedfeedfeedfeedfeed', adopted: true }) };
    const result = await executePlan(planOf(creates(1)), { client, concurrency: 1 });
    expect(result).toMatchObject({ created: 0, adopted: 1, failed: [], createdIds: { 'campus-sync:alice:0': 'feedfeedfeedfeedfeedfeed' } });
  });

  it('runs every kind of action and reports the created ids', async () => {
    const ecal = createMemoryEcal();
    const toUpdate = ecal.seed({ ...body(10), name: 'old' });
    const toAdopt = ecal.seed({ ...body(11), reference: '12345' });
    const toDelete = ecal.seed(body(12));
    const plan = planOf([
      ...creates(1),
      { kind: 'update', id: toUpdate, reference: body(10).reference, body: body(10), changes: ['name'], event },
      { kind: 'adopt', id: toAdopt, reference: body(11).reference, body: body(11), previousReference: '12345', event },
      { kind: 'delete', id: toDelete, reference: body(12).reference, reason: 'left-source', summary: '' },
    ]);
    const result = await executePlan(plan, { client: ecal.client, concurrency: 2 });
    expect(result).toMatchObject({ created: 1, updated: 1, adopted: 1, deleted: 1, failed: [] });
    const createdId = result.createdIds['campus-sync:alice:0']!;
    expect(ecal.events.get(createdId)?.name).toBe('Course 0');
    expect(ecal.events.get(toUpdate)?.name).toBe('Course 10');
    expect(ecal.events.get(toAdopt)?.reference).toBe('campus-sync:alice:11');
    expect(ecal.events.has(toDelete)).toBe(false);
  });

  it('never has more than `concurrency` calls in flight', async () => {
    const ecal = createMemoryEcal({ latencyMs: 2 });
    const progress: number[] = [];
    const result = await executePlan(planOf(creates(20)), { client: ecal.client, concurrency: 3, onProgress: (done) => progress.push(done) });
    expect(result.created).toBe(20);
    expect(ecal.maxInFlight()).toBe(3);
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('runs deletes only after creates, updates and adopts', async () => {
    const ecal = createMemoryEcal({ latencyMs: 1 });
    const ids = [1, 2, 3].map((n) => ecal.seed(body(100 + n)));
    const plan = planOf([...ids.map((id): PlanAction => ({ kind: 'delete', id, reference: 'r', reason: 'duplicate', summary: '' })), ...creates(5)]);
    await executePlan(plan, { client: ecal.client, concurrency: 4 });
    const ops = ecal.calls.map((c) => c.op);
    expect(ops.lastIndexOf('create')).toBeLessThan(ops.indexOf('delete'));
  });

  it('records a failing action and carries on with the others', async () => {
    const ecal = createMemoryEcal({
      fault: (c) =>
        c.body?.name === 'Course 2'
          ? new TransientError('ECAL answered 502', { status: 502 })
          : c.body?.name === 'Course 4'
            ? new RemoteError('ECAL answered 400', { status: 400 })
            : undefined,
    });
    const result = await executePlan(planOf(creates(6)), { client: ecal.client, concurrency: 2 });
    expect(result.created).toBe(4);
    expect(result.failed.map((f) => [f.action.kind === 'create' && f.action.body.name, f.error, f.retryable])).toEqual([
      ['Course 2', 'ECAL answered 502', true],
      ['Course 4', 'ECAL answered 400', false],
    ]);
  });

  it('stops starting actions on a 403, and records the rest as not attempted', async () => {
    const ecal = createMemoryEcal({ fault: (c) => (c.body?.name === 'Course 2' ? new AuthError('ECAL refused the signature (403)') : undefined) });
    const plan = planOf([...creates(10), { kind: 'delete', id: 'x', reference: 'r', reason: 'left-source', summary: '' }]);
    const result = await executePlan(plan, { client: ecal.client, concurrency: 1 });
    expect(result.created).toBe(2);
    expect(ecal.calls).toHaveLength(3);
    expect(result.failed).toHaveLength(9);
    expect(result.failed[0]).toMatchObject({ error: 'ECAL refused the signature (403)', retryable: false });
    expect(result.failed.slice(1).every((f) => f.retryable && f.error.startsWith('not attempted'))).toBe(true);
    expect(result.failed.at(-1)!.action.kind).toBe('delete');
  });

  it('stops starting actions when ECAL keeps answering 429, lets in-flight ones finish', async () => {
    const ecal = createMemoryEcal({
      latencyMs: 2,
      fault: (c) => (c.body?.name === 'Course 0' ? new TransientError('too many requests', { status: 429 }) : undefined),
    });
    const result = await executePlan(planOf(creates(10)), { client: ecal.client, concurrency: 3 });
    // Course 0 failed while Course 1 and 2 were in flight: those finish, nothing else starts.
    expect(result.created).toBe(2);
    expect(ecal.calls).toHaveLength(3);
    expect(result.failed).toHaveLength(8);
  });

  it('goes on after a 5xx (only 429 and 403 stop the run)', async () => {
    const ecal = createMemoryEcal({ fault: (c) => (c.n === 1 ? new TransientError('bad gateway', { status: 502 }) : undefined) });
    const result = await executePlan(planOf(creates(5)), { client: ecal.client, concurrency: 1 });
    expect(result.created).toBe(4);
    expect(result.failed).toHaveLength(1);
  });

  it('respects an abort signal: no new action starts, the in-flight one finishes', async () => {
    const controller = new AbortController();
    const ecal = createMemoryEcal({ latencyMs: 1 });
    const result = await executePlan(planOf(creates(10)), {
      client: ecal.client,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 3) controller.abort();
      },
    });
    expect(result.created).toBe(3);
    expect(result.failed).toHaveLength(7);
    expect(result.failed[0]!.error).toMatch(/not attempted: the run was cancelled/);
  });

  it('does nothing for an empty plan', async () => {
    const ecal = createMemoryEcal();
    const result = await executePlan(planOf([]), { client: ecal.client, concurrency: 4 });
    expect(result).toEqual({ created: 0, updated: 0, adopted: 0, deleted: 0, failed: [], createdIds: {} });
    expect(ecal.calls).toHaveLength(0);
  });
});
