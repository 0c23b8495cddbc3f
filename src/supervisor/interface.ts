/**
 * What the supervisor needs from a runtime (docker, process, later swarm): list the workers it manages,
 * create/remove them, and the operator verbs. Implementations: `docker-runtime.ts`, `process-runtime.ts`,
 * `swarm-runtime.ts`.
 */

/** Docker labels every managed object carries (DESIGN.md "Contracts"); the process runtime keeps the same fields. */
export const LABEL_MANAGED = 'campus-sync.managed';
export const LABEL_CONFIG = 'campus-sync.config';
export const LABEL_CONFIG_HASH = 'campus-sync.config-hash';
/** Which supervisor created a worker (a host id), to detect two supervisors on one engine. */
export const LABEL_SUPERVISOR = 'campus-sync.supervisor';
/**
 * Optional: which set of workers a supervisor owns (CAMPUS_SYNC_SCOPE). A scoped runtime sees only its
 * scope's containers, an unscoped one only unscoped containers, so two supervisors on one engine (a test
 * run next to the real one, two checkouts) never remove each other's workers as orphans.
 */
export const LABEL_SCOPE = 'campus-sync.scope';

/** One worker the supervisor wants: built from a valid config file. */
export interface DesiredWorker {
  /** Instance name (the config file's stem). */
  name: string;
  /** Absolute path of the config file, as the supervisor sees it. */
  configFile: string;
  /**
   * sha256 hex of what the worker will read: the config file's bytes, or its resolved text when it uses
   * `${VAR}` (so a changed variable recreates the worker too). Part of the worker spec.
   */
  configSha: string;
  /**
   * Only for a config that uses `${VAR}`: the text with the supervisor's environment filled in. A Docker
   * worker gets no secrets in its env, so it is given this (as a private file in its data dir) instead.
   */
  resolvedConfig?: string;
  /**
   * What a runtime that ships the config to another host (swarm) must deliver with it. `envVars`: the
   * `${VAR}` names the text uses; `secretFiles`: the `*File` values as written (relative to the config's
   * directory, or absolute); `inlineSecrets`: the text itself holds a secret value (so the text is a secret).
   */
  envVars?: string[];
  secretFiles?: string[];
  inlineSecrets?: boolean;
}

export type WorkerRunState = 'running' | 'restarting' | 'starting' | 'exited' | 'created' | 'paused' | 'dead' | 'stopped' | 'unknown';

/** One worker as the runtime reports it. */
export interface ActualWorker {
  name: string;
  /** Container id, or pid for the process runtime. */
  id: string;
  /** The `campus-sync.config-hash` label; null when missing (not created by us, or damaged). */
  configHash: string | null;
  state: WorkerRunState;
  /** How many times the runtime restarted it since it was created. */
  restartCount: number;
  exitCode?: number;
  /** Docker: the kernel killed it for memory (with the exit code, the reason a revival is logged with). */
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Docker's health status when the image has a HEALTHCHECK. */
  health?: 'starting' | 'healthy' | 'unhealthy' | 'none';
  /** Label of the supervisor that created it (docker, swarm). */
  supervisor?: string;
  /** The host it runs on: the Swarm node's hostname (swarm); absent where there is only one host. */
  node?: string;
  /**
   * True when the worker runs an older build of its image than the one its image name points to now (docker:
   * `docker compose build` or `campus-sync build` made a new campus-sync:local): recreated to roll it out.
   */
  imageOutdated?: boolean;
}

export interface LogOptions {
  follow?: boolean;
  /** Newest N lines; all when absent. */
  tail?: number;
  signal?: AbortSignal;
}

export type RuntimeKind = 'docker' | 'process' | 'swarm';

/**
 * What a runtime does itself and what it leaves to its callers. The supervisor and the CLI read these, never
 * `kind` (which only names the runtime in messages and the status file), so a new runtime says what it is
 * instead of every caller learning its name.
 */
export interface RuntimeCapabilities {
  /**
   * Workers outlive the process that created them and any process can drive them through the engine (docker,
   * swarm). False: they are the running supervisor's children (process), reached through its control socket.
   */
  readonly sharedWorkers: boolean;
  /**
   * The runtime restarts a crashed worker and counts it in `restartCount` (docker's restart policy, Swarm's
   * tasks): the supervisor says once per episode that it crash-loops. False: the runtime restarts and reports
   * its own crash loops (process).
   */
  readonly countsRestarts: boolean;
  /**
   * A worker that died may stay dead (docker: `docker kill`, a failed restart): the supervisor starts it again
   * with backoff (revive.ts). False: the runtime always restarts its own (process children, Swarm tasks).
   */
  readonly needsRevival: boolean;
  /**
   * Several supervisors can reach the same workers (one Docker engine): workers carry the supervisor's label and
   * the supervisor stands back while another live one's are there. False: the runtime rules that out itself
   * (Swarm: one task per service, a service name once per swarm) or has no shared engine (process).
   */
  readonly sharedEngine: boolean;
}

/** Which worker `remove` means: by instance name, or one container/service by the id `list` gave (a duplicate). */
export type WorkerRef = { readonly by: 'name'; readonly name: string } | { readonly by: 'id'; readonly id: string };

export const byName = (name: string): WorkerRef => ({ by: 'name', name });
export const byId = (id: string): WorkerRef => ({ by: 'id', id });
/** For messages: the name, or the id shortened as `docker ps` does. */
export const describeRef = (ref: WorkerRef): string => (ref.by === 'name' ? ref.name : ref.id.slice(0, 12));

export interface Runtime {
  readonly kind: RuntimeKind;
  readonly capabilities: RuntimeCapabilities;
  /** True when the runtime can be used now (Docker engine answers `ping`). */
  ping(): Promise<boolean>;
  /** Every worker this runtime manages (label `campus-sync.managed=true`). */
  list(): Promise<ActualWorker[]>;
  /** The spec hash this runtime would give a desired worker (compared with ActualWorker.configHash). */
  specHash(worker: DesiredWorker): string;
  /** Creates and starts the worker. A name conflict (409) with an identical spec counts as done. */
  create(worker: DesiredWorker): Promise<void>;
  /**
   * Optional: brings a worker with an older spec to the desired one in place (a Swarm service update,
   * which also rotates its config and secrets). Without it the supervisor removes and creates again.
   */
  update?(worker: DesiredWorker): Promise<void>;
  /**
   * Optional (docker): whether the supervisor that labelled some workers `id` still runs. A containerised
   * supervisor's id is its container's hostname (the short container id): 'alive' when that container runs,
   * 'gone' when it is stopped or removed; 'unknown' for any other id (a supervisor on another host).
   */
  supervisorLiveness?(id: string): Promise<'alive' | 'gone' | 'unknown'>;
  /**
   * Optional (docker): checks what a kept worker reads from this host and repairs it. A `config.resolved.yml`
   * whose sha256 is not the worker's `configSha` (a power cut left it empty, cut short, full of NUL bytes) is
   * set aside, written again, and the worker restarted to read it. Returns the sentence to say, or undefined.
   */
  repairFiles?(worker: DesiredWorker): Promise<string | undefined>;
  /**
   * Stops and removes the worker (by name: every object of that instance; by id: that one only, refused when
   * campus-sync did not create it). Already gone (404) or already stopped (304) counts as done.
   */
  remove(target: WorkerRef): Promise<void>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  /** The worker's log lines (container logs, or the process log file), oldest first. */
  logs(name: string, opts?: LogOptions): AsyncIterable<string>;
  /** Releases connections/handles; workers keep running unless the runtime owns them (process runtime). */
  close(): Promise<void>;
}
