import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CalendarEvent } from '../lib/index.js';
import { readSyncedEvents, SYNCED_EVENTS_FILE, syncedEventsSnapshot, writeSyncedEvents } from './synced-events.js';

const ev = (id: string, start: string, title = `Cours ${id}`): { reference: string; event: CalendarEvent } => ({
  reference: `campus-sync:alice:${id}`,
  event: {
    sourceId: id,
    title,
    location: '',
    start,
    end: start.replace('T08', 'T10'),
    timezone: 'Europe/Paris',
    allDay: false,
    teacher: null,
    groupLabel: null,
    teamsUrls: [],
    remote: false,
    details: '',
  },
});

describe('syncedEventsSnapshot', () => {
  const t1 = new Date('2025-09-01T06:00:00Z');
  const t2 = new Date('2025-09-02T06:00:00Z');

  it('gives every event its ECAL id, sorted by start, changed now on the first run', () => {
    const rows = syncedEventsSnapshot({
      events: [ev('2', '2025-09-03T08:00:00+02:00'), ev('1', '2025-09-02T08:00:00+02:00')],
      ecalIds: new Map([['campus-sync:alice:1', 'e1']]),
      touched: new Set(),
      previous: [],
      now: t1,
    });
    expect(rows.map((r) => [r.reference, r.ecalId, r.lastChange])).toEqual([
      ['campus-sync:alice:1', 'e1', t1.toISOString()],
      ['campus-sync:alice:2', null, t1.toISOString()],
    ]);
  });

  it('keeps lastChange of an event left alone, moves it for one written or changed', () => {
    const first = syncedEventsSnapshot({
      events: [ev('1', '2025-09-02T08:00:00+02:00'), ev('2', '2025-09-03T08:00:00+02:00'), ev('3', '2025-09-04T08:00:00+02:00')],
      ecalIds: new Map(),
      touched: new Set(),
      previous: [],
      now: t1,
    });
    const second = syncedEventsSnapshot({
      events: [ev('1', '2025-09-02T08:00:00+02:00'), ev('2', '2025-09-03T08:00:00+02:00', 'Renamed'), ev('3', '2025-09-04T08:00:00+02:00')],
      ecalIds: new Map(),
      touched: new Set(['campus-sync:alice:3']),
      previous: first,
      now: t2,
    });
    expect(second.map((r) => r.lastChange)).toEqual([t1.toISOString(), t2.toISOString(), t2.toISOString()]);
  });
});

describe('events.json', () => {
  it('round-trips, and an unreadable file reads as no previous snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synced-'));
    expect(await readSyncedEvents(dir)).toEqual([]);
    const rows = syncedEventsSnapshot({
      events: [ev('1', '2025-09-02T08:00:00+02:00')],
      ecalIds: new Map(),
      touched: new Set(),
      previous: [],
      now: new Date(),
    });
    await writeSyncedEvents(dir, rows);
    expect(await readSyncedEvents(dir)).toEqual(rows);
    await writeFile(join(dir, SYNCED_EVENTS_FILE), '{not json');
    expect(await readSyncedEvents(dir)).toEqual([]);
  });
});
