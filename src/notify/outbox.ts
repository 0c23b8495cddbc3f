import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  backoff,
  describeError,
  isRetryable,
  silentLogger,
  systemClock,
  writeFileAtomic,
  type Clock,
  type Logger,
  type TimerHandle,
} from '../lib/index.js';
import { OUTBOX_DELIVERIES_DIR, OUTBOX_DISABLED_FILE, OUTBOX_FAILED_DIR } from '../instance/index.js';
import { PermanentChannelError, retryAfterOf, type Channel, type ChannelTransientError, type SendProgress } from './channel.js';
import { digestAlerts, redactAlert, type Alert } from './message.js';
import { holdsDuringQuietHours, inQuietHours, routeAlert } from './router.js';

/** First retry after 2 s: a blip (restarting proxy, brief 5xx) usually heals by then. */
export const DEFAULT_BASE_DELAY_MS = 2_000;
/** Never wait more than 10 min between tries: an alert later than that loses most of its use. */
export const DEFAULT_MAX_DELAY_MS = 10 * 60_000;
/** Transient failures are retried this long; an alert older than a day is news no more, so it is dropped (with an error line). */
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60_000;

/** One file per pending delivery, `<sha256(alert id, channel)>.json` (see deliveryFileName). */
const DELIVERIES = OUTBOX_DELIVERIES_DIR;
const FAILED = OUTBOX_FAILED_DIR;
const DISABLED_FILE = OUTBOX_DISABLED_FILE;

