/**
 * The worker template (`compose.template.yml`): one worker container described once in Compose syntax,
 * rendered per config into a Compose service (for `generate-compose`) and into Docker Engine create
 * options (for the docker runtime), with a hash of the rendered spec so a changed spec is recreated.
 * Pure apart from reading the file.
 */
/*
 * DECISION (issue 19 step 4): the Compose-template → Engine → Swarm translation stays OURS, narrowed to a
 * typed worker spec (the `ComposeService` below: the keys users tune — image, user, environment, volumes and
 * tmpfs, mem_limit/cpus/pids_limit, read_only, cap_drop, security_opt, healthcheck, restart/deploy,
 * network_mode, logging, labels), from which the docker runtime (`toCreateOptions`) and the swarm runtime
 * (swarm-spec.ts) each write their Engine API body. We do NOT hand generated files to `docker compose up` /
 * `docker stack deploy`, because:
 * - the supervisor's contract is per worker, level-based and label-driven (adopt a worker with the right
 *   hash, remove a duplicate by id, stand back from another supervisor, revive a killed worker, repair its
 *   files, roll Swarm configs/secrets whose names carry their content's sha): Compose and `stack deploy`
 *   act on a whole project, re-plan every service on each call and know none of these rules;
 * - it would put the docker CLI and the compose plugin (tens of MB) in the supervisor image and a process
 *   spawn on every reconcile, on a Raspberry Pi where every MB counts (issue 20);
 * - `generate-compose` / `generate-stack` (compose-static.ts, stack-static.ts) already give those files to
 *   whoever prefers Compose or `stack deploy`, from the same typed spec.
 * The compose.template.yml grammar users rely on is the input and stays as it is; keys outside the typed
 * spec are refused with a message naming the key (the schema is strict).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeError, parseDurationNs as parseGoDurationNs, type Logger } from '../lib/index.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SUPERVISOR } from './interface.js';

/** The config file's sha256 on the worker: editing a config changes the spec, so the worker restarts with it. */
export const LABEL_CONFIG_SHA = 'campus-sync.config-sha';
export const CONTAINER_PREFIX = 'campus-sync-';

export const containerName = (name: string): string => `${CONTAINER_PREFIX}${name}`;

// ---------------------------------------------------------------------------------------------------
// Schema of the Compose keys we support. Values arrive as strings after interpolation, so scalars accept
// both their type and its text (as Compose does).

const text = z.union([z.string(), z.number()]).transform(String);
const boolish = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const intish = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'expected an integer')]).transform(Number);
const numberish = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'expected a number')]).transform(Number);
const stringList = z.array(text);
const commandLike = z.union([z.string(), stringList]);
/** Compose accepts both `KEY: value` maps and `KEY=value` lists for environment, labels and extra_hosts. */
const mapOrList = z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), stringList]);

const healthcheckSchema = z.strictObject({
  test: commandLike.optional(),
  interval: z.string().optional(),
  timeout: z.string().optional(),
  retries: intish.optional(),
  start_period: z.string().optional(),
  disable: boolish.optional(),
});

const longVolumeSchema = z.strictObject({
  type: z.enum(['bind', 'volume']),
  source: z.string(),
  target: z.string(),
  read_only: boolish.optional(),
});

/**
 * Compose's `deploy:` key, for the swarm runtime (and stack files). The docker runtime and
 * `generate-compose --static` ignore it: `docker compose` would apply restart_policy and limits its own way.
 */
const deploySchema = z.strictObject({
  placement: z
    .strictObject({
      constraints: stringList.optional(),
      /** Only `spread` exists in Swarm's placement preferences. */
      preferences: z.array(z.strictObject({ spread: z.string().min(1) })).optional(),
    })
    .optional(),
  resources: z
    .strictObject({
      limits: z.strictObject({ cpus: numberish.optional(), memory: text.optional(), pids: intish.optional() }).optional(),
      reservations: z.strictObject({ cpus: numberish.optional(), memory: text.optional() }).optional(),
    })
    .optional(),
  restart_policy: z
    .strictObject({
      condition: z.enum(['none', 'on-failure', 'any']).optional(),
      delay: z.string().optional(),
      max_attempts: intish.optional(),
      window: z.string().optional(),
    })
    .optional(),
});

export type ComposeDeploy = z.output<typeof deploySchema>;

