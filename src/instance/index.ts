export * from './names.js';
export {
  checkInstanceFile,
  describeDamage,
  icsDamage,
  isWholeCalendar,
  jsonDamage,
  setAsideName,
  textDamage,
  type DamageReport,
  type FileRule,
} from './damaged-file.js';
export { clearStoppedOnPurpose, isStoppedOnPurpose, markStoppedOnPurpose, STOPPED_MARK_FILE } from './stopped-mark.js';
export {
  createErrorFile,
  reportOrLog,
  tailErrorFile,
  readNewestErrors,
  parseErrorLine,
  ERROR_LINE,
  ERRORS_MAX_BYTES,
  ERRORS_KEEP,
  type ErrorFile,
  type ErrorFileOptions,
  type ErrorLine,
} from './error-file.js';
export {
  writeRunRecord,
  readLastRun,
  zeroCounts,
  runHistoryLineSchema,
  type RunRecord,
  type RunCounts,
  type RunOutcome,
  type RunHistoryLine,
  type EcalCheck,
  type FullCheckReason,
} from './run-record.js';
export { workerStatusSchema, readWorkerStatusFile, writeWorkerStatusFile, type WorkerStatusFile } from './worker-status.js';
export {
  supervisorStatusSchema,
  supervisorHeartbeatSchema,
  instanceStateSchema,
  readSupervisorStatus,
  writeSupervisorStatus,
  isHeartbeatFresh,
  HEARTBEAT_STALE_MS,
  type SupervisorStatus,
  type InstanceStatus,
  type InstanceState as InstanceRunState,
  type LastRunSummary,
} from './supervisor-status.js';
export { stateSchema, emptyState, loadState, saveState, type InstanceState } from './state.js';
export { seenStateSchema, readSlotState, type SeenStateFile } from './slot-state.js';
export { syncedEventsFileSchema, alertJournalLineSchema } from './reports.js';
export { readRecentChanges, recordRecentChanges, RECENT_CHANGES_FILE, RECENT_CHANGES_KEPT, type RecentChanges } from './recent-changes.js';
