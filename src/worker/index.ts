export { runSync, writeIcsIfChanged, ICS_FILE, type RunOptions, type RunResult } from './run.js';
export { describeEcalCheck, type EcalCheck } from './ecal-check.js';
export { startWorker, WORKER_TRANSITIONS, WORKER_STATUS_FILE, ALERTS_JOURNAL_FILE, SHUTDOWN_GRACE_MS, type Worker, type WorkerState } from './worker.js';
export { readLastRun, LAST_RUN_FILE, RUN_HISTORY_FILE, type RunRecord, type RunCounts, type RunOutcome } from '../instance/index.js';
export { createErrorFile, tailErrorFile, ERRORS_FILE, type ErrorFile } from '../instance/index.js';
export { loadState, saveState, STATE_FILE, type InstanceState } from '../instance/index.js';
export { readSyncedEvents, SYNCED_EVENTS_FILE, type SyncedEvent } from './synced-events.js';
export { acquireRunLock, LockedError } from './lock.js';
export { PARENT_PIPE_ENV } from '../lib/index.js';
