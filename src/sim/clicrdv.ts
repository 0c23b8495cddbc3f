/**
 * A local ClicRDV booking-widget API as /work/shared/reference/slots-and-alerts.md describes it:
 * the undocumented v2 `availabletimeslots` used by public watchers (one `from` date or none, no `to`; one
 * answer covering several days, as the reference's ClicRDV section says), and the
 * documented v1 group endpoint. The reference gives no error bodies, so errors are JSON
 * `{"error": <status text>, "details": <why>}`; clients should rely on the status only.
 */
import { DateTime, IANAZone } from 'luxon';
import type { Clock } from '../lib/clock.js';
import { startLoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

export interface ClicrdvSlot {
  /** 'YYYY-MM-DD HH:MM:SS', the practice's local time (no zone, as ClicRDV sends it). */
  start: string;
  /** Slot id; defaults to a number derived from the slot's position. */
  slot?: number;
  capacity?: number;
  /** v1 only; defaults to [1]. */
  calendarIds?: number[];
}

export interface ClicrdvSimOptions {
  slots?: ClicrdvSlot[];
  /** Default 'test-apikey'. */
  apikey?: string;
  /** When set, another group_id answers 404; any group id is accepted otherwise. */
  groupId?: number;
  latencyMs?: number;
  /** Whose timer `latencyMs` waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
  /**
   * How many days from `from` (or today) one v2 answer covers. The reference: "one answer can cover several
   * days, so a day-by-day loop may be up to 30× the traffic needed"; its width is not documented, so the
   * default is DEFAULT_DAYS_PER_ANSWER. 1 gives the day-by-day answers the seed watcher assumed.
   */
  daysPerAnswer?: number;
  /** The practice's zone, which decides "today" when `from` is absent; default Europe/Paris. */
  timeZone?: string;
  now?: () => Date;
}

export interface ClicrdvSim {
  /** 'http://127.0.0.1:<port>'; v2 API at /api/v2/availabletimeslots, v1 at /api/v1/groups/:id/availabletimeslots.json. */
  url: string;
  setSlots(s: ClicrdvSlot[]): void;
  requests: SimLoggedRequest[];
  resetLog(): void;
  maxConcurrent(): number;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const DEFAULT_APIKEY = 'test-apikey';
/** slots-and-alerts.md, ClicRDV: "up to 30×" the traffic of a day-by-day loop, so an answer spans about 30 days. */
const DEFAULT_DAYS_PER_ANSWER = 30;
/** Documented v1 default window: start + 7 days. */
const V1_DEFAULT_DAYS = 7;
const SLOT_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INT = /^\d+$/;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };
const fail = (status: number, details: string): SimAnswer => ({ status, json: { error: STATUS_TEXT[status] ?? 'Error', details } });

function isDate(s: string): boolean {
  return DATE.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid;
}

/** 'YYYY-MM-DD' + n days, calendar arithmetic (no zone involved). */
function addDays(date: string, n: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days: n }).toISODate() ?? date;
}

/** Accepts 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or 'YYYY-MM-DDTHH:MM:SS' as a local (zone-less) instant, normalised for string comparison. */
function localStamp(s: string): string | null {
  const norm = s.replace('T', ' ');
  if (isDate(norm)) return `${norm} 00:00:00`;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(norm) && isDate(norm.slice(0, 10))) return norm.length === 16 ? `${norm}:00` : norm;
  return null;
}

