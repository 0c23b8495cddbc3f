import { mkdtemp, readFile, rm, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProposalLog, PROPOSALS_DIR, type StoredProposal } from './proposals.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campus-sync-proposals-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const proposal = (requestId: string, type = 'appel'): StoredProposal => ({
  requestId,
  type,
  instance: 'cabinet',
  receivedAt: '2025-05-26T06:00:00.000Z',
  name: 'Noé',
  email: 'noe@example.org',
  ranges: [{ date: '2025-05-30', from: '18:00', to: '20:00' }],
});

describe('createProposalLog', () => {
  it('appends one JSON line per submission, a resend once, into an owner-only file per type', async () => {
    const log = createProposalLog(dir);
    expect(await log.list('appel')).toEqual([]);
    const answers = await Promise.all([log.append(proposal('a')), log.append(proposal('a')), log.append(proposal('b')), log.append(proposal('c', 'visio'))]);
    expect(answers).toEqual([true, false, true, true]);
    const file = join(dir, PROPOSALS_DIR, 'appel.jsonl');
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
    expect((await log.list('appel')).map((p) => p.requestId)).toEqual(['a', 'b']);
    expect((await log.list('visio')).map((p) => p.requestId)).toEqual(['c']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('reads past a line cut short by a crash', async () => {
    const log = createProposalLog(dir);
    await appendFile(join(dir, PROPOSALS_DIR, 'appel.jsonl'), '{"requestId":"half');
    await appendFile(join(dir, PROPOSALS_DIR, 'appel.jsonl'), '\n');
    expect(await log.append(proposal('d'))).toBe(true);
    expect((await log.list('appel')).map((p) => p.requestId)).toEqual(['a', 'b', 'd']);
  });
});
