import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(process.cwd(), 'scripts/import-boundaries.mjs');

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function tree(files: Record<string, string>): Promise<string> {
  root = await mkdtemp(join(tmpdir(), 'import-boundaries-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function check(dir: string): Promise<{ code: number; out: string }> {
  return run(process.execPath, [SCRIPT, '--root', dir]).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stderr: string }) => ({ code: e.code, out: e.stderr }),
  );
}

describe('scripts/import-boundaries.mjs (DESIGN.md module table)', () => {
  it('passes a tree whose imports point down the table, tests and the composition root unconstrained', async () => {
    const dir = await tree({
      'src/lib/index.ts': 'export const x = 1;\n',
      'src/agenda/client.ts': "import { x } from '../lib/index.js';\nexport const y = x;\n",
      'src/agenda/client.test.ts': "import { z } from '../worker/run.js';\n",
      'src/worker/run.ts': "import { y } from '../agenda/client.js';\nexport const z = y;\n",
      'src/cli/main.ts': "import { z } from '../worker/run.js';\nimport '../sim/moncampus.js';\n",
      'src/notify/outbox.ts': "import { OUTBOX } from '../instance/names.js';\n",
      'src/instance/names.ts': "import { join } from 'node:path';\nexport const OUTBOX = join('a', 'b');\n",
    });
    const { code, out } = await check(dir);
    expect(out).toContain("imports follow DESIGN.md's module table");
    expect(code).toBe(0);
  });

  it('fails on an upward import, a dynamic one, an import of the sims, and names file and line', async () => {
    const dir = await tree({
      'src/lib/index.ts': 'export const x = 1;\n',
      'src/agenda/client.ts': "import type { Run } from '../worker/run.js';\nexport const y = 1;\n",
      'src/worker/run.ts': 'export type Run = 1;\n',
      'src/api/routes.ts': "export const load = () => import('../ecal/client.js');\n",
      'src/ecal/client.ts': "import '../sim/ecal.js';\n",
      'src/notify/outbox.ts': "import { OUTBOX } from '../instance/index.js';\n",
    });
    const { code, out } = await check(dir);
    expect(code).toBe(1);
    expect(out).toContain('4 import(s) cross');
    expect(out).toContain('src/agenda/client.ts:1 (agenda/) imports ../worker/run.js (worker/)');
    expect(out).toContain('src/api/routes.ts:1 (api/) imports ../ecal/client.js (ecal/)');
    expect(out).toContain('src/ecal/client.ts:1 (ecal/) imports ../sim/ecal.js (sim/)');
    expect(out).toContain('src/notify/outbox.ts:1 (notify/) imports ../instance/index.js (instance/)');
  });

  it('keeps the leaves light: a data-name leaf importing more than lib fails', async () => {
    const dir = await tree({
      'src/instance/names.ts': "import { schema } from '../config/schema.js';\nexport const OUTBOX = 'o';\n",
      'src/config/schema.ts': 'export const schema = 1;\n',
    });
    const { code, out } = await check(dir);
    expect(code).toBe(1);
    expect(out).toContain('src/instance/names.ts:1 (a leaf) imports ../config/schema.js (config/)');
  });
});
