import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSET_NAMES,
  AssetsError,
  DEFAULT_ASSETS_DIR,
  IMMUTABLE_CACHE_CONTROL,
  loadWebAssets,
  MANIFEST_FILE,
  REVALIDATE_CACHE_CONTROL,
  webAssets,
} from './assets.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-assets.mjs', import.meta.url));
let root: string;
/** A real build (scripts/build-assets.mjs, esbuild) in a folder of this test's own, copied for each damage. */
let built: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'campus-sync-assets-'));
  built = join(root, 'built');
  execFileSync(process.execPath, [BUILD_SCRIPT, '--out', built], { stdio: 'ignore' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the build to damage. */
function copy(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(built, dir, { recursive: true });
  return dir;
}
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { assets: Record<string, { file: string }> };

describe('the built assets', () => {
  it('are every asset the server names (the build script and ASSET_NAMES agree), each hashed by its content', () => {
    expect(Object.keys(manifestOf(built).assets).sort()).toEqual([...ASSET_NAMES].sort());
    const assets = loadWebAssets(built);
    for (const name of ASSET_NAMES) {
      const a = assets.get(name);
      const hash = createHash('sha256').update(a.body).digest('hex').slice(0, 16);
      const [base, ext] = [name.slice(name.indexOf('/') + 1, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.'))];
      expect(a.path, name).toBe(`${a.stablePath.slice(0, a.stablePath.lastIndexOf('/') + 1)}${base}.${hash}${ext}`);
      expect(a.contentType, name).toBe(ext === '.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(a.body.length, name).toBeGreaterThan(1000);
    }
    expect(assets.get('dashboard/app.js').stablePath).toBe('/dashboard/app.js');
    expect(assets.get('booking/tunnel.css').path).toMatch(/^\/book\/assets\/tunnel\.[0-9a-f]{16}\.css$/);
  });

  it('are the same bytes from one build to the next (a rebuild keeps every URL), and a rebuild drops older files', () => {
    const again = copy();
    const stale = join(again, 'dashboard', 'app.0123456789abcdef.js');
    writeFileSync(stale, 'old build');
    execFileSync(process.execPath, [BUILD_SCRIPT, '--out', again], { stdio: 'ignore' });
    expect(manifestOf(again)).toEqual(manifestOf(built));
    expect(existsSync(stale)).toBe(false);
    expect(loadWebAssets(again).get('dashboard/app.js').etag).toBe(loadWebAssets(built).get('dashboard/app.js').etag);
  });

  it('are minified: none of the sources’ comments is served', () => {
    const assets = loadWebAssets(built);
    for (const name of ASSET_NAMES) expect(assets.get(name).body.toString('utf8'), name).not.toMatch(/\/\*|^\s*\/\//m);
  });

  it('are read from dist/assets by default, once per process', () => {
    expect(DEFAULT_ASSETS_DIR.replace(/\\/g, '/')).toMatch(/\/dist\/assets$/);
    expect(webAssets()).toBe(webAssets());
    expect(webAssets().dir).toBe(DEFAULT_ASSETS_DIR);
  });
});

describe('answering a GET of an asset', () => {
  it('gives each asset of an area at its hashed path (immutable) and its stable path (no-cache), with one ETag', () => {
    const routes = loadWebAssets(built).routes('booking');
    expect(routes.map((r) => [r.path.replace(/[0-9a-f]{16}/, 'H'), r.immutable])).toEqual([
      ['/book/assets/tunnel.H.js', true],
      ['/book/assets/tunnel.js', false],
      ['/book/assets/tunnel.H.css', true],
      ['/book/assets/tunnel.css', false],
    ]);
    const [hashed, stable] = routes as [(typeof routes)[number], (typeof routes)[number]];
    const a = hashed.answer();
    expect(a.status).toBe(200);
    expect(a.headers).toEqual({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': IMMUTABLE_CACHE_CONTROL,
      etag: hashed.asset.etag,
      'x-content-type-options': 'nosniff',
    });
    expect(a.body.equals(hashed.asset.body)).toBe(true);
    expect(a.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const s = stable.answer();
    expect([s.status, s.headers['cache-control'], s.headers.etag, s.body.equals(a.body)]).toEqual([200, REVALIDATE_CACHE_CONTROL, hashed.asset.etag, true]);
  });

  it('answers 304 with an empty body when If-None-Match names its ETag (weak, in a list, or *), 200 otherwise', () => {
    const [route] = loadWebAssets(built).routes('dashboard');
    const etag = route!.asset.etag;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const r = route!.answer(header);
      expect([r.status, r.body.length, r.headers.etag, r.headers['cache-control']], header).toEqual([304, 0, etag, IMMUTABLE_CACHE_CONTROL]);
      expect(r.headers['content-type']).toBeUndefined();
    }
    for (const header of [undefined, '', '"other"', `${etag.slice(0, -2)}"`]) expect(route!.answer(header).status, String(header)).toBe(200);
  });

  it('tells the two areas apart: the dashboard gets only its own files', () => {
    const paths = loadWebAssets(built)
      .routes('dashboard')
      .map((r) => r.path);
    expect(paths).toHaveLength(4);
    for (const p of paths) expect(p).toMatch(/^\/dashboard\/app\./);
  });
});

describe('a missing or damaged build', () => {
  const refusal = (dir: string): AssetsError => {
    try {
      loadWebAssets(dir);
    } catch (err) {
      return err as AssetsError;
    }
    throw new Error(`loadWebAssets(${dir}) accepted the build`);
  };

  it('without its manifest: says which file is missing and to run npm run build', () => {
    const dir = join(root, 'never-built');
    const err = refusal(dir);
    expect(err).toBeInstanceOf(AssetsError);
    expect(err.message).toContain(join(dir, MANIFEST_FILE));
    expect(err.message).toContain('npm run build');
  });

  it('with a file of the manifest missing: names that file', () => {
    const dir = copy();
    const file = manifestOf(dir).assets['booking/tunnel.js']!.file;
    unlinkSync(join(dir, file));
    const err = refusal(dir);
    expect(err.message).toContain(join(dir, file));
    expect(err.message).toContain('booking/tunnel.js');
    expect(err.message).toContain('npm run build');
  });

  it('with a file whose content is not what its hash says (a partial copy): refused, not cached for a year', () => {
    const dir = copy();
    const file = manifestOf(dir).assets['dashboard/app.css']!.file;
    writeFileSync(join(dir, file), readFileSync(join(dir, file)).subarray(0, 100));
    expect(refusal(dir).message).toMatch(/does not match the hash in its name.*npm run build/);
  });

  it('with an asset missing from the manifest (another version) or a manifest that is not JSON', () => {
    const dir = copy();
    const m = manifestOf(dir);
    delete m.assets['dashboard/app.js'];
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(m));
    expect(refusal(dir).message).toMatch(/has no "dashboard\/app\.js".*npm run build/);
    writeFileSync(join(dir, MANIFEST_FILE), '{"assets":');
    expect(refusal(dir).message).toMatch(/is not a manifest of the assets build.*npm run build/);
  });
});
