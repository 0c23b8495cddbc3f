import { readFile, stat } from 'node:fs/promises';
import { isAlias, isCollection, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { ConfigError, localText, renderText, type Locale, type LocalText, type TextParam } from '../lib/index.js';
import { configIssue } from './env.js';
import { capLines, configErrorFrom, dottedPath, issueIn } from './issues.js';
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
  text?: LocalText;
}

/** A located issue worded by `configErrors.<key>`. */
const located = (line: number, path: readonly PropertyKey[], key: string, params?: Record<string, TextParam>): LocatedIssue => ({
  line,
  ...configIssue(path, key, params),
});

/** `configs/alice.yml:3: moncampus.username: …`: what a person needs to find the place. */
export function configErrorAt(shown: string, issues: readonly LocatedIssue[]): ConfigError {
  const lines = (locale: Locale): string[] =>
    capLines(
      shown,
      issues.map((i) => {
        const key = dottedPath(i.path);
        return `${shown}:${i.line}: ${key === '' ? '' : `${key}: `}${issueIn(i, locale)}`;
      }),
      locale,
    );
  return new ConfigError(lines('en').join('\n'), { localized: (locale) => lines(locale).join('\n') });
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
  return configErrorFrom(shown, [configIssue([], 'limits.fileTooLarge', { bytes, max: MAX_CONFIG_FILE_BYTES })]);
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
    throw configErrorFrom(shown, [configIssue([], 'limits.cannotRead', { code })]);
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
  return throwIssue(shown, located(line, pathAtOffset(doc, charOffset), 'limits.utf8', { byte }));
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
        issues.push(located(lineOf(node), [], 'limits.nodes', { max: MAX_YAML_NODES }));
        return visit.BREAK;
      }
      const depth = ancestors.filter((a) => isCollection(a)).length;
      if (isCollection(node) && depth >= MAX_YAML_DEPTH) {
        issues.push(located(lineOf(node), keyPath(ancestors, node), 'limits.depth', { max: MAX_YAML_DEPTH }));
        return visit.BREAK;
      }
      if (isAlias(node)) {
        aliases++;
        if (aliases > MAX_YAML_ALIASES) {
          issues.push(located(lineOf(node), keyPath(ancestors, node), 'limits.aliases', { max: MAX_YAML_ALIASES }));
          return visit.BREAK;
        }
        if (node.resolve(doc) === undefined) {
          issues.push(located(lineOf(node), keyPath(ancestors, node), 'limits.noAnchor', { alias: node.source.slice(0, MAX_KEY_LENGTH) }));
        }
        return undefined;
      }
      if (!isScalar(node) || typeof node.value !== 'string') return undefined;
      const path = keyPath(ancestors, node);
      const issue = key === 'key' ? keyIssue(node.value) : valueIssue(node.value, path);
      if (issue) issues.push({ line: lineOf(node), path: key === 'key' ? path.slice(0, -1) : path, message: renderText(issue, 'en'), text: issue });
      return undefined;
    },
  });
  return issues;
}

function keyIssue(key: string): LocalText | undefined {
  const shown = JSON.stringify(key.slice(0, MAX_KEY_LENGTH)) + (key.length > MAX_KEY_LENGTH ? '…' : '');
  if (CONTROL_CHARACTER.test(key)) return localText('configErrors.limits.keyControl', { key: shown, code: codeOf(key) });
  if (key.length > MAX_KEY_LENGTH) return localText('configErrors.limits.keyLong', { key: shown, length: key.length, max: MAX_KEY_LENGTH });
  return undefined;
}

function valueIssue(value: string, path: readonly PropertyKey[]): LocalText | undefined {
  const max = maxLengthFor(path);
  if (value.length > max) return localText('configErrors.limits.valueLong', { length: value.length, max });
  if (CONTROL_CHARACTER.test(value)) return localText('configErrors.limits.valueControl', { code: codeOf(value) });
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
