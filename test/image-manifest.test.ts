import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// docker/image-manifest.cjs, which the image build runs after `npm run build:image` (issue 19: the image says
// what it contains, and ships no simulators, benches or demo).
const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'docker', 'image-manifest.cjs');
const run = promisify(execFile);

describe('docker/image-manifest.cjs', () => {
  let dist: string;
  beforeEach(async () => {
    dist = await mkdtemp(join(tmpdir(), 'campus-sync-image-dist-'));
    // The verbs come from the built CLI; a stand-in module with the same export is enough here.
    await mkdir(join(dist, 'cli'), { recursive: true });
    await mkdir(join(dist, 'worker'));
    await writeFile(join(dist, 'package.json'), '{ "type": "module" }\n'); // as the checkout's package.json says for dist/
    await writeFile(join(dist, 'cli', 'main.js'), "export const VERBS = { worker: { summary: 'run one config' }, supervise: { summary: 'run them all' } };\n");
  });
  afterEach(async () => rm(dist, { recursive: true, force: true }));

  it('writes image.json: roles, the verbs the CLI declares, the folders of dist/, production packages with versions, what was left out', async () => {
    await run(process.execPath, [SCRIPT, dist, join(ROOT, 'package.json'), join(ROOT, 'node_modules')]);
    const manifest = JSON.parse(await readFile(join(dist, 'image.json'), 'utf8'));
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    const axios = JSON.parse(await readFile(join(ROOT, 'node_modules', 'axios', 'package.json'), 'utf8'));
    expect(manifest.verbs).toEqual({ worker: 'run one config', supervise: 'run them all' });
    expect(Object.keys(manifest.roles)).toEqual(['supervise', 'worker']);
    expect(manifest.dist).toEqual(['cli', 'worker']);
    expect(Object.keys(manifest.leftOut)).toEqual(['sim', 'bench', 'demo']);
    expect(Object.keys(manifest.dependencies)).toEqual(Object.keys(pkg.dependencies).sort());
    expect(manifest.dependencies.axios).toBe(axios.version);
  });

  it('fails the build, naming the folder, when simulators got into dist/', async () => {
    await mkdir(join(dist, 'sim'));
    const failed = await run(process.execPath, [SCRIPT, dist, join(ROOT, 'package.json'), join(ROOT, 'node_modules')]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('dist/ holds sim');
  });
});
