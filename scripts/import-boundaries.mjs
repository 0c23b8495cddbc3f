#!/usr/bin/env node
/**
 * DESIGN.md's module table as a check: each folder of src/ imports only the folders its "may import" column
 * names, so dependencies point one way (a client never imports the worker, the API never reaches a MonCampus
 * or ECAL client: the CLI, the composition root, injects those). Reads every production file of src/ (tests,
 * test helpers and the test equipment in sim/, bench/, demo/ are out of scope) with the TypeScript parser,
 * type-only imports included (a type pulls its module's shape, and often its module, along). Prints each
 * import that crosses the table and exits 1 when there is one, so `npm run lint` fails on it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** DESIGN.md, "Modules (folders under src/) and what each may touch". `cli` may import everything. */
const MAY_IMPORT = {
  lib: [],
  config: ['lib'],
  instance: ['config', 'lib'],
  agenda: ['config', 'lib'],
  ecal: ['config', 'lib'],
  slots: ['config', 'lib'],
  notify: ['config', 'lib'],
  worker: ['config', 'instance', 'agenda', 'ecal', 'slots', 'notify', 'lib'],
  supervisor: ['config', 'instance', 'lib'],
  store: ['lib'],
  ingest: ['config', 'store', 'lib'],
  // invite/ (issue 23's tokens and invitations) came after the table: the API serves the invitation pages.
  api: ['store', 'instance', 'ingest', 'slots', 'config', 'invite', 'lib'],
};
/** Folders the table does not constrain: the composition root, and test equipment nothing of the product imports. */
const UNCONSTRAINED = new Set(['cli', 'sim', 'bench', 'demo']);
/** Folders added after the table was written, with the row they follow until DESIGN.md's next version names them. */
const LATER_FOLDERS = { invite: ['config', 'instance', 'lib'] };
const TEST_EQUIPMENT = new Set(['sim', 'bench', 'demo']);
/**
 * The data contract's leaves: `data/<name>/` file names and the slot seen-set schema, owned by instance/ (one
 * spelling of each name, issue 19) and needed by the modules that write those files (outbox, slot watcher,
 * ingestion health, the store's SQLite path, the config loader's error file). Any folder may import these
 * files directly, never instance/index.ts; they themselves may import only lib/ (checked below), so no cycle.
 */
const LEAVES = new Set(['instance/names.ts', 'instance/slot-state.ts']);

/** `--root DIR` checks another tree (the script's own test builds small ones). */
const rootArg = process.argv.indexOf('--root');
const root = resolve(rootArg > 0 ? process.argv[rootArg + 1] : new URL('..', import.meta.url).pathname);
const srcDir = join(root, 'src');

function* productionFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* productionFiles(path);
    else if (name.endsWith('.ts') && !/\.(test|test-helper|test-data|d)\.ts$/.test(name)) yield path;
  }
}

const folderOf = (file) => relative(srcDir, file).split(sep)[0];

function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    const isStatic = (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier);
    const isDynamic =
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0]);
    if (isStatic || isDynamic) {
      const spec = isStatic ? node.moduleSpecifier.text : node.arguments[0].text;
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      if (spec.startsWith('.')) found.push({ spec, line });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const crossings = [];
for (const file of productionFiles(srcDir)) {
  const from = folderOf(file);
  if (from.endsWith('.ts') || UNCONSTRAINED.has(from)) continue;
  const allowed = MAY_IMPORT[from] ?? LATER_FOLDERS[from];
  for (const { spec, line } of importsOf(file)) {
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(srcDir + sep)) continue;
    const to = folderOf(target);
    const leaf = relative(srcDir, target.replace(/\.js$/, '.ts')).split(sep).join('/');
    if (LEAVES.has(leaf)) continue;
    if (to === from) {
      const self = relative(srcDir, file).split(sep).join('/');
      if (LEAVES.has(self) && !LEAVES.has(leaf) && to !== 'lib')
        crossings.push(`${relative(root, file)}:${line} (a leaf) imports ${spec}: a leaf may import only lib/ and other leaves`);
      continue;
    }
    if (LEAVES.has(relative(srcDir, file).split(sep).join('/')) && to !== 'lib') {
      crossings.push(`${relative(root, file)}:${line} (a leaf) imports ${spec} (${to}/): a leaf may import only lib/ and other leaves`);
      continue;
    }
    const ok = allowed?.includes(to) === true && !TEST_EQUIPMENT.has(to);
    if (!ok)
      crossings.push(
        `${relative(root, file)}:${line} (${from}/) imports ${spec} (${to}/): ${from}/ may import ${allowed ? allowed.join(', ') || 'nothing of ours' : '(folder not in the table)'}`,
      );
  }
}

if (crossings.length > 0) {
  console.error(`${crossings.length} import(s) cross DESIGN.md's module table:`);
  for (const c of crossings) console.error(`  ${c}`);
  process.exit(1);
}
console.log("imports follow DESIGN.md's module table");
