/**
 * The swarm runtime's worker: one Swarm SERVICE (1 replica) per config, built from the SAME rendered
 * worker spec as the docker runtime (`buildWorkerSpec().service`), with the config delivered as a Swarm
 * config and its secrets as Swarm secrets (never in env). Pure: the runtime reads the files and talks to
 * the engine; this module names the objects and writes the Engine API ServiceSpec and its hash.
 *
 * What a Compose service key cannot become on Engine API 1.41 (Docker 20.10, what Debian and Raspberry Pi
 * OS ship), and is therefore left out (listed in `SwarmServiceSpec.ignored` so the runtime can say so once):
 * - `security_opt: no-new-privileges` — ContainerSpec.Privileges.NoNewPrivileges exists only from API 1.44
 *   (Docker 25). It is set when the engine's API version is known to be >= 1.44, skipped below that.
 *   Other `security_opt` entries (apparmor, seccomp, label) have no ServiceSpec field on 1.41 either.
 * - `memswap_limit` — Swarm has no swap limit.
 * - `restart: unless-stopped` vs `always` — Swarm knows only any/on-failure/none: both become `any`
 *   (a service scaled to 0 is Swarm's "stopped").
 * - volume modes other than ro/rw (SELinux `z`/`Z`, consistency) and tmpfs options other than size/mode.
 * - `network_mode: container:…` / `service:…` — a task cannot join another container's namespace.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { ConfigError } from '../lib/index.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SCOPE, LABEL_SUPERVISOR } from './interface.js';
import {
  canonicalJson,
  containerName,
  parseBytes,
  parseDurationNs,
  parseTmpfs,
  isHostPath,
  parseVolume,
  toArgv,
  toHealthcheck,
  toPairs,
  type ComposeService,
} from './template.js';

// ---------------------------------------------------------------------------------------------------
// Limits and conventions of Swarm objects

/** swarmkit refuses a config or secret of 500 KiB or more (MaxConfigSize / MaxSecretSize). */
export const SWARM_OBJECT_MAX_BYTES = 500 * 1024;
/** swarmkit refuses config and secret names longer than 64 characters. */
export const SWARM_OBJECT_NAME_MAX = 64;
/** Where Swarm mounts a secret whose target is a bare name; the worker reads `${VAR}` from there. */
export const SWARM_SECRETS_DIR = '/run/secrets';
/** The API version from which ContainerSpec.Privileges.NoNewPrivileges exists (Docker 25). */
export const NO_NEW_PRIVILEGES_MIN_API = '1.44';
/** Labels left out of the hash, as for containers: the hash itself, who created it, and the scope. */
const UNHASHED_LABELS = new Set([LABEL_CONFIG_HASH, LABEL_SUPERVISOR, LABEL_SCOPE]);
/** The config file is world-readable inside the task, as the bind mount of the docker runtime is (`:ro`). */
const CONFIG_MODE = 0o444;
/** A secret (or a config holding one) only the worker's user reads. */
const SECRET_MODE = 0o400;

export type SwarmObjectKind = 'config' | 'secret';

