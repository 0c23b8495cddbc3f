import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_SUPERVISOR } from './interface.js';
import {
  buildWorkerSpec,
  canonicalJson,
  interpolate,
  LABEL_CONFIG_SHA,
  loadWorkerTemplate,
  parseBytes,
  parseDurationNs,
  parseWorkerTemplate,
  renderWorkerService,
  specHash,
  toCreateOptions,
  type WorkerSpecInput,
} from './template.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../../compose.template.yml');

const VARS = { NAME: 'alice', IMAGE: 'campus-sync:local', CONFIG_FILE_HOST: '/srv/cs/configs/alice.yml', DATA_DIR_HOST: '/srv/cs/data/alice' };

async function shipped() {
  return loadWorkerTemplate(TEMPLATE_PATH);
}

async function specInput(over: Partial<WorkerSpecInput> = {}): Promise<WorkerSpecInput> {
  return {
    template: await shipped(),
    name: 'alice',
    configSha: 'a'.repeat(64),
    image: 'campus-sync:local',
    configFileHost: '/srv/cs/configs/alice.yml',
    dataDirHost: '/srv/cs/data/alice',
    ...over,
  };
}

describe('the shipped compose.template.yml', () => {
  it('renders the worker service with the instance filled in and the defaults applied', async () => {
    const s = renderWorkerService(await shipped(), VARS);
    expect(s.image).toBe('campus-sync:local');
    expect(s.command).toEqual(['worker', 'alice']);
    expect(s.environment).toEqual({
      CAMPUS_SYNC_INSTANCE: 'alice',
      CAMPUS_SYNC_CONFIG_DIR: '/config',
      CAMPUS_SYNC_DATA_DIR: '/data',
      LOG_FORMAT: 'json',
      TZ: 'Europe/Paris',
    });
    expect(s.volumes).toEqual(['/srv/cs/configs/alice.yml:/config/alice.yml:ro', '/srv/cs/data/alice:/data/alice']);
    expect(s.network_mode).toBe('bridge');
    expect(s.mem_limit).toBe('128m');
    expect(s.logging).toEqual({ driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } });
    expect(s.restart).toBe('unless-stopped');
    expect(s.user).toBe('1000:1000');
    expect(s.healthcheck).toBeUndefined();
  });

  it('takes optional placeholders from the vars over their defaults', async () => {
    const s = renderWorkerService(await shipped(), { ...VARS, NETWORK_MODE: 'host', MEM_LIMIT: '256m', LOG_MAX_SIZE: '5m', LOG_MAX_FILE: '2', TZ: 'Etc/UTC' });
    expect(s.network_mode).toBe('host');
    expect(s.mem_limit).toBe('256m');
    expect(s.logging?.options).toEqual({ 'max-size': '5m', 'max-file': '2' });
    expect(s.environment).toMatchObject({ TZ: 'Etc/UTC' });
  });

  it('maps to Engine API create options with the hardening', async () => {
    const o = toCreateOptions(renderWorkerService(await shipped(), VARS), 'alice');
    expect(o.name).toBe('campus-sync-alice');
    expect(o.Image).toBe('campus-sync:local');
    expect(o.Cmd).toEqual(['worker', 'alice']);
    expect(o.User).toBe('1000:1000');
    expect(o.Env).toEqual(['CAMPUS_SYNC_CONFIG_DIR=/config', 'CAMPUS_SYNC_DATA_DIR=/data', 'CAMPUS_SYNC_INSTANCE=alice', 'LOG_FORMAT=json', 'TZ=Europe/Paris']);
    expect(o.Labels).toEqual({ [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: 'alice' });
    expect(o.StopTimeout).toBe(15);
    expect(o.Healthcheck).toBeUndefined();
    expect(o.HostConfig).toEqual({
      Binds: ['/srv/cs/configs/alice.yml:/config/alice.yml:ro', '/srv/cs/data/alice:/data/alice'],
      ReadonlyRootfs: true,
      Init: true,
      RestartPolicy: { Name: 'unless-stopped' },
      Tmpfs: { '/tmp': 'size=16m' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Memory: 128 * 1024 * 1024,
      NetworkMode: 'bridge',
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3' } },
    });
  });

  it('carries no secret-looking variable in the worker env', async () => {
    const o = toCreateOptions(renderWorkerService(await shipped(), VARS), 'alice');
    for (const e of o.Env ?? []) expect(e).toMatch(/^(CAMPUS_SYNC_[A-Z_]+|TZ|LOG_FORMAT)=/);
  });
});

describe('placeholders', () => {
  it('follows Compose: ${X}, ${X:-d} on unset or empty, ${X-d} on unset only, $$ is a dollar, $X', () => {
    const vars = { A: 'a', EMPTY: '' };
    expect(interpolate('${A}/${B:-b}/${EMPTY:-e}/${EMPTY-e}/${B-x}/$$A/$A', vars, 't')).toBe('a/b/e//x/$A/a');
  });

  it('names an unknown variable, and the message of a required one', () => {
    expect(() => interpolate('${NOPE}', {}, 'tpl')).toThrow(/tpl: unknown variable \$\{NOPE\}/);
    expect(() => interpolate('${X:?set X please}', {}, 'tpl')).toThrow(/X is required: set X please/);
    expect(() => interpolate('${toString}', {}, 'tpl')).toThrow(ConfigError);
  });
});

describe('template validation', () => {
  it('refuses a key we do not support, naming it', () => {
    const text = 'services:\n  worker:\n    image: x\n    ports: ["80:80"]\n';
    expect(() => parseWorkerTemplate(text, 'my.yml')).toThrow(/my\.yml: services\.worker: unsupported key "ports"/);
  });

  it('refuses container_name, more than one service, other top-level sections', () => {
    expect(() => parseWorkerTemplate('services:\n  w:\n    image: x\n    container_name: y\n')).toThrow(/container_name/);
    expect(() => parseWorkerTemplate('services:\n  a: {image: x}\n  b: {image: y}\n')).toThrow(/exactly one service.*a, b/);
    expect(() => parseWorkerTemplate('services:\n  w: {image: x}\nnetworks: {}\n')).toThrow(/top-level key "networks"/);
    expect(() => parseWorkerTemplate('services:\n  w: {command: [a]}\n')).toThrow(/"image" is required/);
    expect(() => parseWorkerTemplate('services: [\n')).toThrow(/not valid YAML/);
  });

  it('accepts x- extension keys and a version line', () => {
    const t = parseWorkerTemplate('version: "3"\nx-common: &c {TZ: UTC}\nservices:\n  w:\n    image: ${IMAGE}\n    environment: *c\n');
    expect(renderWorkerService(t, VARS).environment).toEqual({ TZ: 'UTC' });
  });

  it('refuses a nested unknown key and a bad value at render time, with the path', () => {
    const t = parseWorkerTemplate('services:\n  w:\n    image: x\n    logging: {driver: json-file, opts: {}}\n');
    expect(() => renderWorkerService(t, VARS)).toThrow(/logging: unsupported key "opts"/);
    const bad = parseWorkerTemplate('services:\n  w:\n    image: x\n    restart: sometimes\n');
    expect(() => renderWorkerService(bad, VARS)).toThrow(/restart: expected no, always/);
    const mem = parseWorkerTemplate('services:\n  w:\n    image: x\n    mem_limit: ${MEM:-12q}\n');
    expect(() => toCreateOptions(renderWorkerService(mem, VARS), 'alice')).toThrow(/mem_limit: "12q" is not a size/);
  });

  it('refuses secrets in env or labels, and relative host paths', () => {
    const env = parseWorkerTemplate('services:\n  w:\n    image: x\n    environment: {ECAL_API_SECRET: s}\n');
    expect(() => toCreateOptions(renderWorkerService(env, VARS), 'alice')).toThrow(/ECAL_API_SECRET looks like a secret/);
    const list = parseWorkerTemplate('services:\n  w:\n    image: x\n    environment: ["MONCAMPUS_PASSWORD=p"]\n');
    expect(() => toCreateOptions(renderWorkerService(list, VARS), 'alice')).toThrow(/MONCAMPUS_PASSWORD/);
    const vol = parseWorkerTemplate('services:\n  w:\n    image: x\n    volumes: ["./secrets:/run/secrets:ro"]\n');
    expect(() => toCreateOptions(renderWorkerService(vol, VARS), 'alice')).toThrow(/relative host paths/);
  });

  it('maps the other supported keys to the Engine API', () => {
    const t = parseWorkerTemplate(
      [
        'services:',
        '  w:',
        '    image: x',
        '    command: worker ${NAME}',
        '    restart: on-failure:5',
        '    cpus: "0.5"',
        '    pids_limit: 64',
        '    memswap_limit: 1g',
        '    cap_add: [NET_BIND_SERVICE]',
        '    extra_hosts: ["sim.local:127.0.0.1"]',
        '    labels: ["team=b"]',
        '    volumes: [{type: bind, source: /etc/ssl/certs, target: /etc/ssl/certs, read_only: true}]',
        '    healthcheck: {test: "node -e 0", interval: 1m30s, timeout: 500ms, retries: 3, start_period: 10s}',
        '',
      ].join('\n'),
    );
    const o = toCreateOptions(renderWorkerService(t, VARS), 'alice');
    expect(o.Cmd).toEqual(['worker', 'alice']);
    expect(o.HostConfig).toMatchObject({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
      NanoCpus: 5e8,
      PidsLimit: 64,
      MemorySwap: 1024 ** 3,
      CapAdd: ['NET_BIND_SERVICE'],
      ExtraHosts: ['sim.local:127.0.0.1'],
      Binds: ['/etc/ssl/certs:/etc/ssl/certs:ro'],
      ReadonlyRootfs: false,
    });
    expect(o.Labels).toEqual({ team: 'b', [LABEL_MANAGED]: 'true', [LABEL_CONFIG]: 'alice' });
    expect(o.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'node -e 0'], Interval: 90e9, Timeout: 5e8, Retries: 3, StartPeriod: 10e9 });
  });

  it('reads sizes and durations as Docker does', () => {
    expect(parseBytes('128m', 'x')).toBe(134217728);
    expect(parseBytes('1GiB', 'x')).toBe(1024 ** 3);
    expect(parseBytes('512', 'x')).toBe(512);
    expect(parseDurationNs('1m30s', 'x')).toBe(90e9);
    expect(() => parseDurationNs('15', 'x')).toThrow(/not a duration/);
  });

  it('loadWorkerTemplate names the file when it cannot be read', async () => {
    await expect(loadWorkerTemplate('/nonexistent/compose.template.yml')).rejects.toThrow(/cannot read the worker template \/nonexistent/);
  });
});

