import { describe, expect, it } from 'vitest';
import { explainBuildFailure, offlineCause } from './build-failure.js';

describe('a failed image build', () => {
  it('names a download failure, from the engine or from npm, and says what to do', () => {
    // Docker 20.10's classic builder without network, as seen on a Pi with no DNS.
    const engine =
      'Step 1/20 : ARG NODE_IMAGE\nStep 2/20 : FROM node:22-bookworm-slim AS build\nGet "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 192.168.1.1:53: server misbehaving\n';
    expect(offlineCause(engine)).toBe('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 192.168.1.1:53: server misbehaving');
    const message = explainBuildFailure(engine, 'campus-sync:local');
    expect(message).toMatch(/^the image campus-sync:local could not be built: a download failed/);
    expect(message).toMatch(/\.\/campus-sync build/);
    expect(offlineCause('npm error code EAI_AGAIN\nnpm error syscall getaddrinfo')).toBe('npm error code EAI_AGAIN');
    expect(offlineCause('ERROR: failed to solve: node:22: failed to resolve source metadata for docker.io/library/node:22')).toMatch(
      /failed to resolve source metadata/,
    );
  });

  it('says nothing more for a failure that is not the network', () => {
    expect(
      explainBuildFailure("src/x.ts(3,1): error TS2304: Cannot find name 'y'.\nThe command '/bin/sh -c npm run build' returned a non-zero code: 2", 'i'),
    ).toBeNull();
  });
});