export async function startClicrdvSim(opts: ClicrdvSimOptions = {}): Promise<ClicrdvSim> {
  const apikey = opts.apikey ?? DEFAULT_APIKEY;
  const daysPerAnswer = opts.daysPerAnswer ?? DEFAULT_DAYS_PER_ANSWER;
  const zone = opts.timeZone ?? 'Europe/Paris';
  if (!IANAZone.isValidZone(zone)) throw new Error(`unknown time zone '${zone}'`);
  const now = opts.now ?? (() => new Date());
  let slots: Required<ClicrdvSlot>[] = [];

  const setSlots = (s: ClicrdvSlot[]): void => {
    for (const x of s) if (!SLOT_START.test(x.start)) throw new Error(`slot start '${x.start}' is not 'YYYY-MM-DD HH:MM:SS'`);
    slots = s
      .map((x, i) => ({ start: x.start, slot: x.slot ?? 1000 + i, capacity: x.capacity ?? 1, calendarIds: x.calendarIds ?? [1] }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.slot - b.slot));
  };
  setSlots(opts.slots ?? []);

  const checkGroup = (groupId: string | undefined): SimAnswer | null => {
    if (groupId === undefined || groupId === '') return fail(400, 'group_id is required');
    if (!INT.test(groupId)) return fail(400, 'group_id must be an integer');
    if (opts.groupId !== undefined && Number(groupId) !== opts.groupId) return fail(404, `group ${groupId} not found`);
    return null;
  };

  const v2 = (c: SimCall): SimAnswer => {
    const groupProblem = checkGroup(c.query.group_id);
    if (groupProblem) return groupProblem;
    const intervention = c.query['appointments[0][intervention_id]'];
    if (!intervention) return fail(400, 'appointments[0][intervention_id] is required');
    if (!INT.test(intervention)) return fail(400, 'appointments[0][intervention_id] must be an integer');
    const from = c.query.from ?? DateTime.fromJSDate(now(), { zone }).toISODate() ?? '';
    if (!isDate(from)) return fail(400, 'from must be YYYY-MM-DD');
    const until = addDays(from, daysPerAnswer);
    const found = slots.filter((s) => s.start.slice(0, 10) >= from && s.start.slice(0, 10) < until);
    return { status: 200, json: { availabletimeslots: found.map((s) => ({ start: s.start, slot: s.slot, capacity: s.capacity })) } };
  };

  const v1 = (c: SimCall, groupId: string): SimAnswer => {
    const groupProblem = checkGroup(groupId);
    if (groupProblem) return groupProblem;
    const ids = c.params.getAll('intervention_ids[]');
    if (ids.length === 0) return fail(400, 'intervention_ids[] is required');
    if (!ids.every((id) => INT.test(id))) return fail(400, 'intervention_ids[] must be integers');
    const startRaw = c.query.start ?? DateTime.fromJSDate(now(), { zone }).toISODate() ?? '';
    const start = localStamp(startRaw);
    if (!start) return fail(400, 'start must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS');
    let end: string;
    if (c.query.end !== undefined) {
      const e = localStamp(c.query.end);
      if (!e) return fail(400, 'end must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS');
      // A bare end date is read as "through that day".
      end = isDate(c.query.end) ? `${addDays(c.query.end, 1)} 00:00:00` : e;
    } else {
      const nDays = c.query.nDays ?? String(V1_DEFAULT_DAYS);
      if (!INT.test(nDays)) return fail(400, 'nDays must be an integer');
      end = `${addDays(start.slice(0, 10), Number(nDays))}${start.slice(10)}`;
    }
    const found = slots.filter((s) => s.start >= start && s.start < end);
    const first = slots.find((s) => s.start >= start);
    return {
      status: 200,
      json: {
        group_id: Number(groupId),
        firstSlot: first?.start ?? null,
        intervention_ids: ids.map(Number),
        calendar_id: null,
        availabletimeslots: found.map((s) => ({ start: s.start, capacity: s.capacity, calendar_ids: s.calendarIds })),
      },
    };
  };

  const route = (c: SimCall): SimAnswer => {
    const v1Match = /^\/api\/v1\/groups\/([^/]+)\/availabletimeslots\.json$/.exec(c.path);
    if (c.path !== '/api/v2/availabletimeslots' && !v1Match) return fail(404, `no route ${c.path}`);
    if (c.method !== 'GET') return fail(405, `${c.method} not allowed`);
    // The key is checked first: an unauthenticated caller learns nothing about groups.
    if (c.query.apikey !== apikey) return fail(403, c.query.apikey ? 'invalid apikey' : 'apikey is required');
    return v1Match ? v1(c, decodeURIComponent(v1Match[1] ?? '')) : v2(c);
  };

  const server = await startLoggedServer(route, { latencyMs: opts.latencyMs ?? 0, ...(opts.clock ? { clock: opts.clock } : {}) });
  return { ...server, setSlots };
}
