import { formatDuration, formatWhen } from './format.js';
import { esc } from './html.js';
import type { RunPoint } from './state.js';

/**
 * The runs plot: our own inline SVG, no chart library (the page loads nothing from anywhere). Two panels
 * over the same time axis (one slot per run, newest on the right): run durations as bars coloured by
 * outcome, then the events in the timetable as a line over the changes each run made (stacked bars).
 * Colours come from the page's stylesheet through classes, so dark mode and the CSP need nothing here.
 */

const W = 360;
const LEFT = 36;
const RIGHT = 8;
const TOP = 16;
const DURATION_H = 56;
const GAP = 20;
const EVENTS_H = 48;
const AXIS_H = 16;
export const PLOT_HEIGHT = TOP + DURATION_H + GAP + EVENTS_H + AXIS_H;
/** Fewer runs than this still get slots this wide, so two runs are not two fat slabs. */
const MIN_SLOTS = 12;

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

function outcomeClass(outcome: string): string {
  if (outcome === 'success' || outcome === 'dry-run') return 'p-ok';
  if (outcome === 'partial') return 'p-partial';
  return 'p-failed';
}

/** Rough width of a label at the plot's font size, to lay the legend out from the right edge. */
const LABEL_CHAR_W = 5.4;

/** Colour swatches with their labels, right-aligned on a title line. */
function legend(y: number, items: readonly (readonly [string, string])[]): string {
  let x = W - RIGHT;
  const out: string[] = [];
  for (const [cls, label] of [...items].reverse()) {
    x -= label.length * LABEL_CHAR_W;
    out.unshift(`<rect class="p-swatch ${cls}" x="${r1(x - 9)}" y="${y - 7}" width="7" height="7" rx="1"/><text class="p-label" x="${r1(x)}" y="${y}">${esc(label)}</text>`);
    x -= 9 + 8;
  }
  return out.join('');
}

export function renderRunPlot(runs: readonly RunPoint[], opts: { zone: string; now?: Date }): string {
  if (runs.length === 0) return '';
  const now = opts.now ?? new Date();
  const plotW = W - LEFT - RIGHT;
  const slots = Math.max(runs.length, MIN_SLOTS);
  const slotW = plotW / slots;
  const barW = Math.max(1.5, slotW * 0.7);
  // Newest on the right edge, however few runs there are.
  const x0 = LEFT + plotW - runs.length * slotW;
  const maxDuration = Math.max(1, ...runs.map((r) => r.durationMs));
  const maxCourses = Math.max(1, ...runs.map((r) => r.courses));
  const maxChanges = Math.max(1, ...runs.map((r) => r.created + r.updated + r.deleted));
  const durBase = TOP + DURATION_H;
  const evTop = durBase + GAP;
  const evBase = evTop + EVENTS_H;

  const parts: string[] = [];
  // Axes and scale labels.
  parts.push(`<line class="p-axis" x1="${LEFT}" y1="${durBase}" x2="${W - RIGHT}" y2="${durBase}"/>`);
  parts.push(`<line class="p-axis" x1="${LEFT}" y1="${evBase}" x2="${W - RIGHT}" y2="${evBase}"/>`);
  parts.push(`<text class="p-label" x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${esc(formatDuration(maxDuration))}</text>`);
  parts.push(`<text class="p-label" x="${LEFT - 4}" y="${durBase}" text-anchor="end">0</text>`);
  parts.push(`<text class="p-label" x="${LEFT - 4}" y="${evTop + 4}" text-anchor="end">${maxCourses}</text>`);
  parts.push(`<text class="p-label" x="${LEFT - 4}" y="${evBase}" text-anchor="end">0</text>`);
  parts.push(`<text class="p-title" x="${LEFT}" y="${TOP - 5}">Run duration</text>`);
  parts.push(legend(TOP - 5, [['p-ok', 'success'], ['p-partial', 'partial'], ['p-failed', 'failed']]));
  parts.push(`<text class="p-title" x="${LEFT}" y="${evTop - 5}">Events</text>`);
  parts.push(`<line class="p-line" x1="${LEFT + 42}" y1="${evTop - 8.5}" x2="${LEFT + 56}" y2="${evTop - 8.5}"/>`);
  parts.push(legend(evTop - 5, [['p-created', 'created'], ['p-updated', 'updated'], ['p-deleted', 'deleted']]));

  const line: string[] = [];
  runs.forEach((r, i) => {
    const cx = x0 + i * slotW + slotW / 2;
    const bx = cx - barW / 2;
    const h = Math.max(1, (r.durationMs / maxDuration) * DURATION_H);
    const changes = r.created + r.updated + r.deleted;
    const tip = `${formatWhen(r.startedAt, opts.zone, now)}: ${r.outcome}, ${formatDuration(r.durationMs)}, ${r.courses} events, +${r.created} ~${r.updated} −${r.deleted}`;
    const stack: string[] = [];
    let y = evBase;
    for (const [n, cls] of [
      [r.created, 'p-created'],
      [r.updated, 'p-updated'],
      [r.deleted, 'p-deleted'],
    ] as const) {
      if (n === 0) continue;
      // Changes share the lower half of the panel, so the events line stays readable above them.
      const sh = (n / maxChanges) * (EVENTS_H / 2);
      y -= sh;
      stack.push(`<rect class="${cls}" x="${r1(bx)}" y="${r1(y)}" width="${r1(barW)}" height="${r1(sh)}"/>`);
    }
    parts.push(
      `<g><title>${esc(tip)}</title>` +
        `<rect class="p-hit" x="${r1(x0 + i * slotW)}" y="${TOP}" width="${r1(slotW)}" height="${evBase - TOP}"/>` +
        `<rect class="${outcomeClass(r.outcome)}" x="${r1(bx)}" y="${r1(durBase - h)}" width="${r1(barW)}" height="${r1(h)}"/>` +
        (changes > 0 ? stack.join('') : '') +
        `</g>`,
    );
    line.push(`${r1(cx)},${r1(evBase - (r.courses / maxCourses) * EVENTS_H)}`);
  });
  parts.push(`<polyline class="p-line" points="${line.join(' ')}"/>`);
  for (const p of line) {
    const [cx, cy] = p.split(',');
    parts.push(`<circle class="p-dot" cx="${cx}" cy="${cy}" r="1.8"/>`);
  }
  const first = runs[0] as RunPoint;
  const last = runs[runs.length - 1] as RunPoint;
  parts.push(`<text class="p-label" x="${r1(x0)}" y="${evBase + 12}">${esc(formatWhen(first.startedAt, opts.zone, now))}</text>`);
  if (runs.length > 1) parts.push(`<text class="p-label" x="${W - RIGHT}" y="${evBase + 12}" text-anchor="end">${esc(formatWhen(last.startedAt, opts.zone, now))}</text>`);

  const durations = runs.map((r) => r.durationMs);
  const failed = runs.filter((r) => outcomeClass(r.outcome) !== 'p-ok').length;
  const summary =
    `The last ${runs.length} run(s): durations from ${formatDuration(Math.min(...durations))} to ${formatDuration(Math.max(...durations))}, ` +
    `${failed} not successful, ${last.courses} events in the latest.`;
  return (
    `<svg class="plot" viewBox="0 0 ${W} ${PLOT_HEIGHT}" role="img" aria-label="${esc(summary)}" preserveAspectRatio="xMidYMid meet">` +
    `<desc>${esc(summary)}</desc>${parts.join('')}</svg>`
  );
}
