/** agenda/: MonCampus → CalendarEvent. Login and fetch (client), normalisation (the time-zone quirk), dedupe. */
export {
  createMonCampusClient,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_SCHOOL_TIMEZONE,
  type MonCampusClient,
  type MonCampusClientOptions,
} from './client.js';
export type { CookieJarState } from './cookie-jar.js';
export type { MonCampusCourse } from './course.js';
export {
  normaliseCourse,
  normaliseCourses,
  extractTeamsUrls,
  buildDetails,
  EVENT_TIME_FORMAT,
  UnusableCourseError,
} from './normalise.js';
export { dedupeEvents } from './dedupe.js';
export { ActionNeededError } from './cas-login.js';
export { checkMonCampus, CHECK_DAYS, type MonCampusCheckResult, type MonCampusCheckReason, type MonCampusCheckOptions } from './check.js';
