import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BackfillProgress } from './backfill.js';
import { formatBackfillProgress, progressPrinter } from './progress.js';

const p = (over: Partial<BackfillProgress> = {}): BackfillProgress => ({
  channelId: '223456789012345678',
  pages: 35,
  fetched: 3500,
  inserted: 3500,
  updated: 0,
  reachedAt: '2024-03-01T10:00:00.000Z',
  fraction: 0.38,
  done: false,
  ...over,
});

describe('backfill progress line', () => {
  it('shows a bar, the share, the count and how far back it is', () => {
    expect(formatBackfillProgress(p(), 10)).toBe('channel 223456789012345678 [####......]  38%  3,500 messages, back to 2024-03-01');
    expect(formatBackfillProgress(p({ fraction: 1, done: true, fetched: 1 }), 4)).toBe('channel 223456789012345678 [####] 100%  1 message, done');
    expect(formatBackfillProgress(p({ fraction: 0, fetched: 0, reachedAt: null }), 4)).toBe('channel 223456789012345678 [....]   0%  0 messages, starting');
    expect(formatBackfillProgress(p({ fraction: 1.7 }), 4)).toContain('[####] 100%');
  });

  it('redraws one line on a terminal; elsewhere prints only finished channels', () => {
    const read = (tty: boolean, updates: BackfillProgress[]): string => {
      const stream = Object.assign(new PassThrough(), { isTTY: tty });
      const print = progressPrinter(stream);
      for (const u of updates) print(u);
      return String(stream.read() ?? '');
    };
    const updates = [p({ fraction: 0.1 }), p({ fraction: 0.5 }), p({ fraction: 1, done: true })];
    const tty = read(true, updates);
    expect(tty.split('\r')).toHaveLength(4);
    expect(tty.endsWith('done\n')).toBe(true);
    expect(read(false, updates)).toBe(`${formatBackfillProgress(p({ fraction: 1, done: true }))}\n`);
  });
});