export const composeServiceSchema = z.strictObject({
  image: z.string().min(1),
  command: commandLike.optional(),
  entrypoint: commandLike.optional(),
  environment: mapOrList.optional(),
  volumes: z.array(z.union([z.string(), longVolumeSchema])).optional(),
  restart: z
    .union([z.string().regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/, 'expected no, always, unless-stopped or on-failure[:N]'), z.literal(false)])
    .optional(),
  mem_limit: text.optional(),
  memswap_limit: text.optional(),
  cpus: numberish.optional(),
  pids_limit: intish.optional(),
  logging: z.strictObject({ driver: z.string().optional(), options: z.record(z.string(), text).optional() }).optional(),
  read_only: boolish.optional(),
  tmpfs: z.union([z.string(), stringList]).optional(),
  cap_add: stringList.optional(),
  cap_drop: stringList.optional(),
  security_opt: stringList.optional(),
  init: boolish.optional(),
  user: text.optional(),
  labels: mapOrList.optional(),
  network_mode: z.string().optional(),
  extra_hosts: mapOrList.optional(),
  healthcheck: healthcheckSchema.optional(),
  stop_grace_period: z.string().optional(),
  stop_signal: z.string().optional(),
  working_dir: z.string().optional(),
  /** Swarm only (see deploySchema). */
  deploy: deploySchema.optional(),
  /** Only in rendered services (compose-static); a template may not set it. */
  container_name: z.string().optional(),
});

/** A rendered (interpolated, validated) Compose service. */
export type ComposeService = z.output<typeof composeServiceSchema>;

export const SUPPORTED_SERVICE_KEYS = Object.keys(composeServiceSchema.shape).filter((k) => k !== 'container_name');

/** A loaded template: the raw service (placeholders still in), keys already checked. */
export interface WorkerTemplate {
  /** Where it came from, for error messages. */
  source: string;
  /** The raw text, to notice an unchanged file cheaply. */
  text: string;
  service: Record<string, unknown>;
}

/** Variables the supervisor always provides (the template may use them without a default). */
export interface WorkerVars {
  NAME: string;
  IMAGE: string;
  CONFIG_FILE_HOST: string;
  DATA_DIR_HOST: string;
  [key: string]: string;
}

// ---------------------------------------------------------------------------------------------------
// Loading

export async function loadWorkerTemplate(path: string): Promise<WorkerTemplate> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the worker template ${path}: ${(err as Error).message}`);
  }
  return parseWorkerTemplate(text, path);
}

/** Synchronous twin for `Runtime.specHash`, which is synchronous. */
export function loadWorkerTemplateSync(path: string): WorkerTemplate {
  return parseWorkerTemplate(readTemplateTextSync(path), path);
}

function readTemplateTextSync(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the worker template ${path}: ${(err as Error).message}`);
  }
}

/**
 * The template as runtimes use it: read again on every render so an edit rolls out to every worker, while a
 * broken edit keeps the last good one (logged once per different problem). Parsed only when its text
 * changed: a reconcile renders it once per config. Throws only when no good one was ever read.
 */
export function createTemplateReloader(path: string, logger: Logger): () => WorkerTemplate {
  let cached: WorkerTemplate | undefined;
  let lastBadText: string | undefined;
  return () => {
    try {
      const text = readTemplateTextSync(path);
      if (cached?.text !== text) cached = parseWorkerTemplate(text, path);
      lastBadText = undefined;
      return cached;
    } catch (err) {
      if (!cached) throw err;
      const msg = describeError(err);
      if (msg !== lastBadText) logger.error(`worker template unusable, keeping the previous one: ${msg}`);
      lastBadText = msg;
      return cached;
    }
  };
}

/** Top-level keys of a Compose file we accept besides `services`; `x-*` extension keys are ignored too. */
const IGNORED_TOP_LEVEL = new Set(['version', 'name']);

export function parseWorkerTemplate(text: string, source = 'compose.template.yml'): WorkerTemplate {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw new ConfigError(`${source}: expected a Compose file with a \`services:\` section`);
  for (const key of Object.keys(doc)) {
    if (key === 'services' || key.startsWith('x-') || IGNORED_TOP_LEVEL.has(key)) continue;
    throw new ConfigError(`${source}: unsupported top-level key "${key}" (only \`services:\` with one worker service)`);
  }
  const services = doc.services;
  if (!isRecord(services)) throw new ConfigError(`${source}: expected a \`services:\` section with one service`);
  const entries = Object.entries(services);
  if (entries.length !== 1) {
    throw new ConfigError(
      `${source}: expected exactly one service (the worker), found ${entries.length}${entries.length ? `: ${entries.map(([k]) => k).join(', ')}` : ''}`,
    );
  }
  const [serviceName, service] = entries[0]!;
  const where = `${source}: services.${serviceName}`;
  if (!isRecord(service)) throw new ConfigError(`${where}: expected a mapping of Compose keys`);
  for (const key of Object.keys(service)) {
    if (key === 'container_name') throw new ConfigError(`${where}: "container_name" is set by the supervisor (campus-sync-<name>); remove it`);
    if (!SUPPORTED_SERVICE_KEYS.includes(key)) {
      throw new ConfigError(`${where}: unsupported key "${key}" (supported: ${SUPPORTED_SERVICE_KEYS.join(', ')})`);
    }
  }
  if (service.image === undefined) throw new ConfigError(`${where}: "image" is required (usually \${IMAGE})`);
  return { source, text, service };
}