describe('the spec hash', () => {
  it('is a sha256 over canonical JSON: the same whatever the key order', () => {
    const a = { name: 'n', Image: 'i', Labels: { b: '2', a: '1' }, HostConfig: { Memory: 1, Init: true } };
    const b = { HostConfig: { Init: true, Memory: 1 }, Labels: { a: '1', b: '2' }, Image: 'i', name: 'n' };
    expect(specHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(specHash(a)).toBe(specHash(b));
    expect(canonicalJson({ b: [2, { d: 1, c: undefined }], a: null })).toBe('{"a":null,"b":[2,{"d":1}]}');
  });

  it('ignores the hash label itself and the supervisor label', () => {
    const base = { name: 'n', Image: 'i', Labels: { [LABEL_MANAGED]: 'true' } };
    const labelled = { ...base, Labels: { ...base.Labels, [LABEL_CONFIG_HASH]: 'x', [LABEL_SUPERVISOR]: 'host-b' } };
    expect(specHash(labelled)).toBe(specHash(base));
  });

  it('puts the config sha and the hash on both renderings, and the hash matches the create options', async () => {
    const spec = buildWorkerSpec(await specInput());
    expect(spec.createOptions.Labels?.[LABEL_CONFIG_SHA]).toBe('a'.repeat(64));
    expect(spec.createOptions.Labels?.[LABEL_CONFIG_HASH]).toBe(spec.hash);
    expect(spec.service.labels).toMatchObject({
      [LABEL_CONFIG_HASH]: spec.hash,
      [LABEL_CONFIG_SHA]: 'a'.repeat(64),
      [LABEL_MANAGED]: 'true',
      [LABEL_CONFIG]: 'alice',
    });
    expect(specHash(spec.createOptions)).toBe(spec.hash);
  });

  it('is stable for the same inputs and changes with the config sha, the image, the vars and a template edit', async () => {
    const base = buildWorkerSpec(await specInput()).hash;
    expect(buildWorkerSpec(await specInput()).hash).toBe(base);
    expect(buildWorkerSpec(await specInput({ configSha: 'b'.repeat(64) })).hash).not.toBe(base);
    expect(buildWorkerSpec(await specInput({ image: 'campus-sync:v2' })).hash).not.toBe(base);
    expect(buildWorkerSpec(await specInput({ vars: { MEM_LIMIT: '256m' } })).hash).not.toBe(base);
    expect(buildWorkerSpec(await specInput({ name: 'bob' })).hash).not.toBe(base);

    const dir = await mkdtemp(join(tmpdir(), 'cs-template-'));
    const shippedText = (await shipped()).text;
    const edited = join(dir, 'edited.yml');
    await writeFile(edited, shippedText.replace('mem_limit: ${MEM_LIMIT:-128m}', 'mem_limit: ${MEM_LIMIT:-96m}'));
    expect(buildWorkerSpec(await specInput({ template: await loadWorkerTemplate(edited) })).hash).not.toBe(base);
    // A comment-only edit renders the same spec: no worker is recreated for it.
    const commented = join(dir, 'commented.yml');
    await writeFile(commented, `# my note\n${shippedText}`);
    expect(buildWorkerSpec(await specInput({ template: await loadWorkerTemplate(commented) })).hash).toBe(base);
  });

  it('does not change when the template lists the environment in another order', async () => {
    const t1 = parseWorkerTemplate('services:\n  w:\n    image: x\n    environment: {A: "1", B: "2"}\n');
    const t2 = parseWorkerTemplate('services:\n  w:\n    image: x\n    environment: {B: "2", A: "1"}\n');
    const h = (t: typeof t1) => buildWorkerSpec({ template: t, name: 'alice', configSha: 's', image: 'x', configFileHost: '/c', dataDirHost: '/d' }).hash;
    expect(h(t1)).toBe(h(t2));
  });

  it('ignores `deploy:` (Swarm only): the docker create options and hash of the shipped template are unchanged by it', async () => {
    // The shipped template has a deploy: block; without it, and with another one, docker sees the same container.
    const shippedText = (await shipped()).text.replace(/^ {4}deploy:\n(?: {6,}.*\n)*/m, '');
    expect(shippedText).not.toMatch(/^ {4}deploy:/m);
    const base = buildWorkerSpec(await specInput({ template: parseWorkerTemplate(shippedText) }));
    expect(buildWorkerSpec(await specInput()).createOptions).toEqual(base.createOptions);
    const deploy = [
      '    deploy:',
      '      placement: { constraints: ["node.role == worker"], preferences: [{ spread: node.labels.zone }] }',
      '      resources: { limits: { cpus: "0.5", memory: 96m, pids: 64 }, reservations: { cpus: 0.1, memory: 32m } }',
      '      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 1m }',
      '',
    ].join('\n');
    const withDeploy = parseWorkerTemplate(shippedText.replace('    read_only: true\n', `    read_only: true\n${deploy}`));
    const spec = buildWorkerSpec(await specInput({ template: withDeploy }));
    expect(spec.service.deploy?.resources?.limits).toEqual({ cpus: 0.5, memory: '96m', pids: 64 });
    expect(spec.service.deploy?.restart_policy).toEqual({ condition: 'on-failure', delay: '5s', max_attempts: 3, window: '1m' });
    expect(spec.createOptions).toEqual(base.createOptions);
    expect(spec.hash).toBe(base.hash);
  });

  it('refuses unknown keys and bad values under `deploy:`', () => {
    const render = (deploy: string) => renderWorkerService(parseWorkerTemplate(`services:\n  w:\n    image: x\n    deploy: ${deploy}\n`), VARS);
    expect(() => render('{ replicas: 3 }')).toThrow(/deploy: unsupported key "replicas"/);
    expect(() => render('{ restart_policy: { condition: sometimes } }')).toThrow(ConfigError);
    expect(() => render('{ resources: { limits: { cpus: lots } } }')).toThrow(/deploy.resources.limits.cpus/);
  });
});