export interface OutboxOptions {
  /** data/<name>/outbox */
  dir: string;
  channels: readonly Channel[];
  clock?: Clock;
  logger?: Logger;
  /** Applied to every text of an alert before it is stored or sent. */
  redact: (s: string) => string;
  /** Cap on attempts per delivery; default none (transient failures retried until maxAgeMs). */
  maxAttempts?: number;
  maxAgeMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Zone of quiet hours that name none (the instance's time zone). Default UTC. */
  timezone?: string;
  /** Jitter source, for tests. */
  random?: () => number;
  /**
   * Appends one JSON line per delivery state change here (queued, delivered, retried, given up): the reporting
   * store imports it, so the worker never writes the database itself.
   */
  journalFile?: string;
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

export interface DrainResult {
  /** Deliveries completed in this pass (a digest counts each alert it carried). */
  sent: number;
  /** Deliveries still waiting after this pass. */
  pending: number;
  /** Deliveries given up in this pass (refused payload, too old, channel disabled). */
  failed: number;
}

export interface PendingDelivery {
  alertId: string;
  kind: Alert['kind'];
  title: string;
  channel: string;
  enqueuedAt: string;
  attempts: number;
  nextAttemptAt?: string;
  held: boolean;
  lastError?: string;
}

export interface DisabledChannel {
  name: string;
  reason: string;
  at: string;
}

export interface Outbox {
  /** Resolves once the deliveries are on disk (fsync'd); the alert is then never lost to a crash. */
  enqueue(alert: Alert): Promise<void>;
  /** One pass: sends what is due, per channel in order, respecting backoff and quiet hours. */
  drain(): Promise<DrainResult>;
  /** Drains now and then every `intervalMs` (and soon after each enqueue) until stop(). */
  start(intervalMs: number): void;
  stop(): Promise<void>;
  pending(): Promise<PendingDelivery[]>;
  disabledChannels(): Promise<DisabledChannel[]>;
}

interface DeliveryRecord {
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

interface DisabledEntry {
  reason: string;
  at: string;
  fingerprint?: string;
}

interface Loaded {
  file: string;
  rec: DeliveryRecord;
}

/** The file of one delivery (an alert to a channel) in deliveries/: the same alert queued twice is one file. */
export const deliveryFileName = (alertId: string, channel: string): string =>
  `${createHash('sha256').update(`${alertId}\u0000${channel}`).digest('hex').slice(0, 24)}.json`;
const fileNameOf = deliveryFileName;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What a sound delivery file holds. */
export function isDeliveryRecord(v: unknown): boolean {
  if (!isObject(v) || v.v !== 1 || typeof v.seq !== 'number' || typeof v.channel !== 'string' || typeof v.enqueuedAt !== 'string' || typeof v.attempts !== 'number') return false;
  return isObject(v.alert) && typeof v.alert.id === 'string' && typeof v.alert.kind === 'string' && typeof v.alert.title === 'string';
}

/** What a sound disabled.json holds: channel name → why and since when. */
export function isDisabledChannels(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((e) => isObject(e) && typeof e.reason === 'string' && typeof e.at === 'string');
}

export type RebuiltDelivery = 'rebuilt' | 'delivered' | 'unknown';

/**
 * Writes again the delivery `fileName` (a file of deliveries/ a power cut damaged, already set aside) from the
 * delivery journal: the alert's id, kind, severity, title and time are there, its body is not, so the title is
 * sent as its text. `delivered` when the journal says it went out (a power cut undid the removal: it is not sent
 * twice); `unknown` when the journal never saw it (nothing to rebuild from).
 */
export async function rebuildDelivery(outboxDir: string, journal: readonly AlertJournalEntry[], fileName: string): Promise<RebuiltDelivery> {
  const lines = journal.filter((e) => deliveryFileName(e.alertId, e.channel) === fileName);
  if (lines.length === 0) return 'unknown';
  if (lines.some((e) => e.deliveredAt !== null)) return 'delivered';
  const first = lines[0]!;
  const last = lines.at(-1)!;
  // Sequence 0: sent before what was queued since (its place among older ones is lost with the file).
  const rec: DeliveryRecord = {
    v: 1,
    seq: 0,
    channel: first.channel,
    alert: { id: first.alertId, kind: first.kind as Alert['kind'], severity: first.severity as Alert['severity'], instance: first.instance, title: first.summary, text: first.summary, at: first.createdAt },
    enqueuedAt: first.createdAt,
    attempts: last.attempts,
  };
  await writeFileAtomic(join(outboxDir, DELIVERIES, fileName), JSON.stringify(rec));
  return 'rebuilt';
}

async function fsyncDir(dir: string): Promise<void> {
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

export function createOutbox(opts: OutboxOptions): Outbox {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const baseDelay = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelay = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxAge = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const timezone = opts.timezone ?? 'UTC';
  const deliveriesDir = join(opts.dir, DELIVERIES);
  const failedDir = join(opts.dir, FAILED);
  const disabledPath = join(opts.dir, DISABLED_FILE);
  const byName = new Map(opts.channels.map((c) => [c.name, c]));

  let initialised: Promise<void> | undefined;
  let nextSeq = 1;
  let disabled: Record<string, DisabledEntry> = {};
  /** In-memory pause (global rate limits), on top of the head delivery's persisted nextAttemptAt. */
  const pausedUntil = new Map<string, number>();
  /** Drains run one after another, never two at once over the same files. */
  let chain: Promise<unknown> = Promise.resolve();
  let timer: TimerHandle | undefined;
  let running = false;

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

  async function saveDisabled(): Promise<void> {
    await writeFileAtomic(disabledPath, `${JSON.stringify(disabled, null, 2)}\n`);
  }

  function init(): Promise<void> {
    initialised ??= (async () => {
      await mkdir(deliveriesDir, { recursive: true });
      const all = await loadAll();
      nextSeq = all.reduce((m, l) => Math.max(m, l.rec.seq), 0) + 1;
      try {
        disabled = JSON.parse(await readFile(disabledPath, 'utf8')) as Record<string, DisabledEntry>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn(`outbox: ${DISABLED_FILE} unreadable, starting with no disabled channel`);
        disabled = {};
      }
      // A channel disabled under an older config comes back once its config changed (or it was removed).
      let changed = false;
      for (const [name, entry] of Object.entries(disabled)) {
        const channel = byName.get(name);
        if (!channel || channel.fingerprint !== entry.fingerprint) {
          delete disabled[name];
          changed = true;
          if (channel) logger.info(`notification channel "${name}" re-enabled: its config changed since it was disabled`);
        }
      }
      if (changed) await saveDisabled();
    })().catch((err: unknown) => {
      initialised = undefined;
      throw err;
    });
    return initialised;
  }

  /** The journal is a report, not the queue: failing to write it is logged and never blocks a delivery. */
  async function journal(items: readonly Loaded[], change: { deliveredAt?: string; attempts?: number; lastError?: string }): Promise<void> {
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

  async function persist(l: Loaded): Promise<void> {
    await writeFileAtomic(l.file, JSON.stringify(l.rec));
  }

  async function remove(items: readonly Loaded[]): Promise<void> {
    for (const l of items) await rm(l.file, { force: true });
    await fsyncDir(deliveriesDir);
  }

  /** Keeps given-up deliveries (with why) in failed/ for a person to look at, then removes them from the queue. */
  async function moveToFailed(items: readonly Loaded[], reason: string): Promise<void> {
    const at = clock.now().toISOString();
    await journal(items, { lastError: reason });
    for (const l of items) {
      await writeFileAtomic(join(failedDir, `${l.rec.seq}-${l.rec.channel}-${l.rec.alert.id}.json`.replace(/[^A-Za-z0-9_.-]/g, '_')), JSON.stringify({ ...l.rec, failedAt: at, failedReason: reason }));
    }
    await remove(items);
  }

  async function enqueue(alert: Alert): Promise<void> {
    await init();
    const clean = redactAlert(alert, opts.redact);
    const targets = routeAlert(clean, opts.channels).filter((c) => !disabled[c.name]);
    if (targets.length === 0) {
      logger.debug('alert routed to no channel', { kind: alert.kind });
      return;
    }
    const seq = nextSeq++;
    const enqueuedAt = clock.now().toISOString();
    for (const c of targets) {
      const file = join(deliveriesDir, fileNameOf(clean.id, c.name));
      const rec: DeliveryRecord = { v: 1, seq, channel: c.name, alert: clean, enqueuedAt, attempts: 0 };
      // Enqueuing the same alert twice (a retried caller) keeps one delivery.
      try {
        await readFile(file);
        continue;
      } catch {
        await writeFileAtomic(file, JSON.stringify(rec));
        await journal([{ file, rec }], {});
      }
    }
    await fsyncDir(deliveriesDir);
    if (running) void drain().catch(() => {});
  }

  async function disable(channel: Channel, err: PermanentChannelError, items: readonly Loaded[]): Promise<number> {
    const reason = opts.redact(err.message);
    disabled[channel.name] = { reason, at: clock.now().toISOString(), ...(channel.fingerprint ? { fingerprint: channel.fingerprint } : {}) };
    await saveDisabled();
    logger.error(`notification channel "${channel.name}" disabled until its config changes: ${reason}`, {
      channel: channel.name,
      dropped: items.length,
    });
    await moveToFailed(items, `channel disabled: ${reason}`);
    return items.length;
  }

  /** One channel's pass: its deliveries strictly in order, stopping at the first that must wait. */
  async function drainChannel(channel: Channel, items: Loaded[]): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    if (disabled[channel.name]) {
      if (items.length) await moveToFailed(items, `channel disabled: ${disabled[channel.name]?.reason ?? ''}`);
      return { sent, failed: items.length };
    }
    const now = clock.now();
    if ((pausedUntil.get(channel.name) ?? 0) > now.getTime()) return { sent, failed };
    const quiet = inQuietHours(channel.quietHours, now, timezone);

    // Units to send, in order: during quiet hours only what may not wait; after them, the held ones as one digest first.
    const units: Loaded[][] = [];
    if (quiet) {
      for (const l of items) {
        if (holdsDuringQuietHours(l.rec.alert)) {
          if (!l.rec.held) {
            l.rec.held = true;
            await persist(l);
          }
        } else {
          units.push([l]);
        }
      }
    } else {
      const held = items.filter((l) => l.rec.held);
      if (held.length) units.push(held);
      for (const l of items) if (!l.rec.held) units.push([l]);
    }

    for (const unit of units) {
      const head = unit[0] as Loaded;
      if (head.rec.nextAttemptAt && Date.parse(head.rec.nextAttemptAt) > now.getTime()) break;
      const alert = unit.length === 1 ? head.rec.alert : digestAlerts(unit.map((l) => l.rec.alert));
      const progress: SendProgress = {
        done: head.rec.partsOf === alert.id ? (head.rec.partsDone ?? 0) : 0,
        markDone: async (done) => {
          head.rec.partsDone = done;
          head.rec.partsOf = alert.id;
          await persist(head);
        },
      };
      try {
        await channel.send(alert, progress);
        await remove(unit);
        await journal(unit, { deliveredAt: clock.now().toISOString(), attempts: head.rec.attempts + 1 });
        sent += unit.length;
        if (head.rec.attempts > 0) logger.info(`alert delivered to "${channel.name}" after ${head.rec.attempts + 1} attempts`, { alert: alert.id });
      } catch (err) {
        const message = opts.redact(describeError(err));
        if (err instanceof PermanentChannelError) {
          failed += await disable(channel, err, items.filter((l) => !units.slice(0, units.indexOf(unit)).flat().includes(l)));
          return { sent, failed };
        }
        if (!isRetryable(err)) {
          // The service refused this payload: sending it again would fail the same way.
          logger.error(`alert could not be delivered to "${channel.name}" and is dropped: ${message}`, { alert: alert.id, kind: alert.kind });
          await moveToFailed(unit, message);
          failed += unit.length;
          continue;
        }
        head.rec.attempts++;
        head.rec.lastError = message;
        const age = now.getTime() - Date.parse(head.rec.enqueuedAt);
        if ((opts.maxAttempts !== undefined && head.rec.attempts >= opts.maxAttempts) || age >= maxAge) {
          logger.error(`alert to "${channel.name}" dropped after ${head.rec.attempts} attempts over ${Math.round(age / 60_000)} min: ${message}`, {
            alert: alert.id,
            kind: alert.kind,
          });
          await moveToFailed(unit, `gave up: ${message}`);
          failed += unit.length;
          break;
        }
        const asked = retryAfterOf(err);
        const delay = asked ?? backoff(head.rec.attempts, { baseMs: baseDelay, maxMs: maxDelay, ...(opts.random ? { random: opts.random } : {}) });
        head.rec.nextAttemptAt = new Date(now.getTime() + delay).toISOString();
        await persist(head);
        await journal(unit, { attempts: head.rec.attempts, lastError: message });
        if ((err as Partial<ChannelTransientError>).global) pausedUntil.set(channel.name, now.getTime() + delay);
        logger.warn(`alert to "${channel.name}" will be retried in ${Math.round(delay / 1000)} s: ${message}`, {
          alert: alert.id,
          attempts: head.rec.attempts,
        });
        break;
      }
    }
    return { sent, failed };
  }

  async function drainOnce(): Promise<DrainResult> {
    await init();
    const all = await loadAll();
    const byChannel = new Map<string, Loaded[]>();
    for (const l of all) {
      const list = byChannel.get(l.rec.channel) ?? [];
      list.push(l);
      byChannel.set(l.rec.channel, list);
    }
    let sent = 0;
    let failed = 0;
    const orphans = [...byChannel.entries()].filter(([name]) => !byName.has(name));
    for (const [name, items] of orphans) {
      logger.warn(`outbox: ${items.length} alert(s) for channel "${name}", no longer configured, moved to failed/`);
      await moveToFailed(items, 'channel no longer configured');
      failed += items.length;
    }
    // Channels are independent: a slow or failing one does not hold the others.
    const results = await Promise.all(
      opts.channels.map((c) =>
        drainChannel(c, byChannel.get(c.name) ?? []).catch((err: unknown) => {
          logger.error(`outbox: pass over channel "${c.name}" failed: ${opts.redact(describeError(err))}`);
          return { sent: 0, failed: 0 };
        }),
      ),
    );
    for (const r of results) {
      sent += r.sent;
      failed += r.failed;
    }
    const pending = (await loadAll()).length;
    return { sent, failed, pending };
  }

  function drain(): Promise<DrainResult> {
    const next = chain.then(drainOnce);
    chain = next.catch(() => {});
    return next;
  }

  return {
    enqueue,
    drain,
    start(intervalMs) {
      if (running) return;
      running = true;
      const tick = async (): Promise<void> => {
        try {
          await drain();
        } catch (err) {
          logger.error(`outbox drain failed: ${opts.redact(describeError(err))}`);
        }
        if (running) timer = clock.setTimeout(() => void tick(), intervalMs);
      };
      timer = clock.setTimeout(() => void tick(), 0);
    },
    async stop() {
      running = false;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      await chain;
    },
    async pending() {
      await init();
      return (await loadAll()).map(({ rec }) => {
        const p: PendingDelivery = {
          alertId: rec.alert.id,
          kind: rec.alert.kind,
          title: rec.alert.title,
          channel: rec.channel,
          enqueuedAt: rec.enqueuedAt,
          attempts: rec.attempts,
          held: rec.held === true,
        };
        if (rec.nextAttemptAt) p.nextAttemptAt = rec.nextAttemptAt;
        if (rec.lastError) p.lastError = rec.lastError;
        return p;
      });
    },
    async disabledChannels() {
      await init();
      return Object.entries(disabled).map(([name, e]) => ({ name, reason: e.reason, at: e.at }));
    },
  };
}
