import { appendFileSync } from 'node:fs';

/**
 * One measured target of `npm run bench` (issue 20: "one benchmark run that says it all"). Each bench script
 * prints its own detailed tables and, for each target, one `- … → met` line; when the driver (bench/all.ts)
 * runs it, the same figures also go as JSON lines to BENCH_TARGETS_FILE, from which the driver prints the
 * side-by-side summary and the README's performance section is generated. Targets are reported, never
 * asserted: these machines are shared and noisy.
 */
export interface BenchTarget {
  /** The part of the product: "sync", "worker memory", "supervisor", "API", "slots", "swarm". */
  area: string;
  /** What is measured, in words. */
  what: string;
  /** Our figure, with its unit. */
  ours: string;
  /** The original tool's strategy, re-enacted in the bench on the same simulators, where there is one. */
  original?: string;
  /** The target, with its unit ("≤ 50 ms"). */
  target: string;
  /** Null: not measured here (no Docker engine, no PostgreSQL): said, never counted as met. */
  met: boolean | null;
  /** By how much a target is missed and why, or what the figure depends on. */
  note?: string;
}

export const TARGETS_FILE_ENV = 'BENCH_TARGETS_FILE';

/** Records the target for the driver and returns the line the script prints under "targets:". */
export function reportTarget(t: BenchTarget): string {
  const file = process.env[TARGETS_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(t)}\n`);
  const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met';
  const original = t.original ? ` (original: ${t.original})` : '';
  return `- ${t.area}, ${t.what}: ${t.ours}${original}, target ${t.target} → ${verdict}${t.note ? ` (${t.note})` : ''}`;
}

/** A figure with its unit, "—" when it could not be measured. */
export function figure(n: number, unit: string, digits = 1): string {
  return Number.isFinite(n) ? `${n.toFixed(digits)}${unit ? ` ${unit}` : ''}` : '—';
}
