import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXCLUSIVE_OTHER_LANE, EXCLUSIVE_SWARM_LANE } from '../vitest.config.js';

// A file that uses the Docker engine but sits in the `shared` project runs beside everything, Swarm files
// included: a new engine test must be put in a lane (vitest.config.ts). This catches the one forgotten.
const ROOT = join(import.meta.dirname, '..');
const USES_ENGINE = /describeWithDocker|new Docker\(|docker-supervisor-helpers|dockerAvailable\(/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath ?? e.path, e.name)));
}

const toRegExp = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

describe('engine lanes', () => {
  it('every test file that uses the Docker engine is in one of the two exclusive lanes, and in only one', () => {
    const lanes = [EXCLUSIVE_SWARM_LANE, EXCLUSIVE_OTHER_LANE].map((lane) => lane.map(toRegExp));
    const files = [...testFiles(join(ROOT, 'src')), ...testFiles(join(ROOT, 'test'))];
    const engineFiles = files.filter((f) => f !== 'test/engine-lanes.test.ts' && USES_ENGINE.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(engineFiles).toContain('test/docker-supervisor.test.ts');
    const misplaced = engineFiles.filter((f) => lanes.filter((lane) => lane.some((re) => re.test(f))).length !== 1);
    expect(misplaced).toEqual([]);
  });
});
