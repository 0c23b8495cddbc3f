import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SCOPE, LABEL_SUPERVISOR } from './interface.js';
import {
  apiAtLeast,
  buildSwarmServiceSpec,
  configTargetOf,
  planDelivery,
  secretFileTarget,
  swarmObjectName,
  SWARM_OBJECT_MAX_BYTES,
  SWARM_OBJECT_NAME_MAX,
  type DeliveryInput,
  type SwarmSpecInput,
} from './swarm-spec.js';
import { buildWorkerSpec, LABEL_CONFIG_SHA, loadWorkerTemplateSync, parseWorkerTemplate, type ComposeService, type WorkerTemplate } from './template.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../../compose.template.yml');
const CONFIG_HOST = '/srv/cs/configs/alice.yml';

function rendered(template: WorkerTemplate = loadWorkerTemplateSync(TEMPLATE_PATH), vars: Record<string, string> = {}): ComposeService {
  return buildWorkerSpec({
    template,
    name: 'alice',
    configSha: 'a'.repeat(64),
    image: 'campus-sync:local',
    configFileHost: CONFIG_HOST,
    dataDirHost: '/srv/cs/data/alice',
    vars,
  }).service;
}

const delivery = (over: Partial<DeliveryInput> = {}): DeliveryInput => ({
  name: 'alice',
  configText: Buffer.from('timezone: Europe/Paris\n'),
  inlineSecrets: false,
  configTarget: '/config/alice.yml',
  envValues: [],
  secretFiles: [],
  uid: 1000,
  gid: 1000,
  ...over,
});

function specFor(over: Partial<SwarmSpecInput> = {}, d: Partial<DeliveryInput> = {}) {
  const plan = planDelivery(delivery(d));
  return buildSwarmServiceSpec({
    service: rendered(),
    name: 'alice',
    objects: plan.objects,
    ...(plan.secretsDir ? { secretsDir: plan.secretsDir } : {}),
    ...over,
  });
}

const withTemplate = (extra: string): WorkerTemplate => parseWorkerTemplate(`services:\n  worker:\n    image: \${IMAGE}\n${extra}`);

