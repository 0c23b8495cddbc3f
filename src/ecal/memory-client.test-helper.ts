/**
 * An in-memory fake of the EXTERNAL ECAL service behind the EcalClient interface, for the executor and
 * convergence tests. It can fail chosen calls, echo events the loose way a server might, and measure
 * how many calls are in flight at once.
 */
import { RemoteError } from '../lib/index.js';
import type { EcalClient, EcalEventBody, EcalRemoteEvent } from './types.js';

export type MemoryOp = 'list' | 'create' | 'update' | 'delete' | 'get';

export interface MemoryCall {
  op: MemoryOp;
  /** 1-based index of this call among all calls. */
  n: number;
  id?: string;
  body?: EcalEventBody;
}

/**
 * What to do with a call:
 * - an Error: thrown before anything happens (the request never reached ECAL);
 * - { after: Error }: the write IS applied, then the error is thrown (a timeout after the server acted);
 * - 'twice': a create applied twice (a retried POST whose first response was lost), the second id returned;
 * - undefined: normal.
 */
export type MemoryFault = Error | { after: Error } | 'twice' | undefined;

export interface MemoryEcalOptions {
  /** Decides a fault per call. */
  fault?: (call: MemoryCall) => MemoryFault;
  /**
   * 'exact' returns what was sent; 'loose' echoes like a server may: times with seconds ("08:30:00"),
   * empty strings dropped, no timezone — to exercise the planner's normalisation.
   */
  echo?: 'exact' | 'loose';
  /** Wait this many ms in each call (0 or unset: one turn of the event loop), so concurrency is observable. */
  latencyMs?: number;
}

export interface MemoryEcal {
  client: EcalClient;
  /** The stored events, by id (the test may seed or inspect it directly). */
  events: Map<string, EcalRemoteEvent>;
  /** Adds an event as if made in the ECAL dashboard; returns its id. */
  seed(event: Partial<EcalEventBody> | Omit<EcalRemoteEvent, 'id'>): string;
  /** All events, as listEvents would return them (ignoring filters), sorted by id. */
  all(): EcalRemoteEvent[];
  calls: MemoryCall[];
  maxInFlight(): number;
}

function looseEcho(e: EcalRemoteEvent): EcalRemoteEvent {
  const out: EcalRemoteEvent = { id: e.id };
  for (const [k, v] of Object.entries(e)) {
    if (v === '' || k === 'timezone') continue;
    out[k] = (k === 'startTime' || k === 'endTime') && typeof v === 'string' && /^\d{2}:\d{2}$/.test(v) ? `${v}:00` : v;
  }
  return out;
}

export function createMemoryEcal(options: MemoryEcalOptions = {}): MemoryEcal {
  const events = new Map<string, EcalRemoteEvent>();
  const calls: MemoryCall[] = [];
  let nextId = 1;
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  let writes = 0;
  // 24 hex characters like real ECAL ids; zero-padded so text order is creation order.
  const newId = (): string => (nextId++).toString(16).padStart(24, '0');
  const echo = (e: EcalRemoteEvent): EcalRemoteEvent => (options.echo === 'loose' ? looseEcho(e) : { ...e });

  async function call<T>(op: MemoryOp, extra: Omit<MemoryCall, 'op' | 'n'>, act: (twice: boolean) => T): Promise<T> {
    const c: MemoryCall = { op, n: calls.length + 1, ...extra };
    calls.push(c);
    requests++;
    if (op !== 'list' && op !== 'get') writes++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      // setImmediate still lets other calls interleave, without the >= 1 ms of a timer (property tests make many calls).
      await new Promise((resolve) => (options.latencyMs ? setTimeout(resolve, options.latencyMs) : setImmediate(resolve)));
      const fault = options.fault?.(c);
      if (fault instanceof Error) throw fault;
      const result = act(fault === 'twice');
      if (fault && typeof fault === 'object' && 'after' in fault) throw fault.after;
      return result;
    } finally {
      inFlight--;
    }
  }

  const client: EcalClient = {
    listEvents: (q) =>
      call('list', {}, () =>
        [...events.values()]
          .filter((e) => e.calendarId === q.calendarId && String(e.startDate ?? '') >= q.startDate && String(e.startDate ?? '') <= q.endDate)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map(echo),
      ),
    createEvent: (body) =>
      call('create', { body }, (twice) => {
        let id = newId();
        events.set(id, { ...body, id });
        if (twice) {
          id = newId();
          events.set(id, { ...body, id });
        }
        return { id };
      }),
    updateEvent: (id, body) =>
      call('update', { id, body }, () => {
        const old = events.get(id);
        if (!old) throw new RemoteError(`event ${id} not found`, { status: 404 });
        events.set(id, { ...old, ...body, id });
      }),
    deleteEvent: (id) =>
      call('delete', { id }, () => {
        events.delete(id); // 404 = already gone = success, as the real client does
      }),
    getEvent: (id) =>
      call('get', { id }, () => {
        const e = events.get(id);
        return e ? echo(e) : null;
      }),
    // The calendars its events are in: enough for code that lists them before writing.
    listCalendars: async () => [...new Set([...events.values()].map((e) => String(e.calendarId)))].sort().map((id) => ({ id, name: id, draft: false })),
    stats: () => ({ requests, writes, retries: 0 }),
  };

  return {
    client,
    events,
    seed: (event) => {
      const id = newId();
      events.set(id, { ...event, id } as EcalRemoteEvent);
      return id;
    },
    all: () => [...events.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    calls,
    maxInFlight: () => maxInFlight,
  };
}
