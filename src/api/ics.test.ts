import { readFile, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIcsToken, etagOf, httpDate, icsFeed, icsFeedUrl, ICS_FILE, ICS_TOKEN_FILE, matchesIfNoneMatch, readIcsToken } from './ics.js';
import { tempDirs, type TempDirs } from './test-support.test-helper.js';

let dirs: TempDirs;
beforeAll(async () => {
  dirs = await tempDirs('campus-sync-ics-');
});
afterAll(async () => dirs.cleanup());

describe('feed token', () => {
  it('is created once, 32 random bytes in base64url, mode 0600', async () => {
    const token = await ensureIcsToken(dirs.dataDir, 'alice');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect((await stat(join(dirs.dataDir, 'alice', ICS_TOKEN_FILE))).mode & 0o777).toBe(0o600);
    expect(await ensureIcsToken(dirs.dataDir, 'alice')).toBe(token);
    expect(await ensureIcsToken(dirs.dataDir, 'bob')).not.toBe(token);
  });

  it('is one token when many ask for it at once', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => ensureIcsToken(dirs.dataDir, 'carol')));
    expect(new Set(tokens).size).toBe(1);
    expect((await readFile(join(dirs.dataDir, 'carol', ICS_TOKEN_FILE), 'utf8')).trim()).toBe(tokens[0]);
  });

  it('replaces an unusable (empty) token file, and never reads one as a token', async () => {
    await mkdir(join(dirs.dataDir, 'dave'), { recursive: true });
    await writeFile(join(dirs.dataDir, 'dave', ICS_TOKEN_FILE), '\n');
    expect(await readIcsToken(dirs.dataDir, 'dave')).toBeNull();
    await writeFile(join(dirs.dataDir, 'dave', ICS_FILE), 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    expect(await icsFeed(dirs.dataDir, 'dave', '')).toEqual({ status: 404 });
    const token = await ensureIcsToken(dirs.dataDir, 'dave');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses names that would leave the data dir', async () => {
    await expect(ensureIcsToken(dirs.dataDir, '../evil')).rejects.toThrow(/invalid instance name/);
    expect(await readIcsToken(dirs.dataDir, '../alice')).toBeNull();
  });

  it('makes the subscription URL', async () => {
    const token = await ensureIcsToken(dirs.dataDir, 'alice');
    expect(await icsFeedUrl('http://pi.local:8080/', dirs.dataDir, 'alice')).toBe(`http://pi.local:8080/ics/alice.ics?token=${token}`);
  });
});

describe('feed', () => {
  it('answers 200 with the content and a stable ETag, 304 when it matches, 404 otherwise', async () => {
    const token = await ensureIcsToken(dirs.dataDir, 'erin');
    expect(await icsFeed(dirs.dataDir, 'erin', token)).toEqual({ status: 404 }); // no calendar yet
    const body = Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    await writeFile(join(dirs.dataDir, 'erin', ICS_FILE), body);
    const written = new Date('2025-03-10T07:15:42.500Z');
    await utimes(join(dirs.dataDir, 'erin', ICS_FILE), written, written);
    const lastModified = 'Mon, 10 Mar 2025 07:15:42 GMT';
    const ok = await icsFeed(dirs.dataDir, 'erin', token);
    expect(ok).toEqual({ status: 200, etag: etagOf(body), lastModified, body });
    expect(await icsFeed(dirs.dataDir, 'erin', token, etagOf(body))).toEqual({ status: 304, etag: etagOf(body), lastModified });
    expect(await icsFeed(dirs.dataDir, 'erin', 'x'.repeat(43))).toEqual({ status: 404 });
    expect(await icsFeed(dirs.dataDir, 'erin', null)).toEqual({ status: 404 });
    expect(await icsFeed(dirs.dataDir, 'nobody', token)).toEqual({ status: 404 });
    // Damaged by a power cut: never served.
    await writeFile(join(dirs.dataDir, 'erin', ICS_FILE), Buffer.alloc(body.length));
    expect(await icsFeed(dirs.dataDir, 'erin', token)).toEqual({ status: 404 });
    await writeFile(join(dirs.dataDir, 'erin', ICS_FILE), body.subarray(0, 20));
    expect(await icsFeed(dirs.dataDir, 'erin', token)).toEqual({ status: 404 });
  });

  it("sends Last-Modified (the file's time) and answers If-Modified-Since when there is no If-None-Match", async () => {
    const token = await ensureIcsToken(dirs.dataDir, 'fred');
    const body = Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    const file = join(dirs.dataDir, 'fred', ICS_FILE);
    await writeFile(file, body);
    const written = new Date('2025-03-10T07:15:42.500Z');
    await utimes(file, written, written);
    const ims = (since: string, inm?: string) => icsFeed(dirs.dataDir, 'fred', token, inm, since).then((a) => a.status);
    expect(await ims('Mon, 10 Mar 2025 07:15:42 GMT')).toBe(304);
    expect(await ims('Mon, 10 Mar 2025 08:00:00 GMT')).toBe(304);
    expect(await ims('Mon, 10 Mar 2025 07:15:41 GMT')).toBe(200);
    expect(await ims('not a date')).toBe(200);
    // If-None-Match wins: a stale tag means a new download, whatever the date says.
    expect(await ims('Mon, 10 Mar 2025 08:00:00 GMT', '"stale"')).toBe(200);
    // A rewrite moves the date.
    await writeFile(file, Buffer.from('BEGIN:VCALENDAR\r\nX-A:1\r\nEND:VCALENDAR\r\n'));
    const later = new Date('2025-03-11T00:00:00Z');
    await utimes(file, later, later);
    expect(await ims('Mon, 10 Mar 2025 08:00:00 GMT')).toBe(200);
    expect(httpDate(later.getTime())).toBe('Tue, 11 Mar 2025 00:00:00 GMT');
  });

  it('compares If-None-Match as RFC 9110 says', () => {
    const tag = etagOf(Buffer.from('x'));
    expect(matchesIfNoneMatch(undefined, tag)).toBe(false);
    expect(matchesIfNoneMatch('*', tag)).toBe(true);
    expect(matchesIfNoneMatch(`"a", ${tag}`, tag)).toBe(true);
    expect(matchesIfNoneMatch(`W/${tag}`, tag)).toBe(true);
    expect(matchesIfNoneMatch('"a"', tag)).toBe(false);
    expect(etagOf(Buffer.from('x'))).toBe(tag);
    expect(etagOf(Buffer.from('y'))).not.toBe(tag);
  });
});
