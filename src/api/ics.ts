import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidInstanceName } from '../config/index.js';
import { ICS_FILE, ICS_TOKEN_FILE, icsDamage } from '../instance/index.js';
import { secretEquals } from './keys.js';

/** The worker's ICS export and the feed's token: names from src/instance. */
export { ICS_FILE, ICS_TOKEN_FILE };
/** 32 random bytes: 256 bits, far beyond guessing, 43 characters of base64url in a URL. */
const TOKEN_BYTES = 32;
/** A token file shorter than this was not written by us (emptied, truncated): it never matches anything. */
const MIN_TOKEN_LENGTH = 32;
/**
 * Calendar apps poll every few hours whatever we say; 5 minutes lets a browser or proxy spare us repeated
 * downloads without hiding a fresh sync for long. `private`: the URL carries a token, no shared cache may keep it.
 */
export const ICS_CACHE_CONTROL = 'private, max-age=300';

/** The instance's feed token, or null when none was created yet (or the file is unusable). */
export async function readIcsToken(dataDir: string, name: string): Promise<string | null> {
  if (!isValidInstanceName(name)) return null;
  try {
    const token = (await readFile(join(dataDir, name, ICS_TOKEN_FILE), 'utf8')).trim();
    return token.length >= MIN_TOKEN_LENGTH ? token : null;
  } catch {
    return null;
  }
}

/**
 * The instance's feed token, created on first need (mode 0600). Written to a temp file and hard-linked into
 * place, so two processes creating it at once agree on one token and no reader ever sees an empty file.
 */
export async function ensureIcsToken(dataDir: string, name: string): Promise<string> {
  if (!isValidInstanceName(name)) throw new Error(`invalid instance name ${JSON.stringify(name)}`);
  const existing = await readIcsToken(dataDir, name);
  if (existing) return existing;
  const dir = join(dataDir, name);
  await mkdir(dir, { recursive: true });
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const target = join(dir, ICS_TOKEN_FILE);
  const tmp = join(dir, `.${ICS_TOKEN_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, `${token}\n`, { mode: 0o600 });
  try {
    await link(tmp, target);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Someone else won the race, or an unusable file is there: an unusable one is replaced.
    const theirs = await readIcsToken(dataDir, name);
    if (theirs) return theirs;
    await rm(target, { force: true });
    await link(tmp, target);
    return token;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The subscription URL to give people (Google/Apple calendars): the token is in it, treat it as a secret. */
export async function icsFeedUrl(baseUrl: string, dataDir: string, name: string): Promise<string> {
  const token = await ensureIcsToken(dataDir, name);
  return `${baseUrl.replace(/\/+$/, '')}/ics/${encodeURIComponent(name)}.ics?token=${encodeURIComponent(token)}`;
}

/**
 * `lastModified` is an HTTP-date (RFC 9110 IMF-fixdate) for the `Last-Modified` header, beside the ETag:
 * clients that poll with If-Modified-Since rather than If-None-Match (reference/conventions.md, "ICS feeds").
 */
export type IcsFeedAnswer =
  | { status: 404 }
  | { status: 304; etag: string; lastModified: string }
  | { status: 200; etag: string; lastModified: string; body: Buffer };

/** The file's modification time as an HTTP-date: the worker rewrites the file only when its content changes. */
export function httpDate(ms: number): string {
  // HTTP dates have whole seconds; toUTCString gives RFC 9110's IMF-fixdate.
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

/**
 * If-Modified-Since, read only without If-None-Match (RFC 9110 13.2.2): not modified when the file is not
 * newer than the date given. An unreadable date is ignored, as the RFC says.
 */
export function notModifiedSince(header: string | undefined, lastModifiedMs: number): boolean {
  if (!header) return false;
  const since = Date.parse(header);
  return Number.isFinite(since) && Math.floor(lastModifiedMs / 1000) * 1000 <= since;
}

/** Strong ETag of the content: the same calendar gives the same tag across restarts and replicas. */
export function etagOf(content: Buffer): string {
  return `"${createHash('sha256').update(content).digest('base64url').slice(0, 32)}"`;
}

/** If-None-Match: `*` or a list of tags, weak ones compared by their opaque part (RFC 9110 weak comparison). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string): string => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}

/**
 * The feed of `name` for a request with `token`. Every refusal is a 404 (unknown instance, no token yet,
 * wrong token, no calendar yet), so a feed's existence is not revealed to someone without its token.
 */
export async function icsFeed(dataDir: string, name: string, token: string | null, ifNoneMatch?: string, ifModifiedSince?: string): Promise<IcsFeedAnswer> {
  if (!isValidInstanceName(name) || !token) return { status: 404 };
  const expected = await readIcsToken(dataDir, name);
  if (expected === null || !secretEquals(expected, token)) return { status: 404 };
  let body: Buffer;
  let mtimeMs: number;
  try {
    // One open file for both: the date and the content belong to the same version (the worker replaces it atomically).
    const file = await open(join(dataDir, name, ICS_FILE), 'r');
    try {
      mtimeMs = (await file.stat()).mtimeMs;
      body = await file.readFile();
    } finally {
      await file.close();
    }
  } catch {
    return { status: 404 };
  }
  // A calendar a power cut damaged (NUL bytes, cut short) is never served: "no calendar yet" until the
  // next run sets it aside and renders it again.
  if (icsDamage(body) !== undefined) return { status: 404 };
  const etag = etagOf(body);
  const lastModified = httpDate(mtimeMs);
  const notModified = ifNoneMatch ? matchesIfNoneMatch(ifNoneMatch, etag) : notModifiedSince(ifModifiedSince, mtimeMs);
  if (notModified) return { status: 304, etag, lastModified };
  return { status: 200, etag, lastModified, body };
}
