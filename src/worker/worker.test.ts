import { describe, expect, it } from 'vitest';
import { WORKER_TRANSITIONS, type WorkerState } from './worker.js';

describe('worker states', () => {
  it('only stop from any live state, and stopped is final', () => {
    const states = Object.keys(WORKER_TRANSITIONS) as WorkerState[];
    for (const s of states) if (s !== 'stopping' && s !== 'stopped') expect(WORKER_TRANSITIONS[s]).toContain('stopping');
    expect(WORKER_TRANSITIONS.stopped).toEqual([]);
    // A run can never start while another runs: no running → running.
    expect(WORKER_TRANSITIONS.running).not.toContain('running');
  });
});
