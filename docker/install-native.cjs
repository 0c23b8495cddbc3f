// Gives better-sqlite3 (the reporting store's SQLite driver) its native binding inside the image build.
// The image build runs `npm ci --ignore-scripts`, so nothing was built. In order:
//   1. a binding built on the host for this very node ABI, put in docker/native/ by scripts/docker-setup.sh
//      (the offline stand-in image has no compiler and no network to download one);
//   2. otherwise better-sqlite3's own install script: a prebuilt download, or a compile when a toolchain exists.
// Then it loads the driver, so a missing binding fails the build here rather than the store at run time.
const { copyFileSync, existsSync, mkdirSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const pkg = path.dirname(require.resolve('better-sqlite3/package.json'));
const abi = process.versions.modules;
const prebuilt = path.join(__dirname, 'native', `better_sqlite3-abi${abi}-${process.platform}-${process.arch}.node`);
if (existsSync(prebuilt)) {
  mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
  copyFileSync(prebuilt, path.join(pkg, 'build', 'Release', 'better_sqlite3.node'));
  console.log(`better-sqlite3: binding for node ABI ${abi} taken from docker/native/`);
} else {
  console.log(`better-sqlite3: no binding for node ABI ${abi} in docker/native/: running its install script`);
  execSync('npm run install', { cwd: pkg, stdio: 'inherit' });
}
const Database = require('better-sqlite3');
new Database(':memory:').close();
console.log('better-sqlite3: loads');
