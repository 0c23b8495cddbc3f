/** One-line progress for `campus-sync ingest backfill` (the CLI wires it; nothing here writes by itself). */
import type { BackfillProgress } from './backfill.js';

/** Wide enough to see movement, narrow enough to leave room for the counts on an 80-column terminal. */
const BAR_WIDTH = 24;

/** e.g. `channel 1100…0001 [#########...............]  38%  3,500 messages, back to 2024-03-01` */
export function formatBackfillProgress(p: BackfillProgress, width = BAR_WIDTH): string {
  const fraction = Math.min(1, Math.max(0, p.fraction));
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const count = `${p.fetched.toLocaleString('en-US')} message${p.fetched === 1 ? '' : 's'}`;
  const tail = p.done ? 'done' : p.reachedAt !== null ? `back to ${p.reachedAt.slice(0, 10)}` : 'starting';
  return `channel ${p.channelId} ${bar} ${pct}  ${count}, ${tail}`;
}

/**
 * An onProgress that redraws one line on a terminal and, elsewhere (logs, CI), prints a line only when
 * a channel is done so a long backfill does not flood the output.
 */
export function progressPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean }): (p: BackfillProgress) => void {
  return (p) => {
    const line = formatBackfillProgress(p);
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}${p.done ? '\n' : ''}`);
    else if (p.done) stream.write(`${line}\n`);
  };
}