describe('planDelivery', () => {
  it('delivers the config text as a Swarm config at the worker’s config path, world-readable, named after its content', () => {
    const { objects, secretsDir } = planDelivery(delivery());
    expect(secretsDir).toBeUndefined();
    expect(objects).toHaveLength(1);
    const [o] = objects;
    expect(o).toMatchObject({ kind: 'config', target: '/config/alice.yml', uid: 1000, gid: 1000, mode: 0o444 });
    expect(o!.name).toMatch(/^campus-sync-alice-config-[0-9a-f]{12}$/);
    expect(o!.data.toString()).toBe('timezone: Europe/Paris\n');
    // A changed text is another object (Swarm objects are immutable); the same text the same name.
    expect(planDelivery(delivery({ configText: Buffer.from('timezone: UTC\n') })).objects[0]!.name).not.toBe(o!.name);
    expect(planDelivery(delivery()).objects[0]!.name).toBe(o!.name);
  });

  it('makes the config text a SECRET (private mode) when it holds a secret value', () => {
    const [o] = planDelivery(delivery({ inlineSecrets: true })).objects;
    expect(o).toMatchObject({ kind: 'secret', target: '/config/alice.yml', mode: 0o400 });
  });

  it('delivers each set ${VAR} as a secret named after the variable, under /run/secrets, with one newline the worker drops', () => {
    const { objects, secretsDir } = planDelivery(
      delivery({
        envValues: [
          { name: 'MC_PASSWORD', value: 'hunter2' },
          { name: 'EMPTY', value: '' },
        ],
      }),
    );
    expect(secretsDir).toBe('/run/secrets');
    const env = objects.filter((o) => o.what.startsWith('${'));
    expect(env.map((o) => [o.kind, o.target, o.mode, o.data.toString()])).toEqual([
      ['secret', 'EMPTY', 0o400, '\n'],
      ['secret', 'MC_PASSWORD', 0o400, 'hunter2\n'],
    ]);
    expect(env[1]!.name).toMatch(/^campus-sync-alice-env-mc_password-[0-9a-f]{12}$/);
    // The name's sha is keyed: it is not the plain sha256 of the password (which a lookup table would reverse).
    expect(env[1]!.name).not.toContain(createHash('sha256').update('hunter2\n').digest('hex').slice(0, 12));
    expect(env[1]!.name).not.toContain(createHash('sha256').update('hunter2').digest('hex').slice(0, 12));
    const rotated = planDelivery(delivery({ envValues: [{ name: 'MC_PASSWORD', value: 'hunter3' }] })).objects.find((o) => o.target === 'MC_PASSWORD');
    expect(rotated!.name).not.toBe(env[1]!.name);
  });

  it('puts each *File secret where the worker will look: relative to its config directory, or the absolute path itself', () => {
    const { objects } = planDelivery(
      delivery({
        secretFiles: [
          { path: 'secrets/pw.txt', data: Buffer.from('pw') },
          { path: './secrets/pw.txt', data: Buffer.from('pw') },
          { path: '/run/keys/ecal.key', data: Buffer.from('key') },
        ],
      }),
    );
    const files = objects.filter((o) => o.what.startsWith('the secret file'));
    expect(files.map((o) => [o.kind, o.target, o.mode])).toEqual([
      ['secret', '/config/secrets/pw.txt', 0o400],
      ['secret', '/run/keys/ecal.key', 0o400],
    ]);
    expect(files[0]!.name).toMatch(/^campus-sync-alice-file-pw.txt-[0-9a-f]{12}$/);
    expect(secretFileTarget('../shared/pw', '/config/alice.yml')).toBe('/shared/pw');
  });

  it('refuses what Swarm refuses, naming the config and the file but never the content', () => {
    const big = Buffer.alloc(SWARM_OBJECT_MAX_BYTES, 'x');
    expect(() => planDelivery(delivery({ configText: big }))).toThrow(ConfigError);
    expect(() => planDelivery(delivery({ configText: big }))).toThrow(
      /config alice: the config file is 512000 bytes; a Swarm config must be under 512000 bytes/,
    );
    expect(() => planDelivery(delivery({ secretFiles: [{ path: 'pw.txt', data: Buffer.alloc(0) }] }))).toThrow(/config alice: the secret file pw.txt is empty/);
    expect(() => planDelivery(delivery({ configText: Buffer.alloc(SWARM_OBJECT_MAX_BYTES - 1, 'x') }))).not.toThrow();
  });

  it('shortens long object names deterministically, under the 64-character limit, still unique', () => {
    const long = 'x'.repeat(50);
    const a = swarmObjectName([`campus-sync-${long}`, 'env', 'a_very_long_variable_name', '0123456789ab']);
    const b = swarmObjectName([`campus-sync-${long}`, 'env', 'a_very_long_variable_name', '0123456789ac']);
    expect(a.length).toBe(SWARM_OBJECT_NAME_MAX);
    expect(a).not.toBe(b);
    expect(swarmObjectName([`campus-sync-${long}`, 'env', 'a_very_long_variable_name', '0123456789ab'])).toBe(a);
    const { objects } = planDelivery(delivery({ name: long, envValues: [{ name: 'A_VERY_LONG_VARIABLE_NAME_INDEED', value: 'v' }] }));
    for (const o of objects) expect(o.name.length).toBeLessThanOrEqual(SWARM_OBJECT_NAME_MAX);
  });
});

describe('configTargetOf', () => {
  it("is the target of the template's bind of the config file, /config/<name>.yml without one", () => {
    expect(configTargetOf(rendered(), CONFIG_HOST, 'alice')).toBe('/config/alice.yml');
    expect(configTargetOf(rendered(withTemplate(`    volumes: ["\${CONFIG_FILE_HOST}:/etc/cs/me.yml:ro"]\n`)), CONFIG_HOST, 'alice')).toBe('/etc/cs/me.yml');
    expect(configTargetOf(rendered(withTemplate('')), CONFIG_HOST, 'alice')).toBe('/config/alice.yml');
  });
});

