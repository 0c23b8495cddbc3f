import { createHash } from 'node:crypto';
import { Document, isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { configIssue, type ConfigIssue } from './env.js';

/**
 * The pure half of the config writer (issue 23): apply a form's field changes to a config's YAML text with the
 * `yaml` package's Document API, so a hand-edited file keeps its comments and key order. No I/O here: the file
 * side (hash check, atomic write, validation) is edit-file.ts.
 */

/** A key path in the config file, e.g. `['moncampus', 'username']` or `['notify', 0]`. */
export type ConfigPath = readonly (string | number)[];

export type ConfigChange =
  /** Set a value; strings are literal text (a typed `${` is written escaped, so it never reads the environment). */
  | { op: 'set'; path: ConfigPath; value: unknown }
  /** Remove a key (a whole section too); maps left empty by it go with it. */
  | { op: 'remove'; path: ConfigPath }
  /**
   * A new secret typed into a write-only field, e.g. `['moncampus', 'password']`. It goes where the file already
   * keeps it: into the file named by the sibling `passwordFile`, else inline. A value read from the environment
   * (`${VAR}`) cannot be changed from here: that is an issue, never a silent switch to an inline secret.
   */
  | { op: 'secret'; path: ConfigPath; value: string };

/** A secret to write into a secrets file, the path as the config spells it (relative to the config's folder). */
export interface SecretFileWrite {
  path: string;
  value: string;
}

export type EditResult = { ok: true; text: string; secretFiles: SecretFileWrite[] } | { ok: false; issues: ConfigIssue[] };

/** The first line of a file the writer creates, so a person opening it knows where it came from. */
export const WRITTEN_HEADER =
  ' Written by campus-sync (dashboard or invitation). Comments and key order you add are kept. Reference: configs/examples/example.yml';

/** The content hash a form carries: the file changed on disk since it was read when this differs. */
export function contentHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * `${` in typed text is written `$${`, the loader's escape for a literal `${` (config/env.ts), where the loader would
 * read a reference: each span its REFERENCE pattern matches, `${` up to the first `}`. An unclosed `${` is already literal, and
 * escaping it would change the value (a password `pa${ss` would read back `pa$${ss`).
 */
export function literalText(value: string): string {
  // A function, not a replacement string: in one, `$$` would itself mean a single `$`.
  // The loader's matches, left to right and not overlapping, each given the escaping `$` (`pa${a${b}` is one match).
  return value.replace(/\$\{[^}]*\}/g, (match) => `$${match}`);
}

/** `${VAR}` references of a value (escaped `$${` ones excluded): a value that has one comes from the environment. */
function envReference(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /(^|[^$])\$\{([^}:]*)/.exec(value);
  return m ? (m[2] ?? '') : undefined;
}

function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return literalText(value);
  if (Array.isArray(value)) return value.map(escapeStrings);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeStrings(v)]));
  }
  return value;
}

/** Removes `path` and then every map above it that it left empty (the top level stays). */
function removeAndPrune(doc: Document, path: ConfigPath): void {
  doc.deleteIn(path);
  for (let depth = path.length - 1; depth > 0; depth--) {
    const parent = doc.getIn(path.slice(0, depth), true);
    if (isMap(parent) && (parent as YAMLMap).items.length === 0) doc.deleteIn(path.slice(0, depth));
    else break;
  }
}

function applySecret(doc: Document, change: Extract<ConfigChange, { op: 'secret' }>, secretFiles: SecretFileWrite[], issues: ConfigIssue[]): void {
  const key = change.path[change.path.length - 1];
  if (typeof key !== 'string' || change.value === '') {
    issues.push(configIssue(change.path, 'edit.secretEmpty'));
    return;
  }
  const filePath = [...change.path.slice(0, -1), `${key}File`];
  const file = doc.getIn(filePath);
  if (typeof file === 'string' && file !== '') {
    secretFiles.push({ path: file, value: change.value });
    return;
  }
  const variable = envReference(doc.getIn(change.path));
  if (variable !== undefined) {
    issues.push(configIssue(change.path, 'edit.fromEnv', { variable }));
    return;
  }
  setValue(doc, change.path, literalText(change.value));
}

