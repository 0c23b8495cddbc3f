/**
 * A `docker stack deploy` file for a swarm without a supervisor: one service per config, rendered from the
 * SAME worker template and delivery rules as the swarm runtime (swarm-spec.ts): the config as a Swarm
 * config (a secret when its text holds one), `*File` files as secrets, named after their content so a
 * changed file is a new object on the next deploy. `${VAR}` values are not in any file: they are external
 * secrets the operator creates once (the header says how). Pure: the caller reads the files.
 *
 * Stack services are named `<stack>_<name>` and carry no `campus-sync.managed` label: a swarm-runtime
 * supervisor never adopts, updates or removes them (its services are `campus-sync-<name>`).
 */
import { join, posix } from 'node:path';
import { Document, visit } from 'yaml';
import { escapeDollars, YAML11_AMBIGUOUS } from './compose-static.js';
import { LABEL_CONFIG_HASH, LABEL_MANAGED } from './interface.js';
import {
  buildSwarmServiceSpec,
  configTargetOf,
  planDelivery,
  swarmObjectName,
  SWARM_SECRETS_DIR,
  toSwarmRestartPolicy,
  type PlannedObject,
} from './swarm-spec.js';
import { parseUser } from './docker-runtime.js';
import {
  buildWorkerSpec,
  containerName,
  parseBytes,
  parseTmpfs,
  isHostPath,
  parseVolume,
  toPairs,
  type ComposeService,
  type WorkerTemplate,
} from './template.js';

export interface StackConfigInput {
  name: string;
  configSha: string;
  /** The config file's bytes as written (`${VAR}` still in). */
  configText: Buffer;
  inlineSecrets?: boolean;
  /** `${VAR}` names the text uses: each becomes an external secret. */
  envVars?: string[];
  /** `*File` secrets: the path as written in the config and the file's bytes. */
  secretFiles?: { path: string; data: Buffer }[];
}

export interface StackInput {
  template: WorkerTemplate;
  configs: StackConfigInput[];
  image: string;
  /** Host path of configs/ on the node running `docker stack deploy` (where the CLI reads the `file:`s). */
  hostConfigDir: string;
  /** Host path of data/ on the nodes (each service binds `<hostDataDir>/<name>`). */
  hostDataDir: string;
  vars?: Readonly<Record<string, string>>;
  /** Default uid/gid of the mounted objects when the template's user is not numeric. */
  defaultUid?: number;
}

/** The stack name the header suggests. */
export const DEFAULT_STACK_NAME = 'campus-sync';
/** External secrets are named without a content sha: the operator makes them by hand. */
export const externalSecretName = (instance: string, variable: string): string => swarmObjectName([containerName(instance), 'env', variable.toLowerCase()]);

/** Keys the stack file carries in other words (deploy, networks) or that `docker stack deploy` ignores. */
const MOVED_KEYS = [
  'container_name',
  'restart',
  'network_mode',
  'mem_limit',
  'memswap_limit',
  'cpus',
  'pids_limit',
  'security_opt',
  'labels',
  'volumes',
  'tmpfs',
  'deploy',
] as const;
/** The name of the host network in the stack file (`external`, named `host`). */
const HOST_NETWORK_KEY = 'hostnet';

export function renderStackFile(input: StackInput): string {
  const services: Record<string, unknown> = {};
  const configs: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  const external: { instance: string; variable: string; name: string }[] = [];
  let usesHostNetwork = false;

  for (const c of [...input.configs].sort((a, b) => a.name.localeCompare(b.name))) {
    const configFileHost = join(input.hostConfigDir, `${c.name}.yml`);
    const { service } = buildWorkerSpec({
      template: input.template,
      name: c.name,
      configSha: c.configSha,
      image: input.image,
      configFileHost,
      dataDirHost: join(input.hostDataDir, c.name),
      vars: input.vars,
    });
    const ids = parseUser(service.user) ?? { uid: input.defaultUid ?? 1000, gid: input.defaultUid ?? 1000 };
    const configTarget = configTargetOf(service, configFileHost, c.name);
    const delivery = planDelivery({
      name: c.name,
      configText: c.configText,
      inlineSecrets: c.inlineSecrets ?? false,
      configTarget,
      envValues: [],
      secretFiles: c.secretFiles ?? [],
      ...ids,
    });
    // The same spec the runtime would build: its resources, restart policy and hash label.
    const swarm = buildSwarmServiceSpec({ service, name: c.name, objects: delivery.objects });

    const refs = { configs: [] as unknown[], secrets: [] as unknown[] };
    for (const o of delivery.objects) {
      const key = o.name;
      const file = o.what === 'the config file' ? configFileHost : fileOf(o, c, input.hostConfigDir);
      (o.kind === 'config' ? configs : secrets)[key] = { name: o.name, file };
      refs[o.kind === 'config' ? 'configs' : 'secrets'].push({ source: key, target: o.target, uid: String(o.uid), gid: String(o.gid), mode: o.mode });
    }
    for (const variable of [...(c.envVars ?? [])].sort()) {
      const name = externalSecretName(c.name, variable);
      secrets[name] = { external: true, name };
      refs.secrets.push({ source: name, target: variable, uid: String(ids.uid), gid: String(ids.gid), mode: 0o400 });
      external.push({ instance: c.name, variable, name });
    }

    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(service)) if (!(MOVED_KEYS as readonly string[]).includes(k)) out[k] = v;
    if (c.envVars?.length) out.environment = { ...Object.fromEntries(toPairs(service.environment, 'environment')), CAMPUS_SYNC_SECRETS_DIR: SWARM_SECRETS_DIR };
    // Container labels as on the runtime's tasks (no `managed`: these are the stack's, see the top).
    const labels = Object.fromEntries(Object.entries(swarm.spec.TaskTemplate.ContainerSpec.Labels).filter(([k]) => k !== LABEL_CONFIG_HASH));
    out.labels = labels;
    out.volumes = stackVolumes(service, configTarget, c.name);
    if (refs.configs.length) out.configs = refs.configs;
    if (refs.secrets.length) out.secrets = refs.secrets;
    if (service.network_mode === 'host') {
      out.networks = [HOST_NETWORK_KEY];
      usesHostNetwork = true;
    }
    out.deploy = stackDeploy(service, swarm.spec, labels);
    services[c.name] = out;
  }

  const doc: Record<string, unknown> = { version: '3.8', services };
  if (usesHostNetwork) doc.networks = { [HOST_NETWORK_KEY]: { external: true, name: 'host' } };
  if (Object.keys(configs).length) doc.configs = configs;
  if (Object.keys(secrets).length) doc.secrets = secrets;

  const header = [
    `# GENERATED by campus-sync from ${input.template.source} — do not edit: edit the template or the configs and generate again.`,
    '#',
    '# One Swarm service per config, no supervisor. On a swarm manager, from any directory:',
    `#   docker stack deploy -c <this file> ${DEFAULT_STACK_NAME}`,
    '# data/<name>/ must exist on every node a worker may run on, belong to uid 1000, and hold the same data',
    '# (a shared mount), or pin the services with deploy.placement.constraints in the template.',
    '# Configs and *File secrets are read from the paths below when you deploy; a changed file gets a new',
    '# object name (content sha): generate again and deploy again to roll it out.',
    ...(external.length
      ? [
          '#',
          '# ${VAR} values are external secrets: create each one ONCE before deploying (the worker drops one trailing newline):',
          ...external.map((e) => `#   printf '%s\\n' "$${e.variable}" | docker secret create ${e.name} -`),
          "# To change one: docker service rm the stack's service, docker secret rm it, create it again, deploy again.",
        ]
      : []),
    '',
  ].join('\n');
  const yaml = new Document(escapeDollars(doc));
  visit(yaml, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && YAML11_AMBIGUOUS.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return header + yaml.toString({ lineWidth: 0 });
}

