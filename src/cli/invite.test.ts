import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkInvitation, invitationsDir } from '../invite/index.js';
import { inviteVerb, invitesVerb, publicBaseUrl } from './invite.js';
import { captureOutput } from './capture-output.test-helper.js';
import { UsageError } from './output.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cs-cli-invite-'));
  env = { CAMPUS_SYNC_DATA_DIR: dataDir, LANG: 'en_GB.UTF-8' };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('campus-sync invite', () => {
  it('prints a link whose token opens the invitation, on PUBLIC_URL, and a QR code on a terminal only', async () => {
    const c = captureOutput();
    const code = await inviteVerb({ args: [], values: {}, out: c.out }, { ...env, PUBLIC_URL: 'https://pi.example.org/' }, true);
    expect(code).toBe(0);
    const link = c.lines.find((l) => l.startsWith('https://'));
    expect(link).toMatch(/^https:\/\/pi\.example\.org\/invite\/[A-Za-z0-9_-]{43}$/);
    const token = link!.split('/').pop()!;
    expect((await checkInvitation({ dataDir }, token)).ok).toBe(true);
    expect(c.lines[0]).toMatch(/^Invitation [0-9a-f]{12}: valid until .+, single use\.$/);
    // The QR code: block characters, many lines.
    const qr = c.lines[c.lines.length - 1]!;
    expect(qr.split('\n').length).toBeGreaterThan(10);
    expect(qr).toMatch(/[█▀▄]/);
    expect(c.errors).toEqual([]);
    // The token is nowhere on disk.
    for (const f of await readdir(invitationsDir(dataDir))) expect(await readFile(join(invitationsDir(dataDir), f), 'utf8')).not.toContain(token);
  });

  it('prints JSON without a QR code, honours --expires and --base-url, and warns when a phone cannot open the link', async () => {
    const c = captureOutput(true);
    const before = Date.now();
    expect(await inviteVerb({ args: [], values: { expires: '36h', 'base-url': 'http://127.0.0.1:8080' }, out: c.out }, env, true)).toBe(0);
    const after = Date.now();
    expect(c.lines).toEqual([]);
    const r = c.results[0] as { id: string; link: string; expiresAt: string };
    expect(r.link).toMatch(/^http:\/\/127\.0\.0\.1:8080\/invite\//);
    // 36 h from the moment it was made, whenever within the call that was.
    expect(Date.parse(r.expiresAt)).toBeGreaterThanOrEqual(before + 36 * 3600_000 - 1_000);
    expect(Date.parse(r.expiresAt)).toBeLessThanOrEqual(after + 36 * 3600_000);
    expect(c.errors.join('\n')).toContain('does not open from a phone');
  });

  it('refuses a bad --expires, a bad base and a name, creating nothing', async () => {
    await expect(inviteVerb({ args: [], values: { expires: '7' }, out: captureOutput().out }, env, false)).rejects.toThrow(UsageError);
    await expect(inviteVerb({ args: [], values: { expires: '90d' }, out: captureOutput().out }, env, false)).rejects.toThrow(/at most 30d/);
    await expect(inviteVerb({ args: [], values: { 'base-url': 'pi.local' }, out: captureOutput().out }, env, false)).rejects.toThrow(/--base-url/);
    await expect(inviteVerb({ args: ['bob'], values: {}, out: captureOutput().out }, env, false)).rejects.toThrow(/takes no name/);
    await expect(readdir(invitationsDir(dataDir))).rejects.toThrow();
  });

  it('speaks French with a French LANG', async () => {
    const c = captureOutput();
    await inviteVerb({ args: [], values: {}, out: c.out }, { ...env, LANG: 'fr_FR.UTF-8', PUBLIC_URL: 'https://pi.example.org' }, false);
    expect(c.lines[0]).toMatch(/^Invitation [0-9a-f]{12} : valable jusqu’au .+, à usage unique\.$/);
    expect(c.lines).toHaveLength(3);
  });
});

describe('campus-sync invites', () => {
  it('lists invitations with their state and revokes one by id', async () => {
    const empty = captureOutput();
    await invitesVerb({ args: [], values: {}, out: empty.out }, env);
    expect(empty.lines).toEqual(['No invitation yet: campus-sync invite makes one.']);
    const made = captureOutput(true);
    await inviteVerb({ args: [], values: {}, out: made.out }, { ...env, PUBLIC_URL: 'https://x.example' }, false);
    const { id } = made.results[0] as { id: string };
    const revoke = captureOutput();
    expect(await invitesVerb({ args: ['revoke', id], values: {}, out: revoke.out }, env)).toBe(0);
    expect(revoke.lines).toEqual([`✓ Invitation ${id} revoked: its link opens nothing now.`]);
    const again = captureOutput();
    expect(await invitesVerb({ args: ['revoke', id], values: {}, out: again.out }, env)).toBe(0);
    expect(again.errors).toEqual([`Invitation ${id} is already revoked.`]);
    const list = captureOutput();
    await invitesVerb({ args: [], values: {}, out: list.out }, env);
    expect(list.lines).toHaveLength(1);
    expect(list.lines[0]).toMatch(new RegExp(`^${id}  revoked  created .+, expires .+$`));
    const json = captureOutput(true);
    await invitesVerb({ args: [], values: {}, out: json.out }, env);
    expect(json.results).toEqual([expect.objectContaining({ id, state: 'revoked' })]);
  });

  it('says so for an unknown id (exit 2) and refuses unknown subcommands', async () => {
    const c = captureOutput();
    expect(await invitesVerb({ args: ['revoke', 'ffffffffffff'], values: {}, out: c.out }, env)).toBe(2);
    expect(c.errors[0]).toContain('No invitation ffffffffffff');
    await expect(invitesVerb({ args: ['delete', 'x'], values: {}, out: captureOutput().out }, env)).rejects.toThrow(UsageError);
    await expect(invitesVerb({ args: ['revoke'], values: {}, out: captureOutput().out }, env)).rejects.toThrow(UsageError);
  });
});

describe('publicBaseUrl', () => {
  it('prefers --base-url, then PUBLIC_URL, then the dashboard address', () => {
    expect(publicBaseUrl('https://a.example/', { PUBLIC_URL: 'https://b.example' })).toEqual({ base: 'https://a.example', phoneReachable: true });
    expect(publicBaseUrl(undefined, { PUBLIC_URL: 'https://b.example' })).toEqual({ base: 'https://b.example', phoneReachable: true });
    expect(publicBaseUrl(undefined, {})).toEqual({ base: 'http://127.0.0.1:8080', phoneReachable: false });
    expect(publicBaseUrl(undefined, { CAMPUS_SYNC_API_BIND: '0.0.0.0', CAMPUS_SYNC_LAN_ADDRESS: '192.168.1.20' })).toEqual({
      base: 'http://192.168.1.20:8080',
      phoneReachable: true,
    });
    expect(publicBaseUrl(undefined, { CAMPUS_SYNC_API_BIND: '0.0.0.0' }).phoneReachable).toBe(false);
    expect(() => publicBaseUrl('ftp://x', {})).toThrow(/http\(s\)/);
  });
});
