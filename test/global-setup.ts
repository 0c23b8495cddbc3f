import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Bundles the pages' browser code into dist/assets/ before any test (about a second): the page renderers and
 * the asset routes read it there (src/api/assets.ts), so a unit test run from the sources sees the current
 * browser/ files without a full `npm run build`.
 */
export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-assets.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
}