/** Data binds stay; the config file's bind is the Swarm config now; tmpfs in the long syntax stack deploy reads. */
function stackVolumes(service: ComposeService, configTarget: string, name: string): unknown[] {
  const out: unknown[] = [];
  for (const v of service.volumes ?? []) {
    const m = parseVolume(v, `worker "${name}"`);
    if (m.target === configTarget) continue;
    out.push({
      type: isHostPath(m.source) ? 'bind' : 'volume',
      source: m.source,
      target: m.target,
      ...(m.mode?.split(',').includes('ro') ? { read_only: true } : {}),
    });
  }
  for (const [target, options] of Object.entries(parseTmpfs(service.tmpfs, `worker "${name}"`))) {
    const size = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
    // Stack files want the tmpfs size as a number of bytes.
    out.push({ type: 'tmpfs', target, ...(size ? { tmpfs: { size: parseBytes(size, `worker "${name}": tmpfs ${target} size`) } } : {}) });
  }
  return out;
}

/** deploy: 1 replica, the runtime's resources and restart policy, placement from the template, service labels. */
function stackDeploy(service: ComposeService, spec: ReturnType<typeof buildSwarmServiceSpec>['spec'], labels: Record<string, string>): Record<string, unknown> {
  const deploy: Record<string, unknown> = {
    mode: 'replicated',
    replicas: 1,
    labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== LABEL_MANAGED)),
  };
  const { Limits, Reservations } = spec.TaskTemplate.Resources;
  const resources: Record<string, unknown> = {};
  if (Limits.MemoryBytes !== undefined || Limits.NanoCPUs !== undefined) {
    resources.limits = {
      ...(Limits.NanoCPUs !== undefined ? { cpus: String(Limits.NanoCPUs / 1e9) } : {}),
      ...(Limits.MemoryBytes !== undefined ? { memory: `${Limits.MemoryBytes}b` } : {}),
    };
  }
  if (Reservations.MemoryBytes !== undefined || Reservations.NanoCPUs !== undefined) {
    resources.reservations = {
      ...(Reservations.NanoCPUs !== undefined ? { cpus: String(Reservations.NanoCPUs / 1e9) } : {}),
      ...(Reservations.MemoryBytes !== undefined ? { memory: `${Reservations.MemoryBytes}b` } : {}),
    };
  }
  if (Object.keys(resources).length) deploy.resources = resources;
  const rp = toSwarmRestartPolicy(service, 'stack');
  deploy.restart_policy = {
    condition: rp.Condition,
    ...(rp.Delay !== undefined ? { delay: `${rp.Delay / 1e6}ms` } : {}),
    ...(rp.MaxAttempts !== undefined ? { max_attempts: rp.MaxAttempts } : {}),
    ...(rp.Window !== undefined ? { window: `${rp.Window / 1e6}ms` } : {}),
  };
  // stop-first, as the runtime: one instance never runs twice during an update.
  deploy.update_config = { parallelism: 1, order: 'stop-first', failure_action: 'pause' };
  const p = service.deploy?.placement;
  if (p?.constraints?.length || p?.preferences?.length)
    deploy.placement = { ...(p.constraints?.length ? { constraints: p.constraints } : {}), ...(p.preferences?.length ? { preferences: p.preferences } : {}) };
  return deploy;
}

function fileOf(o: PlannedObject, c: StackConfigInput, hostConfigDir: string): string {
  const written = (c.secretFiles ?? []).find((f) => o.what === `the secret file ${f.path}`)?.path ?? '';
  return written.startsWith('/') ? written : posix.join(hostConfigDir, written);
}
