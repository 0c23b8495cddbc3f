import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { INVITATIONS_DIR } from '../instance/index.js';
import { systemClock, writeFileAtomic, type Clock } from '../lib/index.js';
import { hashToken, isTokenShaped, newId, newToken, tokenMatches } from './tokens.js';

/**
 * Invitations (issue 23): the owner makes a link, a classmate opens it and adds their own timetable. Each one
 * is single use, expires (7 days by default), can be revoked, and is listed with its state. Stored under
 * `data/.invitations/` (a dot folder: no instance can be named so, and the API's importer lists only valid
 * instance names), one file per invitation holding the token's hash, never the token:
 *
 * - `<id>.json`   written once, atomically: id, hash, creation and expiry times;
 * - `<id>.used`   created exclusively (O_EXCL) when a classmate saves: of two saves at once, one wins;
 * - `<id>.revoked` created by `invites revoke`.
 *
 * Nothing here logs, and no answer carries a token except `createInvitation`'s.
 */

export interface InviteStoreOptions {
  dataDir: string;
  clock?: Pick<Clock, 'now'>;
}

export type InvitationState = 'pending' | 'used' | 'expired' | 'revoked';

export interface InvitationView {
  id: string;
  state: InvitationState;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  /** The instance the classmate created with it. */
  instance?: string;
  revokedAt?: string;
}

export type InvitationCheck = { ok: true; id: string; expiresAt: string } | { ok: false; reason: 'unknown' | 'expired' | 'used' | 'revoked' };

/** Records that ended this long ago are removed when a new invitation is made: the list stays readable. */
export const KEEP_ENDED_MS = 30 * 24 * 3600_000;

const recordSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
type InvitationRecord = z.infer<typeof recordSchema>;

const usedSchema = z.strictObject({ usedAt: z.iso.datetime(), instance: z.string() });
const revokedSchema = z.strictObject({ revokedAt: z.iso.datetime() });

const ID_PATTERN = /^[0-9a-f]{12}$/;

export function invitationsDir(dataDir: string): string {
  return join(dataDir, INVITATIONS_DIR);
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Missing, or damaged by a power cut: an invitation that cannot be read opens nothing.
    return undefined;
  }
}

/** Every readable invitation record (a damaged one is skipped: it can open nothing). */
async function records(dir: string): Promise<InvitationRecord[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: InvitationRecord[] = [];
  for (const n of names.filter((f) => /^[0-9a-f]{12}\.json$/.test(f)).sort()) {
    const r = await readJson(join(dir, n), recordSchema);
    if (r) found.push(r);
  }
  return found;
}

/**
 * A marker's content, `null` when the file exists but cannot be read (a power cut between its creation and its
 * write: it still counts, its details are lost), undefined when there is none.
 */
async function readMarker<T>(file: string, schema: z.ZodType<T>): Promise<T | null | undefined> {
  const data = await readJson(file, schema);
  if (data !== undefined) return data;
  return (await stat(file).then(
    () => true,
    () => false,
  ))
    ? null
    : undefined;
}

async function viewOf(dir: string, r: InvitationRecord, now: Date): Promise<InvitationView> {
  const [used, revoked] = await Promise.all([readMarker(join(dir, `${r.id}.used`), usedSchema), readMarker(join(dir, `${r.id}.revoked`), revokedSchema)]);
  const base = { id: r.id, createdAt: r.createdAt, expiresAt: r.expiresAt };
  if (used !== undefined) return { ...base, state: 'used', ...(used ? { usedAt: used.usedAt, instance: used.instance } : {}) };
  if (revoked !== undefined) return { ...base, state: 'revoked', ...(revoked ? { revokedAt: revoked.revokedAt } : {}) };
  return { ...base, state: now.getTime() >= Date.parse(r.expiresAt) ? 'expired' : 'pending' };
}

