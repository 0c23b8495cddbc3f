import { describe, expect, it } from 'vitest';
import { replaceSummary, SUMMARY_END, SUMMARY_START, summaryTable, wholeRunTarget } from './all.js';

describe('bench summary', () => {
  it('one row per target with ✓, ✗ or "not measured", pipes escaped', () => {
    const table = summaryTable([
      { area: 'sync', what: 'steady state', ours: '1', original: '23', target: '1', met: true },
      { area: 'API', what: 'p99 | PostgreSQL', ours: '80 ms', target: '≤ 50 ms', met: false, note: 'loaded machine' },
      { area: 'swarm', what: '100 services', ours: '—', target: '≤ 45 s', met: null },
    ]).split('\n');
    expect(table).toHaveLength(5);
    expect(table[2]).toBe('| sync | steady state | 1 | 23 | 1 | ✓ |');
    expect(table[3]).toBe('| API | p99 \\| PostgreSQL (loaded machine) | 80 ms | — | ≤ 50 ms | ✗ |');
    expect(table[4]).toMatch(/\| — not measured \|$/);
  });

  it("the whole run: met without a note; missed, by how much and each part's time, the longest first", () => {
    expect(wholeRunTarget(250, [{ part: 'sync-bench.js', seconds: 30 }])).toEqual({
      area: 'bench',
      what: 'the whole `npm run bench`',
      ours: '250 s',
      target: '≤ 300 s',
      met: true,
    });
    const missed = wholeRunTarget(551, [
      { part: 'sync-bench.js', seconds: 31.2 },
      { part: 'swarm-bench.js', seconds: 262.4 },
      { part: 'api-bench.js', seconds: 140.6 },
    ]);
    expect(missed.met).toBe(false);
    expect(missed.note).toBe("251 s over; the parts: swarm 262 s, api 141 s, sync 31 s (each part's own row says why it takes what it takes)");
  });

  it('rewrites only what lies between the markers, and refuses a README without them', () => {
    const readme = `# x\n${SUMMARY_START}\nold\n${SUMMARY_END}\nafter\n`;
    expect(replaceSummary(readme, 'new')).toBe(`# x\n${SUMMARY_START}\nnew\n${SUMMARY_END}\nafter\n`);
    expect(() => replaceSummary('# x\n', 'new')).toThrow(/bench:summary/);
  });
});
