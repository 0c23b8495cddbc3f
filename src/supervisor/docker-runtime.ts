/**
 * The docker runtime: one container per config, created through the Docker Engine API (dockerode) from
 * the worker template. Only containers labelled `campus-sync.managed=true` are ever touched; a container
 * is recreated only from the config (never from stale inspect data), when its spec hash differs.
 */
import { chown, copyFile, mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type Docker from 'dockerode';
import { newEngineClient } from './engine-client.js';
import {
  clearStoppedOnPurpose,
  ERRORS_FILE,
  markStoppedOnPurpose,
  RESOLVED_CONFIG_FILE,
  setAsideName,
  STOPPED_MARK_FILE,
  textDamage,
} from '../instance/index.js';
import { CampusSyncError, RemoteError, TransientError, describeError, writeFileAtomic, type Logger } from '../lib/index.js';
import {
  LABEL_CONFIG,
  LABEL_CONFIG_HASH,
  LABEL_MANAGED,
  LABEL_SCOPE,
  LABEL_SUPERVISOR,
  type ActualWorker,
  type DesiredWorker,
  type LogOptions,
  type Runtime,
  type WorkerRef,
  type WorkerRunState,
} from './interface.js';
import { sha256 } from './desired.js';
import { buildWorkerSpec, containerName, CONTAINER_PREFIX, createTemplateReloader, type WorkerSpec } from './template.js';

export interface DockerRuntimeOptions {
  /** Default: from DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Docker;
  templatePath: string;
  image: string;
  /** configs/ as the ENGINE sees it (bind sources are host paths). */
  hostConfigDir: string;
  /** data/ as the engine sees it. */
  hostDataDir: string;
  /** data/ as this process sees it: data/<name>/ is created and given to the worker's user before the container. */
  localDataDir: string;
  /** Extra template placeholders (e.g. NETWORK_MODE=host in tests). */
  vars?: Record<string, string>;
  /** Written as the `campus-sync.supervisor` label (a host id). */
  supervisorId?: string;
  /** Written as the `campus-sync.scope` label; list/clean/reconcile then see only this scope's workers (see LABEL_SCOPE). */
  scope?: string;
  logger: Logger;
}

/**
 * Engine calls that are not streams give up after this long: a hung engine must not freeze the
 * reconcile loop forever. Creating a container on an SD card takes a few seconds; 30 s is generous.
 */
export const ENGINE_CALL_TIMEOUT_MS = 30_000;
/** Docker's own default stop timeout, when the container does not carry one. */
const DOCKER_DEFAULT_STOP_SECONDS = 10;
/** Where a config using ${VAR} is written, resolved, for its worker (inside data/<name>/, private). */
export { RESOLVED_CONFIG_FILE };
/** The worker user when the template's `user` is not numeric (the image's `node` user). */
export const DEFAULT_WORKER_UID = 1000;

/** What the docker runtime's parts share: the engine, the options, and the log streams close() must end. */
interface DockerContext {
  docker: Docker;
  /** The engine's address, for error messages. */
  endpoint: string;
  opts: DockerRuntimeOptions;
  scope: string | undefined;
  log: Logger;
  activeLogs: Set<AbortController>;
  /** The template, read again on every render so edits roll out; a broken edit keeps the last good one. */
  currentTemplate: ReturnType<typeof createTemplateReloader>;
}

function specFor(ctx: DockerContext, w: DesiredWorker): WorkerSpec {
  const { opts } = ctx;
  return buildWorkerSpec({
    template: ctx.currentTemplate(),
    name: w.name,
    configSha: w.configSha,
    image: opts.image,
    // A config with ${VAR} is mounted resolved, from the worker's own data dir (see DesiredWorker.resolvedConfig).
    configFileHost: w.resolvedConfig ? join(opts.hostDataDir, w.name, RESOLVED_CONFIG_FILE) : join(opts.hostConfigDir, basename(w.configFile)),
    dataDirHost: join(opts.hostDataDir, w.name),
    vars: opts.vars,
  });
}

/** Runs one engine call with a deadline, turning its failures into our typed errors. */
async function call<T>(ctx: DockerContext, what: string, fn: (signal: AbortSignal) => Promise<T>, timeoutMs = ENGINE_CALL_TIMEOUT_MS): Promise<T> {
  try {
    return await fn(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw toTypedError(err, ctx.endpoint, what, timeoutMs);
  }
}

async function inspectOrNull(ctx: DockerContext, ref: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await call(ctx, `inspecting ${ref}`, (abortSignal) => ctx.docker.getContainer(ref).inspect({ abortSignal }));
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** The worker's container, refusing one campus-sync did not create (it is someone else's). */
async function managedOrNull(ctx: DockerContext, name: string): Promise<Docker.ContainerInspectInfo | null> {
  const info = await inspectOrNull(ctx, containerName(name));
  if (info && info.Config.Labels?.[LABEL_MANAGED] !== 'true') throw notOurs(name);
  return info;
}

async function mustExist(ctx: DockerContext, name: string): Promise<Docker.ContainerInspectInfo> {
  const info = await managedOrNull(ctx, name);
  if (!info) throw new RemoteError(`no worker container ${containerName(name)} (is "${name}" a config? \`campus-sync list\`)`, { status: 404 });
  return info;
}

function stopTimeoutMs(info: Docker.ContainerInspectInfo): number {
  const seconds = (info.Config as { StopTimeout?: number }).StopTimeout ?? DOCKER_DEFAULT_STOP_SECONDS;
  return seconds * 1000 + ENGINE_CALL_TIMEOUT_MS;
}

/** Stop (grace period from the container) then remove; already stopped or already gone is fine. */
async function stopAndRemove(ctx: DockerContext, info: Docker.ContainerInspectInfo): Promise<void> {
  const c = ctx.docker.getContainer(info.Id);
  try {
    await call(ctx, `stopping ${info.Name}`, (abortSignal) => c.stop({ abortSignal }), stopTimeoutMs(info));
  } catch (err) {
    const s = statusOf(err);
    if (s === 404) return;
    if (s !== 304) throw err;
  }
  try {
    await call(ctx, `removing ${info.Name}`, (abortSignal) => c.remove({ abortSignal }));
  } catch (err) {
    const s = statusOf(err);
    // 404: gone; 409: "removal already in progress" (another caller, or AutoRemove).
    if (s !== 404 && s !== 409) throw err;
  }
}

/** The resolved config holds secrets: private to the worker's user, written atomically. */
async function writeResolvedConfig(ctx: DockerContext, name: string, text: string, user: string | undefined): Promise<void> {
  const file = join(ctx.opts.localDataDir, name, RESOLVED_CONFIG_FILE);
  await writeFileAtomic(file, text, 0o600);
  const ids = parseUser(user) ?? { uid: DEFAULT_WORKER_UID, gid: DEFAULT_WORKER_UID };
  await chown(file, ids.uid, ids.gid).catch((err: unknown) =>
    ctx.log.warn(`cannot give ${file} to ${ids.uid}:${ids.gid} (${describeError(err)}): the worker may not be able to read its config`, { instance: name }),
  );
}

/**
 * The resolved config's bytes; null when it is missing, or when Docker made an empty directory in its place
 * (a worker started while the file was missing: Docker creates a bind's missing source as a directory), which
 * is removed so the file can be written again. Anything else in the way is for the user to look at.
 */
async function readResolvedConfigOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') {
      await rmdir(file).catch((rmErr: unknown) => {
        throw new CampusSyncError(`${file} is a directory, not the worker's config, and cannot be removed (${describeError(rmErr)}): move it away`);
      });
      return null;
    }
    throw err;
  }
}

