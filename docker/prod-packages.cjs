// Copies the build stage's package.json, package-lock.json and node_modules (better-sqlite3's binding included)
// into <dir>, where the Dockerfile then runs `npm prune --omit=dev`: the image's packages, made in a step of their
// own that Docker caches until package-lock.json or docker/ change. Also makes the image's empty mount points
// (/out/config, /out/data). In node: the offline stand-in base image has no cp nor mkdir.
// Usage: node docker/prod-packages.cjs <dir>
const { cpSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
if (!dir) throw new Error('usage: node docker/prod-packages.cjs <dir>');
for (const d of ['/out/config', '/out/data', dir]) mkdirSync(d, { recursive: true });
for (const f of ['package.json', 'package-lock.json']) cpSync(f, path.join(dir, f));
// node_modules/.bin holds relative symbolic links: kept as they are.
cpSync('node_modules', path.join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
console.log(`prod-packages: package.json, package-lock.json and node_modules copied to ${dir}`);
