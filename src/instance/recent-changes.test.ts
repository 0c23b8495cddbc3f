import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecentChanges, recordRecentChanges, RECENT_CHANGES_FILE, RECENT_CHANGES_KEPT } from './recent-changes.js';

const cls = { title: 'Droit', start: '2026-12-08T08:30:00+01:00', end: '2026-12-08T10:30:00+01:00', room: 'B12', teacher: null };

describe('changes.json', () => {
  it('keeps the newest announcements first, bounded, with only what a card shows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-changes-'));
    expect(await readRecentChanges(dir)).toEqual([]);
    for (let i = 0; i < RECENT_CHANGES_KEPT + 2; i++) {
      await recordRecentChanges(dir, new Date(Date.UTC(2026, 11, 1, i)), [{ kind: 'room', before: cls, after: { ...cls, room: `R${i}` }, urgent: false }]);
    }
    const entries = await readRecentChanges(dir);
    expect(entries).toHaveLength(RECENT_CHANGES_KEPT);
    expect(entries[0]?.at).toBe('2026-12-01T06:00:00.000Z');
    expect(entries[0]?.changes[0]).toEqual({ kind: 'room', before: cls, after: { ...cls, room: 'R6' } });
    await recordRecentChanges(dir, new Date(), []);
    expect(await readRecentChanges(dir)).toHaveLength(RECENT_CHANGES_KEPT);
  });

  it('reads a damaged file as empty, and the next announcement rewrites it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-changes-'));
    await writeFile(join(dir, RECENT_CHANGES_FILE), '\0\0\0');
    expect(await readRecentChanges(dir)).toEqual([]);
    await recordRecentChanges(dir, new Date('2026-12-01T00:00:00Z'), [{ kind: 'cancelled', before: cls }]);
    expect(JSON.parse(await readFile(join(dir, RECENT_CHANGES_FILE), 'utf8'))).toMatchObject({ v: 1, entries: [{ changes: [{ kind: 'cancelled' }] }] });
  });
});
