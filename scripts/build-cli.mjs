// Bundles the program (src/cli.ts and everything it loads) into dist/cli.js and dist/chunks/ with esbuild, beside
// the module-by-module dist/ of the same sources (issue 20, "small workers"). Run by `npm run build` and
// `npm run build:image` after scripts/build-modules.mjs, which writes every module (benches, the demo and the image
// manifest import them).
//
// Why: a process pays for every module file it loads, in memory and start-up CPU. Measured with
// `BENCH_PARTS=worker-memory npm run bench` (a worker's private memory through a first sync of 400 courses, then
// idle; 2026-12-07, 2 cores): the 300-odd module files 36.7 / 26.1 MB (peak / idle) and 2.3–2.7 s of CPU to the first
// run; our sources alone bundled 36.0 / 24.3 MB; with the packages below 33.2 / 22.0 MB and 1.65 s.
//
// Usage: node scripts/build-cli.mjs
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The packages bundled with our code: plain JavaScript that every verb or the worker loads at start, and that
 * reads no file of its own at run time (no __dirname, no import.meta). Every other dependency stays a package
 * loaded from node_modules, for a reason: native code (better-sqlite3; dockerode through ssh2 and cpu-features),
 * files found from its own path (node-cron's daemon.js, @discordjs/ws's worker), axios (loaded by
 * src/lib/http.ts with Node's fetch classes hidden; bundled it measured +4 MB, its mime table becoming source),
 * or loaded only by the supervisor, the API or ingestion, where a bundle buys little.
 */
const BUNDLED_PACKAGES = ['zod', 'yaml', 'luxon', 'winston', 'i18next', 'ical-generator', 'timezones-ical-library'];

/**
 * Chunks go one folder down (dist/chunks/), the depth of the modules (dist/<folder>/<module>.js): the few
 * paths our modules make from their own place (import.meta: src/cli/runtime.ts's APP_ROOT, src/api/assets.ts,
 * src/supervisor/process-runtime.ts's dist/cli.js) resolve the same from either build. The entry holds src/cli.ts
 * alone (it only sets V8 flags, then imports the rest), which the check below keeps true.
 */
const CHUNK_NAMES = 'chunks/[name]-[hash]';

async function externalPackages() {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const deps = Object.keys(pkg.dependencies ?? {});
  const unknown = BUNDLED_PACKAGES.filter((p) => !deps.includes(p));
  if (unknown.length > 0) throw new Error(`build-cli: ${unknown.join(', ')} bundled but not a dependency in package.json`);
  return deps.filter((d) => !BUNDLED_PACKAGES.includes(d));
}

async function main() {
  const out = join(ROOT, 'dist');
  // Chunk names carry a hash of their content: an earlier build's would be left beside the new ones.
  await rm(join(out, 'chunks'), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: out,
    chunkNames: CHUNK_NAMES,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: await externalPackages(),
    // Whitespace and syntax only: names stay as written, so stack traces and error files still read.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS packages (winston and its parts) call require() for Node's modules; ESM has none.
    banner: { js: "import { createRequire as __campusSyncRequire } from 'node:module'; const require = __campusSyncRequire(import.meta.url);" },
  });
  const entry = result.metafile.outputs[relative(ROOT, join(out, 'cli.js'))];
  const inEntry = Object.keys(entry?.inputs ?? {});
  if (inEntry.length !== 1 || inEntry[0] !== 'src/cli.ts') {
    throw new Error(`build-cli: dist/cli.js must hold src/cli.ts alone (modules at dist/ depth would find the wrong paths), holds ${inEntry.join(', ')}`);
  }
  const files = Object.keys(result.metafile.outputs);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`build-cli: src/cli.ts → ${relative(ROOT, out)}/cli.js and ${files.length - 1} chunks (${Math.round(bytes / 1024)} KB)`);
}

await main();
