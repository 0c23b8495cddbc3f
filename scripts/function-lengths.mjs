#!/usr/bin/env node
/**
 * House style (issue 19): no function over ~150 lines. Walks every src/**.ts (tests and test helpers excluded)
 * with the TypeScript parser and prints each function, arrow function or method longer than the limit;
 * exits 1 when there is one, so CI can run it. `node scripts/function-lengths.mjs [limit] [--all]`
 * (`--all` lists every function over the limit's half too, longest first, without failing on them).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The issue's target: a function longer than this does more than one thing. */
const DEFAULT_LIMIT = 150;
const args = process.argv.slice(2);
const limit = Number(args.find((a) => /^\d+$/.test(a)) ?? DEFAULT_LIMIT);
const all = args.includes('--all');
const root = new URL('..', import.meta.url).pathname;

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.test-helper.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

function nameOf(node) {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

const found = [];
for (const file of sourceFiles(join(root, 'src'))) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > (all ? limit / 2 : limit)) found.push({ where: `${relative(root, file)}:${start + 1}`, name: nameOf(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
for (const f of found) console.log(`${String(f.lines).padStart(4)}  ${f.name}  ${f.where}`);
const over = found.filter((f) => f.lines > limit);
if (over.length > 0) {
  console.error(`${over.length} function(s) over ${limit} lines`);
  process.exit(1);
}
