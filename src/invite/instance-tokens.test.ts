import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { createInstanceToken, instanceForToken, removeInstanceToken, verifyInstanceToken } from './instance-tokens.js';
import { invitationsDir } from './invitations.js';
import { newToken } from './tokens.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cs-itok-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('status-page tokens', () => {
  it('open one instance only, are stored as hashes, and a new one replaces the old', async () => {
    const opts = { dataDir, clock: fakeClock() };
    const bob = await createInstanceToken(opts, 'bob');
    const carol = await createInstanceToken(opts, 'carol');
    expect(await verifyInstanceToken(opts, 'bob', bob)).toBe(true);
    expect(await verifyInstanceToken(opts, 'carol', bob)).toBe(false);
    expect(await verifyInstanceToken(opts, 'bob', carol)).toBe(false);
    expect(await readFile(join(invitationsDir(dataDir), 'instances', 'bob.json'), 'utf8')).not.toContain(bob);
    const bob2 = await createInstanceToken(opts, 'bob');
    expect(await verifyInstanceToken(opts, 'bob', bob)).toBe(false);
    expect(await verifyInstanceToken(opts, 'bob', bob2)).toBe(true);
    await removeInstanceToken(opts, 'bob');
    expect(await verifyInstanceToken(opts, 'bob', bob2)).toBe(false);
  });

  it('refuse unknown instances, bad names and malformed tokens without throwing', async () => {
    const opts = { dataDir };
    expect(await verifyInstanceToken(opts, 'nobody', newToken())).toBe(false);
    expect(await verifyInstanceToken(opts, '../x', newToken())).toBe(false);
    expect(await verifyInstanceToken(opts, 'bob', 'x')).toBe(false);
    await expect(createInstanceToken(opts, '../x')).rejects.toThrow(/invalid instance name/);
  });

  it('name the instance a token opens (the status page URL has no name); an old, removed or unknown token opens none', async () => {
    const opts = { dataDir };
    expect(await instanceForToken(opts, newToken())).toBeNull();
    const bob = await createInstanceToken(opts, 'bob');
    const carol = await createInstanceToken(opts, 'carol');
    expect(await instanceForToken(opts, bob)).toBe('bob');
    expect(await instanceForToken(opts, carol)).toBe('carol');
    expect(await instanceForToken(opts, 'not-a-token')).toBeNull();
    const bob2 = await createInstanceToken(opts, 'bob');
    expect(await instanceForToken(opts, bob)).toBeNull();
    expect(await instanceForToken(opts, bob2)).toBe('bob');
    await removeInstanceToken(opts, 'carol');
    expect(await instanceForToken(opts, carol)).toBeNull();
  });
});
