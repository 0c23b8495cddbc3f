import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etagOf, matchesIfNoneMatch } from './ics.js';

/**
 * The pages' scripts and stylesheets, as `npm run build` bundled them (scripts/build-assets.mjs: sources in
 * src/api/{dashboard,booking}/browser/, output in dist/assets/ with a manifest.json). Read once, at start: a
 * missing or partial build is an error naming the file, before anything is served.
 *
 * Each asset is served at two paths: the hashed one the pages link (`/dashboard/app.<hash>.js`, cached for a
 * year: a new build is a new name) and its stable one (`/dashboard/app.js`, revalidated by ETag each time).
 */

/** The assets, by the names of the build's manifest (scripts/build-assets.mjs ENTRIES: the same six). */
export const ASSET_NAMES = ['dashboard/app.js', 'dashboard/app.css', 'booking/tunnel.js', 'booking/tunnel.css', 'onboard/form.js', 'onboard/form.css'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];
/** The page an asset belongs to: the first part of its name. */
export type AssetArea = AssetName extends `${infer A}/${string}` ? A : never;

/**
 * Where each asset is served without its hash (the addresses the pages used before the bundle). The booking
 * page's files sit under a third path segment, so they can never be taken for a booking type's page.
 */
export const STABLE_PATHS: Readonly<Record<AssetName, string>> = {
  'dashboard/app.js': '/dashboard/app.js',
  'dashboard/app.css': '/dashboard/app.css',
  'booking/tunnel.js': '/book/assets/tunnel.js',
  'booking/tunnel.css': '/book/assets/tunnel.css',
  // The guided form's (issue 23): under a path of its own, public like the invitation page that links them.
  'onboard/form.js': '/onboard/assets/form.js',
  'onboard/form.css': '/onboard/assets/form.css',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A hashed path's content never changes (a new build is a new name): a year, the longest RFC 9111 advises. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** A stable path's content changes with an upgrade: kept, but asked again each time (a 304 when unchanged). */
export const REVALIDATE_CACHE_CONTROL = 'no-cache';
/** The hash in a built file's name: the first 16 hex digits of its content's sha256 (build-assets.mjs HASH_CHARS). */
const HASHED_FILE = /\.([0-9a-f]{16})\.[a-z]+$/;
export const MANIFEST_FILE = 'manifest.json';

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * dist/api/assets.js reads dist/assets/; run from the sources (vitest runs src/api/assets.ts), it reads the
 * build's dist/assets/ too (vitest's global setup bundles it first).
 */
export const DEFAULT_ASSETS_DIR = import.meta.url.endsWith('.ts') ? resolve(HERE, '../../dist/assets') : resolve(HERE, '../assets');

export interface Asset {
  name: AssetName;
  /** The URL path with the content's hash, for the pages to link: served immutable. */
  path: string;
  /** The URL path without the hash: served with `no-cache`, revalidated by its ETag. */
  stablePath: string;
  contentType: string;
  body: Buffer;
  /** Strong ETag of the body (the same as the feeds': etagOf in ics.ts). */
  etag: string;
}

/** What to send for a GET of an asset's path: a 304 has an empty body. HEAD is the same without the body. */
export interface AssetAnswer {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer;
}

/** One GET route: the path to register and the answer to give, given the request's If-None-Match. */
export interface AssetRoute {
  path: string;
  asset: Asset;
  immutable: boolean;
  answer(ifNoneMatch?: string): AssetAnswer;
}

export interface WebAssets {
  /** The folder they were read from. */
  readonly dir: string;
  get(name: AssetName): Asset;
  /** The routes of one page's assets: each asset at its hashed path and at its stable path. */
  routes(area: AssetArea): AssetRoute[];
}

/** The build is missing, partial or from another version: the message names the file and says to rebuild. */
export class AssetsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssetsError';
  }
}

const REBUILD = 'run `npm run build` (it bundles src/api/*/browser/ into dist/assets/)';

/** The answer for `asset` at a path cached for `cacheControl`: 304 when If-None-Match has its ETag. */
export function answerAsset(asset: Asset, cacheControl: string, ifNoneMatch?: string): AssetAnswer {
  const headers = { etag: asset.etag, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' };
  if (matchesIfNoneMatch(ifNoneMatch, asset.etag)) return { status: 304, headers, body: Buffer.alloc(0) };
  return { status: 200, headers: { ...headers, 'content-type': asset.contentType }, body: asset.body };
}

function readManifest(dir: string): Record<string, { file?: unknown }> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AssetsError(`The pages' scripts and styles are not built: ${file} is missing. To build them, ${REBUILD}.`);
  }
  try {
    const parsed = JSON.parse(text) as { assets?: unknown };
    if (parsed.assets && typeof parsed.assets === 'object') return parsed.assets as Record<string, { file?: unknown }>;
  } catch {
    // Said below with the file's name.
  }
  throw new AssetsError(`${file} is not a manifest of the assets build (JSON with "assets"): ${REBUILD}.`);
}

function readAsset(dir: string, name: AssetName, entry: { file?: unknown } | undefined): Asset {
  const manifest = join(dir, MANIFEST_FILE);
  if (!entry || typeof entry.file !== 'string') throw new AssetsError(`${manifest} has no "${name}" (a build of another version?): ${REBUILD}.`);
  const file = join(dir, entry.file);
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    throw new AssetsError(`${file} (${name}, listed in ${manifest}) is missing: ${REBUILD}.`);
  }
  const hash = HASHED_FILE.exec(entry.file)?.[1];
  // A hashed path is cached for a year: a file that is not what its name says (a partial copy) must not be served.
  if (!hash || createHash('sha256').update(body).digest('hex').slice(0, hash.length) !== hash) {
    throw new AssetsError(`${file} (${name}) does not match the hash in its name (a partial or edited build): ${REBUILD}.`);
  }
  const stablePath = STABLE_PATHS[name];
  const ext = name.slice(name.lastIndexOf('.'));
  return {
    name,
    path: `${stablePath.slice(0, stablePath.lastIndexOf('/') + 1)}${entry.file.slice(entry.file.lastIndexOf('/') + 1)}`,
    stablePath,
    contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    body,
    etag: etagOf(body),
  };
}

/** Reads every asset of the build in `dir` now (synchronously: at start, before serving); throws AssetsError. */
export function loadWebAssets(dir: string = DEFAULT_ASSETS_DIR): WebAssets {
  const manifest = readManifest(dir);
  const byName = new Map(ASSET_NAMES.map((name) => [name, readAsset(dir, name, manifest[name])] as const));
  const get = (name: AssetName): Asset => byName.get(name) as Asset;
  const route = (asset: Asset, immutable: boolean): AssetRoute => {
    const cacheControl = immutable ? IMMUTABLE_CACHE_CONTROL : REVALIDATE_CACHE_CONTROL;
    return { path: immutable ? asset.path : asset.stablePath, asset, immutable, answer: (ifNoneMatch) => answerAsset(asset, cacheControl, ifNoneMatch) };
  };
  return {
    dir,
    get,
    routes: (area) =>
      ASSET_NAMES.filter((n) => n.startsWith(`${area}/`))
        .map(get)
        .flatMap((a) => [route(a, true), route(a, false)]),
  };
}

let loaded: WebAssets | undefined;

/** The process's assets, read from DEFAULT_ASSETS_DIR at the first call (the extensions make it at start). */
export function webAssets(): WebAssets {
  loaded ??= loadWebAssets();
  return loaded;
}

/** The hashed URL path of an asset, for a page to link. */
export const assetPath = (name: AssetName): string => webAssets().get(name).path;