/** One Swarm config or secret a worker needs, with where it lands in the task. */
export interface DeliveredObject {
  kind: SwarmObjectKind;
  /** Swarm object name; carries a sha of the content, so a changed content is a NEW object (they are immutable). */
  name: string;
  /** The object's id once it exists (the Engine API wants both); left out of the hash. */
  id?: string;
  /** Absolute path in the task, or a bare name for a secret under /run/secrets. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/** A DeliveredObject with its bytes, before it exists on the engine. */
export interface PlannedObject extends DeliveredObject {
  data: Buffer;
  /** What it is, for messages (never its content): "the config file", "${VAR}", "passwordFile pw.txt". */
  what: string;
}

export interface DeliveryInput {
  /** Instance name. */
  name: string;
  /** The config file's bytes as written (`${VAR}` still in). */
  configText: Buffer;
  /** The config text holds a secret value itself: it travels as a Swarm secret, not a config. */
  inlineSecrets: boolean;
  /** Where the worker reads its config (the template's bind target of the config file). */
  configTarget: string;
  /** `${VAR}` values to deliver (only the set ones), by name. */
  envValues: { name: string; value: string }[];
  /** `*File` secrets: the path as written in the config, and the file's bytes. */
  secretFiles: { path: string; data: Buffer }[];
  uid: number;
  gid: number;
}

export interface Delivery {
  objects: PlannedObject[];
  /** CAMPUS_SYNC_SECRETS_DIR for the worker, when `${VAR}` values are delivered. */
  secretsDir?: string;
}

/**
 * The sha in an object name: of the content, keyed by what the object is. Keyed so that a name shown by
 * `docker secret ls` is no unsalted hash of a (possibly short) password someone could look up.
 */
export function contentSha12(key: string, data: Buffer): string {
  return createHash('sha256').update(`campus-sync\0${key}\0`).update(data).digest('hex').slice(0, 12);
}

/** `a-b-c`, cut to SWARM_OBJECT_NAME_MAX deterministically (a sha of the whole name keeps it unique). */
export function swarmObjectName(parts: string[]): string {
  const full = parts.map((p) => p.replace(/[^a-zA-Z0-9_.-]+/g, '_')).join('-');
  if (full.length <= SWARM_OBJECT_NAME_MAX) return full;
  const sha = createHash('sha256').update(full).digest('hex').slice(0, 12);
  return `${full.slice(0, SWARM_OBJECT_NAME_MAX - sha.length - 1)}-${sha}`;
}

/**
 * Where a `*File` secret goes in the task: where the worker will look for it. The worker resolves a
 * relative path against its config file's directory, as it would on the host.
 */
export function secretFileTarget(path: string, configTarget: string): string {
  return path.startsWith('/') ? posix.normalize(path) : posix.resolve(posix.dirname(configTarget), path);
}

/** Every Swarm object a worker needs, named after its content. Throws ConfigError for what Swarm refuses. */
export function planDelivery(input: DeliveryInput): Delivery {
  const base = containerName(input.name);
  const where = `config ${input.name}`;
  const objects: PlannedObject[] = [];
  const add = (o: PlannedObject): void => {
    if (o.data.length === 0) throw new ConfigError(`${where}: ${o.what} is empty, and Swarm cannot deliver an empty ${o.kind}`);
    if (o.data.length >= SWARM_OBJECT_MAX_BYTES) {
      throw new ConfigError(`${where}: ${o.what} is ${o.data.length} bytes; a Swarm ${o.kind} must be under ${SWARM_OBJECT_MAX_BYTES} bytes`);
    }
    objects.push(o);
  };
  const owner = { uid: input.uid, gid: input.gid };

  add({
    kind: input.inlineSecrets ? 'secret' : 'config',
    name: swarmObjectName([base, 'config', contentSha12('config', input.configText)]),
    target: input.configTarget,
    ...owner,
    mode: input.inlineSecrets ? SECRET_MODE : CONFIG_MODE,
    data: input.configText,
    what: 'the config file',
  });

  const env = [...input.envValues].sort((a, b) => a.name.localeCompare(b.name));
  for (const { name, value } of env) {
    // The worker drops ONE trailing newline from a secret file: adding one keeps an empty value (which
    // Swarm could not store) and a value ending in a newline exactly as they are.
    const data = Buffer.from(`${value}\n`, 'utf8');
    add({
      kind: 'secret',
      name: swarmObjectName([base, 'env', name.toLowerCase(), contentSha12(`env:${name}`, data)]),
      target: name,
      ...owner,
      mode: SECRET_MODE,
      data,
      what: `\${${name}}`,
    });
  }

  const files = [...input.secretFiles].sort((a, b) => a.path.localeCompare(b.path));
  const targets = new Set(objects.map((o) => o.target));
  for (const f of files) {
    const target = secretFileTarget(f.path, input.configTarget);
    // Two spellings of one file (`pw.txt`, `./pw.txt`) are one mount.
    if (targets.has(target)) continue;
    targets.add(target);
    add({
      kind: 'secret',
      name: swarmObjectName([base, 'file', posix.basename(target), contentSha12(`file:${target}`, f.data)]),
      target,
      ...owner,
      mode: SECRET_MODE,
      data: f.data,
      what: `the secret file ${f.path}`,
    });
  }
  return env.length > 0 ? { objects, secretsDir: SWARM_SECRETS_DIR } : { objects };
}

/**
 * The in-task path of the config file: the target of the template's bind of `configFileHost` (which the
 * Swarm config replaces), else /config/<name>.yml (where `worker <name>` looks with CAMPUS_SYNC_CONFIG_DIR=/config).
 */
export function configTargetOf(service: ComposeService, configFileHost: string, name: string): string {
  for (const v of service.volumes ?? []) {
    const m = parseVolume(v, `worker "${name}"`);
    if (m.source === configFileHost) return m.target;
  }
  return `/config/${name}.yml`;
}

// ---------------------------------------------------------------------------------------------------
// The ServiceSpec

/** The ServiceSpec fields we write, typed here because @types/dockerode lacks a few (HealthCheck, NoNewPrivileges). */
export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Labels: Record<string, string>;
      Command?: string[];
      Args?: string[];
      Env: string[];
      Dir?: string;
      User?: string;
      ReadOnly?: boolean;
      Init?: boolean;
      StopSignal?: string;
      StopGracePeriod?: number;
      HealthCheck?: Docker.HealthConfig;
      CapabilityAdd?: string[];
      CapabilityDrop?: string[];
      Privileges?: { NoNewPrivileges?: boolean };
      Hosts?: string[];
      Mounts: Docker.MountSettings[];
      Configs: { File: { Name: string; UID: string; GID: string; Mode: number }; ConfigID?: string; ConfigName: string }[];
      Secrets: { File: { Name: string; UID: string; GID: string; Mode: number }; SecretID?: string; SecretName: string }[];
    };
    Resources: { Limits: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number }; Reservations: { NanoCPUs?: number; MemoryBytes?: number } };
    RestartPolicy: { Condition: 'none' | 'on-failure' | 'any'; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement: { Constraints?: string[]; Preferences?: { Spread: { SpreadDescriptor: string } }[] };
    Networks?: { Target: string }[];
    LogDriver?: { Name: string; Options: Record<string, string> };
    ForceUpdate?: number;
  };
  Mode: { Replicated: { Replicas: number } };
  UpdateConfig: { Parallelism: number; Order: 'stop-first'; FailureAction: 'pause' | 'continue' | 'rollback' };
}

