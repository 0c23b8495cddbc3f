import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, type FakeClock } from '../lib/fake-clock.test-helper.js';
import { checkInvitation, createInvitation, invitationsDir, KEEP_ENDED_MS, listInvitations, redeemInvitation, revokeInvitation } from './invitations.js';
import { newToken } from './tokens.js';

const DAY = 24 * 3600_000;
let dataDir: string;
let clock: FakeClock;
let opts: { dataDir: string; clock: FakeClock };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cs-invite-'));
  clock = fakeClock('2026-12-01T10:00:00Z');
  opts = { dataDir, clock };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('invitations', () => {
  it('store only a hash of the token, in a private dot folder', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: 7 * DAY });
    expect(inv.expiresAt).toBe('2026-12-08T10:00:00.000Z');
    const dir = invitationsDir(dataDir);
    expect(dir.endsWith('.invitations')).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(dir)) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text).not.toContain(inv.token);
      expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    }
    expect(JSON.stringify(await listInvitations(opts))).not.toContain(inv.token);
  });

  it('open the form until used, once: the second save with the same link is refused', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: 7 * DAY });
    expect(await checkInvitation(opts, inv.token)).toEqual({ ok: true, id: inv.id, expiresAt: inv.expiresAt });
    // Opening twice does not use it.
    expect((await checkInvitation(opts, inv.token)).ok).toBe(true);
    clock.advance(60_000);
    expect(await redeemInvitation(opts, inv.token, 'bob')).toMatchObject({ ok: true, id: inv.id });
    expect(await redeemInvitation(opts, inv.token, 'eve')).toEqual({ ok: false, reason: 'used' });
    expect(await checkInvitation(opts, inv.token)).toEqual({ ok: false, reason: 'used' });
    expect(await listInvitations(opts)).toEqual([
      { id: inv.id, state: 'used', createdAt: '2026-12-01T10:00:00.000Z', expiresAt: inv.expiresAt, usedAt: '2026-12-01T10:01:00.000Z', instance: 'bob' },
    ]);
  });

  it('let exactly one of many concurrent saves through', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: DAY });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redeemInvitation(opts, inv.token, `n${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'used')).toHaveLength(19);
  });

  it('expire at their time on the clock', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: 7 * DAY });
    clock.advance(7 * DAY - 1);
    expect((await checkInvitation(opts, inv.token)).ok).toBe(true);
    clock.advance(1);
    expect(await checkInvitation(opts, inv.token)).toEqual({ ok: false, reason: 'expired' });
    expect(await redeemInvitation(opts, inv.token, 'bob')).toEqual({ ok: false, reason: 'expired' });
    expect((await listInvitations(opts))[0]?.state).toBe('expired');
  });

  it('are revoked by id, and a revoked or ended one says so', async () => {
    const a = await createInvitation({ ...opts, expiresInMs: DAY });
    const b = await createInvitation({ ...opts, expiresInMs: DAY });
    expect(await revokeInvitation(opts, a.id)).toEqual({ kind: 'revoked' });
    expect(await revokeInvitation(opts, a.id)).toEqual({ kind: 'ended', state: 'revoked' });
    expect(await checkInvitation(opts, a.token)).toEqual({ ok: false, reason: 'revoked' });
    expect((await checkInvitation(opts, b.token)).ok).toBe(true);
    await redeemInvitation(opts, b.token, 'bob');
    expect(await revokeInvitation(opts, b.id)).toEqual({ kind: 'ended', state: 'used' });
    expect(await revokeInvitation(opts, 'ffffffffffff')).toEqual({ kind: 'not-found' });
    expect(await revokeInvitation(opts, '../../x')).toEqual({ kind: 'not-found' });
  });

  it('open nothing for unknown, malformed or damaged tokens', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: DAY });
    expect(await checkInvitation(opts, newToken())).toEqual({ ok: false, reason: 'unknown' });
    expect(await checkInvitation(opts, '')).toEqual({ ok: false, reason: 'unknown' });
    expect(await checkInvitation(opts, `${inv.token} `)).toEqual({ ok: false, reason: 'unknown' });
    // A record emptied by a power cut opens nothing and does not break the others.
    await writeFile(join(invitationsDir(dataDir), `${inv.id}.json`), '\0\0\0');
    expect(await checkInvitation(opts, inv.token)).toEqual({ ok: false, reason: 'unknown' });
    expect(await listInvitations(opts)).toEqual([]);
    expect(await listInvitations({ dataDir: join(dataDir, 'none') })).toEqual([]);
  });

  it('count a use whose marker was cut short by a power cut', async () => {
    const inv = await createInvitation({ ...opts, expiresInMs: DAY });
    await writeFile(join(invitationsDir(dataDir), `${inv.id}.used`), '');
    expect(await checkInvitation(opts, inv.token)).toEqual({ ok: false, reason: 'used' });
    expect((await listInvitations(opts))[0]).toMatchObject({ id: inv.id, state: 'used' });
  });

  it('are listed newest first, and ended ones are pruned a month after they end', async () => {
    const old = await createInvitation({ ...opts, expiresInMs: DAY });
    clock.advance(DAY + KEEP_ENDED_MS + 1);
    const fresh = await createInvitation({ ...opts, expiresInMs: DAY });
    const list = await listInvitations(opts);
    expect(list.map((v) => v.id)).toEqual([fresh.id]);
    expect(await checkInvitation(opts, old.token)).toEqual({ ok: false, reason: 'unknown' });
    clock.advance(1000);
    const third = await createInvitation({ ...opts, expiresInMs: DAY });
    expect((await listInvitations(opts)).map((v) => v.id)).toEqual([third.id, fresh.id]);
  });
});
