/**
 * A Pi that had Debian's docker-compose (v1) and gets the v2 plugin later (or the other way round): what one
 * Compose started, the other must see and take down, since `./campus-sync up|down` pick whichever answers.
 * Both name a project after its folder the same way (lower case, only [-_a-z0-9] kept) and find its
 * containers by the same labels. Real engine, real v1 and the v2 plugin of scripts/compose-v2-setup.sh.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithDocker, dockerAvailable, TEST_IMAGE } from './docker-helpers.js';
import { inspectOrNull } from './docker-supervisor-helpers.js';

const V2_CONFIG = process.env.CAMPUS_SYNC_COMPOSE_V2_CONFIG;
const base = await dockerAvailable();
const availability: typeof base =
  base.ok && !V2_CONFIG
    ? { ok: false, reason: 'compose flavour tests skipped: CAMPUS_SYNC_COMPOSE_V2_CONFIG is not set (scripts/compose-v2-setup.sh prints it)' }
    : base;

interface Run {
  code: number | null;
  out: string;
}

describeWithDocker(availability, 'Compose v1 and v2 on one project', (docker: Docker) => {
  const id = randomBytes(3).toString('hex');
  const container = `campus-sync-flavours-${id}`;
  let root: string;
  /** A folder name both must normalise alike: capitals, a dot, an underscore. */
  let dir: string;

  const compose = (flavour: 'v1' | 'v2', args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const [cmd, pre] = flavour === 'v1' ? ['docker-compose', []] : ['docker', ['compose']];
      const env: NodeJS.ProcessEnv = { ...process.env, ...(flavour === 'v2' ? { DOCKER_CONFIG: V2_CONFIG } : {}) };
      delete env.COMPOSE_PROJECT_NAME;
      const child = spawn(cmd, [...pre, '--project-directory', dir, '-f', join(dir, 'compose.yml'), ...args], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'campus-sync-flavours-'));
    dir = join(root, `Campus.Sync_${id}`);
    await mkdir(dir);
    await writeFile(
      join(dir, 'compose.yml'),
      [
        'services:',
        '  probe:',
        `    image: ${TEST_IMAGE}`,
        '    entrypoint: ["node", "-e", "setInterval(() => {}, 1e9)"]',
        `    container_name: ${container}`,
        '    init: true',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await docker
      .getContainer(container)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getNetwork(`campussync_${id}_default`)
      .remove()
      .catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
  });

  for (const [first, second] of [
    ['v1', 'v2'],
    ['v2', 'v1'],
  ] as const) {
    it(`what ${first} started, ${second} lists and takes down (same project, same network)`, { timeout: 120_000 }, async () => {
      const up = await compose(first, ['up', '-d', '--no-build']);
      expect(up.code, up.out).toBe(0);
      const info = (await inspectOrNull(docker, container))!;
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels['com.docker.compose.project']).toBe(`campussync_${id}`);
      expect(info.Config.Labels['com.docker.compose.version']).toMatch(first === 'v1' ? /^1\./ : /^v?2\./);

      const ps = await compose(second, ['ps']);
      expect(ps.code, ps.out).toBe(0);
      expect(ps.out).toContain(container);
      const down = await compose(second, ['down', '-t', '1']);
      expect(down.code, down.out).toBe(0);
      expect(await inspectOrNull(docker, container)).toBeNull();
      const networks = await docker.listNetworks({ filters: { name: [`campussync_${id}_default`] } });
      expect(networks).toEqual([]);
    });
  }
});
