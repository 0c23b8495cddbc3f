export * from './interface.js';
export { scanConfigs, type ScanResult, type InvalidConfig } from './desired.js';
export { planReconcile, describeAction as describeReconcileAction, type ReconcileAction } from './reconcile.js';
export { createCrashTracker, type CrashTracker, type CrashState, type CrashEvent } from './backoff.js';
export { watchConfigDir, type ConfigWatch } from './watch.js';
export { createSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.js';
export {
  collectStatus,
  readSupervisorStatus,
  isHeartbeatFresh,
  statusFilePath,
  SUPERVISOR_DIR,
  STATUS_FILE,
  HEARTBEAT_STALE_MS,
  type SupervisorStatus,
  type InstanceStatus,
  type CollectedStatus,
} from './status.js';
export { createProcessRuntime, WORKER_LOG_FILE, type ProcessRuntimeOptions } from './process-runtime.js';
// The Docker runtime is not re-exported: dockerode costs ~14 MB of memory, so it is imported from
// './docker-runtime.js' only when Docker is actually used (src/cli/runtime.ts).
export type { DockerRuntimeOptions } from './docker-runtime.js';
export { loadWorkerTemplate, renderWorkerService, toCreateOptions, specHash, containerName, type WorkerTemplate } from './template.js';
export { renderStaticCompose } from './compose-static.js';
export { startControlServer, controlRequest, CONTROL_SOCKET, type ControlServer } from './control.js';
export { startCompanion, COMPANION_TRANSITIONS, COMPANION_STOP_GRACE_MS, type Companion, type CompanionOptions, type CompanionState } from './companion.js';
export { hostPathThroughMounts, resolveHostPaths, type EngineMount } from './host-paths.js';
