import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROPOSALS_DIR } from '../../instance/index.js';
import type { AvailabilityProposal } from './requests.js';

/**
 * Under the data dir, dotted so the importer and the supervisor (which take every valid instance name in
 * there for an instance) never mistake it for one (src/instance's name).
 */
export { PROPOSALS_DIR };

/** One line of `data/.booking/<type>.jsonl`. */
export interface StoredProposal extends AvailabilityProposal {
  type: string;
  instance: string;
  receivedAt: string;
}

export interface ProposalLog {
  /** Appends one line (once per requestId: a resent form is not a second proposal); false when already there. */
  append(p: StoredProposal): Promise<boolean>;
  /** Every proposal of a type, oldest first. */
  list(type: string): Promise<StoredProposal[]>;
}

/**
 * Proposals as JSON lines, one file per booking type. Not the store: a proposal is a message for a person
 * (it goes out through the channels), nothing reports on it, and a file needs no migration on both
 * databases. The API process is its only writer; appends are chained so two requests never interleave
 * lines. Owner-only: the lines hold visitors' names and emails.
 */
export function createProposalLog(dataDir: string): ProposalLog {
  const dir = join(dataDir, PROPOSALS_DIR);
  const fileOf = (type: string): string => join(dir, `${type}.jsonl`);
  let chain: Promise<unknown> = Promise.resolve();

  const list = async (type: string): Promise<StoredProposal[]> => {
    let text: string;
    try {
      text = await readFile(fileOf(type), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: StoredProposal[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as StoredProposal);
      } catch {
        // A line cut by a crash mid-append: the ones around it are still good.
      }
    }
    return out;
  };

  return {
    append(p) {
      const run = chain.then(async () => {
        if ((await list(p.type)).some((q) => q.requestId === p.requestId)) return false;
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await appendFile(fileOf(p.type), `${JSON.stringify(p)}\n`, { mode: 0o600 });
        return true;
      });
      chain = run.catch(() => {});
      return run;
    },
    list,
  };
}