export interface SwarmSpecInput {
  /** The rendered worker service with its campus-sync labels (`buildWorkerSpec().service`). */
  service: ComposeService;
  name: string;
  /** The Swarm objects to mount (ids filled once they exist; the hash ignores them). */
  objects: DeliveredObject[];
  /** CAMPUS_SYNC_SECRETS_DIR, when `${VAR}` values are delivered as secrets. */
  secretsDir?: string;
  supervisorId?: string;
  scope?: string;
  /** The engine's API version ("1.41"); unknown means "assume the oldest we support". */
  apiVersion?: string;
}

export interface SwarmWorkerSpec {
  spec: SwarmServiceSpec;
  /** sha256 hex of the spec without object ids and unhashed labels; also the config-hash label. */
  hash: string;
  /** Template keys that were given but cannot be honoured here (see the top of this file), for one warning. */
  ignored: string[];
}

export function buildSwarmServiceSpec(input: SwarmSpecInput): SwarmWorkerSpec {
  const s = input.service;
  const where = `worker "${input.name}"`;
  const ignored: string[] = [];
  const d = s.deploy;

  // --- labels: the template's and ours, as on a container; the docker hash label is not ours to keep.
  const labels = Object.fromEntries(toPairs(s.labels, 'labels').filter(([k]) => k !== LABEL_CONFIG_HASH));
  labels[LABEL_MANAGED] = 'true';
  labels[LABEL_CONFIG] = input.name;
  if (input.scope) labels[LABEL_SCOPE] = input.scope;
  if (input.supervisorId) labels[LABEL_SUPERVISOR] = input.supervisorId;
  // A task's container is not a docker-runtime worker: without `managed`, a docker runtime on the same
  // engine never adopts or removes it as an orphan; config/scope still find it with `docker ps --filter`.
  const containerLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== LABEL_MANAGED));

  // --- mounts: a delivered object wins over a bind at the same path (the config file's bind, on one host).
  const delivered = new Set(input.objects.map((o) => objectPath(o.target)));
  const mounts: Docker.MountSettings[] = [];
  for (const v of s.volumes ?? []) {
    const m = parseVolume(v, where);
    if (delivered.has(m.target)) continue;
    const mode = (m.mode ?? '').split(',').filter(Boolean);
    const unknown = mode.filter((x) => x !== 'ro' && x !== 'rw');
    if (unknown.length) ignored.push(`volume mode "${unknown.join(',')}" of ${m.target}`);
    const mount: Docker.MountSettings = { Type: isHostPath(m.source) ? 'bind' : 'volume', Source: m.source, Target: m.target };
    if (mode.includes('ro')) mount.ReadOnly = true;
    mounts.push(mount);
  }
  for (const [target, options] of Object.entries(parseTmpfs(s.tmpfs, where))) {
    const mount: Docker.MountSettings = { Type: 'tmpfs', Source: '', Target: target };
    const tmpfsOptions: { SizeBytes?: number; Mode?: number } = {};
    for (const opt of options.split(',').filter(Boolean)) {
      const [k, v = ''] = opt.split('=');
      if (k === 'size') tmpfsOptions.SizeBytes = parseBytes(v, `${where}: tmpfs ${target} size`);
      else if (k === 'mode' && /^[0-7]+$/.test(v)) tmpfsOptions.Mode = parseInt(v, 8);
      else ignored.push(`tmpfs option "${opt}" of ${target}`);
    }
    if (Object.keys(tmpfsOptions).length) mount.TmpfsOptions = tmpfsOptions as NonNullable<Docker.MountSettings['TmpfsOptions']>;
    mounts.push(mount);
  }

  const env = toPairs(s.environment, 'environment').map(([k, v]) => `${k}=${v}`);
  if (input.secretsDir) env.push(`CAMPUS_SYNC_SECRETS_DIR=${input.secretsDir}`);

  const container: SwarmServiceSpec['TaskTemplate']['ContainerSpec'] = {
    Image: s.image,
    Labels: containerLabels,
    // Env order carries no meaning: sorted, so reordering the template does not update every service.
    Env: env.sort(),
    Mounts: mounts,
    Configs: input.objects.filter((o) => o.kind === 'config').map((o) => ({ File: fileOf(o), ...(o.id ? { ConfigID: o.id } : {}), ConfigName: o.name })),
    Secrets: input.objects.filter((o) => o.kind === 'secret').map((o) => ({ File: fileOf(o), ...(o.id ? { SecretID: o.id } : {}), SecretName: o.name })),
  };
  // Compose's entrypoint replaces the image's ENTRYPOINT (Swarm's Command), its command the CMD (Args).
  if (s.entrypoint !== undefined) container.Command = toArgv(s.entrypoint);
  if (s.command !== undefined) container.Args = toArgv(s.command);
  if (s.working_dir !== undefined) container.Dir = s.working_dir;
  if (s.user !== undefined) container.User = s.user;
  if (s.read_only !== undefined) container.ReadOnly = s.read_only;
  if (s.init !== undefined) container.Init = s.init;
  if (s.stop_signal !== undefined) container.StopSignal = s.stop_signal;
  if (s.stop_grace_period !== undefined) container.StopGracePeriod = parseDurationNs(s.stop_grace_period, `${where}: stop_grace_period`);
  if (s.healthcheck) container.HealthCheck = toHealthcheck(s.healthcheck, where);
  if (s.cap_add) container.CapabilityAdd = s.cap_add;
  if (s.cap_drop) container.CapabilityDrop = s.cap_drop;
  // Swarm writes /etc/hosts lines: "IP name", where Compose says "name:IP".
  if (s.extra_hosts) container.Hosts = toPairs(s.extra_hosts, 'extra_hosts', ':').map(([host, ip]) => `${ip} ${host}`);
  for (const opt of s.security_opt ?? []) {
    if (/^no-new-privileges(:true)?$/.test(opt) && apiAtLeast(input.apiVersion, NO_NEW_PRIVILEGES_MIN_API)) container.Privileges = { NoNewPrivileges: true };
    else if (!/^no-new-privileges:false$/.test(opt)) ignored.push(`security_opt "${opt}"`);
  }
  if (s.memswap_limit !== undefined) ignored.push('memswap_limit');

  // --- resources: deploy.resources wins over the docker-style keys, which still apply when it is absent.
  const limits: SwarmServiceSpec['TaskTemplate']['Resources']['Limits'] = {};
  const memory = d?.resources?.limits?.memory ?? s.mem_limit;
  if (memory !== undefined) limits.MemoryBytes = parseBytes(memory, `${where}: memory limit`);
  const cpus = d?.resources?.limits?.cpus ?? s.cpus;
  if (cpus !== undefined) limits.NanoCPUs = Math.round(cpus * 1e9);
  const pids = d?.resources?.limits?.pids ?? s.pids_limit;
  if (pids !== undefined) limits.Pids = pids;
  const reservations: SwarmServiceSpec['TaskTemplate']['Resources']['Reservations'] = {};
  const r = d?.resources?.reservations;
  if (r?.memory !== undefined) reservations.MemoryBytes = parseBytes(r.memory, `${where}: deploy.resources.reservations.memory`);
  if (r?.cpus !== undefined) reservations.NanoCPUs = Math.round(r.cpus * 1e9);

  const placement: SwarmServiceSpec['TaskTemplate']['Placement'] = {};
  if (d?.placement?.constraints?.length) placement.Constraints = d.placement.constraints;
  if (d?.placement?.preferences?.length) placement.Preferences = d.placement.preferences.map((p) => ({ Spread: { SpreadDescriptor: p.spread } }));

  const task: SwarmServiceSpec['TaskTemplate'] = {
    ContainerSpec: container,
    Resources: { Limits: limits, Reservations: reservations },
    RestartPolicy: toSwarmRestartPolicy(s, where),
    Placement: placement,
  };
  const networks = toSwarmNetworks(s.network_mode, where);
  if (networks) task.Networks = networks;
  if (s.logging) task.LogDriver = { Name: s.logging.driver ?? 'json-file', Options: { ...(s.logging.options ?? {}) } };

  const spec: SwarmServiceSpec = {
    Name: containerName(input.name),
    Labels: labels,
    TaskTemplate: task,
    Mode: { Replicated: { Replicas: 1 } },
    // stop-first: the old task stops before the new one starts, so one instance never syncs twice at once
    // (the point of "no double work"); pause on a failed update leaves the service for the operator to see.
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'pause' },
  };
  const hash = swarmSpecHash(spec);
  spec.Labels[LABEL_CONFIG_HASH] = hash;
  spec.TaskTemplate.ContainerSpec.Labels[LABEL_CONFIG_HASH] = hash;
  return { spec, hash, ignored };
}

