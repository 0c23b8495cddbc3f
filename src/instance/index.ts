export { checkInstanceFile, describeDamage, icsDamage, isWholeCalendar, jsonDamage, setAsideName, textDamage, type DamageReport, type FileRule } from './damaged-file.js';
export { clearStoppedOnPurpose, isStoppedOnPurpose, markStoppedOnPurpose, STOPPED_MARK_FILE } from './stopped-mark.js';
