// Bundles the pages' browser code (src/api/*/browser/) into dist/assets/ with esbuild: minified, each file named
// by a hash of its content, and a manifest.json that src/api/assets.ts reads at start to serve them.
// Run by `npm run build` after scripts/build-modules.mjs (and by vitest's global setup, so unit tests see the current sources).
//
// Usage: node scripts/build-assets.mjs [--out DIR]   (default DIR: dist/assets)
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Asset name (what src/api/assets.ts asks for) → its source. The names must match ASSET_NAMES there. */
export const ENTRIES = {
  'dashboard/app.js': 'src/api/dashboard/browser/app.ts',
  'dashboard/app.css': 'src/api/dashboard/browser/app.css',
  'booking/tunnel.js': 'src/api/booking/browser/tunnel.ts',
  'booking/tunnel.css': 'src/api/booking/browser/tunnel.css',
  'onboard/form.js': 'src/api/onboard/browser/form.ts',
  'onboard/form.css': 'src/api/onboard/browser/form.css',
};

/** What the pages promised before the bundle (see the sources' comments): any current browser, phones included. */
const JS_TARGET = 'es2020';
/** Hex digits of the content's sha256 in a file name: 64 bits, no collision between two builds of one file. */
const HASH_CHARS = 16;
export const MANIFEST = 'manifest.json';

/** One entry bundled in memory: a script as an IIFE (a classic `<script defer>`, no module loader), or a stylesheet. */
async function bundle(source) {
  const isScript = source.endsWith('.ts');
  const result = await build({
    entryPoints: [join(ROOT, source)],
    bundle: true,
    minify: true,
    write: false,
    outdir: 'out',
    legalComments: 'none',
    logLevel: 'silent',
    ...(isScript ? { format: 'iife', target: JS_TARGET, platform: 'browser' } : {}),
  });
  const [file] = result.outputFiles.filter((f) => !f.path.endsWith('.map'));
  return Buffer.from(file.contents);
}

export const hashedName = (name, content) => {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, HASH_CHARS);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
};

/** Every file under `dir`, relative to it, `/`-separated. */
async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) =>
      relative(dir, join(e.parentPath ?? e.path, e.name))
        .split('\\')
        .join('/'),
    );
}

/** Builds every entry into `outDir`; the manifest is written last (atomically), then files of older builds go. */
export async function buildAssets(outDir = join(ROOT, 'dist', 'assets')) {
  const assets = {};
  for (const [name, source] of Object.entries(ENTRIES)) {
    const content = await bundle(source);
    const file = hashedName(name, content);
    await mkdir(dirname(join(outDir, file)), { recursive: true });
    await writeFile(join(outDir, file), content);
    assets[name] = { file, source, bytes: content.length };
  }
  const tmp = join(outDir, `.${MANIFEST}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify({ assets }, null, 2)}\n`);
  await rename(tmp, join(outDir, MANIFEST));
  const kept = new Set([MANIFEST, ...Object.values(assets).map((a) => a.file)]);
  for (const f of await listFiles(outDir)) if (!kept.has(f) && !f.startsWith(`.${MANIFEST}.`)) await rm(join(outDir, f), { force: true });
  return assets;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--out');
  const outDir = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : undefined;
  try {
    const assets = await buildAssets(outDir);
    for (const [name, a] of Object.entries(assets)) console.log(`assets: ${name} → ${a.file} (${a.bytes} bytes)`);
  } catch (err) {
    console.error(`assets: the browser code could not be bundled: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
