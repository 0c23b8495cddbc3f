import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { SlotUnavailableError, type CreateBooking, type FetchSlots, type NotifyProposal } from '../api/booking/index.js';
import {
  DEFAULT_REALERT_AFTER,
  DEFAULT_SLOT_SCHEDULE,
  listConfigFiles,
  loadConfigFile,
  type BookingTypeConfig,
  type CalcomWatcherConfig,
  type InstanceConfig,
} from '../config/index.js';
import type { AxiosResponse } from 'axios';
import {
  AuthError,
  createHttpClient,
  describeError,
  makeRedactor,
  networkError,
  RemoteError,
  silentLogger,
  systemClock,
  TransientError,
  type Clock,
  type Logger,
  type RetryOptions,
} from '../lib/index.js';
import { API_OUTBOX_DIR, OUTBOX_DELIVERIES_DIR } from '../instance/index.js';
import { channelFingerprint, createAlert, createChannel, createOutbox, type Outbox } from '../notify/index.js';
import { createCalcomProvider } from '../slots/index.js';

/** A visitor is waiting: a third of the worker's patience per request. */
export const BOOKING_TIMEOUT_MS = 10_000;
/** One retry, and never a long wait, even when Cal.com asks for one (the page says "try again" instead). */
export const BOOKING_SLOTS_RETRY: RetryOptions = { attempts: 2, baseDelayMs: 250, maxDelayMs: 1_000 };
const MAX_VISITOR_WAIT_MS = 2_000;
/** Cal.com's version of the v2 bookings endpoints (the slots one, 2024-09-04, does not cover bookings). */
export const CALCOM_BOOKINGS_API_VERSION = '2024-08-13';
/** How Cal.com says a slot cannot be had (taken meanwhile, or outside the host's availability). */
const UNAVAILABLE = /not available|already has (a )?booking|no_available_users|no available users|unavailable/i;
/** The API process's own outboxes: never the worker's data/<name>/outbox, which its worker drains. */
export { API_OUTBOX_DIR };
/** Often enough that a proposal reaches a phone within the minute when a first send failed. */
export const OUTBOX_DRAIN_MS = 15_000;

export interface BookingDepsOptions {
  dataDir: string;
  /**
   * Where the configs are: deliveries still queued from a previous run (the API restarted while a channel
   * was down) are resumed at once for the instances found there, not at the next proposal.
   */
  configDir?: string;
  /** For `${VAR}` in those configs (default process.env). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
  timeoutMs?: number;
  /** Outbox drain period (tests shorten it). */
  drainIntervalMs?: number;
}

export interface BookingDeps {
  fetchSlots: FetchSlots;
  createBooking: CreateBooking;
  notify: NotifyProposal;
  /** Stops the outboxes' timers (what is queued stays on disk for the next start). */
  stop(): Promise<void>;
}

/** The Cal.com watcher config that reads a booking type's slots for `days` days (the slots module's client). */
export function watcherConfigFor(type: BookingTypeConfig, days: number): CalcomWatcherConfig {
  return {
    name: `booking-${type.type}`,
    schedule: DEFAULT_SLOT_SCHEDULE,
    realertAfter: DEFAULT_REALERT_AFTER,
    provider: 'calcom',
    eventTypeId: type.eventTypeId,
    ...(type.apiKey !== undefined ? { apiKey: type.apiKey } : {}),
    ...(type.token !== undefined ? { token: type.token } : {}),
    apiVersion: type.apiVersion,
    rangeDays: days,
    url: type.url,
    timezone: type.timezone,
  };
}

/** The message of a Cal.com error body: v2 `{error:{message}}`, v1 `{message}`, else the text's start. */
function calcomMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | unknown };
    const inner = json.error !== null && typeof json.error === 'object' ? (json.error as { message?: unknown }).message : undefined;
    for (const m of [inner, json.message, json.error]) if (typeof m === 'string' && m !== '') return m.slice(0, 200);
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * What the booking tunnel needs from outside src/api: Cal.com's slots through the slots module's provider,
 * Cal.com's v2 bookings endpoint, and alerts through the instance's channels with an outbox of the API
 * process's own (data/.api/outbox/<instance>), drained by this process.
 */
