/**
 * A course as campus-sync wants it in a calendar: the output of `agenda/` and the input of `ecal/`.
 * Lives in lib/ because both modules use it and neither may import the other.
 */
export interface CalendarEvent {
  /** MonCampus `NoCours`, as a string: the course's identity in the source. */
  sourceId: string;
  title: string;
  /** Room(s); empty string when MonCampus says "Aucune" or nothing. */
  location: string;
  /** Wall-clock start in `timezone`, ISO-8601 with offset (e.g. `2025-03-31T08:30:00+02:00`). */
  start: string;
  end: string;
  /** IANA zone the wall clock is in, e.g. `Europe/Paris`. */
  timezone: string;
  allDay: boolean;
  teacher: string | null;
  /** MonCampus `LibelleGroupe`: the full course name. */
  groupLabel: string | null;
  teamsUrls: string[];
  remote: boolean;
  /** Free text shown in the calendar (teacher, full course name, Teams link), built by agenda/. */
  details: string;
}

/** The sync window: only events starting inside it are ever created, updated or deleted. */
export interface SyncWindow {
  /** ISO date-time with offset, inclusive. */
  from: string;
  /** ISO date-time with offset, exclusive. */
  to: string;
}
