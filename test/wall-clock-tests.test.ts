import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
// Spelled in pieces so this file's own fixtures are not read as waits by the script it tests.
const SET_TIMEOUT = ['set', 'Timeout'].join('');
const DATE_NOW = ['Date', 'now()'].join('.');
const SLEEP = ['sl', 'eep'].join('');
const SCRIPT = join(process.cwd(), 'scripts/wall-clock-tests.mjs');

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function tree(files: Record<string, string>): Promise<string> {
  root = await mkdtemp(join(tmpdir(), 'wall-clock-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

/** The script's exit code and report on a tree (its exit code is what CI reads). */
async function check(dir: string): Promise<{ code: number; report: { waiting: { file: string }[]; polling: { file: string }[]; problems: string[] } }> {
  const json = await run(process.execPath, [SCRIPT, '--root', dir, '--json']).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
  const plain = await run(process.execPath, [SCRIPT, '--root', dir]).then(
    () => 0,
    (e: { code: number }) => e.code,
  );
  return { code: plain, report: JSON.parse(json.out) };
}

describe('scripts/wall-clock-tests.mjs', () => {
  it('names fixed sleeps and timing windows, not condition polls, and fails unless the file is allowed', async () => {
    const dir = await tree({
      'src/a/sleeps.test.ts': `it('x', async () => {\n  await new Promise((r) => ${SET_TIMEOUT}(r, 100));\n});\n`,
      'src/a/window.test.ts': `const t0 = ${DATE_NOW};\nexpect(${DATE_NOW} - t0).toBeLessThan(2000);\n`,
      'src/a/polls.test.ts': `while (!done()) await new Promise((r) => ${SET_TIMEOUT}(r, 10));\nfor (;;) {\n  if (done()) break;\n  await new Promise((r) => ${SET_TIMEOUT}(r, 10));\n}\n`,
      'src/a/clean.test.ts': `await clock.tickAsync(1000);\n// await new Promise((r) => ${SET_TIMEOUT}(r, 100)) in a comment\n`,
      'src/a/not-a-test.ts': `await new Promise((r) => ${SET_TIMEOUT}(r, 100));\n`,
    });
    const r = await check(dir);
    expect(r.report.waiting.map((w) => w.file)).toEqual(['src/a/sleeps.test.ts', 'src/a/window.test.ts']);
    expect(r.report.polling.map((w) => w.file)).toEqual(['src/a/polls.test.ts']);
    expect(r.code).toBe(1);
  });

  it('passes when each waiting file is allowed with a reason, and fails on a stale or reasonless entry', async () => {
    const dir = await tree({
      'test/e2e.test.ts': `await new Promise((r) => ${SET_TIMEOUT}(r, 1500));\n`,
      'test/wall-clock-allowed.txt': '# files allowed\ntest/e2e.test.ts # the child process has no clock of ours\n',
    });
    expect((await check(dir)).code).toBe(0);
    await writeFile(join(dir, 'test/wall-clock-allowed.txt'), 'test/e2e.test.ts\ntest/gone.test.ts # once slept\n');
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(r.report.problems).toEqual([
      'test/wall-clock-allowed.txt: test/e2e.test.ts needs a reason after a #',
      'test/wall-clock-allowed.txt: test/gone.test.ts does not wait on the wall clock (any more): take it off the list',
    ]);
  });

  it('refuses an allow-list longer than five files', async () => {
    const files: Record<string, string> = {};
    const allowed: string[] = [];
    for (let i = 0; i < 6; i++) {
      files[`test/t${i}.test.ts`] = `await ${SLEEP}(100);\n`;
      allowed.push(`test/t${i}.test.ts # reason ${i}`);
    }
    const dir = await tree({ ...files, 'test/wall-clock-allowed.txt': `${allowed.join('\n')}\n` });
    const r = await check(dir);
    expect(r.code).toBe(1);
    expect(r.report.problems).toEqual(['test/wall-clock-allowed.txt names 6 files; the target is at most 5']);
  });
});
