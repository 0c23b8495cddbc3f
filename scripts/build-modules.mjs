// Compiles every module of src/ (tests and browser code aside) to dist/<folder>/<module>.js with esbuild, one file
// for one file, as tsc would emit them: ES2022 modules with their source maps, import paths unchanged. Run first
// by `npm run build` and `npm run build:image`; scripts/build-assets.mjs and scripts/build-cli.mjs follow.
//
// Why not tsc (issue 19): tsc type-checks the whole program again on every build, ~20 s of one core that
// `npm run typecheck` has just spent on the same sources (CI ran it three times: typecheck, the image, `npm test`),
// and minutes on a Raspberry Pi building its image; esbuild writes the same modules in under a second. Types are
// `npm run typecheck`'s job (CI runs it before the tests); tsconfig.json's `isolatedModules` makes tsc refuse what
// a one-file-at-a-time compiler cannot do (a type re-exported without `export type`).
//
// Usage: node scripts/build-modules.mjs [--image]
//   --image: the production image's modules, without src/sim, src/bench and src/demo (the simulators, benchmarks
//   and demo are the checkout's, for tests, `npm run bench` and `npm run demo`; docker/image-manifest.cjs fails the
//   image build if one got in).
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const OUT = join(ROOT, 'dist');

/**
 * Never compiled here: tests and their helpers (vitest reads the sources), the pages' browser code
 * (scripts/build-assets.mjs bundles it), and src/cli.ts, which scripts/build-cli.mjs bundles into dist/cli.js
 * (a module-by-module dist/cli.js would be taken for the program by whatever ran before the bundle).
 */
const NOT_A_MODULE = [/\.test\.ts$/, /\.test-helper\.ts$/, /\.test-data\.ts$/, /(^|\/)browser\//, /^cli\.ts$/, /\.d\.ts$/];
/**
 * The folders the production image leaves out (--image), with what each is: the one list of them
 * (docker/image-manifest.cjs reads it to check dist/ and to write image.json's `leftOut`; .dockerignore keeps
 * their sources out of the build context, which cannot import anything).
 */
export const CHECKOUT_ONLY = { sim: 'simulators of the external services', bench: 'benchmarks', demo: 'the demo' };

/** Every module's path under src/, sorted, for this build. */
async function modules(image) {
  const entries = await readdir(SRC, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(SRC, join(e.parentPath, e.name)).split('\\').join('/'))
    .filter((path) => !NOT_A_MODULE.some((re) => re.test(path)))
    .filter((path) => !image || !Object.hasOwn(CHECKOUT_ONLY, path.split('/')[0] ?? ''))
    .sort();
}

async function main() {
  const image = process.argv.includes('--image');
  const started = Date.now();
  const entryPoints = (await modules(image)).map((path) => join(SRC, path));
  await build({
    absWorkingDir: ROOT,
    entryPoints,
    outbase: SRC,
    outdir: OUT,
    bundle: false,
    platform: 'node',
    format: 'esm',
    // tsconfig.json's target: class fields and the rest as tsc wrote them.
    target: 'es2022',
    // Maps beside the modules, as tsc's sourceMap wrote them (without the sources inside).
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
  console.log(`build-modules: ${entryPoints.length} modules of src/ → dist/${image ? ' (the image: no sim, bench, demo)' : ''} in ${Date.now() - started} ms`);
}

// Imported by docker/image-manifest.cjs for CHECKOUT_ONLY: build only when run as a program.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