// ---------------------------------------------------------------------------------------------------
// Rendering

/**
 * Compose interpolation: `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?message}` / `${VAR?message}` (required), `$VAR`, and `$$` for a literal `$`.
 */
export function interpolate(value: string, vars: Readonly<Record<string, string>>, where: string): string {
  return value.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|\{[^}]*\}?)/g,
    (match, _all, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = braced ?? bare;
      if (name === undefined) throw new ConfigError(`${where}: invalid placeholder ${match}`);
      const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
      switch (op) {
        case ':-':
          return value === undefined || value === '' ? (arg ?? '') : value;
        case '-':
          return value === undefined ? (arg ?? '') : value;
        case ':?':
        case '?':
          if (value === undefined || (op === ':?' && value === '')) throw new ConfigError(`${where}: ${name} is required${arg ? `: ${arg}` : ''}`);
          return value;
        default:
          if (value === undefined) throw new ConfigError(`${where}: unknown variable \${${name}} (give it a default: \${${name}:-value})`);
          return value;
      }
    },
  );
}

function interpolateDeep(value: unknown, vars: Readonly<Record<string, string>>, path: string): unknown {
  if (typeof value === 'string') return interpolate(value, vars, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolateDeep(v, vars, `${path}[${i}]`));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars, `${path}.${k}`)]));
  return value;
}

