/**
 * The swarm runtime: one Swarm SERVICE (1 replica) per config, built from the same worker template as the
 * docker runtime (swarm-spec.ts). The config travels as a Swarm config (or a secret, when its text holds
 * one), `${VAR}` values and `*File` files as Swarm secrets, never in env. Configs and secrets are
 * immutable: a changed content is a new object (its name carries a sha of the content), the service is
 * updated to it (Swarm rolls the task, stop-first), and the objects no longer referenced are removed.
 *
 * Two supervisors never both run an instance: Swarm schedules exactly one task per service, and a service
 * name exists once in a swarm.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { newEngineClient } from './engine-client.js';
import { ConfigError, RemoteError, describeError, type Logger } from '../lib/index.js';
import {
  createLogDemuxer,
  DEFAULT_WORKER_UID,
  describeEndpoint,
  ENGINE_CALL_TIMEOUT_MS,
  engineLogLines,
  parseUser,
  prepareWorkerDataDir,
  statusOf,
  toTypedError,
} from './docker-runtime.js';
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
import { buildSwarmServiceSpec, configTargetOf, planDelivery, type PlannedObject, type SwarmServiceSpec, type SwarmWorkerSpec } from './swarm-spec.js';
import { createSwarmObjects, withIds } from './swarm-objects.js';
import { buildWorkerSpec, containerName, CONTAINER_PREFIX, createTemplateReloader, type WorkerTemplate } from './template.js';

export interface SwarmRuntimeOptions {
  /** Default: from DOCKER_HOST, else /var/run/docker.sock. Must be a swarm MANAGER. */
  docker?: Docker;
  templatePath: string;
  image: string;
  /** data/ as the nodes see it (bind sources are node paths; on several nodes it must be the same shared path). */
  hostDataDir: string;
  /** data/ as this process sees it: data/<name>/ is created and given to the worker's user before the service. */
  localDataDir: string;
  /** configs/ as this process sees it: `*File` paths are read relative to it (the worker resolves them the same way). */
  configDir: string;
  /** The values of `${VAR}` (the supervisor's environment): delivered as Swarm secrets. */
  env?: NodeJS.ProcessEnv;
  /** Extra template placeholders (e.g. NETWORK_MODE=host in tests). */
  vars?: Record<string, string>;
  /** Written as the `campus-sync.supervisor` label (a host id). */
  supervisorId?: string;
  /** Written as the `campus-sync.scope` label on services and objects; this runtime sees only its scope. */
  scope?: string;
  logger: Logger;
}

/** Task states of a task on its way to running (Swarm's own words). */
const STARTING_STATES = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const FAILED_STATES = new Set(['failed', 'rejected', 'orphaned']);
/** A ping is a few milliseconds; 5 s means the engine is not there (as the docker runtime). */
const PING_TIMEOUT_MS = 5_000;

