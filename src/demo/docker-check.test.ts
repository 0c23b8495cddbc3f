import Docker from 'dockerode';
import { describe, it, expect } from 'vitest';
import { dockerProblem } from './docker-check.js';

describe('dockerProblem', () => {
  it('says no engine answers, and what to do, when the socket is not there', async () => {
    const problem = await dockerProblem('campus-sync:local', new Docker({ socketPath: '/nonexistent/docker.sock' }));
    expect(problem).toMatch(/no Docker engine answers/);
    expect(problem).toMatch(/without --docker/);
  });

  it('with an engine: names a missing image and how to build it', async (ctx) => {
    const docker = new Docker();
    const up = await docker.ping().then(
      () => true,
      () => false,
    );
    if (!up) return ctx.skip();
    expect(await dockerProblem('campus-sync-demo-test/absent:never', docker)).toMatch(
      /no image campus-sync-demo-test\/absent:never: build it with `bash scripts\/docker-setup.sh`/,
    );
  });
});
