import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadDockerode, newEngineClient } from './engine-client.js';

const loadedPackages = (): string[] =>
  Object.keys(createRequire(import.meta.url).cache)
    .map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);

describe('the engine client (dockerode without its unused parts)', () => {
  it('loads dockerode and docker-modem, not gRPC nor ssh2, until an SSH DOCKER_HOST needs ssh2', async () => {
    const Dockerode = loadDockerode();
    expect(loadDockerode()).toBe(Dockerode);
    const before = new Set(loadedPackages());
    expect(before.has('dockerode') && before.has('docker-modem')).toBe(true);
    for (const unused of ['@grpc/grpc-js', '@grpc/proto-loader', 'ssh2', 'protobufjs']) expect(before.has(unused), unused).toBe(false);

    // An SSH engine address still works: ssh2 is loaded when the first request is dialled (port 1: refused).
    const overSsh = newEngineClient({ protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody' });
    await expect(overSsh.ping()).rejects.toThrow(/ECONNREFUSED|connect/);
    expect(loadedPackages()).toContain('ssh2');
  });
});
