import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Bundles the pages' browser code into dist/assets/ before any test (about a second): the page renderers and
 * the asset routes read it there (src/api/assets.ts), so a unit test run from the sources sees the current
 * browser/ files without a full `npm run build`. Skipped under `npm test` (scripts/run-tests.mjs sets
 * CAMPUS_SYNC_TEST_ASSETS_BUILT): it has just built them, and runs two vitest processes that would otherwise
 * rewrite the same files while the other's tests read them.
 */
export default function setup(): void {
  if (process.env.CAMPUS_SYNC_TEST_ASSETS_BUILT === '1') return;
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-assets.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
}
