import { join } from 'node:path';
import {
  readSupervisorStatus,
  readWorkerStatusFile,
  readSlotState,
  type SeenStateFile,
  type SupervisorStatus,
  type WorkerStatusFile,
} from '../../instance/index.js';

/**
 * The dashboard's readers of the files the supervisor and the workers leave in the data directory: their
 * names, shapes and readers are src/instance's. A file being rewritten or of another shape reads as absent.
 */
export { HEARTBEAT_STALE_MS, isHeartbeatFresh, parseErrorLine, readNewestErrors, type ErrorLine, type SeenStateFile } from '../../instance/index.js';
export type SupervisorStatusFile = SupervisorStatus;
export type WorkerFile = WorkerStatusFile;

export const readSupervisorStatusFile = (dataDir: string): Promise<SupervisorStatusFile | null> => readSupervisorStatus(dataDir);

/** Callers pass a checked instance name: it is a path segment. */
export const readWorkerFile = (dataDir: string, name: string): Promise<WorkerFile | null> => readWorkerStatusFile(join(dataDir, name));

export const readSeenState = (dataDir: string, name: string, watcher: string): Promise<SeenStateFile | null> => readSlotState(join(dataDir, name), watcher);