/** Creates `file` with `data` only if it does not exist: false when it did (someone else was first). */
async function createOnce(file: string, data: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** A new invitation; the token is in this answer and nowhere else, ever. */
export async function createInvitation(opts: InviteStoreOptions & { expiresInMs: number }): Promise<{ id: string; token: string; expiresAt: string }> {
  const now = (opts.clock ?? systemClock).now();
  const dir = invitationsDir(opts.dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await pruneEnded(dir, now);
  const token = newToken();
  const record: InvitationRecord = {
    id: newId(),
    tokenHash: hashToken(token),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + opts.expiresInMs).toISOString(),
  };
  await writeFileAtomic(join(dir, `${record.id}.json`), `${JSON.stringify(record)}\n`, 0o600);
  return { id: record.id, token, expiresAt: record.expiresAt };
}

async function pruneEnded(dir: string, now: Date): Promise<void> {
  for (const r of await records(dir)) {
    const v = await viewOf(dir, r, now);
    const endedAt = v.usedAt ?? v.revokedAt ?? (v.state === 'expired' ? v.expiresAt : undefined);
    if (endedAt !== undefined && now.getTime() - Date.parse(endedAt) > KEEP_ENDED_MS) {
      for (const ext of ['json', 'used', 'revoked']) await rm(join(dir, `${r.id}.${ext}`), { force: true });
    }
  }
}

export async function listInvitations(opts: InviteStoreOptions): Promise<InvitationView[]> {
  const now = (opts.clock ?? systemClock).now();
  const dir = invitationsDir(opts.dataDir);
  const views = await Promise.all((await records(dir)).map((r) => viewOf(dir, r, now)));
  return views.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** `invites revoke <id>`: a pending invitation stops opening anything; an ended one says how it ended. */
export async function revokeInvitation(
  opts: InviteStoreOptions,
  id: string,
): Promise<{ kind: 'revoked' } | { kind: 'not-found' } | { kind: 'ended'; state: InvitationState }> {
  if (!ID_PATTERN.test(id)) return { kind: 'not-found' };
  const now = (opts.clock ?? systemClock).now();
  const dir = invitationsDir(opts.dataDir);
  const record = await readJson(join(dir, `${id}.json`), recordSchema);
  if (!record) return { kind: 'not-found' };
  const view = await viewOf(dir, record, now);
  if (view.state !== 'pending') return { kind: 'ended', state: view.state };
  if (!(await createOnce(join(dir, `${id}.revoked`), `${JSON.stringify({ revokedAt: now.toISOString() })}\n`))) return { kind: 'ended', state: 'revoked' };
  return { kind: 'revoked' };
}

/** The record a token opens, compared in constant time against every record (the time does not depend on which). */
async function find(dir: string, token: string): Promise<InvitationRecord | undefined> {
  if (!isTokenShaped(token)) return undefined;
  let match: InvitationRecord | undefined;
  for (const r of await records(dir)) if (tokenMatches(token, r.tokenHash) && match === undefined) match = r;
  return match;
}

/** Does this link still open the form? (Opening it does not use it: only saving does.) */
export async function checkInvitation(opts: InviteStoreOptions, token: string): Promise<InvitationCheck> {
  const now = (opts.clock ?? systemClock).now();
  const dir = invitationsDir(opts.dataDir);
  const record = await find(dir, token);
  if (!record) return { ok: false, reason: 'unknown' };
  const view = await viewOf(dir, record, now);
  if (view.state !== 'pending') return { ok: false, reason: view.state };
  return { ok: true, id: record.id, expiresAt: record.expiresAt };
}

/**
 * Uses the invitation for `instance` (the classmate's Save): atomic and single use, so of two saves racing
 * with one link exactly one gets `ok`. Call it before writing the config; on a failed write the invitation
 * stays used (the owner makes another): a link never opens twice.
 */
export async function redeemInvitation(opts: InviteStoreOptions, token: string, instance: string): Promise<InvitationCheck> {
  const check = await checkInvitation(opts, token);
  if (!check.ok) return check;
  const now = (opts.clock ?? systemClock).now();
  const claimed = await createOnce(join(invitationsDir(opts.dataDir), `${check.id}.used`), `${JSON.stringify({ usedAt: now.toISOString(), instance })}\n`);
  return claimed ? check : { ok: false, reason: 'used' };
}
