import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyState, loadState, saveState, STATE_FILE } from './state.js';

describe('instance state', () => {
  it('round-trips, private to its owner', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-state-'));
    expect(await loadState(dir)).toEqual(emptyState());
    const state = { version: 1 as const, moncampusCookies: { 'http://127.0.0.1:1': { sid: 'abc' } }, moncampusUser: 'alice' };
    await saveState(dir, state);
    expect(await loadState(dir)).toEqual(state);
    expect((await stat(join(dir, STATE_FILE))).mode & 0o077).toBe(0);
  });

  it('a corrupt file costs a login, not the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-state-'));
    await writeFile(join(dir, STATE_FILE), '{"version": 1, "moncampusCook');
    const warnings: string[] = [];
    const logger = { warn: (m: string) => void warnings.push(m) } as unknown as Parameters<typeof loadState>[1];
    expect(await loadState(dir, logger)).toEqual(emptyState());
    expect(warnings[0]).toMatch(/unreadable/);
  });
});
