import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LABEL_CONFIG, LABEL_MANAGED } from './interface.js';
import { externalSecretName, renderStackFile, type StackInput } from './stack-static.js';
import { loadWorkerTemplateSync, LABEL_CONFIG_SHA } from './template.js';

const TEMPLATE_PATH = resolve(import.meta.dirname, '../../compose.template.yml');

interface StackDoc {
  version: string;
  services: Record<
    string,
    Record<string, unknown> & {
      deploy: Record<string, unknown>;
      configs?: { source: string; target: string; mode: number }[];
      secrets?: { source: string; target: string; mode: number }[];
    }
  >;
  configs?: Record<string, { name: string; file: string }>;
  secrets?: Record<string, { name: string; file?: string; external?: boolean }>;
  networks?: Record<string, unknown>;
}

const input = (over: Partial<StackInput> = {}): StackInput => ({
  template: loadWorkerTemplateSync(TEMPLATE_PATH),
  image: 'campus-sync:local',
  hostConfigDir: '/srv/cs/configs',
  hostDataDir: '/srv/cs/data',
  vars: { NETWORK_MODE: 'host' },
  configs: [
    { name: 'bob', configSha: 'b'.repeat(64), configText: Buffer.from('password: "hunter2"\n'), inlineSecrets: true },
    {
      name: 'alice',
      configSha: 'a'.repeat(64),
      configText: Buffer.from('apiSecret: ${ALICE_SECRET}\npasswordFile: secrets/alice.pw\n'),
      envVars: ['ALICE_SECRET'],
      secretFiles: [{ path: 'secrets/alice.pw', data: Buffer.from('pw\n') }],
    },
  ],
  ...over,
});

describe('renderStackFile', () => {
  it('renders one stack service per config with its config and secrets as Swarm objects read from files', () => {
    const text = renderStackFile(input());
    const doc = parse(text) as StackDoc;
    expect(doc.version).toBe('3.8');
    expect(Object.keys(doc.services)).toEqual(['alice', 'bob']);
    const alice = doc.services.alice!;
    expect(alice.image).toBe('campus-sync:local');
    expect(alice.command).toEqual(['worker', 'alice']);
    expect(alice.user).toBe('1000:1000');
    expect(text).toMatch(/user: "1000:1000"/);
    // The config bind is gone (a Swarm config), the data bind stays, tmpfs in the long syntax.
    expect(alice.volumes).toEqual([
      { type: 'bind', source: '/srv/cs/data/alice', target: '/data/alice' },
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: 16 * 1024 * 1024 } },
    ]);
    expect(alice.configs).toEqual([
      { source: expect.stringMatching(/^campus-sync-alice-config-[0-9a-f]{12}$/), target: '/config/alice.yml', uid: '1000', gid: '1000', mode: 0o444 },
    ]);
    const configName = alice.configs![0]!.source;
    expect(doc.configs![configName]).toEqual({ name: configName, file: '/srv/cs/configs/alice.yml' });
    // passwordFile: a secret from its file, where the worker looks; ${VAR}: an external secret.
    const pw = alice.secrets!.find((s) => s.target === '/config/secrets/alice.pw')!;
    expect(doc.secrets![pw.source]).toEqual({ name: pw.source, file: '/srv/cs/configs/secrets/alice.pw' });
    const ext = externalSecretName('alice', 'ALICE_SECRET');
    expect(ext).toBe('campus-sync-alice-env-alice_secret');
    expect(alice.secrets).toContainEqual({ source: ext, target: 'ALICE_SECRET', uid: '1000', gid: '1000', mode: 0o400 });
    expect(doc.secrets![ext]).toEqual({ external: true, name: ext });
    expect((alice.environment as Record<string, string>).CAMPUS_SYNC_SECRETS_DIR).toBe('/run/secrets');
    expect(text).toContain(`printf '%s\\n' "$ALICE_SECRET" | docker secret create ${ext} -`);
    // bob's text holds its password: the config is a secret; no secret value anywhere in the file.
    expect(doc.services.bob!.secrets![0]).toMatchObject({ target: '/config/bob.yml', mode: 0o400 });
    expect(doc.services.bob!.configs).toBeUndefined();
    expect(text).not.toContain('hunter2');
    // Host networking as an external network; deploy from the same spec as the runtime.
    expect(alice.networks).toEqual(['hostnet']);
    expect(doc.networks).toEqual({ hostnet: { external: true, name: 'host' } });
    expect(alice.network_mode).toBeUndefined();
    expect(alice.restart).toBeUndefined();
    expect(alice.deploy).toMatchObject({
      mode: 'replicated',
      replicas: 1,
      resources: { limits: { memory: `${128 * 1024 * 1024}b` } },
      restart_policy: { condition: 'any' },
      update_config: { order: 'stop-first' },
    });
    // Not a supervisor's worker: no managed label, so a swarm-runtime supervisor never touches it.
    expect(alice.labels).toMatchObject({ [LABEL_CONFIG]: 'alice', [LABEL_CONFIG_SHA]: 'a'.repeat(64) });
    expect((alice.labels as Record<string, string>)[LABEL_MANAGED]).toBeUndefined();
    expect((alice.deploy.labels as Record<string, string>)[LABEL_MANAGED]).toBeUndefined();
  });

  it('gives a changed file a new object name, so deploying again rolls it out', () => {
    const a = parse(renderStackFile(input())) as StackDoc;
    const changed = input();
    changed.configs[1]!.secretFiles = [{ path: 'secrets/alice.pw', data: Buffer.from('new\n') }];
    const b = parse(renderStackFile(changed)) as StackDoc;
    expect(Object.keys(b.secrets!)).not.toEqual(Object.keys(a.secrets!));
    expect(Object.keys(b.configs!)).toEqual(Object.keys(a.configs!));
  });
});
