/**
 * Preloaded into a measured process (`node --import`): prints its peak resident memory on exit, so the
 * benchmark reads the worker's own figure, not the benchmark's or the simulators'. Also samples how much
 * of the resident set is private (anonymous) memory: the rest is the node binary's and ICU's file-backed
 * pages, which every worker on a host shares.
 */
import { readFileSync } from 'node:fs';

/** Often enough to catch the peak of a sync that lasts a second or two. */
const SAMPLE_MS = 10;
let peakAnonKb = 0;

function sample(): void {
  const status = readFileSync('/proc/self/status', 'utf8');
  const anon = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
  peakAnonKb = Math.max(peakAnonKb, anon);
}

if (process.platform === 'linux') setInterval(sample, SAMPLE_MS).unref();

process.on('exit', () => {
  if (process.platform === 'linux') sample();
  process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\nBENCH_PEAK_ANON_KB=${peakAnonKb}\n`);
});
