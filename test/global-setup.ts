import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Bundles the pages' browser code into dist/assets/ before any test (about a second): the page renderers and
 * the asset routes read it there (src/api/assets.ts), so a unit test run from the sources sees the current
 * browser/ files without a full `npm run build`. Skipped under `npm test` (scripts/run-tests.mjs sets
 * CAMPUS_SYNC_TEST_ASSETS_BUILT): it has just built them, and runs two vitest processes that would otherwise
 * rewrite the same files while the other's tests read them.
 *
 * Every temporary folder of the run goes under one of its own (TMPDIR, which os.tmpdir() reads in the test workers
 * and in every process they start with the environment passed on), removed when the run ends: test files made
 * theirs with mkdtemp and many never removed them, which left ~10,000 folders in /tmp after a few days of runs
 * (2026-12-07). The product itself never writes to the temporary folder. CAMPUS_SYNC_KEEP_TMP=1 keeps it, to
 * look at what a failed test left.
 */
export default function setup(): () => void {
  if (process.env.CAMPUS_SYNC_TEST_ASSETS_BUILT !== '1') {
    execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-assets.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const previous = process.env.TMPDIR;
  const runTmp = mkdtempSync(join(tmpdir(), 'campus-sync-test-run-'));
  process.env.TMPDIR = runTmp;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.CAMPUS_SYNC_KEEP_TMP === '1') {
      process.stderr.write(`[global-setup] the run's temporary folders are kept in ${runTmp}\n`);
      return;
    }
    // Containers may still be letting go of a bind-mounted folder: a few tries, then leave it rather than fail the run.
    rmSync(runTmp, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  };
}
