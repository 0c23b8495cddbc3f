/**
 * One channel's pass over its deliveries (createOutbox's drain, outbox.ts): strictly in order, stopping at the
 * first that must wait; quiet hours hold what may wait and send it afterwards as one digest.
 */
import { backoff, describeError, isRetryable, type Clock, type Logger } from '../lib/index.js';
import { PermanentChannelError, retryAfterOf, type Channel, type ChannelTransientError, type SendProgress } from './channel.js';
import { digestAlerts } from './message.js';
import type { Loaded, OutboxFiles } from './outbox-files.js';
import { holdsDuringQuietHours, inQuietHours } from './router.js';

export interface DrainContext {
  files: OutboxFiles;
  clock: Clock;
  logger: Logger;
  redact: (s: string) => string;
  timezone: string;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAgeMs: number;
  maxAttempts?: number;
  random?: () => number;
  /** In-memory pause (global rate limits), on top of the head delivery's persisted nextAttemptAt. */
  pausedUntil: Map<string, number>;
  /** Why the channel is disabled, or undefined when it is not. */
  disabledReason(channel: string): string | undefined;
  /** Disables the channel for good (until its config changes) and gives up `items`; answers how many. */
  disable(channel: Channel, err: PermanentChannelError, items: readonly Loaded[]): Promise<number>;
}

/** Units to send, in order: during quiet hours only what may not wait; after them, the held ones as one digest first. */
async function unitsToSend(items: Loaded[], quiet: boolean, files: OutboxFiles): Promise<Loaded[][]> {
  const units: Loaded[][] = [];
  if (quiet) {
    for (const l of items) {
      if (holdsDuringQuietHours(l.rec.alert)) {
        if (!l.rec.held) {
          l.rec.held = true;
          await files.persist(l);
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
  return units;
}

/** One channel's pass: its deliveries strictly in order, stopping at the first that must wait. */
export async function drainChannel(ctx: DrainContext, channel: Channel, items: Loaded[]): Promise<{ sent: number; failed: number }> {
  const { files, logger } = ctx;
  let sent = 0;
  let failed = 0;
  const disabledReason = ctx.disabledReason(channel.name);
  if (disabledReason !== undefined) {
    if (items.length) await files.moveToFailed(items, `channel disabled: ${disabledReason}`);
    return { sent, failed: items.length };
  }
  const now = ctx.clock.now();
  if ((ctx.pausedUntil.get(channel.name) ?? 0) > now.getTime()) return { sent, failed };
  const units = await unitsToSend(items, inQuietHours(channel.quietHours, now, ctx.timezone), files);

  for (const unit of units) {
    const head = unit[0] as Loaded;
    if (head.rec.nextAttemptAt && Date.parse(head.rec.nextAttemptAt) > now.getTime()) break;
    const alert = unit.length === 1 ? head.rec.alert : digestAlerts(unit.map((l) => l.rec.alert));
    const progress: SendProgress = {
      done: head.rec.partsOf === alert.id ? (head.rec.partsDone ?? 0) : 0,
      markDone: async (done) => {
        head.rec.partsDone = done;
        head.rec.partsOf = alert.id;
        await files.persist(head);
      },
    };
    try {
      await channel.send(alert, progress);
      await files.remove(unit);
      await files.journal(unit, { deliveredAt: ctx.clock.now().toISOString(), attempts: head.rec.attempts + 1 });
      sent += unit.length;
      if (head.rec.attempts > 0) logger.info(`alert delivered to "${channel.name}" after ${head.rec.attempts + 1} attempts`, { alert: alert.id });
    } catch (err) {
      const message = ctx.redact(describeError(err));
      if (err instanceof PermanentChannelError) {
        failed += await ctx.disable(
          channel,
          err,
          items.filter((l) => !units.slice(0, units.indexOf(unit)).flat().includes(l)),
        );
        return { sent, failed };
      }
      if (!isRetryable(err)) {
        // The service refused this payload: sending it again would fail the same way.
        logger.error(`alert could not be delivered to "${channel.name}" and is dropped: ${message}`, { alert: alert.id, kind: alert.kind });
        await files.moveToFailed(unit, message);
        failed += unit.length;
        continue;
      }
      head.rec.attempts++;
      head.rec.lastError = message;
      const age = now.getTime() - Date.parse(head.rec.enqueuedAt);
      if ((ctx.maxAttempts !== undefined && head.rec.attempts >= ctx.maxAttempts) || age >= ctx.maxAgeMs) {
        logger.error(`alert to "${channel.name}" dropped after ${head.rec.attempts} attempts over ${Math.round(age / 60_000)} min: ${message}`, {
          alert: alert.id,
          kind: alert.kind,
        });
        await files.moveToFailed(unit, `gave up: ${message}`);
        failed += unit.length;
        break;
      }
      const asked = retryAfterOf(err);
      const delay = asked ?? backoff(head.rec.attempts, { baseMs: ctx.baseDelayMs, maxMs: ctx.maxDelayMs, ...(ctx.random ? { random: ctx.random } : {}) });
      head.rec.nextAttemptAt = new Date(now.getTime() + delay).toISOString();
      await files.persist(head);
      await files.journal(unit, { attempts: head.rec.attempts, lastError: message });
      if ((err as Partial<ChannelTransientError>).global) ctx.pausedUntil.set(channel.name, now.getTime() + delay);
      logger.warn(`alert to "${channel.name}" will be retried in ${Math.round(delay / 1000)} s: ${message}`, {
        alert: alert.id,
        attempts: head.rec.attempts,
      });
      break;
    }
  }
  return { sent, failed };
}
