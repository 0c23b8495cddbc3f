import { readFile, stat } from 'node:fs/promises';
import { isAlias, isCollection, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { ConfigError } from '../lib/index.js';
import { capLines, dottedPath } from './issues.js';
import { displayPath } from './paths.js';
import { SECRET_FILE_KEYS, SECRET_KEYS } from './schema.js';

/**
 * Limits checked BEFORE the work a config costs: a 20 MB file of unknown keys once took minutes and
 * half a gigabyte to reject. The largest real config (many slot watchers, booking types and channels)
 * is a few KB; 256 KB is two orders of magnitude of room.
 */
export const MAX_CONFIG_FILE_BYTES = 256 * 1024;
/** YAML nodes (keys, values, list items) in one file: a full real config has a few hundred. */
export const MAX_YAML_NODES = 20_000;
/** Nesting of maps and lists: the deepest real key (`booking[0].availability…`) is 5 levels down. */
export const MAX_YAML_DEPTH = 16;
/** `*alias` uses in one file: configs rarely use any; the YAML bombs use thousands. */
export const MAX_YAML_ALIASES = 50;
/** A key is a word of ours; anything longer is not one and must not be echoed at length. */
export const MAX_KEY_LENGTH = 64;
/** Text values: names, hosts, ids, e-mail addresses, cron expressions… */
export const MAX_TEXT_LENGTH = 512;
/** URLs (webhooks carry a token in them; Apprise URLs carry several). */
export const MAX_URL_LENGTH = 2048;
/** Secrets: a JWT or a PEM-sized token fits; a 20 MB "password" does not. */
export const MAX_SECRET_LENGTH = 8192;
/** Free text shown to people (a booking page's description has its own, lower, limit). */
export const MAX_PROSE_LENGTH = 4096;

const URL_KEYS: ReadonlySet<string> = new Set(['url', 'casUrl', 'apiUrl']);
const PROSE_KEYS: ReadonlySet<string> = new Set(['description', 'title']);
/** C0 controls but tab, line feed and carriage return; DEL; C1 controls. None has a place in a config value. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export interface LocatedIssue {
  line: number;
  path: readonly PropertyKey[];
  message: string;
}

/** `configs/alice.yml:3: moncampus.username: …`: what a person needs to find the place. */
export function configErrorAt(shown: string, issues: readonly LocatedIssue[]): ConfigError {
  const lines = issues.map((i) => {
    const key = dottedPath(i.path);
    return `${shown}:${i.line}: ${key === '' ? '' : `${key}: `}${i.message}`;
  });
  return new ConfigError(capLines(shown, lines).join('\n'));
}

/** The longest value a key may hold. A list item (`notify: ["discord://…"]`) is an Apprise URL. */
export function maxLengthFor(path: readonly PropertyKey[]): number {
  const last = path[path.length - 1];
  if (typeof last === 'number') return path[0] === 'notify' ? MAX_URL_LENGTH : MAX_TEXT_LENGTH;
  const key = String(last);
  if (SECRET_KEYS.has(key)) return MAX_SECRET_LENGTH;
  if (SECRET_FILE_KEYS.has(key) || URL_KEYS.has(key)) return MAX_URL_LENGTH;
  if (PROSE_KEYS.has(key)) return MAX_PROSE_LENGTH;
  return MAX_TEXT_LENGTH;
}

function tooLarge(shown: string, bytes: number): ConfigError {
  return new ConfigError(
    `${shown}: the file is ${bytes} bytes, over the ${MAX_CONFIG_FILE_BYTES}-byte limit of a config file (a real one is a few KB): not read`,
  );
}

/**
 * Reads a config file within the limits: its size is checked before a byte is read (a 20 MB file is
 * refused at once), then its bytes must be UTF-8.
 */
export async function readConfigText(file: string): Promise<string> {
  const shown = displayPath(file);
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isFile() && info.size > MAX_CONFIG_FILE_BYTES) throw tooLarge(shown, info.size);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`${shown}: cannot read the config file (${code})`);
  }
  return decodeConfigBytes(bytes, shown);
}

/**
 * The text of a config file's bytes, or a ConfigError naming the file, line and key of the first byte
 * that is not UTF-8 (a Latin-1 editor's `é`, a truncated copy). Decoding with replacement characters
 * would pass a mangled user name to the login and fail there, far from the cause.
 */
export function decodeConfigBytes(bytes: Uint8Array, shown: string): string {
  if (bytes.length > MAX_CONFIG_FILE_BYTES) throw tooLarge(shown, bytes.length);
  const text = Buffer.from(bytes).toString('utf8');
  const reencoded = Buffer.from(text, 'utf8');
  if (reencoded.equals(bytes)) return text;
  // The valid prefix re-encodes to the same bytes: the first difference is the first invalid byte.
  let offset = 0;
  while (offset < bytes.length && bytes[offset] === reencoded[offset]) offset++;
  const charOffset = Buffer.from(bytes.subarray(0, offset)).toString('utf8').length;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const { line } = lineCounter.linePos(charOffset);
  const byte = `0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')}`;
  return throwIssue(shown, {
    line,
    path: pathAtOffset(doc, charOffset),
    message: `invalid UTF-8 (byte ${byte}): save the file as UTF-8`,
  });
}