export function createBookingDeps(opts: BookingDepsOptions): BookingDeps {
  const logger = opts.logger ?? silentLogger;
  const timeoutMs = opts.timeoutMs ?? BOOKING_TIMEOUT_MS;
  // A redirect is reported, not followed: it would re-post the visitor's booking somewhere else.
  const http = createHttpClient({ timeoutMs });
  const outboxes = new Map<string, { signature: string; outbox: Outbox }>();

  const fetchSlots: FetchSlots = async (type, window) => {
    const provider = createCalcomProvider(watcherConfigFor(type, window.days), {
      timezone: type.timezone,
      timeoutMs,
      retry: { ...BOOKING_SLOTS_RETRY, sleep: (ms) => (opts.clock ?? systemClock).sleep(Math.min(ms, MAX_VISITOR_WAIT_MS)) },
      logger,
    });
    // The provider reads `rangeDays` from the day of `now`: start it at the window's first day (never in the past).
    const firstDay = DateTime.fromISO(window.from, { zone: type.timezone }).startOf('day').toJSDate();
    const from = firstDay.getTime() > window.now.getTime() ? firstDay : window.now;
    const { slots } = await provider.check(from);
    return slots.map((s) => s.start);
  };

  const createBooking: CreateBooking = async (type, booking) => {
    const redact = makeRedactor([type.apiKey, type.token].filter((s): s is string => s !== undefined));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'cal-api-version': CALCOM_BOOKINGS_API_VERSION,
    };
    // Public event types take bookings without credentials; a configured one is sent (v2 takes API keys as bearer tokens).
    const bearer = type.token ?? type.apiKey;
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    const body = {
      eventTypeId: type.eventTypeId,
      start: booking.start,
      attendee: { name: booking.name, email: booking.email, timeZone: booking.timeZone },
      ...(booking.notes ? { bookingFieldsResponses: { notes: booking.notes } } : {}),
    };
    const what = 'Cal.com POST /v2/bookings';
    let res: AxiosResponse<string>;
    try {
      // Never retried: a booking whose answer was lost may exist, and a second POST would book twice.
      res = await http.post<string>(`${type.url}/v2/bookings`, JSON.stringify(body), { headers });
    } catch (err) {
      throw networkError(err, { what, timeoutMs, redact });
    }
    const text = typeof res.data === 'string' ? res.data : '';
    if (res.status === 200 || res.status === 201) {
      let data: Record<string, unknown> | undefined;
      try {
        const json = JSON.parse(text) as { status?: unknown; data?: unknown };
        if (json.data !== null && typeof json.data === 'object' && !Array.isArray(json.data)) data = json.data as Record<string, unknown>;
      } catch {
        // Reported below.
      }
      const start = data?.start;
      if (!data || typeof start !== 'string') throw new RemoteError(`${what} answered ${res.status} without a booking in {"data": {...}}`);
      return { uid: String(data.uid ?? data.id ?? ''), start, status: typeof data.status === 'string' ? data.status : 'accepted' };
    }
    const message = redact(calcomMessage(text));
    if (res.status === 401 || res.status === 403) throw new AuthError(`Cal.com refused the credentials (${res.status} on ${what}: ${message})`);
    if (res.status === 429 || res.status >= 500) throw new TransientError(`${what} answered ${res.status}: ${message}`, { status: res.status });
    if ((res.status === 400 || res.status === 409) && UNAVAILABLE.test(message)) throw new SlotUnavailableError(message);
    throw new RemoteError(`${what} answered ${res.status}: ${message}`, { status: res.status });
  };

  /** One at a time: a resume and a proposal for the same instance must not make two outboxes over one directory. */
  let outboxChain: Promise<unknown> = Promise.resolve();
  const outboxFor = (instance: InstanceConfig): Promise<Outbox | null> => {
    const run = outboxChain.then(() => makeOutboxFor(instance));
    outboxChain = run.catch(() => {});
    return run;
  };

  /** The instance's outbox, made again when its channels change (a config edit). */
  const makeOutboxFor = async (instance: InstanceConfig): Promise<Outbox | null> => {
    if (instance.notify.length === 0) return null;
    const signature = instance.notify.map((c) => channelFingerprint(c)).join(',');
    const known = outboxes.get(instance.name);
    if (known?.signature === signature) return known.outbox;
    if (known) await known.outbox.stop();
    const outbox = createOutbox({
      dir: join(opts.dataDir, API_OUTBOX_DIR, instance.name),
      channels: instance.notify.map((c) => createChannel(c, { timeoutMs })),
      redact: makeRedactor(instance.secrets),
      timezone: instance.timezone,
      logger: logger.child({ instance: instance.name, phase: 'booking-notify' }),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    outbox.start(opts.drainIntervalMs ?? OUTBOX_DRAIN_MS);
    outboxes.set(instance.name, { signature, outbox });
    return outbox;
  };

  /** Instances whose API outbox still holds deliveries, drained again with their current channels. */
  const resumePending = async (configDir: string): Promise<void> => {
    const root = join(opts.dataDir, API_OUTBOX_DIR);
    const names = await readdir(root).catch(() => [] as string[]);
    const files = await listConfigFiles(configDir);
    for (const name of names) {
      const pending = await readdir(join(root, name, OUTBOX_DELIVERIES_DIR)).catch(() => [] as string[]);
      if (!pending.some((f) => f.endsWith('.json'))) continue;
      const file = files.find((f) => f.name === name);
      if (!file) {
        logger.warn(`booking: ${pending.length} notification(s) queued for ${name}, which has no config any more: left in ${join(root, name)}`);
        continue;
      }
      try {
        await outboxFor(await loadConfigFile(file.file, opts.env ? { env: opts.env } : {}));
      } catch (err) {
        logger.warn(`booking: cannot resume the notifications queued for ${name}: ${describeError(err)}`);
      }
    }
  };
  const resuming =
    opts.configDir === undefined ? Promise.resolve() : resumePending(opts.configDir).catch((err: unknown) => logger.warn(`booking: ${describeError(err)}`));

  const notify: NotifyProposal = async (instance, notice) => {
    const outbox = await outboxFor(instance);
    if (!outbox) return;
    // 'slot.new' is the kind that means "someone can be met": channels that take slot alerts take these.
    await outbox.enqueue(
      createAlert({ id: notice.id, kind: 'slot.new', instance: instance.name, title: notice.title, text: notice.text, fields: notice.fields }, opts.clock),
    );
  };

  return {
    fetchSlots,
    createBooking,
    notify,
    async stop() {
      await resuming;
      for (const { outbox } of outboxes.values()) await outbox.stop();
      outboxes.clear();
    },
  };
}