/** A scalar replaced in place keeps its comment (`url: … # the C&D host`); anything else gets a new node. */
function setValue(doc: Document, path: ConfigPath, value: unknown): void {
  const node = doc.getIn(path, true);
  const primitive = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  if (isScalar(node) && primitive) {
    node.value = value;
    // A quoting style chosen for the old value may not suit the new one: let the writer choose again.
    if (typeof value !== 'string' || node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') delete node.type;
    return;
  }
  doc.setIn(path, doc.createNode(value));
}

/**
 * The config text after `changes`, or the issues that stopped them (nothing applied then). `text` undefined
 * starts a new file. The result is not validated here: the writer validates it with the loader `validate` uses.
 */
export function applyConfigChanges(text: string | undefined, changes: readonly ConfigChange[]): EditResult {
  let doc: Document;
  if (text === undefined || text.trim() === '') {
    doc = new Document({});
    doc.commentBefore = WRITTEN_HEADER;
  } else {
    doc = parseDocument(text, { keepSourceTokens: false });
    if (doc.errors.length > 0) return { ok: false, issues: [configIssue([], 'edit.yaml', { detail: doc.errors[0]?.message ?? '' })] };
    if (!isMap(doc.contents)) return { ok: false, issues: [configIssue([], 'edit.notMapping')] };
  }
  const issues: ConfigIssue[] = [];
  const secretFiles: SecretFileWrite[] = [];
  for (const change of changes) {
    if (change.path.length === 0) {
      issues.push(configIssue([], 'edit.noPath'));
      continue;
    }
    try {
      if (change.op === 'set') {
        if (change.value === undefined) issues.push(configIssue(change.path, 'edit.noValue'));
        else setValue(doc, change.path, escapeStrings(change.value));
      } else if (change.op === 'remove') removeAndPrune(doc, change.path);
      else applySecret(doc, change, secretFiles, issues);
    } catch (err) {
      // The yaml package throws when a path goes through a scalar (`moncampus: x` then `moncampus.url`).
      issues.push(configIssue(change.path, 'edit.cannotSet', { detail: err instanceof Error ? err.message : String(err) }));
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  const out = doc.toString({ lineWidth: 0 });
  return { ok: true, text: text === undefined ? out : restoreCommentIndent(text, out), secretFiles };
}

/**
 * The yaml package keeps a comment line written at the top level after a nested section as that section's
 * trailing comment, and writes it back indented (`  # Remove this whole section…` before `ecal:`). A comment-only
 * line whose text occurs once in the original gets its original indentation back: only spaces before `#` move.
 */
export function restoreCommentIndent(original: string, output: string): string {
  const indentOf = new Map<string, string | null>();
  for (const line of original.split('\n')) {
    const m = /^(\s*)(#.*)$/.exec(line);
    if (!m) continue;
    const key = m[2] as string;
    indentOf.set(key, indentOf.has(key) ? null : (m[1] as string));
  }
  return output
    .split('\n')
    .map((line) => {
      const m = /^(\s*)(#.*)$/.exec(line);
      const indent = m ? indentOf.get(m[2] as string) : undefined;
      return m && typeof indent === 'string' ? `${indent}${m[2] as string}` : line;
    })
    .join('\n');
}

/** Whether a key of the text holds a value (for write-only fields shown "set"); secrets are never returned. */
export function hasValue(text: string, path: ConfigPath): boolean {
  const doc = parseDocument(text);
  const node = doc.getIn(path, true);
  if (node === undefined || node === null) return false;
  return !(isScalar(node) && (node.value === null || node.value === ''));
}
