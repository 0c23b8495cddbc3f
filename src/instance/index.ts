export { checkInstanceFile, describeDamage, icsDamage, isWholeCalendar, jsonDamage, setAsideName, textDamage, type DamageReport, type FileRule } from './damaged-file.js';
export { readRecentChanges, recordRecentChanges, RECENT_CHANGES_FILE, RECENT_CHANGES_KEPT, type RecentChanges } from './recent-changes.js';