/** Fills the placeholders and validates the result: a Compose service ready for `toCreateOptions`. */
export function renderWorkerService(template: WorkerTemplate, vars: Readonly<Record<string, string>>): ComposeService {
  const filled = interpolateDeep(template.service, vars, template.source);
  const parsed = composeServiceSchema.safeParse(filled);
  if (!parsed.success) throw new ConfigError(`${template.source}: ${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys')
        return `${path ? `${path}: ` : ''}unsupported key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${path || '(service)'}: ${issue.message}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------------
// Compose service → Docker Engine API create options

/**
 * Environment names that look like secrets: `docker inspect` shows a container's env to anyone with
 * the socket, so secrets travel in the mounted config file (or its `*File` keys) instead.
 */
const SECRET_NAME = /(PASS(WORD|WD)?|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|WEBHOOK)/i;

export function toCreateOptions(service: ComposeService, name: string): Docker.ContainerCreateOptions {
  const where = `worker "${name}"`;
  const env = toPairs(service.environment, 'environment');
  for (const [key] of env) {
    if (SECRET_NAME.test(key))
      throw new ConfigError(
        `${where}: environment variable ${key} looks like a secret; container env is visible to \`docker inspect\`: put it in the config file (or a mounted *File)`,
      );
  }
  const labels = Object.fromEntries(toPairs(service.labels, 'labels'));
  for (const key of Object.keys(labels)) {
    if (SECRET_NAME.test(key)) throw new ConfigError(`${where}: label ${key} looks like a secret; labels are visible to \`docker inspect\``);
  }
  labels[LABEL_MANAGED] = 'true';
  labels[LABEL_CONFIG] = name;

  const binds: string[] = [];
  for (const v of service.volumes ?? []) binds.push(toBind(v, where));

  const tmpfs = parseTmpfs(service.tmpfs, where);

  const host: Docker.HostConfig = {
    Binds: binds,
    ReadonlyRootfs: service.read_only ?? false,
    Init: service.init ?? false,
    RestartPolicy: toRestartPolicy(service.restart),
  };
  if (Object.keys(tmpfs).length) host.Tmpfs = tmpfs;
  if (service.cap_add) host.CapAdd = service.cap_add;
  if (service.cap_drop) host.CapDrop = service.cap_drop;
  if (service.security_opt) host.SecurityOpt = service.security_opt;
  if (service.mem_limit !== undefined) host.Memory = parseBytes(service.mem_limit, `${where}: mem_limit`);
  if (service.memswap_limit !== undefined) host.MemorySwap = service.memswap_limit === '-1' ? -1 : parseBytes(service.memswap_limit, `${where}: memswap_limit`);
  if (service.cpus !== undefined) host.NanoCpus = Math.round(service.cpus * 1e9);
  if (service.pids_limit !== undefined) host.PidsLimit = service.pids_limit;
  if (service.network_mode !== undefined) host.NetworkMode = service.network_mode;
  if (service.extra_hosts) host.ExtraHosts = toPairs(service.extra_hosts, 'extra_hosts', ':').map(([h, ip]) => `${h}:${ip}`);
  if (service.logging) {
    host.LogConfig = { Type: service.logging.driver ?? 'json-file', Config: { ...(service.logging.options ?? {}) } };
  }

  const options: Docker.ContainerCreateOptions = {
    name: containerName(name),
    Image: service.image,
    // Env order carries no meaning: sorted, so reordering the template does not recreate every worker.
    Env: env.map(([k, v]) => `${k}=${v}`).sort(),
    Labels: labels,
    HostConfig: host,
  };
  if (service.command !== undefined) options.Cmd = toArgv(service.command);
  if (service.entrypoint !== undefined) options.Entrypoint = toArgv(service.entrypoint);
  if (service.user !== undefined) options.User = service.user;
  if (service.working_dir !== undefined) options.WorkingDir = service.working_dir;
  if (service.stop_signal !== undefined) options.StopSignal = service.stop_signal;
  if (service.stop_grace_period !== undefined) options.StopTimeout = Math.ceil(parseDurationNs(service.stop_grace_period, `${where}: stop_grace_period`) / 1e9);
  if (service.healthcheck) options.Healthcheck = toHealthcheck(service.healthcheck, where);
  return options;
}

/** `tmpfs:` entries as mount point → options (`size=16m,mode=1777`, or '' for none). */
export function parseTmpfs(value: ComposeService['tmpfs'], where: string): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  for (const t of typeof value === 'string' ? [value] : (value ?? [])) {
    const i = t.indexOf(':');
    const target = i < 0 ? t : t.slice(0, i);
    if (!target.startsWith('/')) throw new ConfigError(`${where}: tmpfs "${t}": the mount point must be an absolute path`);
    tmpfs[target] = i < 0 ? '' : t.slice(i + 1);
  }
  return tmpfs;
}

export function toPairs(value: ComposeService['environment'], what: string, sep = '='): [string, string][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    const out: [string, string][] = [];
    for (const item of value) {
      const i = item.indexOf(sep);
      // `KEY` alone means "take it from the shell" in Compose: there is no shell here, so it is skipped.
      if (i < 0) continue;
      out.push([item.slice(0, i), item.slice(i + 1)]);
    }
    return out;
  }
  return Object.entries(value)
    .filter((e): e is [string, string | number | boolean] => e[1] !== null)
    .map(([k, v]) => {
      if (k === '') throw new ConfigError(`${what}: empty name`);
      return [k, String(v)];
    });
}

const NAMED_VOLUME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** One volume of a service, checked: `read_only: true` of the long syntax reads as mode `ro`. */
export interface VolumeMount {
  source: string;
  target: string;
  /** As written after the second `:` (`ro`, `rw`, `z`…), when there is one. */
  mode?: string;
}

export function parseVolume(v: string | z.output<typeof longVolumeSchema>, where: string): VolumeMount {
  let source: string;
  let target: string;
  let mode: string | undefined;
  if (typeof v === 'string') {
    const parts = v.split(':');
    if (parts.length < 2 || parts.length > 3) throw new ConfigError(`${where}: volume "${v}": expected <host path or volume>:<container path>[:ro|rw]`);
    [source, target, mode] = parts as [string, string, string | undefined];
  } else {
    source = v.source;
    target = v.target;
    mode = v.read_only ? 'ro' : undefined;
  }
  if (!source.startsWith('/') && !NAMED_VOLUME.test(source)) {
    throw new ConfigError(
      `${where}: volume "${source}": relative host paths are not supported here (use an absolute path, \${CONFIG_FILE_HOST} or \${DATA_DIR_HOST})`,
    );
  }
  if (!target.startsWith('/')) throw new ConfigError(`${where}: volume target "${target}" must be an absolute path`);
  return mode ? { source, target, mode } : { source, target };
}

/** A bind of a host path (absolute), not a named volume. */
export const isHostPath = (source: string): boolean => source.startsWith('/');

function toBind(v: string | z.output<typeof longVolumeSchema>, where: string): string {
  const { source, target, mode } = parseVolume(v, where);
  return mode ? `${source}:${target}:${mode}` : `${source}:${target}`;
}

