import { describe, expect, it } from 'vitest';
import { renderRunPlot } from './plot.js';
import type { RunPoint } from './state.js';

const run = (i: number, over: Partial<RunPoint> = {}): RunPoint => ({
  startedAt: new Date(Date.UTC(2025, 2, 20, 6 + i, 46)).toISOString(),
  finishedAt: new Date(Date.UTC(2025, 2, 20, 6 + i, 47)).toISOString(),
  durationMs: 1000 * (i + 1),
  outcome: 'success',
  courses: 40 + i,
  created: 0,
  updated: 0,
  deleted: 0,
  ...over,
});

const rects = (svg: string, cls: string): { x: number; y: number; h: number }[] =>
  [...svg.matchAll(new RegExp(`<rect class="${cls}" x="([\\d.]+)" y="([\\d.]+)" width="[\\d.]+" height="([\\d.]+)"`, 'g'))].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    h: Number(m[3]),
  }));

describe('the runs plot', () => {
  const now = new Date('2025-03-20T20:00:00Z');

  it('is nothing without runs', () => {
    expect(renderRunPlot([], { zone: 'Europe/Paris', now })).toBe('');
  });

  it('draws one duration bar per run, proportional, coloured by outcome, oldest on the left', () => {
    const runs = [run(0), run(1, { outcome: 'partial' }), run(3, { outcome: 'failed', durationMs: 4000 })];
    const svg = renderRunPlot(runs, { zone: 'Europe/Paris', now });
    expect(svg.startsWith('<svg')).toBe(true);
    const ok = rects(svg, 'p-ok');
    const partial = rects(svg, 'p-partial');
    const failed = rects(svg, 'p-failed');
    expect([ok.length, partial.length, failed.length]).toEqual([1, 1, 1]);
    expect(failed[0]!.h).toBeCloseTo(4 * ok[0]!.h, 0);
    expect(partial[0]!.h).toBeCloseTo(2 * ok[0]!.h, 0);
    expect(ok[0]!.x).toBeLessThan(partial[0]!.x);
    expect(partial[0]!.x).toBeLessThan(failed[0]!.x);
    // The y scale says the longest run; the x axis the first and last runs in the zone's time.
    expect(svg).toContain('>4,0 s</text>');
    expect(svg).toContain('>jeu. 20 mars 07:46</text>');
    expect(svg).toContain('>jeu. 20 mars 10:46</text>');
  });

  it('draws the events line and stacked change bars, with a tooltip per run and a text summary', () => {
    const runs = [run(0, { created: 6 }), run(1, { updated: 2, deleted: 1 })];
    const svg = renderRunPlot(runs, { zone: 'Europe/Paris', now });
    const points = /<polyline class="p-line" points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    expect(points).toHaveLength(2);
    // More events → higher on the page (smaller y).
    expect(Number(points[1]!.split(',')[1])).toBeLessThan(Number(points[0]!.split(',')[1]));
    expect(rects(svg, 'p-created')).toHaveLength(1);
    expect(rects(svg, 'p-updated')).toHaveLength(1);
    expect(rects(svg, 'p-deleted')).toHaveLength(1);
    expect(rects(svg, 'p-created')[0]!.h).toBeCloseTo(3 * rects(svg, 'p-updated')[0]!.h, 0);
    expect(svg).toContain('<title>jeu. 20 mars 07:46: success, 1,0 s, 40 events, +6 ~0 −0</title>');
    expect(svg).toMatch(/role="img" aria-label="The last 2 run\(s\): durations from 1,0 s to 2,0 s, 0 not successful, 41 events in the latest\."/);
  });

  it('escapes what it prints', () => {
    const svg = renderRunPlot([run(0, { outcome: '<script>' })], { zone: 'Europe/Paris', now });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});
