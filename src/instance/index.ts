export { checkInstanceFile, describeDamage, icsDamage, isWholeCalendar, jsonDamage, setAsideName, textDamage, type DamageReport, type FileRule } from './damaged-file.js';
