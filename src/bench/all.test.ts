import { describe, expect, it } from 'vitest';
import { replaceSummary, SUMMARY_END, SUMMARY_START, summaryTable } from './all.js';

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

  it('rewrites only what lies between the markers, and refuses a README without them', () => {
    const readme = `# x\n${SUMMARY_START}\nold\n${SUMMARY_END}\nafter\n`;
    expect(replaceSummary(readme, 'new')).toBe(`# x\n${SUMMARY_START}\nnew\n${SUMMARY_END}\nafter\n`);
    expect(() => replaceSummary('# x\n', 'new')).toThrow(/bench:summary/);
  });
});