function toRestartPolicy(restart: ComposeService['restart']): Docker.HostRestartPolicy {
  if (restart === undefined || restart === false || restart === 'no') return { Name: 'no' };
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m) return { Name: 'on-failure', MaximumRetryCount: m[1] ? Number(m[1]) : 0 };
  return { Name: restart };
}

export function toArgv(value: string | string[]): string[] {
  // Compose splits a string command like a shell; a plain whitespace split covers what a worker needs.
  return typeof value === 'string' ? value.trim().split(/\s+/).filter(Boolean) : value;
}

export function toHealthcheck(h: z.output<typeof healthcheckSchema>, where: string): Docker.HealthConfig {
  if (h.disable) return { Test: ['NONE'] };
  const out: Docker.HealthConfig = {};
  if (h.test !== undefined) out.Test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : h.test;
  if (h.interval !== undefined) out.Interval = parseDurationNs(h.interval, `${where}: healthcheck.interval`);
  if (h.timeout !== undefined) out.Timeout = parseDurationNs(h.timeout, `${where}: healthcheck.timeout`);
  if (h.start_period !== undefined) out.StartPeriod = parseDurationNs(h.start_period, `${where}: healthcheck.start_period`);
  if (h.retries !== undefined) out.Retries = h.retries;
  return out;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Compose memory sizes: `128m`, `1g`, `512mb`, `1.5GiB`, plain bytes (binary multiples, as Docker). */
export function parseBytes(value: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ConfigError(`${where}: "${value}" is not a size (e.g. 128m, 1g)`);
  return Math.round(Number(m[1]) * unit);
}

/** Compose (Go) durations: `15s`, `1m30s`, `500ms`. */
export function parseDurationNs(value: string, where: string): number {
  if (value.trim().length === 0) throw new ConfigError(`${where}: empty duration`);
  const ns = parseGoDurationNs(value);
  if (ns === undefined) throw new ConfigError(`${where}: "${value}" is not a duration (e.g. 15s, 1m30s)`);
  return ns;
}

// ---------------------------------------------------------------------------------------------------
// Spec hash

/** Labels left out of the hash: the hash itself, and which supervisor created it (another one adopts it). */
const UNHASHED_LABELS = new Set([LABEL_CONFIG_HASH, LABEL_SUPERVISOR]);

/** sha256 hex of the create options in canonical JSON (sorted keys), without the hash label itself. */
export function specHash(createOptions: Docker.ContainerCreateOptions): string {
  const labels = Object.fromEntries(Object.entries(createOptions.Labels ?? {}).filter(([k]) => !UNHASHED_LABELS.has(k)));
  return createHash('sha256')
    .update(canonicalJson({ ...createOptions, Labels: labels }))
    .digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// ---------------------------------------------------------------------------------------------------
// One worker's whole spec, shared by the docker runtime and generate-compose so both give the same hash.

export interface WorkerSpecInput {
  template: WorkerTemplate;
  name: string;
  configSha: string;
  image: string;
  /** Host path of the config file (what the engine binds). */
  configFileHost: string;
  /** Host path of data/<name>/. */
  dataDirHost: string;
  /** Extra placeholder values (NETWORK_MODE, MEM_LIMIT…); the four above always win. */
  vars?: Readonly<Record<string, string>>;
}

export interface WorkerSpec {
  /** The rendered Compose service, with every campus-sync label (hash included). */
  service: ComposeService;
  /** The Engine API create options, with every campus-sync label (hash included). */
  createOptions: Docker.ContainerCreateOptions;
  hash: string;
}

export function buildWorkerSpec(input: WorkerSpecInput): WorkerSpec {
  const vars: WorkerVars = {
    ...input.vars,
    NAME: input.name,
    IMAGE: input.image,
    CONFIG_FILE_HOST: input.configFileHost,
    DATA_DIR_HOST: input.dataDirHost,
  };
  const rendered = renderWorkerService(input.template, vars);
  const labels = {
    ...Object.fromEntries(toPairs(rendered.labels, 'labels')),
    [LABEL_MANAGED]: 'true',
    [LABEL_CONFIG]: input.name,
    [LABEL_CONFIG_SHA]: input.configSha,
  };
  const createOptions = toCreateOptions({ ...rendered, labels }, input.name);
  const hash = specHash(createOptions);
  createOptions.Labels = { ...createOptions.Labels, [LABEL_CONFIG_HASH]: hash };
  const service: ComposeService = { ...rendered, labels: { ...labels, [LABEL_CONFIG_HASH]: hash } };
  return { service, createOptions, hash };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
