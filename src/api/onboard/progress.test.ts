import { describe, expect, it } from 'vitest';
import { translator } from '../../lib/index.js';
import type { InstanceView } from '../dashboard/state.js';
import { describeProgress } from './progress.js';

const t = translator('en');
const view = (over: Partial<InstanceView>): InstanceView => ({ name: 'lea', state: 'never-synced', syncing: false, lastRun: null, ...over }) as InstanceView;
const run = (outcome: string, courses = 18) => ({ outcome, courses, error: outcome === 'failed' ? 'login: refused' : null }) as InstanceView['lastRun'];

describe('describeProgress', () => {
  it('follows a new instance from its config read to its first sync', () => {
    expect(describeProgress(undefined, t)).toMatchObject({ state: 'waiting', worker: false, synced: false });
    expect(describeProgress(view({ state: 'starting' }), t)).toMatchObject({ worker: false, message: 'The supervisor is starting the sync…' });
    expect(describeProgress(view({ state: 'never-synced' }), t)).toMatchObject({ worker: true, synced: false });
    expect(describeProgress(view({ state: 'never-synced', syncing: true }), t).message).toBe('First sync in progress…');
    expect(describeProgress(view({ state: 'running', lastRun: run('success') }), t)).toEqual({
      state: 'running',
      worker: true,
      synced: true,
      message: 'First sync done: 18 classes.',
    });
  });

  it('says why it stopped: a failed run, a config the supervisor refused', () => {
    const failed = describeProgress(view({ state: 'failing', stateReason: 'login: refused', lastRun: run('failed') }), t);
    expect(failed).toMatchObject({ synced: false, message: 'The first sync failed: login: refused' });
    expect(describeProgress(view({ state: 'invalid', configError: 'lea.yml: bad' }), t)).toMatchObject({ worker: false, message: 'lea.yml: bad' });
  });

  it('after an edit counts only the runs started since the save: the old settings’ run is not the new sync', () => {
    const saved = new Date('2026-12-07T10:00:00.000Z');
    const at = (startedAt: string) => ({ ...run('success', 12), startedAt }) as InstanceView['lastRun'];
    const before = describeProgress(view({ state: 'running', lastRun: at('2026-12-07T09:00:00.000Z') }), t, saved);
    expect(before).toMatchObject({ worker: true, synced: false });
    expect(describeProgress(view({ state: 'running', lastRun: at('2026-12-07T10:00:05.000Z') }), t, saved)).toEqual({
      state: 'running',
      worker: true,
      synced: true,
      message: 'Synced with the new settings: 12 classes.',
    });
  });
});
