import { describe, expect, it } from 'vitest';
import { axisDuration, niceCeil, renderRunPlot } from './plot.js';
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
    // The y scale is a round number at or above the longest run (and its half); the x axis the newest run, in the
    // zone's time (the oldest too when both fit: here three runs sit at the right, so only the newest).
    expect(svg).toContain('>5 s</text>');
    expect(svg).toContain('>2,5 s</text>');
    expect(svg).toContain('>jeu. 20 mars 10:46</text>');
    expect(svg).not.toContain('>jeu. 20 mars 07:46</text>');
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
    expect(svg).toContain('<title>jeu. 20 mars 07:46 : réussie, 1,0 s, 40 événements, +6 ~0 −0</title>');
    expect(svg).toMatch(/role="img" aria-label="Les 2 dernières synchros : durées de 1,0 s à 2,0 s, 0 en échec, 41 événements dans la plus récente\."/);
    const en = renderRunPlot(runs, { zone: 'Europe/Paris', now, locale: 'en' });
    expect(en).toContain('<title>Thu 20 Mar 07:46: success, 1.0 s, 40 events, +6 ~0 −0</title>');
    expect(en).toContain('>Run duration</text>');
  });

  it('escapes what it prints', () => {
    const svg = renderRunPlot([run(0, { outcome: '<script>' })], { zone: 'Europe/Paris', now });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});

describe('the plot scales', () => {
  it('round up to 1, 2, 2.5 or 5 × 10^k: a 230 ms run is under a 250 ms line, never labelled below its value', () => {
    expect([230, 1, 4000, 41, 100, 101, 7, 0].map(niceCeil)).toEqual([250, 1, 5000, 50, 100, 200, 10, 1]);
  });
  it('label durations short enough for the left margin, in the locale', () => {
    expect(axisDuration(250, 'fr')).toBe('250 ms');
    expect(axisDuration(2500, 'fr')).toBe('2,5 s');
    expect(axisDuration(2500, 'en')).toBe('2.5 s');
    expect(axisDuration(150_000, 'fr')).toBe('2,5 min');
  });
  it('shows the oldest run on the time axis when there is room for both labels', () => {
    const runs = Array.from({ length: 12 }, (_, i) => run(i));
    const svg = renderRunPlot(runs, { zone: 'Europe/Paris', now: new Date('2025-03-20T20:00:00Z') });
    expect(svg).toContain('>jeu. 20 mars 07:46</text>');
    expect(svg).toContain('>jeu. 20 mars 18:46</text>');
  });
});