describe('buildSwarmServiceSpec from the shipped template', () => {
  it('maps the worker container to a 1-replica service with the same labels, command, user, hardening and limits', () => {
    const { spec, hash, ignored } = specFor({ scope: 'ci', supervisorId: 'host-1' });
    expect(spec.Name).toBe('campus-sync-alice');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.UpdateConfig.Order).toBe('stop-first');
    expect(spec.Labels).toMatchObject({
      [LABEL_MANAGED]: 'true',
      [LABEL_CONFIG]: 'alice',
      [LABEL_CONFIG_SHA]: 'a'.repeat(64),
      [LABEL_SCOPE]: 'ci',
      [LABEL_SUPERVISOR]: 'host-1',
      [LABEL_CONFIG_HASH]: hash,
    });
    const c = spec.TaskTemplate.ContainerSpec;
    expect(c.Image).toBe('campus-sync:local');
    expect(c.Command).toBeUndefined();
    expect(c.Args).toEqual(['worker', 'alice']);
    expect(c.Env).toEqual(['CAMPUS_SYNC_CONFIG_DIR=/config', 'CAMPUS_SYNC_DATA_DIR=/data', 'CAMPUS_SYNC_INSTANCE=alice', 'LOG_FORMAT=json', 'TZ=Europe/Paris']);
    expect(c.User).toBe('1000:1000');
    expect(c.ReadOnly).toBe(true);
    expect(c.Init).toBe(true);
    expect(c.StopGracePeriod).toBe(15e9);
    expect(c.CapabilityDrop).toEqual(['ALL']);
    // Task containers are not docker-runtime workers: no `managed` label on them, the rest is there.
    expect(c.Labels[LABEL_MANAGED]).toBeUndefined();
    expect(c.Labels).toMatchObject({ [LABEL_CONFIG]: 'alice', [LABEL_SCOPE]: 'ci', [LABEL_CONFIG_HASH]: hash });
    // The config's bind is replaced by the Swarm config; data stays a bind; tmpfs keeps its size.
    expect(c.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/cs/data/alice', Target: '/data/alice' },
      { Type: 'tmpfs', Source: '', Target: '/tmp', TmpfsOptions: { SizeBytes: 16 * 1024 * 1024 } },
    ]);
    expect(c.Configs).toEqual([
      { File: { Name: '/config/alice.yml', UID: '1000', GID: '1000', Mode: 0o444 }, ConfigName: expect.stringMatching(/^campus-sync-alice-config-/) },
    ]);
    expect(c.Secrets).toEqual([]);
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 128 * 1024 * 1024 }, Reservations: {} });
    // The shipped template's deploy.restart_policy: bounded, Swarm's own delay.
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'any', Delay: 10e9, MaxAttempts: 10, Window: 120e9 });
    expect(spec.TaskTemplate.Networks).toBeUndefined();
    expect(spec.TaskTemplate.LogDriver).toEqual({ Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '3' } });
    // no-new-privileges has no ServiceSpec field before API 1.44: skipped, and said.
    expect(c.Privileges).toBeUndefined();
    expect(ignored).toEqual(['security_opt "no-new-privileges:true"']);
  });

  it('sets NoNewPrivileges when the engine speaks API 1.44 or later', () => {
    const { spec, ignored } = specFor({ apiVersion: '1.44' });
    expect(spec.TaskTemplate.ContainerSpec.Privileges).toEqual({ NoNewPrivileges: true });
    expect(ignored).toEqual([]);
    expect(apiAtLeast('1.41', '1.44')).toBe(false);
    expect(apiAtLeast('2.0', '1.44')).toBe(true);
    expect(apiAtLeast(undefined, '1.44')).toBe(false);
  });

  it('host networking attaches the host network; ${VAR} secrets add CAMPUS_SYNC_SECRETS_DIR (a path) to the env', () => {
    const plan = planDelivery(delivery({ envValues: [{ name: 'PW', value: 'hunter2' }] }));
    const { spec } = buildSwarmServiceSpec({
      service: rendered(undefined, { NETWORK_MODE: 'host' }),
      name: 'alice',
      objects: plan.objects,
      secretsDir: plan.secretsDir!,
    });
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'host' }]);
    expect(spec.TaskTemplate.ContainerSpec.Env).toContain('CAMPUS_SYNC_SECRETS_DIR=/run/secrets');
    expect(JSON.stringify(spec)).not.toContain('hunter2');
    expect(spec.TaskTemplate.ContainerSpec.Secrets).toEqual([
      { File: { Name: 'PW', UID: '1000', GID: '1000', Mode: 0o400 }, SecretName: expect.stringMatching(/^campus-sync-alice-env-pw-/) },
    ]);
  });

  it('hashes the spec: stable, blind to object ids, scope and supervisor; changed by the config text, a secret, or the template', () => {
    const base = specFor().hash;
    expect(specFor().hash).toBe(base);
    expect(specFor({ scope: 'x', supervisorId: 'y' }).hash).toBe(base);
    const plan = planDelivery(delivery());
    const withIds = buildSwarmServiceSpec({ service: rendered(), name: 'alice', objects: plan.objects.map((o) => ({ ...o, id: 'abc123' })) });
    expect(withIds.hash).toBe(base);
    expect(withIds.spec.TaskTemplate.ContainerSpec.Configs[0]!.ConfigID).toBe('abc123');
    expect(specFor({}, { configText: Buffer.from('timezone: UTC\n') }).hash).not.toBe(base);
    const s1 = specFor({}, { secretFiles: [{ path: 'pw', data: Buffer.from('one') }] }).hash;
    const s2 = specFor({}, { secretFiles: [{ path: 'pw', data: Buffer.from('two') }] }).hash;
    expect(s1).not.toBe(s2);
    const e1 = specFor({}, { envValues: [{ name: 'PW', value: 'one' }] }).hash;
    const e2 = specFor({}, { envValues: [{ name: 'PW', value: 'two' }] }).hash;
    expect(e1).not.toBe(e2);
    const other = buildSwarmServiceSpec({ service: rendered(undefined, { MEM_LIMIT: '96m' }), name: 'alice', objects: plan.objects });
    expect(other.hash).not.toBe(base);
  });
});