/**
 * The resolved config is what the worker reads at each start: a power cut that damaged it would have the
 * worker fail at every restart (or run a config cut short) while its spec hash still matches. Its bytes
 * must hash to the configSha the worker was made for; otherwise they are set aside (never deleted) and
 * written again, and a worker that exists is restarted (a restart binds the new file).
 */
async function repairResolvedConfig(ctx: DockerContext, w: DesiredWorker & { resolvedConfig: string }): Promise<string | undefined> {
  const file = join(ctx.opts.localDataDir, w.name, RESOLVED_CONFIG_FILE);
  const bytes = await readResolvedConfigOrNull(file);
  if (bytes && sha256(bytes) === w.configSha) return undefined;
  const info = await managedOrNull(ctx, w.name);
  let said = `${file} was ${bytes ? `damaged (${textDamage(bytes) ?? 'not the config it was written from'})` : 'missing'}`;
  if (bytes) {
    // Copied aside, not renamed: the worker may be crash-looping on this file, and a restart that finds the
    // bind's source missing has Docker create a directory there. The atomic write below replaces the file in
    // one rename, so the path is never missing.
    const aside = setAsideName(file, new Date());
    await copyFile(file, aside);
    said += `: set aside as ${basename(aside)}`;
  }
  await writeResolvedConfig(ctx, w.name, w.resolvedConfig, info?.Config.User || specFor(ctx, w).createOptions.User);
  said += `, written again from ${basename(w.configFile)}`;
  if (info) {
    await call(ctx, `restarting ${containerName(w.name)}`, (abortSignal) => ctx.docker.getContainer(info.Id).restart({ abortSignal }), stopTimeoutMs(info));
    said += `; ${containerName(w.name)} restarted to read it`;
  }
  return said;
}

