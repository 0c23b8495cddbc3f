import { describe, it, expect } from 'vitest';
import type { DiscordSimMessage, EcalSimEvent } from '../sim/index.js';
import { createEcalReporter, discordLines } from './report.js';

const CAL_A = 'a'.repeat(24);
const CAL_B = 'b'.repeat(24);
const ev = (id: string, calendarId: string, startDate: string, extra: Partial<EcalSimEvent> = {}): EcalSimEvent => ({
  id,
  calendarId,
  name: `Class ${id}`,
  location: 'B110',
  startDate,
  endDate: startDate,
  startTime: '08:30',
  endTime: '10:00',
  ...extra,
});
const NOW = '2026-03-02T12:00';

describe('createEcalReporter', () => {
  it('says nothing while events are still landing, then one line once they settle', () => {
    const report = createEcalReporter([{ name: 'alice', calendarId: CAL_A }]);
    expect(report([], NOW)).toEqual([]);
    expect(report([], NOW)).toEqual([]);
    const some = [ev('1', CAL_A, '2026-03-01'), ev('2', CAL_A, '2026-03-03')];
    expect(report(some, NOW)).toEqual([]);
    const all = [...some, ev('3', CAL_A, '2026-03-04')];
    expect(report(all, NOW)).toEqual([]);
    expect(report(all, NOW)).toEqual(['alice: 3 events in ECAL (3 created); next class 2026-03-03 08:30 Class 2 @ B110']);
    // Unchanged afterwards: silent.
    expect(report(all, NOW)).toEqual([]);
  });

  it('counts updates and deletions per calendar, and ignores the other calendars', () => {
    const report = createEcalReporter([
      { name: 'alice', calendarId: CAL_A },
      { name: 'bob', calendarId: CAL_B },
    ]);
    const first = [ev('1', CAL_A, '2026-03-03'), ev('2', CAL_A, '2026-03-04'), ev('9', CAL_B, '2026-03-05')];
    report(first, NOW);
    expect(report(first, NOW)).toEqual([
      'alice: 2 events in ECAL (2 created); next class 2026-03-03 08:30 Class 1 @ B110',
      'bob: 1 events in ECAL (1 created); next class 2026-03-05 08:30 Class 9 @ B110',
    ]);
    const next = [ev('1', CAL_A, '2026-03-03', { location: 'Salle 101' }), ev('9', CAL_B, '2026-03-05')];
    report(next, NOW);
    expect(report(next, NOW)).toEqual(['alice: 1 events in ECAL (1 updated, 1 deleted); next class 2026-03-03 08:30 Class 1 @ Salle 101']);
  });

  it('leaves out the next class when none is ahead', () => {
    const report = createEcalReporter([{ name: 'alice', calendarId: CAL_A }]);
    const past = [ev('1', CAL_A, '2026-03-01')];
    report(past, NOW);
    expect(report(past, NOW)).toEqual(['alice: 1 events in ECAL (1 created)']);
  });
});

describe('discordLines', () => {
  const msg = (body: unknown, webhookId?: string): DiscordSimMessage => ({
    via: 'webhook',
    ...(webhookId ? { webhookId } : {}),
    body,
    at: '2026-03-02T12:00:00Z',
  });

  it("names the demo's channel, the embed's title and its first line", () => {
    const channels = new Map([['42', { channel: '#alice' }]]);
    const lines = discordLines(
      [
        msg({ embeds: [{ title: '1 new slot(s): medecin', description: 'jeu. 3 déc. 08:30\n• **Thu 3 Dec 2026 08:30**' }] }, '42'),
        msg({ content: 'plain text\nsecond line' }, '7'),
      ],
      channels,
    );
    expect(lines).toEqual(['Discord #alice received: "1 new slot(s): medecin" jeu. 3 déc. 08:30', 'Discord Discord received: plain text']);
  });
});