describe('buildSwarmServiceSpec: deploy and the other Compose keys', () => {
  const specOf = (extra: string) => buildSwarmServiceSpec({ service: rendered(withTemplate(extra)), name: 'alice', objects: planDelivery(delivery()).objects });

  it('takes placement, resources and restart_policy from deploy', () => {
    const { spec } = specOf(
      [
        '    mem_limit: 64m',
        '    cpus: 0.25',
        '    restart: "no"',
        '    deploy:',
        '      placement:',
        '        constraints: ["node.role == worker", "node.labels.pi == true"]',
        '        preferences: [{ spread: node.labels.zone }]',
        '      resources:',
        '        limits: { cpus: "0.5", memory: 96m, pids: 64 }',
        '        reservations: { cpus: 0.1, memory: 32m }',
        '      restart_policy: { condition: on-failure, delay: 10s, max_attempts: 5, window: 2m }',
        '',
      ].join('\n'),
    );
    expect(spec.TaskTemplate.Placement).toEqual({
      Constraints: ['node.role == worker', 'node.labels.pi == true'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
    });
    expect(spec.TaskTemplate.Resources).toEqual({
      Limits: { MemoryBytes: 96 * 1024 ** 2, NanoCPUs: 5e8, Pids: 64 },
      Reservations: { MemoryBytes: 32 * 1024 ** 2, NanoCPUs: 1e8 },
    });
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure', Delay: 10e9, MaxAttempts: 5, Window: 120e9 });
  });

  it('derives the restart policy from `restart:` without deploy.restart_policy', () => {
    const policy = (restart: string) => specOf(`    restart: "${restart}"\n`).spec.TaskTemplate.RestartPolicy;
    expect(policy('unless-stopped')).toEqual({ Condition: 'any' });
    expect(policy('always')).toEqual({ Condition: 'any' });
    expect(policy('on-failure')).toEqual({ Condition: 'on-failure' });
    expect(policy('on-failure:3')).toEqual({ Condition: 'on-failure', MaxAttempts: 3 });
    expect(policy('no')).toEqual({ Condition: 'none' });
    expect(specOf('').spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none' });
    expect(specOf('    deploy: { restart_policy: { max_attempts: 2 } }\n').spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'any', MaxAttempts: 2 });
  });

  it('maps entrypoint, healthcheck, extra_hosts, volumes and tmpfs; lists what Swarm cannot do', () => {
    const { spec, ignored } = specOf(
      [
        '    entrypoint: ["node", "/app/dist/cli.js"]',
        '    command: worker alice',
        '    working_dir: /app',
        '    stop_signal: SIGINT',
        '    cap_add: [NET_BIND_SERVICE]',
        '    healthcheck: { test: "true", interval: 10s, timeout: 2s, retries: 2, start_period: 5s }',
        '    extra_hosts: ["ecal.local:127.0.0.1"]',
        '    volumes: ["/srv/shared:/shared:ro", "named:/named", "/srv/z:/z:z"]',
        '    tmpfs: ["/run/x:size=1m,mode=700,noexec"]',
        '    memswap_limit: 256m',
        '    security_opt: ["apparmor=unconfined"]',
        '',
      ].join('\n'),
    );
    const c = spec.TaskTemplate.ContainerSpec;
    expect(c.Command).toEqual(['node', '/app/dist/cli.js']);
    expect(c.Args).toEqual(['worker', 'alice']);
    expect(c.Dir).toBe('/app');
    expect(c.StopSignal).toBe('SIGINT');
    expect(c.CapabilityAdd).toEqual(['NET_BIND_SERVICE']);
    expect(c.HealthCheck).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 10e9, Timeout: 2e9, Retries: 2, StartPeriod: 5e9 });
    expect(c.Hosts).toEqual(['127.0.0.1 ecal.local']);
    expect(c.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/shared', Target: '/shared', ReadOnly: true },
      { Type: 'volume', Source: 'named', Target: '/named' },
      { Type: 'bind', Source: '/srv/z', Target: '/z' },
      { Type: 'tmpfs', Source: '', Target: '/run/x', TmpfsOptions: { SizeBytes: 1024 ** 2, Mode: 0o700 } },
    ]);
    expect(ignored).toEqual(['volume mode "z" of /z', 'tmpfs option "noexec" of /run/x', 'security_opt "apparmor=unconfined"', 'memswap_limit']);
  });

  it('refuses a network mode a service cannot have', () => {
    expect(() => specOf('    network_mode: "container:abc"\n')).toThrow(/network_mode "container:abc" cannot be used by a Swarm service/);
    expect(specOf('    network_mode: my-overlay\n').spec.TaskTemplate.Networks).toEqual([{ Target: 'my-overlay' }]);
  });
});
