import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, silentLogger, systemClock, writeFileAtomic, type Clock, type Logger, type TimerHandle } from '../lib/index.js';
import { OUTBOX_DELIVERIES_DIR } from '../instance/names.js';
import type { Channel, PermanentChannelError } from './channel.js';
import { redactAlert, type Alert } from './message.js';
import { drainChannel, type DrainContext } from './outbox-drain.js';
import { createOutboxFiles, fsyncDir, type AlertJournalEntry, type DeliveryRecord, type DisabledEntry, type Loaded } from './outbox-files.js';
import { routeAlert } from './router.js';

export type { AlertJournalEntry } from './outbox-files.js';

/** First retry after 2 s: a blip (restarting proxy, brief 5xx) usually heals by then. */
export const DEFAULT_BASE_DELAY_MS = 2_000;
/** Never wait more than 10 min between tries: an alert later than that loses most of its use. */
export const DEFAULT_MAX_DELAY_MS = 10 * 60_000;
/** Transient failures are retried this long; an alert older than a day is news no more, so it is dropped (with an error line). */
export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60_000;

/** One file per pending delivery, `<sha256(alert id, channel)>.json` (see deliveryFileName). */
const DELIVERIES = OUTBOX_DELIVERIES_DIR;

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

/** The file of one delivery (an alert to a channel) in deliveries/: the same alert queued twice is one file. */
export const deliveryFileName = (alertId: string, channel: string): string =>
  `${createHash('sha256').update(`${alertId}\u0000${channel}`).digest('hex').slice(0, 24)}.json`;
const fileNameOf = deliveryFileName;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What a sound delivery file holds. */
export function isDeliveryRecord(v: unknown): boolean {
  if (
    !isObject(v) ||
    v.v !== 1 ||
    typeof v.seq !== 'number' ||
    typeof v.channel !== 'string' ||
    typeof v.enqueuedAt !== 'string' ||
    typeof v.attempts !== 'number'
  )
    return false;
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
    alert: {
      id: first.alertId,
      kind: first.kind as Alert['kind'],
      severity: first.severity as Alert['severity'],
      instance: first.instance,
      title: first.summary,
      text: first.summary,
      at: first.createdAt,
    },
    enqueuedAt: first.createdAt,
    attempts: last.attempts,
  };
  await writeFileAtomic(join(outboxDir, DELIVERIES, fileName), JSON.stringify(rec));
  return 'rebuilt';
}

/** A channel disabled under an older config comes back once its config changed (or it was removed); true when one did. */
function reenableChanged(disabled: Record<string, DisabledEntry>, byName: ReadonlyMap<string, Channel>, logger: Logger): boolean {
  let changed = false;
  for (const [name, entry] of Object.entries(disabled)) {
    const channel = byName.get(name);
    if (!channel || channel.fingerprint !== entry.fingerprint) {
      delete disabled[name];
      changed = true;
      if (channel) logger.info(`notification channel "${name}" re-enabled: its config changed since it was disabled`);
    }
  }
  return changed;
}

/** The deliveries of each channel, in queue order. */
function groupByChannel(all: readonly Loaded[]): Map<string, Loaded[]> {
  const byChannel = new Map<string, Loaded[]>();
  for (const l of all) {
    const list = byChannel.get(l.rec.channel) ?? [];
    list.push(l);
    byChannel.set(l.rec.channel, list);
  }
  return byChannel;
}

function pendingOf(rec: DeliveryRecord): PendingDelivery {
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
}

export function createOutbox(opts: OutboxOptions): Outbox {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const files = createOutboxFiles({ dir: opts.dir, clock, logger, ...(opts.journalFile !== undefined ? { journalFile: opts.journalFile } : {}) });
  const { deliveriesDir } = files;
  const byName = new Map(opts.channels.map((c) => [c.name, c]));

  let initialised: Promise<void> | undefined;
  let nextSeq = 1;
  let disabled: Record<string, DisabledEntry> = {};
  /** Drains run one after another, never two at once over the same files. */
  let chain: Promise<unknown> = Promise.resolve();
  let timer: TimerHandle | undefined;
  let running = false;

  function init(): Promise<void> {
    initialised ??= (async () => {
      await mkdir(deliveriesDir, { recursive: true });
      const all = await files.loadAll();
      nextSeq = all.reduce((m, l) => Math.max(m, l.rec.seq), 0) + 1;
      disabled = await files.readDisabled();
      if (reenableChanged(disabled, byName, logger)) await files.saveDisabled(disabled);
    })().catch((err: unknown) => {
      initialised = undefined;
      throw err;
    });
    return initialised;
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
      } catch {
        await writeFileAtomic(file, JSON.stringify(rec));
        await files.journal([{ file, rec }], {});
      }
    }
    await fsyncDir(deliveriesDir);
    if (running) void drain().catch(() => {});
  }

  async function disable(channel: Channel, err: PermanentChannelError, items: readonly Loaded[]): Promise<number> {
    const reason = opts.redact(err.message);
    disabled[channel.name] = { reason, at: clock.now().toISOString(), ...(channel.fingerprint ? { fingerprint: channel.fingerprint } : {}) };
    await files.saveDisabled(disabled);
    logger.error(`notification channel "${channel.name}" disabled until its config changes: ${reason}`, {
      channel: channel.name,
      dropped: items.length,
    });
    await files.moveToFailed(items, `channel disabled: ${reason}`);
    return items.length;
  }

  const drainContext: DrainContext = {
    files,
    clock,
    logger,
    redact: opts.redact,
    timezone: opts.timezone ?? 'UTC',
    baseDelayMs: opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS,
    maxDelayMs: opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
    maxAgeMs: opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.random ? { random: opts.random } : {}),
    pausedUntil: new Map(),
    disabledReason: (name) => (disabled[name] ? (disabled[name].reason ?? '') : undefined),
    disable,
  };

  async function drainOnce(): Promise<DrainResult> {
    await init();
    const byChannel = groupByChannel(await files.loadAll());
    let sent = 0;
    let failed = 0;
    const orphans = [...byChannel.entries()].filter(([name]) => !byName.has(name));
    for (const [name, items] of orphans) {
      logger.warn(`outbox: ${items.length} alert(s) for channel "${name}", no longer configured, moved to failed/`);
      await files.moveToFailed(items, 'channel no longer configured');
      failed += items.length;
    }
    // Channels are independent: a slow or failing one does not hold the others.
    const results = await Promise.all(
      opts.channels.map((c) =>
        drainChannel(drainContext, c, byChannel.get(c.name) ?? []).catch((err: unknown) => {
          logger.error(`outbox: pass over channel "${c.name}" failed: ${opts.redact(describeError(err))}`);
          return { sent: 0, failed: 0 };
        }),
      ),
    );
    for (const r of results) {
      sent += r.sent;
      failed += r.failed;
    }
    const pending = (await files.loadAll()).length;
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
      return (await files.loadAll()).map(({ rec }) => pendingOf(rec));
    },
    async disabledChannels() {
      await init();
      return Object.entries(disabled).map(([name, e]) => ({ name, reason: e.reason, at: e.at }));
    },
  };
}
