// Writes dist/image.json, what the image contains (issue 19: "the image says what it contains"), in the build
// stage after `npm run build:image` and `npm prune`: its roles and verbs (read from the CLI itself, so the list
// cannot drift), the folders of dist/, the production packages with their versions, and what was left out.
// It also fails the build when a left-out folder (simulators, benches, demo) made it into dist/ after all.
// Usage: node docker/image-manifest.cjs <dist> <package.json> <node_modules>
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

/** scripts/build-modules.mjs's list of the folders built for the checkout only (tests, `npm run bench`, `npm run demo`). */
const BUILD_MODULES = path.join(__dirname, '..', 'scripts', 'build-modules.mjs');

async function main() {
  const [dist, pkgFile, modules] = process.argv.slice(2);
  if (!dist || !pkgFile || !modules) throw new Error('usage: node docker/image-manifest.cjs <dist> <package.json> <node_modules>');
  const { CHECKOUT_ONLY: LEFT_OUT } = await import(pathToFileURL(BUILD_MODULES).href);
  const shipped = Object.keys(LEFT_OUT).filter((d) => existsSync(path.join(dist, d)));
  if (shipped.length > 0) throw new Error(`dist/ holds ${shipped.join(', ')}: the image is built by scripts/build-modules.mjs --image, which leaves them out`);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const { VERBS } = await import(pathToFileURL(path.resolve(dist, 'cli/main.js')).href);
  const version = (name) => JSON.parse(readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version;
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    entrypoint: 'node /app/dist/cli.js',
    healthcheck: 'node /app/dist/health.js (campus-sync health without the CLI: Docker starts it every 30 s)',
    roles: {
      supervise: 'the default command: one worker container per configs/<name>.yml, and the reporting API',
      worker: 'campus-sync worker <name>: one config on its schedule (what the supervisor starts)',
    },
    verbs: Object.fromEntries(Object.entries(VERBS).map(([verb, v]) => [verb, v.summary])),
    dist: readdirSync(dist, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort(),
    leftOut: LEFT_OUT,
    dependencies: Object.fromEntries(Object.keys(pkg.dependencies ?? {}).sort().map((d) => [d, version(d)])),
    node: process.version,
  };
  writeFileSync(path.join(dist, 'image.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`image.json: ${manifest.dist.length} folders of dist/, ${Object.keys(manifest.verbs).length} verbs, ${Object.keys(manifest.dependencies).length} packages; left out: ${Object.keys(manifest.leftOut).join(', ')}`);
}

main().catch((err) => {
  console.error(`image-manifest: ${err.message}`);
  process.exit(1);
});
