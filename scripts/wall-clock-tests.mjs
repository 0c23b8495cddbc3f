#!/usr/bin/env node
// Lists the test files that still wait on the wall clock (issue 19, step 3): a fixed sleep (`await new
// Promise((r) => setTimeout(r, N))`, `await sleep(N)`, `await delay(N)`, timers/promises' setTimeout) or a
// measured timing window (`expect(Date.now() - t0)…`, `performance.now()` in an expect). Such tests are slow
// and flaky on a busy machine; they should drive src/lib/fake-clock.test-helper.ts or wait on an event.
//
// A sleep inside a loop that re-checks a condition (`while (!done) await …setTimeout…`) waits on that
// condition, not on a duration: it is listed with --verbose but does not count (end-to-end tests that spawn
// processes poll files and outputs that way).
//
// Files allowed to wait (at most MAX_ALLOWED, the issue's target) are named in test/wall-clock-allowed.txt,
// one path a line with the reason after a `#`. Exit code 1 when a file not allowed waits, when the list is
// longer than MAX_ALLOWED or names a file that does not wait (any more): CI can run it as is.
//
// Usage: node scripts/wall-clock-tests.mjs [--root DIR] [--verbose] [--json]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The issue's target: at most five test files wait on the wall clock. */
export const MAX_ALLOWED = 5;
const ALLOW_FILE = 'test/wall-clock-allowed.txt';
/** Where tests live (vitest.config.ts includes src/**\/*.test.ts and test/**\/*.test.ts). */
const TEST_DIRS = ['src', 'test'];
/** How many lines above a sleep are looked at for the loop that makes it a poll. */
const LOOP_LOOKBACK_LINES = 4;

const FIXED_SLEEP = [
  /new Promise[^;]*\bsetTimeout\(\s*\w+\s*,/, // await new Promise((r) => setTimeout(r, 100))
  /\bawait\s+(?:sleep|delay|wait)\(\s*[^)]/, // await sleep(100), a home-made helper
  /from\s+['"](?:node:)?timers\/promises['"]/, // setTimeout as sleep from timers/promises
];
const TIMING_WINDOW = /\bexpect\([^;]*\b(?:Date\.now\(\)|performance\.now\(\))/;
const LOOP = /\b(?:while|for)\s*\(|\bdo\s*\{/;

/** Whether a test or test helper file (by its path relative to the root). */
function isTestFile(rel) {
  if (rel.endsWith('.test.ts')) return true;
  // Helpers beside the end-to-end tests (test/helpers.ts, test/slots-helpers.ts…) wait on their behalf.
  return rel.startsWith('test/') && rel.endsWith('.ts');
}

function walk(dir, root, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, root, out);
    else {
      const rel = relative(root, path).split('\\').join('/');
      if (isTestFile(rel)) out.push(rel);
    }
  }
  return out;
}

const indent = (line) => line.length - line.trimStart().length;

/** Whether the sleep on line `i` is in a loop: on the loop's own line, or in the body of a loop opened just above. */
function inLoop(lines, i) {
  if (LOOP.test(lines[i])) return true;
  for (let j = i - 1; j >= Math.max(0, i - LOOP_LOOKBACK_LINES); j--) {
    if (indent(lines[j]) >= indent(lines[i])) continue;
    return LOOP.test(lines[j]) && lines[j].trimEnd().endsWith('{');
  }
  return false;
}

/** The wall-clock waits of one file's text: [{ line, kind: 'sleep' | 'window' | 'poll', text }]. */
export function scanText(text) {
  const lines = text.split('\n');
  const found = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('//') || line.startsWith('*') || line.startsWith('/*')) return;
    if (TIMING_WINDOW.test(line)) found.push({ line: i + 1, kind: 'window', text: line });
    else if (FIXED_SLEEP.some((re) => re.test(line))) found.push({ line: i + 1, kind: inLoop(lines, i) ? 'poll' : 'sleep', text: line });
  });
  return found;
}

function readAllowed(root) {
  let text;
  try {
    text = readFileSync(join(root, ALLOW_FILE), 'utf8');
  } catch {
    return new Map();
  }
  const allowed = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [path, ...why] = line.split('#');
    allowed.set(path.trim(), why.join('#').trim());
  }
  return allowed;
}

/** Every test file's waits, and what is wrong with them against the allow-list. */
export function report(root) {
  const files = TEST_DIRS.flatMap((d) => walk(join(root, d), root, [])).sort();
  const allowed = readAllowed(root);
  const waiting = [];
  const polling = [];
  for (const file of files) {
    const found = scanText(readFileSync(join(root, file), 'utf8'));
    const counted = found.filter((f) => f.kind !== 'poll');
    if (counted.length > 0) waiting.push({ file, allowed: allowed.has(file), waits: counted });
    else if (found.length > 0) polling.push({ file, waits: found });
  }
  const problems = [];
  for (const w of waiting) if (!w.allowed) problems.push(`${w.file} waits on the wall clock and is not in ${ALLOW_FILE}`);
  if (allowed.size > MAX_ALLOWED) problems.push(`${ALLOW_FILE} names ${allowed.size} files; the target is at most ${MAX_ALLOWED}`);
  for (const [file, why] of allowed) {
    if (why === '') problems.push(`${ALLOW_FILE}: ${file} needs a reason after a #`);
    if (!waiting.some((w) => w.file === file)) problems.push(`${ALLOW_FILE}: ${file} does not wait on the wall clock (any more): take it off the list`);
  }
  return { waiting, polling, problems };
}

function main(argv) {
  const rootAt = argv.indexOf('--root');
  const root = rootAt >= 0 ? argv[rootAt + 1] : process.cwd();
  const r = report(root);
  if (argv.includes('--json')) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    for (const w of r.waiting) {
      console.log(`${w.file}${w.allowed ? ' (allowed)' : ''}`);
      for (const f of w.waits) console.log(`  ${w.file}:${f.line}  ${f.kind === 'window' ? 'timing window' : 'fixed sleep'}: ${f.text}`);
    }
    if (argv.includes('--verbose')) {
      for (const p of r.polling) for (const f of p.waits) console.log(`  ${p.file}:${f.line}  polls a condition: ${f.text}`);
    }
    console.log(
      `${r.waiting.length} test file(s) wait on the wall clock (${r.waiting.filter((w) => w.allowed).length} allowed); ${r.polling.length} poll a condition`,
    );
    for (const p of r.problems) console.error(`wall-clock-tests: ${p}`);
  }
  return r.problems.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
