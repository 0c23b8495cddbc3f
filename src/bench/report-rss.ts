/**
 * Preloaded into a measured process (`node --import`): prints its peak resident memory on exit, so the
 * benchmark reads the worker's own figure, not the benchmark's or the simulators'.
 */
process.on('exit', () => {
  process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
