/**
 * The outbox's files (data/<name>/outbox): one file per pending delivery in deliveries/, given-up ones in
 * failed/, disabled.json, and the delivery journal beside them. What createOutbox (outbox.ts) decides is
 * written here; nothing here decides.
 */
import { appendFile, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, writeFileAtomic, type Clock, type Logger } from '../lib/index.js';
import { OUTBOX_DELIVERIES_DIR, OUTBOX_DISABLED_FILE, OUTBOX_FAILED_DIR } from '../instance/names.js';
import type { Alert } from './message.js';

export interface DeliveryRecord {
  v: 1;
  seq: number;
  channel: string;
  alert: Alert;
  enqueuedAt: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  held?: boolean;
  /** Parts already delivered of the message whose alert id is `partsOf` (a digest has its own id). */
  partsDone?: number;
  partsOf?: string;
}

export interface DisabledEntry {
  reason: string;
  at: string;
  fingerprint?: string;
}

/** A delivery as read from its file. */
export interface Loaded {
  file: string;
  rec: DeliveryRecord;
}

/** One line of the delivery journal (`data/<name>/alerts.jsonl`). */
export interface AlertJournalEntry {
  alertId: string;
  instance: string;
  kind: string;
  severity: string;
  channel: string;
  /** The alert's title, redacted. */
  summary: string;
  createdAt: string;
  deliveredAt: string | null;
  attempts: number;
  lastError: string | null;
  /** When this line was written. */
  at: string;
}

export interface JournalChange {
  deliveredAt?: string;
  attempts?: number;
  lastError?: string;
}

export interface OutboxFiles {
  readonly deliveriesDir: string;
  /** Every sound delivery, in queue order; an unreadable file is moved to failed/ and said. */
  loadAll(): Promise<Loaded[]>;
  persist(l: Loaded): Promise<void>;
  remove(items: readonly Loaded[]): Promise<void>;
  /** Keeps given-up deliveries (with why) in failed/ for a person to look at, then removes them from the queue. */
  moveToFailed(items: readonly Loaded[], reason: string): Promise<void>;
  /** The journal is a report, not the queue: failing to write it is logged and never blocks a delivery. */
  journal(items: readonly Loaded[], change: JournalChange): Promise<void>;
  /** disabled.json; an unreadable one is said and read as none. */
  readDisabled(): Promise<Record<string, DisabledEntry>>;
  saveDisabled(disabled: Record<string, DisabledEntry>): Promise<void>;
}

export async function fsyncDir(dir: string): Promise<void> {
  // The rename of an atomic write is durable only once the directory entry is on disk too.
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file itself is synced.
  } finally {
    await handle.close();
  }
}

export function createOutboxFiles(opts: { dir: string; clock: Clock; logger: Logger; journalFile?: string }): OutboxFiles {
  const { clock, logger } = opts;
  const deliveriesDir = join(opts.dir, OUTBOX_DELIVERIES_DIR);
  const failedDir = join(opts.dir, OUTBOX_FAILED_DIR);
  const disabledPath = join(opts.dir, OUTBOX_DISABLED_FILE);

  async function loadAll(): Promise<Loaded[]> {
    let names: string[];
    try {
      names = await readdir(deliveriesDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: Loaded[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const file = join(deliveriesDir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        const rec = JSON.parse(text) as DeliveryRecord;
        if (rec.v !== 1 || typeof rec.seq !== 'number' || typeof rec.channel !== 'string' || !rec.alert?.id) throw new Error('bad shape');
        out.push({ file, rec });
      } catch {
        await mkdir(failedDir, { recursive: true });
        await rename(file, join(failedDir, `${name}.corrupt`));
        logger.error(`outbox: unreadable delivery file moved aside`, { file: name });
      }
    }
    return out.sort((a, b) => a.rec.seq - b.rec.seq);
  }

  async function journal(items: readonly Loaded[], change: JournalChange): Promise<void> {
    if (!opts.journalFile || items.length === 0) return;
    const at = clock.now().toISOString();
    const lines = items.map((l) => {
      const entry: AlertJournalEntry = {
        alertId: l.rec.alert.id,
        instance: l.rec.alert.instance,
        kind: l.rec.alert.kind,
        severity: l.rec.alert.severity,
        channel: l.rec.channel,
        summary: l.rec.alert.title,
        createdAt: l.rec.enqueuedAt,
        deliveredAt: change.deliveredAt ?? null,
        attempts: change.attempts ?? l.rec.attempts,
        lastError: change.lastError ?? l.rec.lastError ?? null,
        at,
      };
      return `${JSON.stringify(entry)}\n`;
    });
    await appendFile(opts.journalFile, lines.join(''), { mode: 0o644 }).catch((err: unknown) =>
      logger.warn(`outbox: cannot append to the delivery journal: ${describeError(err)}`),
    );
  }

  async function remove(items: readonly Loaded[]): Promise<void> {
    for (const l of items) await rm(l.file, { force: true });
    await fsyncDir(deliveriesDir);
  }

  async function moveToFailed(items: readonly Loaded[], reason: string): Promise<void> {
    const at = clock.now().toISOString();
    await journal(items, { lastError: reason });
    for (const l of items) {
      await writeFileAtomic(
        join(failedDir, `${l.rec.seq}-${l.rec.channel}-${l.rec.alert.id}.json`.replace(/[^A-Za-z0-9_.-]/g, '_')),
        JSON.stringify({ ...l.rec, failedAt: at, failedReason: reason }),
      );
    }
    await remove(items);
  }

  return {
    deliveriesDir,
    loadAll,
    persist: (l) => writeFileAtomic(l.file, JSON.stringify(l.rec)),
    remove,
    moveToFailed,
    journal,
    readDisabled: async () => {
      try {
        return JSON.parse(await readFile(disabledPath, 'utf8')) as Record<string, DisabledEntry>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`outbox: ${OUTBOX_DISABLED_FILE} unreadable, starting with no disabled channel`);
        return {};
      }
    },
    saveDisabled: (disabled) => writeFileAtomic(disabledPath, `${JSON.stringify(disabled, null, 2)}\n`),
  };
}
