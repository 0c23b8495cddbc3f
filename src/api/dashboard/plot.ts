import { translator, type Locale } from '../../lib/index.js';
import { DISPLAY_LOCALE, formatDuration, formatWhen } from './format.js';
import { esc } from './html.js';
import type { RunPoint } from './state.js';

/**
 * The runs plot: our own inline SVG, no chart library (the page loads nothing from anywhere). Two panels
 * over the same time axis (one slot per run, newest on the right): run durations as bars coloured by
 * outcome, then the events in the timetable as a line over the changes each run made (stacked bars).
 * Colours come from the page's stylesheet through classes, so dark mode and the CSP need nothing here.
 */

const W = 360;
/** Room for the longest scale label ("2,5 min", "250 ms") right-aligned left of the axis, never cut by the edge. */
const LEFT = 50;
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

/**
 * The top of a scale: the smallest 1, 2, 2.5 or 5 × 10^k at or above `max`, so a 230 ms run is drawn under a
 * "250 ms" line (the scale says a round number the eye can read, and the tallest bar never pokes above it).
 */
export function niceCeil(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max - 1e-9) return m * p;
  return 10 * p;
}

/** A scale label for a duration: short ("250 ms", "2,5 s", "3 min"), the locale's decimal mark. */
export function axisDuration(ms: number, locale: Locale): string {
  const dec = (n: number): string => String(Math.round(n * 10) / 10).replace('.', locale === 'fr' ? ',' : '.');
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${dec(ms / 1_000)} s`;
  return `${dec(ms / 60_000)} min`;
}

/** Colour swatches with their labels, right-aligned on a title line. */
function legend(y: number, items: readonly (readonly [string, string])[]): string {
  let x = W - RIGHT;
  const out: string[] = [];
  for (const [cls, label] of [...items].reverse()) {
    x -= label.length * LABEL_CHAR_W;
    out.unshift(
      `<rect class="p-swatch ${cls}" x="${r1(x - 9)}" y="${y - 7}" width="7" height="7" rx="1"/><text class="p-label" x="${r1(x)}" y="${y}">${esc(label)}</text>`,
    );
    x -= 9 + 8;
  }
  return out.join('');
}

export function renderRunPlot(runs: readonly RunPoint[], opts: { zone: string; now?: Date; locale?: Locale }): string {
  if (runs.length === 0) return '';
  const now = opts.now ?? new Date();
  const locale = opts.locale ?? DISPLAY_LOCALE;
  const t = translator(locale);
  const when = (iso: string): string => formatWhen(iso, opts.zone, now, locale);
  const outcomeWord = (o: string): string => t(`dashboard.outcome.${o}`, { defaultValue: o });
  const plotW = W - LEFT - RIGHT;
  const slots = Math.max(runs.length, MIN_SLOTS);
  const slotW = plotW / slots;
  const barW = Math.max(1.5, slotW * 0.7);
  // Newest on the right edge, however few runs there are.
  const x0 = LEFT + plotW - runs.length * slotW;
  const maxDuration = niceCeil(Math.max(1, ...runs.map((r) => r.durationMs)));
  const maxCourses = niceCeil(Math.max(1, ...runs.map((r) => r.courses)));
  const maxChanges = Math.max(1, ...runs.map((r) => r.created + r.updated + r.deleted));
  const durBase = TOP + DURATION_H;
  const evTop = durBase + GAP;
  const evBase = evTop + EVENTS_H;

  const parts: string[] = [];
  // Axes and scale labels.
  parts.push(`<line class="p-axis" x1="${LEFT}" y1="${durBase}" x2="${W - RIGHT}" y2="${durBase}"/>`);
  parts.push(`<line class="p-axis" x1="${LEFT}" y1="${evBase}" x2="${W - RIGHT}" y2="${evBase}"/>`);
  // Scale: the top, the middle (a faint grid line) and zero of each panel, labelled left of the axis.
  const scale = (top: number, base: number, h: number, label: (v: number) => string, max: number): void => {
    parts.push(`<line class="p-grid" x1="${LEFT}" y1="${r1(top + h / 2)}" x2="${W - RIGHT}" y2="${r1(top + h / 2)}"/>`);
    parts.push(`<line class="p-grid" x1="${LEFT}" y1="${top}" x2="${W - RIGHT}" y2="${top}"/>`);
    parts.push(`<text class="p-label p-scale" x="${LEFT - 4}" y="${top + 3.5}" text-anchor="end">${esc(label(max))}</text>`);
    parts.push(`<text class="p-label p-scale" x="${LEFT - 4}" y="${r1(top + h / 2 + 3.5)}" text-anchor="end">${esc(label(max / 2))}</text>`);
    parts.push(`<text class="p-label p-scale" x="${LEFT - 4}" y="${base}" text-anchor="end">0</text>`);
  };
  scale(TOP, durBase, DURATION_H, (v) => axisDuration(v, locale), maxDuration);
  scale(evTop, evBase, EVENTS_H, (v) => String(Math.round(v)), maxCourses);
  const durationTitle = t('dashboard.plot.duration');
  const eventsTitle = t('dashboard.plot.events');
  parts.push(`<text class="p-title" x="${LEFT}" y="${TOP - 5}">${esc(durationTitle)}</text>`);
  parts.push(
    legend(TOP - 5, [
      ['p-ok', outcomeWord('success')],
      ['p-partial', outcomeWord('partial')],
      ['p-failed', outcomeWord('failed')],
    ]),
  );
  parts.push(`<text class="p-title" x="${LEFT}" y="${evTop - 5}">${esc(eventsTitle)}</text>`);
  const lineX = LEFT + eventsTitle.length * LABEL_CHAR_W + 6;
  parts.push(`<line class="p-line" x1="${r1(lineX)}" y1="${evTop - 8.5}" x2="${r1(lineX + 14)}" y2="${evTop - 8.5}"/>`);
  parts.push(
    legend(evTop - 5, [
      ['p-created', t('alerts.created')],
      ['p-updated', t('alerts.updated')],
      ['p-deleted', t('alerts.deleted')],
    ]),
  );

  const line: string[] = [];
  runs.forEach((r, i) => {
    const cx = x0 + i * slotW + slotW / 2;
    const bx = cx - barW / 2;
    const h = Math.max(1, (r.durationMs / maxDuration) * DURATION_H);
    const changes = r.created + r.updated + r.deleted;
    const tip = t('dashboard.plot.tip', {
      when: when(r.startedAt),
      outcome: outcomeWord(r.outcome),
      duration: formatDuration(r.durationMs, locale),
      count: r.courses,
      changes: `+${r.created} ~${r.updated} −${r.deleted}`,
    });
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
  // The time axis: the newest run at the right edge; the oldest at its own place only when both labels fit side by
  // side (a few runs sit at the right, where the two labels would overlap).
  const lastLabel = when(last.startedAt);
  const firstLabel = when(first.startedAt);
  parts.push(`<text class="p-label" x="${W - RIGHT}" y="${evBase + 12}" text-anchor="end">${esc(lastLabel)}</text>`);
  const room = W - RIGHT - x0;
  if (runs.length > 1 && room >= (firstLabel.length + lastLabel.length) * LABEL_CHAR_W + 12) {
    parts.push(`<text class="p-label" x="${r1(x0)}" y="${evBase + 12}">${esc(firstLabel)}</text>`);
  }

  const durations = runs.map((r) => r.durationMs);
  const failed = runs.filter((r) => outcomeClass(r.outcome) !== 'p-ok').length;
  const summary = t('dashboard.plot.summary', {
    count: runs.length,
    min: formatDuration(Math.min(...durations), locale),
    max: formatDuration(Math.max(...durations), locale),
    failed,
    events: last.courses,
  });
  return (
    `<svg class="plot" viewBox="0 0 ${W} ${PLOT_HEIGHT}" role="img" aria-label="${esc(summary)}" preserveAspectRatio="xMidYMid meet">` +
    `<desc>${esc(summary)}</desc>${parts.join('')}</svg>`
  );
}