/** sha256 of the spec in canonical JSON, without object ids (they change when an object is recreated) or unhashed labels. */
export function swarmSpecHash(spec: SwarmServiceSpec): string {
  const hashedLabels = (l: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(l).filter(([k]) => !UNHASHED_LABELS.has(k)));
  const c = spec.TaskTemplate.ContainerSpec;
  const stripped = {
    ...spec,
    Labels: hashedLabels(spec.Labels),
    TaskTemplate: {
      ...spec.TaskTemplate,
      // ForceUpdate is the restart counter of `restart`, not part of what the config asks for.
      ForceUpdate: undefined,
      ContainerSpec: {
        ...c,
        Labels: hashedLabels(c.Labels),
        Configs: c.Configs.map(({ ConfigID: _id, ...rest }) => rest),
        Secrets: c.Secrets.map(({ SecretID: _id, ...rest }) => rest),
      },
    },
  };
  return createHash('sha256').update(canonicalJson(stripped)).digest('hex');
}

function fileOf(o: DeliveredObject): { Name: string; UID: string; GID: string; Mode: number } {
  return { Name: o.target, UID: String(o.uid), GID: String(o.gid), Mode: o.mode };
}

/** The absolute path an object lands at (a bare secret name is under /run/secrets). */
function objectPath(target: string): string {
  return target.startsWith('/') ? target : posix.join(SWARM_SECRETS_DIR, target);
}