function throwIssue(shown: string, issue: LocatedIssue): never {
  throw configErrorAt(shown, [issue]);
}

/** The key path of the innermost value or key whose source covers `offset`; [] when none does. */
export function pathAtOffset(doc: Document, offset: number): PropertyKey[] {
  let found: PropertyKey[] = [];
  visit(doc, {
    Node(_key, node, ancestors) {
      const range = (node as Node).range;
      if (range && range[0] <= offset && offset < Math.max(range[1], range[0] + 1)) found = keyPath(ancestors, node);
    },
  });
  return found;
}

/** The config path of a node from the ancestors `visit` gives. */
function keyPath(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const chain = [...ancestors, node];
  const out: PropertyKey[] = [];
  for (let i = 0; i < chain.length; i++) {
    const step = chain[i];
    if (isPair(step) && isScalar(step.key)) out.push(String(step.key.value));
    else if (isSeq(step) && i + 1 < chain.length) out.push(step.items.indexOf(chain[i + 1] as never));
  }
  return out;
}

/**
 * Walks a parsed document once and reports what no config may hold, each with its line and key:
 * too many nodes, too deep, too many aliases or one naming no anchor, over-long keys or values, and
 * control characters (a NUL in a host name, an ESC in a user name). Values are never echoed.
 */
export function documentIssues(doc: Document, lineCounter: LineCounter): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  let nodes = 0;
  let aliases = 0;
  const lineOf = (node: unknown): number => {
    const range = (node as Node | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  visit(doc, {
    Node(key, node, ancestors) {
      nodes++;
      if (nodes > MAX_YAML_NODES) {
        issues.push({ line: lineOf(node), path: [], message: `more than ${MAX_YAML_NODES} YAML nodes: not a config file` });
        return visit.BREAK;
      }
      const depth = ancestors.filter((a) => isCollection(a)).length;
      if (isCollection(node) && depth >= MAX_YAML_DEPTH) {
        issues.push({ line: lineOf(node), path: keyPath(ancestors, node), message: `nested more than ${MAX_YAML_DEPTH} levels deep` });
        return visit.BREAK;
      }
      if (isAlias(node)) {
        aliases++;
        if (aliases > MAX_YAML_ALIASES) {
          issues.push({ line: lineOf(node), path: keyPath(ancestors, node), message: `more than ${MAX_YAML_ALIASES} YAML aliases (*name)` });
          return visit.BREAK;
        }
        if (node.resolve(doc) === undefined) {
          issues.push({
            line: lineOf(node),
            path: keyPath(ancestors, node),
            message: `the alias *${node.source.slice(0, MAX_KEY_LENGTH)} names no anchor (&${node.source.slice(0, MAX_KEY_LENGTH)}) set before it`,
          });
        }
        return undefined;
      }
      if (!isScalar(node) || typeof node.value !== 'string') return undefined;
      const path = keyPath(ancestors, node);
      const issue = key === 'key' ? keyIssue(node.value) : valueIssue(node.value, path);
      if (issue) issues.push({ line: lineOf(node), path: key === 'key' ? path.slice(0, -1) : path, message: issue });
      return undefined;
    },
  });
  return issues;
}

function keyIssue(key: string): string | undefined {
  const shown = JSON.stringify(key.slice(0, MAX_KEY_LENGTH)) + (key.length > MAX_KEY_LENGTH ? '…' : '');
  if (CONTROL_CHARACTER.test(key)) return `the key ${shown} holds a control character (${codeOf(key)})`;
  if (key.length > MAX_KEY_LENGTH) return `the key ${shown} is ${key.length} characters long (keys have at most ${MAX_KEY_LENGTH})`;
  return undefined;
}

function valueIssue(value: string, path: readonly PropertyKey[]): string | undefined {
  const max = maxLengthFor(path);
  if (value.length > max) return `${value.length} characters long, expected at most ${max}`;
  if (CONTROL_CHARACTER.test(value)) return `holds a control character (${codeOf(value)}): not allowed in a config value`;
  return undefined;
}

function codeOf(text: string): string {
  const c = CONTROL_CHARACTER.exec(text)?.[0] ?? '';
  return `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Line and key of the first `*alias` of a document, for an alias error the yaml package reports without them. */
export function firstAlias(doc: Document, lineCounter: LineCounter): { line: number; path: PropertyKey[] } | undefined {
  let found: { line: number; path: PropertyKey[] } | undefined;
  visit(doc, {
    Alias(_key, node, ancestors) {
      const range = node.range;
      found = { line: range ? lineCounter.linePos(range[0]).line : 1, path: keyPath(ancestors, node) };
      return visit.BREAK;
    },
  });
  return found;
}
