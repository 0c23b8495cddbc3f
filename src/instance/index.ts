export { checkInstanceFile, describeDamage, jsonDamage, setAsideName, textDamage, type DamageReport, type FileRule } from './damaged-file.js';