/** The parts of a task we read (GET /tasks). */
interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt?: string;
  Version?: { Index?: number };
  DesiredState?: string;
  Spec?: { ForceUpdate?: number; ContainerSpec?: { Labels?: Record<string, string> } };
  Status?: { Timestamp?: string; State?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

/** One worker, ready to be sent: the spec, the objects it mounts (with their bytes), who runs it. */
interface Prepared {
  worker: SwarmWorkerSpec;
  objects: PlannedObject[];
  user: string | undefined;
}

/** What the swarm runtime's parts share: the engine, the options, what it learned, and its per-instance locks. */
interface SwarmContext {
  docker: Docker;
  /** The engine's address, for error messages. */
  endpoint: string;
  opts: SwarmRuntimeOptions;
  scope: string | undefined;
  env: NodeJS.ProcessEnv;
  log: Logger;
  activeLogs: Set<AbortController>;
  /** The engine's API version, learned at the first ping (decides NoNewPrivileges). */
  apiVersion: string | undefined;
  /** The last reason ping() said no, so a lasting one is logged once. */
  lastPingProblem: string | undefined;
  nodeNames: Map<string, string>;
  warned: Set<string>;
  /** One operation per instance at a time (create/update/remove/garbage collection of its objects). */
  locks: Map<string, Promise<unknown>>;
  /** The template, read again on every render so edits roll out; a broken edit keeps the last good one. */
  currentTemplate: ReturnType<typeof createTemplateReloader>;
  objects: ReturnType<typeof createSwarmObjects>;
}

function withLock<T>(ctx: SwarmContext, name: string, fn: () => Promise<T>): Promise<T> {
  const prev = ctx.locks.get(name) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  ctx.locks.set(name, tail);
  void tail.then(() => {
    if (ctx.locks.get(name) === tail) ctx.locks.delete(name);
  });
  return run;
}

function prepare(ctx: SwarmContext, w: DesiredWorker): Prepared {
  return prepareSwarmWorker(ctx.opts, { env: ctx.env, scope: ctx.scope, apiVersion: ctx.apiVersion, template: ctx.currentTemplate() }, w);
}

/** Runs one engine call with a deadline, turning its failures into our typed errors. */
async function call<T>(
  ctx: Pick<SwarmContext, 'endpoint'>,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs = ENGINE_CALL_TIMEOUT_MS,
): Promise<T> {
  try {
    return await fn(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw toTypedError(err, ctx.endpoint, what, timeoutMs);
  }
}

/** dockerode methods whose typings lack the options object (abortSignal, filters) they accept. */
function engineCall(docker: Docker, fn: (...args: never[]) => unknown, options: object): Promise<unknown> {
  return (fn as unknown as (o: object) => Promise<unknown>).call(docker, options);
}

function inScope(ctx: Pick<SwarmContext, 'scope'>, labels: Record<string, string> | undefined): boolean {
  return (labels?.[LABEL_SCOPE] || undefined) === ctx.scope;
}

function scopeFilter(ctx: Pick<SwarmContext, 'scope'>): string[] {
  return [`${LABEL_MANAGED}=true`, ...(ctx.scope ? [`${LABEL_SCOPE}=${ctx.scope}`] : [])];
}

async function inspectServiceOrNull(ctx: Pick<SwarmContext, 'docker' | 'endpoint'>, ref: string): Promise<Docker.Service | null> {
  try {
    return (await call(ctx, `inspecting service ${ref}`, (abortSignal) => ctx.docker.getService(ref).inspect({ abortSignal }))) as Docker.Service;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** The worker's service, refusing one campus-sync did not create (it is someone else's). */
async function managedServiceOrNull(ctx: SwarmContext, name: string): Promise<Docker.Service | null> {
  const svc = await inspectServiceOrNull(ctx, containerName(name));
  if (svc && svc.Spec?.Labels?.[LABEL_MANAGED] !== 'true') throw notOurs(name);
  if (svc && !inScope(ctx, svc.Spec?.Labels)) {
    throw new RemoteError(
      `service ${containerName(name)} belongs to another campus-sync scope (${svc.Spec?.Labels?.[LABEL_SCOPE] ?? 'unscoped'}): left alone`,
      { status: 409 },
    );
  }
  return svc;
}

async function mustExist(ctx: SwarmContext, name: string): Promise<Docker.Service> {
  const svc = await managedServiceOrNull(ctx, name);
  if (!svc) throw new RemoteError(`no worker service ${containerName(name)} (is "${name}" a config? \`campus-sync list\`)`, { status: 404 });
  return svc;
}

/** POST /services/{id}/update: the version goes in the query, the spec in the body (dockerode would put both in each). */
async function updateService(ctx: SwarmContext, svc: Docker.Service, spec: unknown, what: string): Promise<void> {
  await call(ctx, what, (abortSignal) =>
    ctx.docker
      .getService(svc.ID)
      .update({ _query: { version: svc.Version?.Index ?? 0 }, _body: spec, abortSignal } as unknown as Docker.ServiceSpec & { abortSignal: AbortSignal }),
  );
}

/** A change to the live spec (scale, force update), retried once when the service moved meanwhile. */
async function changeLive(ctx: SwarmContext, name: string, what: string, change: (spec: Docker.ServiceSpec) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const svc = await mustExist(ctx, name);
    const spec = structuredClone(svc.Spec ?? {});
    change(spec);
    try {
      await updateService(ctx, svc, spec, what);
      return;
    } catch (err) {
      if (attempt >= 2 || !/out of sequence/i.test(describeError(err))) throw err;
    }
  }
}

/** Once per distinct text: what the template asks that Swarm cannot do, and a config that is itself a secret. */
function warnOnce(ctx: SwarmContext, key: string, line: string, instance?: string): void {
  if (ctx.warned.has(key)) return;
  ctx.warned.add(key);
  ctx.log.warn(line, instance ? { instance } : {});
}

function warnings(ctx: SwarmContext, w: DesiredWorker, p: Prepared): void {
  if (p.worker.ignored.length)
    warnOnce(
      ctx,
      `ignored:${p.worker.ignored.join('|')}`,
      `the swarm runtime cannot apply these worker template settings on this engine: ${p.worker.ignored.join(', ')}`,
    );
  if (w.inlineSecrets) {
    warnOnce(
      ctx,
      `inline:${w.name}`,
      `config ${w.name} holds secret values in its text: the whole file is delivered as a Swarm secret; use \${VAR} or the *File keys to keep secrets apart from the config`,
      w.name,
    );
  }
}

async function nodeName(ctx: SwarmContext, id: string | undefined): Promise<string | undefined> {
  if (!id) return undefined;
  const known = ctx.nodeNames.get(id);
  if (known) return known;
  try {
    const info = (await call(ctx, `inspecting node ${id}`, (abortSignal) => ctx.docker.getNode(id).inspect({ abortSignal }))) as {
      Description?: { Hostname?: string };
    };
    const host = info.Description?.Hostname;
    if (host) ctx.nodeNames.set(id, host);
    return host;
  } catch (err) {
    ctx.log.debug(`cannot name the Swarm node ${id}: ${describeError(err)}`);
    return undefined;
  }
}

/** What create and update both do first: the spec, its data dir and its objects on the engine; the spec with their ids. */
async function stage(ctx: SwarmContext, w: DesiredWorker): Promise<{ p: Prepared; spec: SwarmServiceSpec }> {
  const p = prepare(ctx, w);
  warnings(ctx, w, p);
  await prepareWorkerDataDir(ctx.opts.localDataDir, w.name, p.user, ctx.log);
  const ids = await ctx.objects.ensure(w.name, p.objects);
  return { p, spec: withIds(p.worker.spec, ids) };
}

async function createOrAdopt(ctx: SwarmContext, w: DesiredWorker): Promise<void> {
  const wlog = ctx.log.child({ instance: w.name });
  const { p, spec } = await stage(ctx, w);
  const name = containerName(w.name);
  try {
    await call(ctx, `creating service ${name}`, (abortSignal) => ctx.docker.createService({ ...(spec as unknown as Docker.ServiceSpec), abortSignal }));
    wlog.info(`created service ${name}`, { hash: p.worker.hash.slice(0, 12) });
    return;
  } catch (err) {
    if (statusOf(err) !== 409) {
      // Its objects exist now: if the config goes away before a retry succeeds, a later list() removes them.
      ctx.objects.markPending(w.name);
      throw err;
    }
  }
  const existing = await managedServiceOrNull(ctx, w.name);
  if (!existing) throw new RemoteError(`service ${name} was in the way and is gone: trying again on the next reconcile`, { status: 409 });
  if (existing.Spec?.Labels?.[LABEL_CONFIG_HASH] === p.worker.hash) {
    const replicas = existing.Spec.Mode?.Replicated?.Replicas;
    if (replicas === 0) await changeLive(ctx, w.name, `starting service ${name}`, (s) => void (s.Mode = { Replicated: { Replicas: 1 } }));
    wlog.info(`adopted the existing service ${name}`, { id: existing.ID.slice(0, 12) });
    return;
  }
  wlog.info(`updating ${name}: its spec changed`, { from: existing.Spec?.Labels?.[LABEL_CONFIG_HASH] ?? null, to: p.worker.hash });
  await updateService(ctx, existing, spec, `updating service ${name}`);
  await ctx.objects.collectGarbage(w.name);
}

async function updateWorker(ctx: SwarmContext, w: DesiredWorker): Promise<void> {
  const existing = await managedServiceOrNull(ctx, w.name);
  if (!existing) return createOrAdopt(ctx, w);
  const { p, spec } = await stage(ctx, w);
  const name = containerName(w.name);
  await updateService(ctx, existing, spec, `updating service ${name}`);
  ctx.log.info(`updated service ${name}: Swarm replaces its task`, {
    instance: w.name,
    from: existing.Spec?.Labels?.[LABEL_CONFIG_HASH]?.slice(0, 12) ?? null,
    to: p.worker.hash.slice(0, 12),
  });
  await ctx.objects.collectGarbage(w.name);
}

/** The engine answers, is in a swarm, and is a manager; the first success learns its API version. */
async function pingManager(ctx: SwarmContext): Promise<boolean> {
  const { docker, endpoint, log } = ctx;
  try {
    await call(ctx, 'pinging', (abortSignal) => (docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }), PING_TIMEOUT_MS);
    const info = (await call(ctx, 'reading the engine info', (abortSignal) => engineCall(docker, docker.info, { abortSignal }), PING_TIMEOUT_MS)) as {
      Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
    };
    let problem: string | undefined;
    if (info.Swarm?.LocalNodeState !== 'active')
      problem = `the Docker engine at ${endpoint} is not in a swarm (state ${info.Swarm?.LocalNodeState ?? 'unknown'}): \`docker swarm init\`, or use --runtime docker`;
    else if (!info.Swarm.ControlAvailable) problem = `the Docker engine at ${endpoint} is a swarm worker, not a manager: run the supervisor on a manager node`;
    if (problem) {
      if (problem !== ctx.lastPingProblem) log.error(problem);
      ctx.lastPingProblem = problem;
      return false;
    }
    ctx.lastPingProblem = undefined;
    if (!ctx.apiVersion) {
      const v = (await call(ctx, 'reading the engine version', (abortSignal) => engineCall(docker, docker.version, { abortSignal }), PING_TIMEOUT_MS)) as {
        ApiVersion?: string;
      };
      ctx.apiVersion = v.ApiVersion;
    }
    return true;
  } catch (err) {
    log.debug(describeError(err));
    return false;
  }
}

async function listWorkers(ctx: SwarmContext): Promise<ActualWorker[]> {
  const { docker } = ctx;
  const services = (
    await call(ctx, 'listing worker services', (abortSignal) => docker.listServices({ filters: { label: scopeFilter(ctx) }, abortSignal }))
  ).filter((s) => inScope(ctx, s.Spec?.Labels));
  const tasks: SwarmTask[] = services.length
    ? ((await call(ctx, 'listing worker tasks', (abortSignal) =>
        engineCall(docker, docker.listTasks, { filters: { service: services.map((s) => s.ID) }, abortSignal }),
      )) as SwarmTask[])
    : [];
  const byService = new Map<string, SwarmTask[]>();
  for (const t of tasks) byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
  const workers = await Promise.all(
    services.map(async (s) => {
      const mine = byService.get(s.ID) ?? [];
      const w = toActualWorker(s, mine);
      const node = await nodeName(ctx, newestTask(mine)?.NodeID);
      if (node) w.node = node;
      return w;
    }),
  );
  ctx.objects.sweep();
  return workers;
}

function specHashOf(ctx: SwarmContext, w: DesiredWorker): string {
  try {
    return prepare(ctx, w).worker.hash;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One config's unreadable file must not stop the whole reconcile: a hash no service has makes the
    // plan create/update it, and that action fails with this message and retries with backoff.
    return `unusable:${createHash('sha256').update(err.message).digest('hex').slice(0, 12)}`;
  }
}

async function removeWorker(ctx: SwarmContext, target: WorkerRef): Promise<void> {
  // By id: the supervisor removes a duplicate by the id list() gave.
  const svc = await inspectServiceOrNull(ctx, target.by === 'name' ? containerName(target.name) : target.id);
  if (!svc) {
    // No service, maybe objects left over: they go too.
    if (target.by === 'name') await withLock(ctx, target.name, () => ctx.objects.collectGarbage(target.name));
    return;
  }
  const labels = svc.Spec?.Labels ?? {};
  if (labels[LABEL_MANAGED] !== 'true') throw notOurs(target.by === 'name' ? target.name : (svc.Spec?.Name ?? target.id).replace(CONTAINER_PREFIX, ''));
  if (!inScope(ctx, labels)) throw new RemoteError(`service ${svc.Spec?.Name} belongs to another campus-sync scope: left alone`, { status: 409 });
  const name = labels[LABEL_CONFIG] ?? (svc.Spec?.Name ?? '').replace(CONTAINER_PREFIX, '');
  await withLock(ctx, name, async () => {
    try {
      await call(ctx, `removing service ${svc.Spec?.Name}`, (abortSignal) => ctx.docker.getService(svc.ID).remove({ abortSignal }));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    ctx.log.info(`removed service ${svc.Spec?.Name}`, { instance: name });
    await ctx.objects.collectGarbage(name);
  });
}

/** `docker service logs`: every task's stdout and stderr, in the engine's stdcopy framing (no TTY). */
async function* serviceLogs(ctx: SwarmContext, name: string, o: LogOptions): AsyncGenerator<string> {
  const svc = await mustExist(ctx, name);
  const service = ctx.docker.getService(svc.ID);
  const base = { stdout: true, stderr: true, ...(o.tail !== undefined ? { tail: o.tail } : {}) };
  yield* engineLogLines({
    opts: o,
    split: createLogDemuxer(),
    what: `the logs of service ${containerName(name)}`,
    endpoint: ctx.endpoint,
    active: ctx.activeLogs,
    once: () => call(ctx, `reading the logs of service ${containerName(name)}`, (abortSignal) => service.logs({ ...base, follow: false, abortSignal })),
    follow: (abortSignal) => service.logs({ ...base, follow: true, abortSignal }),
  });
}

export function createSwarmRuntime(opts: SwarmRuntimeOptions): Runtime {
  const docker = opts.docker ?? newEngineClient();
  const base = { docker, endpoint: describeEndpoint(docker), scope: opts.scope || undefined, log: opts.logger };
  const locks = new Map<string, Promise<unknown>>();
  const ctx: SwarmContext = {
    ...base,
    opts,
    env: opts.env ?? process.env,
    activeLogs: new Set(),
    apiVersion: undefined,
    lastPingProblem: undefined,
    nodeNames: new Map(),
    warned: new Set(),
    locks,
    currentTemplate: createTemplateReloader(opts.templatePath, opts.logger),
    objects: createSwarmObjects({
      docker,
      call: (what, fn) => call(base, what, fn),
      inScope: (labels) => inScope(base, labels),
      scopeFilter: () => scopeFilter(base),
      scope: base.scope,
      supervisorId: opts.supervisorId,
      log: base.log,
      inspectServiceOrNull: (ref) => inspectServiceOrNull(base, ref),
      withLock: (name, fn) => withLock(ctx, name, fn),
    }),
  };
  // Swarm's "force update": a new task from the same spec (the old one stops first).
  const forceUpdate = (s: Docker.ServiceSpec): void => {
    s.Mode = { Replicated: { Replicas: 1 } };
    const t = (s.TaskTemplate ?? {}) as { ForceUpdate?: number };
    t.ForceUpdate = (t.ForceUpdate ?? 0) + 1;
    s.TaskTemplate = t as Docker.TaskSpec;
  };
  return {
    kind: 'swarm',
    capabilities: { sharedWorkers: true, countsRestarts: true, needsRevival: false, sharedEngine: false },
    ping: () => pingManager(ctx),
    list: () => listWorkers(ctx),
    specHash: (w) => specHashOf(ctx, w),
    create: (w) => withLock(ctx, w.name, () => createOrAdopt(ctx, w)),
    update: (w) => withLock(ctx, w.name, () => updateWorker(ctx, w)),
    remove: (target) => removeWorker(ctx, target),
    start: (name) => changeLive(ctx, name, `starting service ${containerName(name)}`, (s) => void (s.Mode = { Replicated: { Replicas: 1 } })),
    stop: (name) => changeLive(ctx, name, `stopping service ${containerName(name)}`, (s) => void (s.Mode = { Replicated: { Replicas: 0 } })),
    restart: (name) => changeLive(ctx, name, `restarting service ${containerName(name)}`, forceUpdate),
    logs: (name, logOpts = {}) => serviceLogs(ctx, name, logOpts),
    async close() {
      for (const c of ctx.activeLogs) c.abort();
      ctx.activeLogs.clear();
      await ctx.objects.settled();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// One worker, ready to be sent

/** Everything a worker needs, read synchronously (specHash is synchronous). Messages never hold a secret. */
export function prepareSwarmWorker(
  opts: SwarmRuntimeOptions,
  at: { env: NodeJS.ProcessEnv; scope: string | undefined; apiVersion: string | undefined; template: WorkerTemplate },
  w: DesiredWorker,
): Prepared {
  const where = `config ${w.name}`;
  const built = buildWorkerSpec({
    template: at.template,
    name: w.name,
    configSha: w.configSha,
    image: opts.image,
    // Only to find (and drop) the template's bind of the config file: the Swarm config takes its place.
    configFileHost: w.configFile,
    dataDirHost: join(opts.hostDataDir, w.name),
    vars: opts.vars,
  });
  const ids = parseUser(built.service.user) ?? { uid: DEFAULT_WORKER_UID, gid: DEFAULT_WORKER_UID };
  let configText: Buffer;
  try {
    configText = readFileSync(w.configFile);
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${w.configFile} (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`);
  }
  const envValues = (w.envVars ?? []).flatMap((name) => (at.env[name] === undefined ? [] : [{ name, value: at.env[name]! }]));
  const secretFiles = (w.secretFiles ?? []).map((path) => {
    const file = isAbsolute(path) ? path : resolve(opts.configDir, path);
    try {
      return { path, data: readFileSync(file) };
    } catch (err) {
      throw new ConfigError(`${where}: cannot read the secret file ${path} (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`);
    }
  });
  const delivery = planDelivery({
    name: w.name,
    configText,
    inlineSecrets: w.inlineSecrets ?? false,
    configTarget: configTargetOf(built.service, w.configFile, w.name),
    envValues,
    secretFiles,
    ...ids,
  });
  const worker = buildSwarmServiceSpec({
    service: built.service,
    name: w.name,
    objects: delivery.objects,
    ...(delivery.secretsDir ? { secretsDir: delivery.secretsDir } : {}),
    ...(opts.supervisorId ? { supervisorId: opts.supervisorId } : {}),
    ...(at.scope ? { scope: at.scope } : {}),
    ...(at.apiVersion ? { apiVersion: at.apiVersion } : {}),
  });
  return { worker, objects: delivery.objects, user: built.service.user };
}

// ---------------------------------------------------------------------------------------------------
// Services and tasks → what the supervisor reads

/** The newest task: by creation time, then by store version (a task created in the same instant). */
export function newestTask<T extends SwarmTask>(tasks: readonly T[]): T | undefined {
  return [...tasks].sort(byNewest)[0];
}

function byNewest(a: SwarmTask, b: SwarmTask): number {
  const ta = Date.parse(a.CreatedAt ?? '') || 0;
  const tb = Date.parse(b.CreatedAt ?? '') || 0;
  if (ta !== tb) return tb - ta;
  return (b.Version?.Index ?? 0) - (a.Version?.Index ?? 0);
}

/**
 * One service as the supervisor sees a worker. State from the newest task: running → running; on its way
 * (new…starting) → starting, or restarting when the task before it failed and its container is not up yet; failed/rejected while the
 * service still wants a replica → restarting; otherwise exited; any ended task of a service scaled to 0 → stopped. restartCount: the
 * failed tasks of the current service version (same config hash and force-update counter), which Swarm
 * keeps up to its task history limit (5 by default).
 */
export function toActualWorker(svc: Pick<Docker.Service, 'ID' | 'Spec'>, tasks: readonly SwarmTask[]): ActualWorker {
  const labels = svc.Spec?.Labels ?? {};
  const hash = labels[LABEL_CONFIG_HASH] ?? null;
  const force = (svc.Spec?.TaskTemplate as { ForceUpdate?: number } | undefined)?.ForceUpdate ?? 0;
  const wanted = (svc.Spec?.Mode?.Replicated?.Replicas ?? 1) > 0;
  const current = [...tasks]
    .filter((t) => (t.Spec?.ContainerSpec?.Labels?.[LABEL_CONFIG_HASH] ?? null) === hash && (t.Spec?.ForceUpdate ?? 0) === force)
    .sort(byNewest);
  const sorted = [...tasks].sort(byNewest);
  const newest = sorted[0];
  const restartCount = current.filter((t) => FAILED_STATES.has(t.Status?.State ?? '')).length;

  let state: WorkerRunState;
  const s = newest?.Status?.State ?? '';
  if (!newest) state = wanted ? 'starting' : 'stopped';
  else if (s === 'running') state = wanted ? 'running' : 'exited';
  // `starting` is a container up and its healthcheck pending; before it, a task after a failure is a restart in waiting.
  else if (STARTING_STATES.has(s)) state = s !== 'starting' && FAILED_STATES.has(sorted[1]?.Status?.State ?? '') ? 'restarting' : 'starting';
  // Scaled to 0, whatever task ended last, the worker is stopped: Swarm removes the task it shut down (desired
  // state `remove`: seen `shutdown/remove`, exit 137, then gone within a second on 20.10), so the newest task
  // left can be an older one that failed (a killed container), and the agent records `failed` rather than
  // `shutdown` when the container's exit wins the race with its shutdown (swarmkit agent/exec/controller.go, Do).
  else if (!wanted) state = 'stopped';
  else if (FAILED_STATES.has(s)) state = 'restarting';
  else state = 'exited';

  const w: ActualWorker = {
    name: labels[LABEL_CONFIG] ?? (svc.Spec?.Name ?? '').replace(CONTAINER_PREFIX, ''),
    id: svc.ID,
    configHash: hash,
    state,
    restartCount,
  };
  const exitCode = newest?.Status?.ContainerStatus?.ExitCode;
  if (newest && s !== 'running' && !STARTING_STATES.has(s) && exitCode !== undefined) w.exitCode = exitCode;
  else if (state === 'restarting' && sorted[1]?.Status?.ContainerStatus?.ExitCode !== undefined) w.exitCode = sorted[1].Status.ContainerStatus.ExitCode;
  if (s === 'running' && newest?.Status?.Timestamp) w.startedAt = newest.Status.Timestamp;
  else if (newest && !STARTING_STATES.has(s) && newest.Status?.Timestamp) w.finishedAt = newest.Status.Timestamp;
  const supervisor = labels[LABEL_SUPERVISOR];
  if (supervisor) w.supervisor = supervisor;
  return w;
}

function notOurs(name: string): RemoteError {
  return new RemoteError(
    `a service named ${containerName(name)} exists that campus-sync did not create (no label ${LABEL_MANAGED}=true); it is left alone: remove or rename it`,
    { status: 409 },
  );
}
