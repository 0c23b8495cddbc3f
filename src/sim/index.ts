export {
  startMonCampusSim,
  renderCourse,
  renderQuirkDate,
  quirkInstantMs,
  teamsFragment,
  type MonCampusSim,
  type MonCampusSimOptions,
  type MonCampusCourse,
  type SimCourseSpec,
  type SimRequest,
} from './moncampus.js';
export {
  startEcalSim,
  ecalSignature,
  type EcalSim,
  type EcalSimOptions,
  type EcalSimEvent,
  type EcalSimRequest,
  type EcalFailureSpec,
} from './ecal.js';
export { generateTimetable, SLOTS, type GenerateTimetableOptions } from './timetable-gen.js';
export { createPrng } from './prng.js';
