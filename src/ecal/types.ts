/**
 * The shapes the ECAL v2 client speaks (see /work/shared/reference/ecal.md). Kept apart from the client
 * so the planner and executor can use them without importing any HTTP code.
 */

/** What we send on POST/PUT: the reference's "Event body". */
export interface EcalEventBody {
  calendarId: string;
  name: string;
  location: string;
  /** YYYY-MM-DD */
  startDate: string;
  endDate: string;
  /** HH:MM, 24 h, wall clock in `timezone`; required unless `allDay` is 'yes'. */
  startTime?: string;
  endTime?: string;
  allDay?: 'yes' | 'no';
  /** IANA zone, e.g. Europe/Paris. */
  timezone: string;
  /** Our own stable external id: the only handle by which we recognise our events. */
  reference: string;
  details: string;
  /** e.g. "15M" */
  alert: string;
  draft: 0 | 1;
}

/** An event as ECAL lists it. Unknown fields are kept so an update can be compared field by field. */
export interface EcalRemoteEvent extends Partial<EcalEventBody> {
  id: string;
  [k: string]: unknown;
}

export interface EcalListQuery {
  calendarId: string;
  /** YYYY-MM-DD, inclusive; ECAL filters on the event's start date. */
  startDate: string;
  endDate: string;
}

export interface EcalClientStats {
  /** HTTP requests sent, every attempt counted (this is what ECAL's rate limit sees). */
  requests: number;
  /** Of those, the POST/PUT/DELETE ones. */
  writes: number;
  /** Waits before another attempt (429, 5xx, timeouts, resets). */
  retries: number;
}

export interface EcalClient {
  /** Every event of the calendar starting in [startDate, endDate], past ones included; pages until 204. */
  listEvents(q: EcalListQuery): Promise<EcalRemoteEvent[]>;
  /** `adopted`: ECAL answered 409 and the event already holding this reference was updated instead. */
  createEvent(body: EcalEventBody): Promise<{ id: string; adopted?: boolean }>;
  /** PUT of the full event. */
  updateEvent(id: string, body: EcalEventBody): Promise<void>;
  /** A 404 counts as done: the event is already gone. */
  deleteEvent(id: string): Promise<void>;
  /** null on 404. */
  getEvent(id: string): Promise<EcalRemoteEvent | null>;
  /** The calendars ("schedules") these keys can see: `GET /apiv2/calendar/` (reference/ecal.md, Calendars). */
  listCalendars(): Promise<EcalCalendar[]>;
  stats(): EcalClientStats;
}

/** A calendar as ECAL lists it (a "schedule" in ECAL's dashboard). */
export interface EcalCalendar {
  id: string;
  name: string;
  draft: boolean;
}
