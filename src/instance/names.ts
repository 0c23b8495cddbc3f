import { join } from 'node:path';

/**
 * Every name under the data directory, spelled here and nowhere else: `data/<name>/` is the contract
 * between the worker (writes), the supervisor and the API (read), so a name changed on one side only
 * would be a silent break. Light on purpose (node:path only): the HEALTHCHECK imports it every 30 s.
 *
 * Each entry says who writes the file; the shapes are in this folder's other files (see README's table).
 */

// ── data/<name>/: one folder per instance ─────────────────────────────────────────────────────────────

/** Session cookies and the memory of the last runs (worker/state.ts; secrets: 0600). */
export const STATE_FILE = 'state.json';
/** The timetable as last synced, with ECAL ids (worker/synced-events.ts; imported by the API's store). */
export const SYNCED_EVENTS_FILE = 'events.json';
/** The last run's record (instance/run-record.ts), rewritten whole by every run. */
export const LAST_RUN_FILE = 'last-run.json';
/** Every run's record, one JSON line each, appended (instance/run-record.ts; imported by the API's store). */
export const RUN_HISTORY_FILE = 'runs.jsonl';
/** The worker's state and next run (instance/worker-status.ts), read by `health`, `status`, `list`, the API. */
export const WORKER_STATUS_FILE = 'worker.json';
/** One line per alert delivery state change (notify/outbox.ts's journal; imported by the API's store). */
export const ALERTS_JOURNAL_FILE = 'alerts.jsonl';
/** `<ISO time> <phase> <message>` lines, rotated to errors.log.1…3 (instance/error-file.ts; 0600). */
export const ERRORS_FILE = 'errors.log';
/** The ICS export (worker/run.ts), served by the API's feed. */
export const ICS_FILE = 'calendar.ics';
/** The secret in the ICS feed's URL (api/ics.ts; 0600). */
export const ICS_TOKEN_FILE = 'ics-token';
/** Who runs a sync now (worker/lock.ts): never judged by pid alone. */
export const LOCK_FILE = 'run.lock';
/** The config with its secrets resolved, mounted into a docker worker (supervisor/docker-runtime.ts). */
export const RESOLVED_CONFIG_FILE = 'config.resolved.yml';
/** A process-runtime worker's output, rotated (supervisor/process-runtime.ts). */
export const WORKER_LOG_FILE = 'worker.log';
/** One seen-set file per slot watcher, `slots/<watcher>.json` (slots/watcher.ts; schema: instance/slot-state.ts). */
export const SLOTS_DIR = 'slots';
/** The worker's durable alert queue (notify/outbox.ts); its layout is below. */
export const OUTBOX_DIR = 'outbox';

// ── inside an outbox folder (data/<name>/outbox/ and data/.api/outbox/<name>/) ────────────────────────

/** One JSON file per pending delivery. */
export const OUTBOX_DELIVERIES_DIR = 'deliveries';
/** Deliveries given up on, kept for people to read. */
export const OUTBOX_FAILED_DIR = 'failed';
/** Channels disabled after a permanent refusal (a deleted webhook), so they are not retried. */
export const OUTBOX_DISABLED_FILE = 'disabled.json';

// ── data/: beside the instances; each name starts with a dot, so none can be an instance name ─────────

/** The supervisor's folder: its status file, the API key, the control socket. */
export const SUPERVISOR_DIR = '.supervisor';
/** The supervisor's heartbeat and its view of every instance (instance/supervisor-status.ts). */
export const SUPERVISOR_STATUS_FILE = 'status.json';
/** The generated key of the dashboard and the reporting API (cli/api-key.ts; 0600). */
export const API_KEY_FILE = 'api-key';
/** The running supervisor's local control socket (supervisor/control.ts). */
export const CONTROL_SOCKET = 'control.sock';
/** Discord ingestion's state (ingest/). */
export const INGEST_DIR = '.ingest';
/** Each Discord channel's reading health (ingest/health.ts). */
export const INGEST_HEALTH_FILE = join(INGEST_DIR, 'discord.json');
/** The outbox of DISCORD_ALERT_URL's alerts (an ingestion stop waits there until the channel takes it). */
export const INGEST_OUTBOX_DIR = join(INGEST_DIR, OUTBOX_DIR);
/** The API process's own outboxes, one per instance: never the worker's data/<name>/outbox (cli/booking-deps.ts). */
export const API_OUTBOX_DIR = join('.api', OUTBOX_DIR);
/** The reporting store's SQLite file when DATABASE_URL is unset (store/target.ts): its only writer is the API process. */
export const DATABASE_FILE = 'campus-sync.db';
/** Booking proposals, one JSON-lines file per booking type (api/booking/proposals.ts). */
export const PROPOSALS_DIR = '.booking';
/** Invitations and the classmates' status-page tokens, stored as hashes only (invite/; 0700, files 0600). */
export const INVITATIONS_DIR = '.invitations';

// ── paths ─────────────────────────────────────────────────────────────────────────────────────────────
// `dir` is an instance's folder (data/<name>), `dataDir` the data folder. Callers pass checked names:
// each is a path segment.

export const instanceFile = (dataDir: string, name: string, file: string): string => join(dataDir, name, file);
/** `data/<name>/slots/<watcher>.json`. */
export const slotStatePath = (dir: string, watcher: string): string => join(dir, SLOTS_DIR, `${watcher}.json`);
export const outboxPath = (dir: string): string => join(dir, OUTBOX_DIR);
export const supervisorStatusPath = (dataDir: string): string => join(dataDir, SUPERVISOR_DIR, SUPERVISOR_STATUS_FILE);
export const apiKeyPath = (dataDir: string): string => join(dataDir, SUPERVISOR_DIR, API_KEY_FILE);
export const controlSocketPath = (dataDir: string): string => join(dataDir, SUPERVISOR_DIR, CONTROL_SOCKET);
