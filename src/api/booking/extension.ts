import { DateTime } from 'luxon';
import type { BookingTypeConfig, InstanceConfig } from '../../config/index.js';
import { AuthError, describeError, makeRedactor, TransientError, INTL_LOCALE, translator, type Clock, type Locale, type Logger } from '../../lib/index.js';
import { createBudget, retryAfterHeaders, type Budget, type Spend } from '../budget.js';
import { ParamError } from '../params.js';
import { registerAssetRoutes } from '../openapi.js';
import { langCookieHeaders, pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import type { ApiExtension } from '../server.js';
import { createBookingCatalog, type BookingCatalog, type BookingEntry } from './catalog.js';
import { BOOKING_DOCS } from './docs.js';
import { addDays, daysBetween } from './offer.js';
import { PAGE_HEADERS, pageSettings, renderBookingPage, renderIndexPage, renderNotFoundPage } from './page.js';
import { createProposalLog, type ProposalLog, type StoredProposal } from './proposals.js';
import { validateBookingRequest, validateProposal, type FieldErrors } from './requests.js';
import { instantOf, MAX_HORIZON_DAYS, parseSlotsParams, todayIn, toSlotDays, type SlotDay } from './slots.js';

/** Slot starts (ISO 8601 instants) of a type from `from` (its zone's date) for `days` days, as seen at `now`. */
export type FetchSlots = (type: BookingTypeConfig, window: { from: string; days: number; now: Date }) => Promise<string[]>;

export interface NewBooking {
  /** UTC ISO instant of the slot chosen. */
  start: string;
  name: string;
  email: string;
  /** The visitor's IANA zone (Cal.com writes to them in it). */
  timeZone: string;
  notes?: string;
}

export interface CreatedBooking {
  uid: string;
  /** ISO instant. */
  start: string;
  /** Cal.com's status: `accepted`, or `pending` when the host confirms each booking. */
  status: string;
}

export type CreateBooking = (type: BookingTypeConfig, booking: NewBooking) => Promise<CreatedBooking>;

/** Thrown by a CreateBooking when Cal.com refuses the slot itself (taken meanwhile, or never free): answered 409. */
export class SlotUnavailableError extends Error {
  constructor(message = 'the slot is not available') {
    super(message);
    this.name = 'SlotUnavailableError';
  }
}

/** An alert about a proposal, for the instance's channels; `id` is stable for one submission (resends dedupe). */
export interface BookingNotice {
  id: string;
  title: string;
  text: string;
  fields: { name: string; value: string }[];
}

export type NotifyProposal = (instance: InstanceConfig, notice: BookingNotice) => Promise<void>;

export interface BookingExtensionOptions {
  fetchSlots: FetchSlots;
  createBooking: CreateBooking;
  notify: NotifyProposal;
  /** For `${VAR}` in the configs (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Proposals accepted per booking type per hour before 429 (default PROPOSALS_PER_HOUR). */
  proposalsPerHour?: number;
  /** The other public budgets (defaults: PUBLIC_LIMITS); tests lower them. */
  limits?: Partial<PublicLimits>;
}

/**
 * What anonymous visitors may cost us and the owner, per client (peer address) and in all. A person books once
 * and proposes once; a page load and its week paging make a few slot queries. Past these it is a script.
 */
export interface PublicLimits {
  proposalsPerClientPerHour: number;
  /** Bytes of proposals stored per hour (they land in data/.booking/ and in the owner's channels). */
  storedBytesPerHour: number;
  storedBytesPerClientPerHour: number;
  bookingsPerHour: number;
  bookingsPerClientPerHour: number;
  slotQueriesPerMinute: number;
  slotQueriesPerClientPerMinute: number;
}

export const PUBLIC_LIMITS: PublicLimits = {
  proposalsPerClientPerHour: 5,
  storedBytesPerHour: 128 * 1024,
  storedBytesPerClientPerHour: 16 * 1024,
  bookingsPerHour: 30,
  bookingsPerClientPerHour: 5,
  slotQueriesPerMinute: 600,
  slotQueriesPerClientPerMinute: 60,
};

/** Free times are read again after this long: a page load each is Cal.com's rate limit (120/min) spent on reloads. */
export const SLOTS_CACHE_MS = 30_000;
/** A public form that sends alerts: beyond this per type and hour it is someone's script, not visitors. */
export const PROPOSALS_PER_HOUR = 30;
/** A resent submission (double click, retry after a lost answer) gets the first one's answer for this long. */
export const REPLAY_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

const JSON_BODY = /^application\/json\b/i;
const fail = (status: number, error: string, extra: Record<string, unknown> = {}): ApiResponse => ({
  status,
  json: { error, ...extra },
  headers: { 'cache-control': 'no-store' },
});

/** The visitor's texts (`booking.errors.<key>`) in the page's language: the page's fetch sends its cookie and Accept-Language. */
const errorText = (locale: Locale, key: string, vars?: Record<string, unknown>): string => translator(locale)(`booking.errors.${key}`, vars);

/** What a visitor may read of a Cal.com failure: what happened (`what`, an errors key), never a key, never the raw answer at length. */
function calcomFailure(err: unknown, what: string, locale: Locale): ApiResponse {
  const reason = err instanceof AuthError ? 'calcomAuth' : err instanceof TransientError ? 'calcomBusy' : 'calcomError';
  // Cal.com's own words stay in the owner's log (redacted by the caller): an upstream's body can echo headers or be HTML.
  return fail(502, errorText(locale, 'failure', { what: errorText(locale, what), reason: errorText(locale, reason) }));
}

/** 429 with the wait; `what` is an errors key. */
const tooMany = (spend: Spend & { ok: false }, what: string, locale: Locale): ApiResponse => ({
  status: 429,
  headers: retryAfterHeaders(spend),
  json: { error: errorText(locale, 'retryIn', { what: errorText(locale, what), seconds: spend.retryAfterS }) },
});

function parseJsonBody(req: ApiRequest, locale: Locale): { ok: true; value: unknown } | { ok: false; response: ApiResponse } {
  const type = req.headers['content-type'];
  // A JSON content type cannot be sent cross-site without CORS approval (which we never give): no CSRF through forms.
  if (typeof type !== 'string' || !JSON_BODY.test(type)) return { ok: false, response: fail(415, errorText(locale, 'notJson')) };
  try {
    return { ok: true, value: JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8')) as unknown };
  } catch {
    return { ok: false, response: fail(400, errorText(locale, 'badJson')) };
  }
}

const invalid = (fields: FieldErrors, locale: Locale): ApiResponse => fail(400, errorText(locale, 'checkFields'), { fields });

/** The owner's alert for a proposal, in the language of the config that serves the type (its `locale`, as every alert). */
export function proposalNotice(entry: BookingEntry, p: StoredProposal): BookingNotice {
  const zone = entry.type.timezone;
  const locale = entry.instance.locale;
  const t = translator(locale);
  const lines = p.ranges.map((r) => {
    const day = DateTime.fromISO(r.date, { zone }).setLocale(INTL_LOCALE[locale]).toFormat('ccc d LLL yyyy');
    return `• ${day}, ${r.from}–${r.to}`;
  });
  const text = [t('booking.proposal.text', { name: p.name, zone }), ...lines, ...(p.message ? ['', `“${p.message}”`] : [])].join('\n');
  return {
    id: `booking-${p.type}-${p.requestId}`,
    title: t('booking.proposal.title', { title: entry.type.title }),
    text,
    fields: [
      { name: t('booking.proposal.name'), value: p.name },
      { name: t('booking.proposal.email'), value: p.email },
      { name: t('booking.proposal.type'), value: p.type },
    ],
  };
}

/**
 * The booking tunnel (the seed's Next.js Cal.com flow) on the API's server: the slots API, the page of
 * each type, its booking and availability endpoints. Types come from the `booking:` sections of the configs.
 */
export function bookingExtension(opts: BookingExtensionOptions): ApiExtension {
  return (ctx) => {
    const { router, logger, clock } = ctx;
    const catalog = createBookingCatalog({ configDir: ctx.configDir, logger, ...(opts.env ? { env: opts.env } : {}) });
    const proposals = createProposalLog(ctx.dataDir);
    registerRoutes({ ...opts, router, logger, clock, catalog, proposals });
  };
}

interface Deps extends BookingExtensionOptions {
  router: Parameters<ApiExtension>[0]['router'];
  logger: Logger;
  clock: Clock;
  catalog: BookingCatalog;
  proposals: ProposalLog;
}

/** What the booking routes share: the caches, the budgets and the helpers over them. */
interface BookingRoutes {
  d: Deps;
  slotsCache: Map<string, { at: number; starts: Promise<string[]> }>;
  /** Per booking type: a busy type does not use up another's proposals. */
  proposalBudget(type: string): Budget;
  storedBytes: Budget;
  bookings: Budget;
  slotQueries: Budget;
  entryOr(slug: string, locale: Locale, html: boolean): Promise<{ entry: BookingEntry } | { response: ApiResponse }>;
  slotDays(entry: BookingEntry, from: string, range: number): Promise<SlotDay[]>;
  secretsRedactor(entry: BookingEntry): Promise<(s: string) => string>;
  once(key: string, run: () => Promise<ApiResponse>): Promise<ApiResponse>;
}

function bookingRoutes(d: Deps): BookingRoutes {
  const { clock, catalog } = d;
  const slotsCache = new Map<string, { at: number; starts: Promise<string[]> }>();
  const replays = new Map<string, { at: number; answer: Promise<ApiResponse> }>();
  const limits = { ...PUBLIC_LIMITS, ...d.limits };
  const perHour = d.proposalsPerHour ?? PROPOSALS_PER_HOUR;
  const hourly = (perClient: number, total: number): Budget => createBudget({ perClient, total, windowMs: HOUR_MS, clock });
  /** Per booking type: a busy type does not use up another's proposals. */
  const proposalBudgets = new Map<string, Budget>();
  const proposalBudget = (type: string): Budget => {
    let b = proposalBudgets.get(type);
    if (!b) proposalBudgets.set(type, (b = hourly(Math.min(limits.proposalsPerClientPerHour, perHour), perHour)));
    return b;
  };
  const storedBytes = hourly(limits.storedBytesPerClientPerHour, limits.storedBytesPerHour);
  const bookings = hourly(limits.bookingsPerClientPerHour, limits.bookingsPerHour);
  const slotQueries = createBudget({ perClient: limits.slotQueriesPerClientPerMinute, total: limits.slotQueriesPerMinute, windowMs: 60_000, clock });

  const forget = (map: Map<string, { at: number }>, ttl: number): void => {
    const now = clock.now().getTime();
    for (const [k, v] of map) if (now - v.at > ttl) map.delete(k);
  };

  /** The entry, or the answer saying why there is none (404 unknown, 503 claimed by two configs), in `locale`; a page when `html`. */
  const entryOr = async (slug: string, locale: Locale, html: boolean): Promise<{ entry: BookingEntry } | { response: ApiResponse }> => {
    const found = await catalog.find(slug);
    if ('found' in found) return { entry: found.found };
    const message = errorText(locale, 'conflict' in found ? 'unavailableType' : 'unknownType', { slug });
    const status = 'conflict' in found ? 503 : 404;
    if (html) return { response: { status, headers: PAGE_HEADERS, body: renderNotFoundPage(message, locale) } };
    return { response: fail(status, message) };
  };

  /**
   * Slot starts of one chunk of the offered window: chunks of the type's range, counted from today, so whatever
   * `from` and `range` a query names, it is served from the same few cached Cal.com answers (varied queries
   * cannot bust the cache to spend the owner's Cal.com rate limit).
   */
  const chunkStarts = (entry: BookingEntry, chunkStart: string, chunkDays: number, now: Date): Promise<string[]> => {
    const key = `${entry.type.type}|${chunkStart}|${chunkDays}`;
    const hit = slotsCache.get(key);
    // A clock set back (tests, an NTP jump) makes an entry look fresh for ever: only an age in [0, TTL) counts.
    if (hit && now.getTime() - hit.at >= 0 && now.getTime() - hit.at < SLOTS_CACHE_MS) return hit.starts;
    forget(slotsCache, SLOTS_CACHE_MS);
    const starts = d.fetchSlots(entry.type, { from: chunkStart, days: chunkDays, now });
    slotsCache.set(key, { at: now.getTime(), starts });
    starts.catch(() => slotsCache.delete(key));
    return starts;
  };

  const slotDays = async (entry: BookingEntry, from: string, range: number): Promise<SlotDay[]> => {
    const now = clock.now();
    const today = todayIn(entry.type.timezone, now);
    const chunkDays = entry.type.rangeDays;
    // parseSlotsParams keeps `from` within [today, horizon); the range is clamped to the horizon too.
    const last = Math.min(daysBetween(today, from) + range, MAX_HORIZON_DAYS) - 1;
    const chunks: Promise<string[]>[] = [];
    for (let k = Math.floor(daysBetween(today, from) / chunkDays); k * chunkDays <= last; k++) {
      chunks.push(chunkStarts(entry, addDays(today, k * chunkDays), chunkDays, now));
    }
    return toSlotDays((await Promise.all(chunks)).flat(), entry.type.timezone, { from, range }, now);
  };

  const secretsRedactor = async (entry: BookingEntry): Promise<(s: string) => string> =>
    makeRedactor([...entry.instance.secrets, ...(await catalog.secrets())]);

  /** The first answer to a submission id, replayed to a resend; a failure is not kept (the resend tries again). */
  const once = (key: string, run: () => Promise<ApiResponse>): Promise<ApiResponse> => {
    forget(replays, REPLAY_MS);
    const known = replays.get(key);
    if (known) return known.answer;
    const answer = run();
    replays.set(key, { at: clock.now().getTime(), answer });
    void answer.then(
      (a) => {
        if (a.status >= 300) replays.delete(key);
      },
      () => replays.delete(key),
    );
    return answer;
  };

  return { d, slotsCache, proposalBudget, storedBytes, bookings, slotQueries, entryOr, slotDays, secretsRedactor, once };
}

function registerRoutes(d: Deps): void {
  const r = bookingRoutes(d);
  registerSlots(r);
  registerPages(r);
  registerBooking(r);
  registerAvailability(r);
}

/** `GET /api/calcom/slots`: the free times of a booking type, from the cached Cal.com chunks. */
function registerSlots({ d, slotQueries, entryOr, slotDays, secretsRedactor }: BookingRoutes): void {
  const { router, logger, clock, catalog } = d;
  router.get(
    '/api/calcom/slots',
    async (req) => {
      const { locale } = pageLocale(req.headers, req.query);
      const spend = slotQueries.take(req.client);
      if (!spend.ok) return tooMany(spend, 'tooManySlots', locale);
      let params;
      try {
        const slug = req.query.get('type') ?? '';
        const found = await catalog.find(slug).catch(() => ({ missing: true }) as const);
        const zone = 'found' in found ? found.found.type.timezone : 'UTC';
        const defaultRange = 'found' in found ? found.found.type.rangeDays : undefined;
        params = parseSlotsParams(req.query, todayIn(zone, clock.now()), defaultRange, locale);
      } catch (err) {
        if (err instanceof ParamError) return fail(400, err.message, { parameter: err.parameter });
        throw err;
      }
      const got = await entryOr(params.type, locale, false);
      if ('response' in got) return got.response;
      try {
        return { status: 200, json: await slotDays(got.entry, params.from, params.range), headers: { 'cache-control': 'no-store' } };
      } catch (err) {
        const redact = await secretsRedactor(got.entry);
        logger.warn(`booking ${params.type}: Cal.com slots failed: ${redact(describeError(err))}`);
        return calcomFailure(err, 'slotsFailed', locale);
      }
    },
    BOOKING_DOCS.slots,
  );
}

/** `GET /book`, the browser assets, `GET /book/<type>`. */
function registerPages({ d, entryOr }: BookingRoutes): void {
  const { router, clock, catalog } = d;
  // The pages' language as the dashboard's (api/lang.ts): ?lang= from the switch (kept in a cookie), else Accept-Language, else French.
  router.get(
    '/book',
    async (req) => {
      const lang = pageLocale(req.headers, req.query);
      return {
        status: 200,
        headers: { ...PAGE_HEADERS, ...langCookieHeaders(lang) },
        body: renderIndexPage(
          (await catalog.all()).map((e) => ({
            type: e.type.type,
            title: e.type.title,
            textLocale: e.instance.locale,
            ...(e.type.description ? { description: e.type.description } : {}),
          })),
          lang.locale,
        ),
      };
    },
    BOOKING_DOCS.index,
  );

  registerAssetRoutes(router, 'booking');

  router.get(
    '/book/:type',
    async (req) => {
      const lang = pageLocale(req.headers, req.query);
      const got = await entryOr(req.params.type as string, lang.locale, true);
      if ('response' in got) return got.response;
      const today = todayIn(got.entry.type.timezone, clock.now());
      const settings = pageSettings(got.entry.type, today, addDays(today, MAX_HORIZON_DAYS), lang.locale);
      return {
        status: 200,
        headers: { ...PAGE_HEADERS, ...langCookieHeaders(lang) },
        body: renderBookingPage(got.entry.type, settings, lang.locale, got.entry.instance.locale),
      };
    },
    BOOKING_DOCS.page,
  );
}

/** `POST /book/<type>/booking`: one booking through Cal.com, replayed to a resend, within the bookings budget. */
function registerBooking({ d, slotsCache, bookings, entryOr, secretsRedactor, once }: BookingRoutes): void {
  const { router, logger, clock } = d;
  router.post(
    '/book/:type/booking',
    async (req) => {
      const { locale } = pageLocale(req.headers, req.query);
      const got = await entryOr(req.params.type as string, locale, false);
      if ('response' in got) return got.response;
      const { type } = got.entry;
      const body = parseJsonBody(req, locale);
      if (!body.ok) return body.response;
      const checked = validateBookingRequest(body.value, locale);
      if (!checked.ok) return invalid(checked.fields, locale);
      const b = checked.value;
      const start = instantOf(b.date, b.time, type.timezone);
      if (start === null) return invalid({ time: errorText(locale, 'noSuchTime') }, locale);
      if (start.toMillis() <= clock.now().getTime()) return invalid({ time: errorText(locale, 'timePassed') }, locale);
      return once(`${type.type}|booking|${b.requestId}`, async () => {
        // Spent here, before any await: concurrent submissions cannot all pass the check (a resend is replayed above).
        const spend = bookings.take(req.client);
        if (!spend.ok) return tooMany(spend, 'tooManyBookings', locale);
        try {
          const created = await d.createBooking(type, {
            start: start.toUTC().toISO() ?? '',
            name: b.name,
            email: b.email,
            timeZone: b.timeZone ?? type.timezone,
            ...(b.notes ? { notes: b.notes } : {}),
          });
          // The slot is gone: the next visitor must not be offered it from the cache.
          for (const key of slotsCache.keys()) if (key.startsWith(`${type.type}|`)) slotsCache.delete(key);
          const local = DateTime.fromISO(created.start, { setZone: true }).setZone(type.timezone);
          logger.info(`booking ${type.type}: booked ${local.toISO() ?? created.start} (${created.status})`);
          return {
            status: 201,
            headers: { 'cache-control': 'no-store' },
            json: { booking: { uid: created.uid, date: local.toISODate(), time: local.toFormat('HH:mm'), timezone: type.timezone, status: created.status } },
          };
        } catch (err) {
          if (err instanceof SlotUnavailableError) {
            for (const key of slotsCache.keys()) if (key.startsWith(`${type.type}|`)) slotsCache.delete(key);
            return fail(409, errorText(locale, 'taken'));
          }
          const redact = await secretsRedactor(got.entry);
          logger.warn(`booking ${type.type}: Cal.com booking failed: ${redact(describeError(err))}`);
          return calcomFailure(err, 'bookingFailed', locale);
        }
      });
    },
    BOOKING_DOCS.booking,
  );
}

/** `POST /book/<type>/availability`: a visitor's proposal, stored and sent to the channels, within its budgets. */
function registerAvailability({ d, proposalBudget, storedBytes, entryOr, once }: BookingRoutes): void {
  const { router, logger, clock } = d;
  router.post(
    '/book/:type/availability',
    async (req) => {
      const { locale } = pageLocale(req.headers, req.query);
      const got = await entryOr(req.params.type as string, locale, false);
      if ('response' in got) return got.response;
      const { type, instance } = got.entry;
      const body = parseJsonBody(req, locale);
      if (!body.ok) return body.response;
      const checked = validateProposal(body.value, todayIn(type.timezone, clock.now()), locale);
      if (!checked.ok) return invalid(checked.fields, locale);
      return once(`${type.type}|proposal|${checked.value.requestId}`, async () => {
        const stored: StoredProposal = { ...checked.value, type: type.type, instance: instance.name, receivedAt: clock.now().toISOString() };
        const bytes = Buffer.byteLength(JSON.stringify(stored)) + 1;
        // Both spent before any await (see bookings): the count and the bytes anonymous visitors may store per hour.
        const count = proposalBudget(type.type).take(req.client);
        if (!count.ok) return tooMany(count, 'tooManyProposals', locale);
        const space = storedBytes.take(req.client, bytes);
        if (!space.ok) {
          proposalBudget(type.type).refund(req.client);
          return tooMany(space, 'tooManyProposals', locale);
        }
        const isNew = await d.proposals.append(stored);
        if (!isNew) {
          proposalBudget(type.type).refund(req.client);
          storedBytes.refund(req.client, bytes);
        }
        if (isNew) {
          logger.info(`booking ${type.type}: availability proposed (${stored.ranges.length} range(s))`);
          try {
            await d.notify(instance, proposalNotice(got.entry, stored));
          } catch (err) {
            // Stored all the same: a person finds it in data/.booking/; the visitor need not try again.
            logger.error(`booking ${type.type}: the proposal is stored but could not be queued for the channels: ${describeError(err)}`);
          }
        }
        return { status: 201, headers: { 'cache-control': 'no-store' }, json: { ok: true } };
      });
    },
    BOOKING_DOCS.availability,
  );
}