/** A config only root can read makes the worker exit at once with a confusing error: say it here. */
async function warnIfConfigUnreadable(ctx: DockerContext, w: DesiredWorker, user: string | undefined): Promise<void> {
  const ids = parseUser(user) ?? { uid: DEFAULT_WORKER_UID, gid: DEFAULT_WORKER_UID };
  try {
    const st = await stat(w.configFile);
    const readable = (st.mode & 0o004) !== 0 || (st.uid === ids.uid && (st.mode & 0o400) !== 0) || (st.gid === ids.gid && (st.mode & 0o040) !== 0);
    if (!readable)
      ctx.log.warn(`${w.configFile} is not readable by the worker's user ${ids.uid}:${ids.gid}: chown it to ${ids.uid} or chmod o+r`, { instance: w.name });
  } catch {
    // Not visible from here (e.g. the supervisor sees another mount): nothing to check.
  }
}

/** The id of the build `opts.image` names now; null when the engine does not have it (create says so). */
async function currentImageId(ctx: DockerContext): Promise<string | null> {
  const image = ctx.opts.image;
  try {
    return (
      await call(ctx, `inspecting the image ${image}`, (abortSignal) =>
        (ctx.docker.getImage(image).inspect as (o: { abortSignal: AbortSignal }) => Promise<Docker.ImageInspectInfo>)({ abortSignal }),
      )
    ).Id;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

async function startContainer(ctx: DockerContext, ref: string): Promise<void> {
  try {
    await call(ctx, `starting ${ref}`, (abortSignal) => ctx.docker.getContainer(ref).start({ abortSignal }));
  } catch (err) {
    if (statusOf(err) !== 304) throw err;
  }
}

async function createContainer(ctx: DockerContext, options: Docker.ContainerCreateOptions): Promise<void> {
  // dockerode deletes `abortSignal` from the object it is given: always a fresh copy.
  await call(ctx, `creating ${options.name}`, (abortSignal) => ctx.docker.createContainer({ ...options, abortSignal }));
}

/**
 * The stopped-on-purpose mark of data/<name>/ (instance/stopped-mark.ts), which tells the supervisor not to
 * start a stopped worker again. Not fatal when it cannot be written (data/<name>/ belongs to another user):
 * a worker asked to stop exits 0, and the supervisor leaves a clean exit stopped all the same.
 */
async function setStoppedMark(ctx: DockerContext, name: string, stopped: boolean): Promise<void> {
  const dir = join(ctx.opts.localDataDir, name);
  try {
    if (stopped) await markStoppedOnPurpose(dir, new Date());
    else await clearStoppedOnPurpose(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT' && stopped) return;
    ctx.log.warn(`cannot ${stopped ? 'write' : 'remove'} ${join(dir, STOPPED_MARK_FILE)} (${describeError(err)})`, { instance: name });
  }
}

async function pingEngine(ctx: DockerContext): Promise<boolean> {
  try {
    await call(ctx, 'pinging', (abortSignal) => (ctx.docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }), 5_000);
    return true;
  } catch (err) {
    ctx.log.debug(describeError(err));
    return false;
  }
}

async function listWorkers(ctx: DockerContext): Promise<ActualWorker[]> {
  const { scope } = ctx;
  const label = [`${LABEL_MANAGED}=true`, ...(scope ? [`${LABEL_SCOPE}=${scope}`] : [])];
  const summaries = await call(ctx, 'listing workers', (abortSignal) => ctx.docker.listContainers({ all: true, filters: { label }, abortSignal }));
  // The engine cannot filter on a missing label: an unscoped runtime drops the scoped ones here.
  const ours = summaries.filter((s) => (s.Labels?.[LABEL_SCOPE] || undefined) === scope);
  const [infos, currentImage] = await Promise.all([Promise.all(ours.map((s) => inspectOrNull(ctx, s.Id))), currentImageId(ctx)]);
  return infos
    .filter((i): i is Docker.ContainerInspectInfo => i !== null)
    .map((info) => {
      const w = toActualWorker(info);
      // Same image name, other build: the image was rebuilt since this container was made.
      if (currentImage && info.Config.Image === ctx.opts.image && info.Image !== currentImage) w.imageOutdated = true;
      return w;
    });
}

/** Creates and starts `w`'s container; one already there is adopted (same spec) or replaced (other spec). */
async function createWorker(ctx: DockerContext, w: DesiredWorker): Promise<void> {
  const { opts, scope } = ctx;
  const spec = specFor(ctx, w);
  const wlog = ctx.log.child({ instance: w.name });
  const labels = { ...spec.createOptions.Labels };
  if (opts.supervisorId) labels[LABEL_SUPERVISOR] = opts.supervisorId;
  if (scope) labels[LABEL_SCOPE] = scope;
  const options: Docker.ContainerCreateOptions = { ...spec.createOptions, Labels: labels };
  const name = containerName(w.name);
  await prepareWorkerDataDir(opts.localDataDir, w.name, options.User, ctx.log);
  await setStoppedMark(ctx, w.name, false);
  if (w.resolvedConfig) await writeResolvedConfig(ctx, w.name, w.resolvedConfig, options.User);
  else await warnIfConfigUnreadable(ctx, w, options.User);
  try {
    await createContainer(ctx, options);
  } catch (err) {
    const status = statusOf(err);
    if (status === 404)
      throw new RemoteError(`image ${opts.image} not found on the Docker engine: build it (scripts/docker-setup.sh) or set CAMPUS_SYNC_IMAGE`, {
        status,
        cause: err,
      });
    if (status !== 409) throw err;
    const existing = await inspectOrNull(ctx, name);
    if (existing) {
      if (existing.Config.Labels?.[LABEL_MANAGED] !== 'true') throw notOurs(w.name);
      if (existing.Config.Labels[LABEL_CONFIG_HASH] === spec.hash) {
        // Same spec: adopt it (e.g. two reconciles raced, or generate-compose created it).
        if (!existing.State.Running && !existing.State.Restarting) await startContainer(ctx, existing.Id);
        wlog.info(`adopted the existing container ${name}`, { id: existing.Id.slice(0, 12) });
        return;
      }
      wlog.info(`replacing ${name}: its spec changed`, { from: existing.Config.Labels[LABEL_CONFIG_HASH] ?? null, to: spec.hash });
      await stopAndRemove(ctx, existing);
    }
    await createContainer(ctx, options);
  }
  await startContainer(ctx, name);
  wlog.info(`started ${name}`, { hash: spec.hash.slice(0, 12) });
}

async function removeWorker(ctx: DockerContext, target: WorkerRef): Promise<void> {
  if (target.by === 'name') {
    const info = await managedOrNull(ctx, target.name);
    if (info) await stopAndRemove(ctx, info);
    return;
  }
  // The supervisor removes an extra duplicate of a name by container id (reconcile's `remove` action).
  const info = await inspectOrNull(ctx, target.id);
  if (!info) return;
  if (info.Config.Labels?.[LABEL_MANAGED] !== 'true')
    throw new RemoteError(`container ${target.id.slice(0, 12)} was not created by campus-sync (no label ${LABEL_MANAGED}=true): left alone`);
  await stopAndRemove(ctx, info);
}

async function stopWorker(ctx: DockerContext, name: string): Promise<void> {
  const info = await mustExist(ctx, name);
  // Marked first: the supervisor must never see it exited without the mark.
  await setStoppedMark(ctx, name, true);
  try {
    await call(ctx, `stopping ${containerName(name)}`, (abortSignal) => ctx.docker.getContainer(info.Id).stop({ abortSignal }), stopTimeoutMs(info));
  } catch (err) {
    if (statusOf(err) !== 304) {
      // Still running: the mark would keep it down if it died later.
      await setStoppedMark(ctx, name, false);
      throw err;
    }
  }
}

async function* containerLogs(ctx: DockerContext, name: string, o: LogOptions): AsyncGenerator<string> {
  const info = await mustExist(ctx, name);
  const c = ctx.docker.getContainer(info.Id);
  const base = { stdout: true, stderr: true, ...(o.tail !== undefined ? { tail: o.tail } : {}) };
  yield* engineLogLines({
    opts: o,
    split: info.Config.Tty ? createLineSplitter() : createLogDemuxer(),
    what: `the logs of ${info.Name}`,
    endpoint: ctx.endpoint,
    active: ctx.activeLogs,
    once: () => call(ctx, `reading the logs of ${info.Name}`, (abortSignal) => c.logs({ ...base, follow: false, abortSignal })),
    follow: (abortSignal) => c.logs({ ...base, follow: true, abortSignal }),
  });
}

export function createDockerRuntime(opts: DockerRuntimeOptions): Runtime {
  const docker = opts.docker ?? newEngineClient();
  const ctx: DockerContext = {
    docker,
    endpoint: describeEndpoint(docker),
    opts,
    scope: opts.scope || undefined,
    log: opts.logger,
    activeLogs: new Set(),
    currentTemplate: createTemplateReloader(opts.templatePath, opts.logger),
  };
  return {
    kind: 'docker',
    capabilities: { sharedWorkers: true, countsRestarts: true, needsRevival: true, sharedEngine: true },
    ping: () => pingEngine(ctx),
    list: () => listWorkers(ctx),
    specHash: (w) => specFor(ctx, w).hash,
    create: (w) => createWorker(ctx, w),
    async repairFiles(w) {
      return w.resolvedConfig === undefined ? undefined : repairResolvedConfig(ctx, { ...w, resolvedConfig: w.resolvedConfig });
    },
    remove: (target) => removeWorker(ctx, target),
    async start(name) {
      await mustExist(ctx, name);
      await setStoppedMark(ctx, name, false);
      await startContainer(ctx, containerName(name));
    },
    stop: (name) => stopWorker(ctx, name),
    async restart(name) {
      const info = await mustExist(ctx, name);
      await setStoppedMark(ctx, name, false);
      await call(ctx, `restarting ${containerName(name)}`, (abortSignal) => docker.getContainer(info.Id).restart({ abortSignal }), stopTimeoutMs(info));
    },
    async supervisorLiveness(id) {
      // A supervisor in a container labels its workers with its hostname, Docker's short container id.
      if (!CONTAINER_ID.test(id)) return 'unknown';
      const info = await inspectOrNull(ctx, id);
      return info?.State.Running ? 'alive' : 'gone';
    },
    logs: (name, logOpts = {}) => containerLogs(ctx, name, logOpts),
    async close() {
      for (const c of ctx.activeLogs) c.abort();
      ctx.activeLogs.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------------

function toActualWorker(info: Docker.ContainerInspectInfo): ActualWorker {
  const labels = info.Config.Labels ?? {};
  const name = labels[LABEL_CONFIG] ?? info.Name.replace(/^\//, '').replace(CONTAINER_PREFIX, '');
  const state = toRunState(info.State.Status);
  const w: ActualWorker = {
    name,
    id: info.Id,
    configHash: labels[LABEL_CONFIG_HASH] ?? null,
    state,
    restartCount: info.RestartCount ?? 0,
  };
  if (state === 'exited' || state === 'dead' || state === 'restarting') w.exitCode = info.State.ExitCode;
  if (info.State.OOMKilled) w.oomKilled = true;
  const started = realTime(info.State.StartedAt);
  if (started) w.startedAt = started;
  const finished = realTime(info.State.FinishedAt);
  if (finished) w.finishedAt = finished;
  const health = (info.State as { Health?: { Status?: string } }).Health?.Status;
  if (health === 'starting' || health === 'healthy' || health === 'unhealthy' || health === 'none') w.health = health;
  const supervisor = labels[LABEL_SUPERVISOR];
  if (supervisor) w.supervisor = supervisor;
  return w;
}

const RUN_STATES = new Set<WorkerRunState>(['running', 'restarting', 'exited', 'created', 'paused', 'dead']);

function toRunState(status: string | undefined): WorkerRunState {
  return status && RUN_STATES.has(status as WorkerRunState) ? (status as WorkerRunState) : 'unknown';
}

/** A full or short container id (`docker ps` shows 12 hex digits). */
const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

/** Docker reports "never" as year 1. */
function realTime(t: string | undefined): string | undefined {
  return t && !t.startsWith('0001-') ? t : undefined;
}

/** data/<name>/ must exist and belong to the worker's user, or Docker creates it as root and the worker cannot write. */
export async function prepareWorkerDataDir(localDataDir: string, name: string, user: string | undefined, log: Logger): Promise<void> {
  const dir = join(localDataDir, name);
  await mkdir(dir, { recursive: true });
  const ids = parseUser(user);
  if (!ids) {
    log.warn(`the worker's user (${user ?? "the image's default"}) is not a numeric uid: ${dir} left as it is (it must be writable by the worker)`, {
      instance: name,
    });
    return;
  }
  const st = await stat(dir);
  if (st.uid === ids.uid && st.gid === ids.gid) return;
  try {
    await chown(dir, ids.uid, ids.gid);
    // The supervisor may have reported this config invalid before it ever had a worker: an errors.log it
    // created then is root's, and the worker appends to it.
    await chown(join(dir, ERRORS_FILE), ids.uid, ids.gid).catch(() => {});
  } catch (err) {
    log.warn(`cannot give ${dir} to ${ids.uid}:${ids.gid} (${describeError(err)}): the worker may not be able to write its data`, { instance: name });
  }
}

export function parseUser(user: string | undefined): { uid: number; gid: number } | null {
  if (user === undefined) return null;
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) return null;
  const uid = Number(m[1]);
  return { uid, gid: m[2] !== undefined ? Number(m[2]) : uid };
}

function notOurs(name: string): RemoteError {
  return new RemoteError(
    `a container named ${containerName(name)} exists that campus-sync did not create (no label ${LABEL_MANAGED}=true); it is left alone: remove or rename it`,
    { status: 409 },
  );
}

export function statusOf(err: unknown): number | undefined {
  if (err instanceof CampusSyncError) return (err as { status?: number }).status;
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Where the engine is, for messages: the socket path or the TCP address. */
export function describeEndpoint(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (typeof modem.socketPath === 'string') return modem.socketPath;
  if (modem.host) return `${modem.protocol ?? 'http'}://${modem.host}${modem.port ? `:${modem.port}` : ''}`;
  // dockerode picks the socket lazily (~/.docker/run/docker.sock when present, else this one).
  return '/var/run/docker.sock';
}

/** Socket-level failures: the engine may come back (restarting dockerd, socket not mounted yet). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
]);

/** Engine failures as our typed errors: unreachable and 5xx may succeed later (TransientError), 4xx will not. */
export function toTypedError(err: unknown, endpoint: string, what: string, timeoutMs: number): CampusSyncError {
  if (err instanceof CampusSyncError) return err;
  const e = err as { code?: string; name?: string; statusCode?: number; json?: { message?: string } | null; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') {
    return new TransientError(`Docker engine at ${endpoint} did not answer within ${Math.round(timeoutMs / 1000)} s while ${what}`, { cause: err });
  }
  if (typeof e?.statusCode === 'number') {
    const detail = (e.json && typeof e.json === 'object' && e.json.message) || String(e.message ?? '').trim();
    const message = `Docker engine refused ${what}: ${detail} (HTTP ${e.statusCode})`;
    return e.statusCode >= 500
      ? new TransientError(message, { status: e.statusCode, cause: err })
      : new RemoteError(message, { status: e.statusCode, cause: err });
  }
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    return new CampusSyncError(`Docker engine unreachable at ${endpoint}: permission denied (run as root or as a member of the docker group)`, { cause: err });
  }
  if (e?.code && CONNECTION_CODES.has(e.code)) {
    return new TransientError(`Docker engine unreachable at ${endpoint}: ${e.message ?? e.code}`, { cause: err });
  }
  return new TransientError(`Docker engine error at ${endpoint} while ${what}: ${describeError(err)}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------------
// Log streams

/**
 * A container's or a service's log as lines, for both container runtimes: all of it at once (`once`), or
 * followed until the consumer stops or `opts.signal` aborts (`follow`); the stream is closed either way, and
 * `active` holds its controller meanwhile so the runtime's close() can end it.
 */
export async function* engineLogLines(args: {
  opts: LogOptions;
  split: LineSplitter;
  /** "the logs of <name>", for messages. */
  what: string;
  endpoint: string;
  active: Set<AbortController>;
  once: () => Promise<unknown>;
  follow: (abortSignal: AbortSignal) => Promise<unknown>;
}): AsyncGenerator<string> {
  const { opts: o, split } = args;
  if (!o.follow) {
    const buf = await args.once();
    yield* split.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    yield* split.end();
    return;
  }
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (o.signal?.aborted) return;
  o.signal?.addEventListener('abort', onAbort, { once: true });
  args.active.add(controller);
  try {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await args.follow(controller.signal)) as NodeJS.ReadableStream;
    } catch (err) {
      if (controller.signal.aborted) return;
      throw toTypedError(err, args.endpoint, `following ${args.what}`, 0);
    }
    try {
      for await (const chunk of stream) yield* split.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      yield* split.end();
    } catch (err) {
      if (!controller.signal.aborted) throw toTypedError(err, args.endpoint, `following ${args.what}`, 0);
    } finally {
      // A consumer that stops iterating (break) must not leave the HTTP stream open.
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    args.active.delete(controller);
  }
}

export interface LineSplitter {
  /** Complete lines found so far, in order. */
  push(chunk: Buffer): string[];
  /** What is left (a last line without its newline). */
  end(): string[];
}

/** Raw text (a TTY container) → lines. */
export function createLineSplitter(): LineSplitter {
  let partial = '';
  const decoder = new TextDecoder();
  return {
    push(chunk) {
      const text = partial + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      return parts.map(stripCr);
    },
    end() {
      const rest = partial + decoder.decode();
      partial = '';
      return rest ? [stripCr(rest)] : [];
    },
  };
}

/** stdcopy framing of a non-TTY container's logs: 8-byte header (stream, 0, 0, 0, big-endian length), then the payload. */
const FRAME_HEADER_BYTES = 8;

/**
 * Demultiplexes Docker's log stream into lines. Frames may be split across chunks and a line may span
 * frames; stdout and stderr keep separate partial lines so they never glue into one.
 */
export function createLogDemuxer(): LineSplitter {
  let pending: Buffer = Buffer.alloc(0);
  const streams = new Map<number, LineSplitter>();
  const splitterFor = (kind: number): LineSplitter => {
    let s = streams.get(kind);
    if (!s) streams.set(kind, (s = createLineSplitter()));
    return s;
  };
  return {
    push(chunk) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const out: string[] = [];
      while (pending.length >= FRAME_HEADER_BYTES) {
        const size = pending.readUInt32BE(4);
        if (pending.length < FRAME_HEADER_BYTES + size) break;
        const kind = pending[0]!;
        out.push(...splitterFor(kind).push(pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + size)));
        pending = pending.subarray(FRAME_HEADER_BYTES + size);
      }
      return out;
    },
    end() {
      const out: string[] = [];
      for (const s of streams.values()) out.push(...s.end());
      pending = Buffer.alloc(0);
      return out;
    },
  };
}

const stripCr = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);
