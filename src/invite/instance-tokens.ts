import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isValidInstanceName } from '../config/index.js';
import { systemClock, writeFileAtomic } from '../lib/index.js';
import { invitationsDir, type InviteStoreOptions } from './invitations.js';
import { hashToken, isTokenShaped, newToken, tokenMatches } from './tokens.js';

/**
 * The classmate's status page key (issue 23): one token per instance, same rules as invitations (256 bits,
 * only its hash on disk, constant-time comparison, never logged). Made when an invitation is used; a new one
 * replaces the old (a link shared by mistake is cut by making another); removed with the instance.
 * Stored as `data/.invitations/instances/<name>.json`.
 */

const INSTANCES_SUBDIR = 'instances';

const recordSchema = z.strictObject({ name: z.string(), tokenHash: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.iso.datetime() });

function tokenFile(dataDir: string, name: string): string {
  if (!isValidInstanceName(name)) throw new Error(`invalid instance name ${JSON.stringify(name)}`);
  return join(invitationsDir(dataDir), INSTANCES_SUBDIR, `${name}.json`);
}

/** A new status-page token for `name` (the previous one stops working); the token is only in this answer. */
export async function createInstanceToken(opts: InviteStoreOptions, name: string): Promise<string> {
  const file = tokenFile(opts.dataDir, name);
  await mkdir(join(invitationsDir(opts.dataDir), INSTANCES_SUBDIR), { recursive: true, mode: 0o700 });
  const token = newToken();
  const record = { name, tokenHash: hashToken(token), createdAt: (opts.clock ?? systemClock).now().toISOString() };
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`, 0o600);
  return token;
}

/** Does `token` open `name`'s status page? False for anything unreadable, unknown or malformed. */
export async function verifyInstanceToken(opts: InviteStoreOptions, name: string, token: string): Promise<boolean> {
  if (!isValidInstanceName(name) || !isTokenShaped(token)) return false;
  let record;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(await readFile(tokenFile(opts.dataDir, name), 'utf8')));
    record = parsed.success ? parsed.data : undefined;
  } catch {
    record = undefined;
  }
  // Compared even without a record, against nothing valid: an unknown instance costs the same as a wrong token.
  const matches = tokenMatches(token, record?.tokenHash ?? '');
  return matches && record?.name === name;
}

/** The instance was deleted (or its owner cut the link): its status page opens no more. */
export async function removeInstanceToken(opts: InviteStoreOptions, name: string): Promise<void> {
  await rm(tokenFile(opts.dataDir, name), { force: true });
}

/**
 * The instance whose status page `token` opens (`/me/<token>` carries no name), or null. Every stored record is
 * compared, each in constant time, whatever matched first: the answer's time says nothing about which one did.
 */
export async function instanceForToken(opts: InviteStoreOptions, token: string): Promise<string | null> {
  if (!isTokenShaped(token)) return null;
  let files: string[];
  try {
    files = (await readdir(join(invitationsDir(opts.dataDir), INSTANCES_SUBDIR))).filter((f) => f.endsWith('.json'));
  } catch {
    return null;
  }
  let found: string | null = null;
  for (const f of files) {
    const name = f.slice(0, -'.json'.length);
    if (!isValidInstanceName(name)) continue;
    let record;
    try {
      const parsed = recordSchema.safeParse(JSON.parse(await readFile(join(invitationsDir(opts.dataDir), INSTANCES_SUBDIR, f), 'utf8')));
      record = parsed.success ? parsed.data : undefined;
    } catch {
      record = undefined;
    }
    if (tokenMatches(token, record?.tokenHash ?? '') && record?.name === name) found = name;
  }
  return found;
}