/**
 * deploy.restart_policy when given (Compose's default condition is `any`); otherwise the docker-style
 * `restart:` in Swarm's words. Swarm has no growing delay: a crashing worker is restarted every Delay
 * (5 s when unset) — set deploy.restart_policy.delay/max_attempts/window to bound it.
 */
export function toSwarmRestartPolicy(s: ComposeService, where: string): SwarmServiceSpec['TaskTemplate']['RestartPolicy'] {
  const rp = s.deploy?.restart_policy;
  if (rp) {
    const out: SwarmServiceSpec['TaskTemplate']['RestartPolicy'] = { Condition: rp.condition ?? 'any' };
    if (rp.delay !== undefined) out.Delay = parseDurationNs(rp.delay, `${where}: deploy.restart_policy.delay`);
    if (rp.max_attempts !== undefined) out.MaxAttempts = rp.max_attempts;
    if (rp.window !== undefined) out.Window = parseDurationNs(rp.window, `${where}: deploy.restart_policy.window`);
    return out;
  }
  const restart = s.restart;
  if (restart === undefined || restart === false || restart === 'no') return { Condition: 'none' };
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m) return m[1] ? { Condition: 'on-failure', MaxAttempts: Number(m[1]) } : { Condition: 'on-failure' };
  return { Condition: 'any' };
}

/**
 * `host` joins the node's host network (what tests use to reach simulators on 127.0.0.1); bridge or
 * nothing attaches no network, so the task gets the node's default bridge, as a plain container does.
 * Another name is a Swarm-scoped network (an overlay) to attach to.
 */
function toSwarmNetworks(mode: string | undefined, where: string): { Target: string }[] | undefined {
  if (mode === undefined || mode === '' || mode === 'bridge' || mode === 'default') return undefined;
  if (/^(container|service):/.test(mode))
    throw new ConfigError(`${where}: network_mode "${mode}" cannot be used by a Swarm service (use host, bridge or an overlay network name)`);
  return [{ Target: mode }];
}

/** "1.44" >= "1.41"; an unknown version is never "at least". */
export function apiAtLeast(version: string | undefined, min: string): boolean {
  if (!version) return false;
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [x = 0, y = 0] = min.split('.').map(Number);
  return a > x || (a === x && b >= y);
}
