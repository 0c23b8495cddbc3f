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
/** Set while the run's folder exists: which setup made it, for the others. */
const RUN_TMP_ENV = 'CAMPUS_SYNC_TEST_RUN_TMP';
/** Short: the tests' unix sockets (supervisor control, Docker proxies) live under it, and a socket path has 107 bytes. */
const RUN_TMP_PREFIX = 'cs-tests-';

export default function setup(): () => void {
  if (process.env.CAMPUS_SYNC_TEST_ASSETS_BUILT !== '1') {
    execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-assets.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // Vitest runs this once for the root config and once per project of the run, all in one process: the first
  // makes the folder, the others find it (a folder inside a folder lengthened unix socket paths past their 107
  // bytes, and the supervisor's control socket could not be made).
  if (process.env[RUN_TMP_ENV] !== undefined) return () => {};
  const previous = process.env.TMPDIR;
  const runTmp = mkdtempSync(join(tmpdir(), RUN_TMP_PREFIX));
  process.env.TMPDIR = runTmp;
  process.env[RUN_TMP_ENV] = runTmp;
  return () => {
    delete process.env[RUN_TMP_ENV];
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
