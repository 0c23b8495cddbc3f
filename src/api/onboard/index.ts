/**
 * api/onboard: the guided form of issue 23, for a new config (the owner's, behind the dashboard login) and for
 * an invitation (a classmate's own timetable), with live checks, Save and the first sync followed live.
 */
export { onboardExtension, NEW_CONFIG_PATH, ONBOARD_LIMITS, type OnboardOptions, type OnboardLimits } from './extension.js';
export type { OnboardChecks, CheckAnswer, MonCampusCheckInput, EcalCheckInput, NotifyCheckInput } from './checks.js';
export { INSTANCE_TOKEN_HEADER } from './progress.js';
